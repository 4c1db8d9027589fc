"""Parser 'feed': the items of an RSS 0.9x/1.0/2.0 or Atom feed (press-release announcements).

feedparser is handed the raw bytes, never decoded text, so it reads the encoding from the
XML declaration itself (the ministry's https://www.soumu.go.jp/news.rdf is RSS 1.0 declaring
``encoding="Shift_JIS"``, with no charset in the HTTP header). Two things are told to it:

- a ``charset`` in the HTTP Content-Type wins over the declaration (RFC 3023);
- Shift_JIS in any spelling is read as cp932, its Windows superset, as browsers and
  :mod:`scraper.decode` read it: Python's strict ``shift_jis`` codec fails on ① ② ㈱, and
  feedparser would then fall back to ISO-8859-2 and return mojibake.

The bytes are given as a stream: feedparser opens a *string* that names a local file.

A body that is empty, not XML, not a feed, not well-formed, or not decodable in its declared
encoding (feedparser's ``bozo`` flag), or a feed without items, raises :class:`ParseError`
with a one-line message. An item without a link or a date is kept with those fields None; its
key is then its guid (or its title).
"""

from __future__ import annotations

import io
import re
import time
from urllib.parse import urlsplit

import feedparser

from ..decode import http_charset, normalize_encoding
from ..errors import ParseError
from ..html_lines import html_lines
from ..model import FeedItem, FeedPage
from ..normalize import clean, compare_key, fold
from .model_projects import gregorian_year

XML_ENCODING = re.compile(rb"""^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
FISCAL_YEAR = re.compile(r"(?P<era>令和|平成)\s*(?P<num>元|\d{1,2})\s*年度")


def parse_feed(body: bytes, content_type: str | None, keywords: list[str]) -> FeedPage:
    """Parse a fetched feed's raw bytes; ``keywords`` are matched width- and space-insensitively
    against each item's title and description."""
    if not body.strip():
        raise ParseError("empty feed: the body has no content")
    charset = _charset(body, content_type)
    headers = {"content-type": f"application/xml; charset={charset}"} if charset else None
    parsed = feedparser.parse(io.BytesIO(body), response_headers=headers)
    if parsed.bozo:
        error = parsed.bozo_exception
        raise ParseError(f"not a readable feed ({type(error).__name__}): {error}")
    if not parsed.version:
        raise ParseError("not an RSS or Atom feed: no rss, rdf:RDF or feed element")
    items = [item for entry in parsed.entries if (item := _item(entry, keywords)) is not None]
    if not items:
        raise ParseError(f"the feed ({parsed.version}) has no items")
    return FeedPage(title=clean(parsed.feed.get("title", "")), items=items, encoding=parsed.encoding or None)


def _charset(body: bytes, content_type: str | None) -> str | None:
    """The encoding to tell feedparser: the HTTP charset, or cp932 for a declared Shift_JIS; else None
    (feedparser reads the declaration, or defaults to UTF-8)."""
    charset = http_charset(content_type)
    if charset is None and (m := XML_ENCODING.match(body)):
        if normalize_encoding(m[1].decode("ascii")) == "cp932":
            charset = "cp932"
    return charset


def _item(entry: feedparser.FeedParserDict, keywords: list[str]) -> FeedItem | None:
    """One item; None when it has no link, guid or title to know it by."""
    title = clean(entry.get("title", ""))
    link = entry.get("link") or None  # feedparser copies a guid here when no <link> is given
    if link is not None and urlsplit(link).scheme not in ("http", "https"):
        link = None  # a guid that is no address: 'urn:…', 'notice-42'
    key = link or entry.get("id") or title
    if not key:
        return None
    if entry.get("published"):
        published, moment = entry.get("published"), entry.get("published_parsed")
    else:
        published, moment = entry.get("updated") or None, entry.get("updated_parsed")
    description = "\n".join(html_lines(entry["summary"])) if entry.get("summary") else ""
    matched = [k for k in keywords if compare_key(k) and _contains(title, description, compare_key(k))]
    year = FISCAL_YEAR.search(fold(title))
    return FeedItem(
        item_key=key,
        title=title,
        link=link,
        published=published,
        published_utc=time.strftime("%Y-%m-%dT%H:%M:%SZ", moment) if moment else None,  # feedparser gives UTC
        description=description or None,
        matched=matched,
        fiscal_year=gregorian_year(year["era"], year["num"]) if year else None,
    )


def _contains(title: str, description: str, key: str) -> bool:
    return key in compare_key(title) or key in compare_key(description)
