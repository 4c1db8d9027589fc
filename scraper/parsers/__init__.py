"""Parsers by name, as configured in ``[[sources]] parser = "..."``.

This package names the parsers without importing them: :func:`decode_and_parse` imports the
decoder and the named parser's module when a body needs parsing. A run whose pages all
answer 304 parses nothing, so it never loads the decoding and HTML libraries.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from ..errors import KankeiError

# name -> "module:function" under scraper/, imported when a body is parsed with it
PARSERS: dict[str, str] = {
    "model_projects": "parsers.model_projects:parse_model_projects",
    "text": "parsers.text:parse_text",
    "feed": "parsers.feed:parse_feed",
}
# Parsers handed the raw bytes and the Content-Type, never decoded text (a feed's XML declaration
# names its encoding: feedparser reads it); they take keyword options, e.g. the feed's keywords.
BYTES_PARSERS = frozenset({"feed"})


def _load(target: str) -> Callable[..., Any]:
    module, function = target.split(":")
    return getattr(import_module(f"scraper.{module}"), function)


def decode_and_parse(body: bytes, content_type: str | None, parser: str,
                     options: dict[str, Any] | None = None) -> tuple[str | None, Any, str | None]:
    """Decode a fetched body (:func:`scraper.decode.decode_html`) and parse it with ``parser``
    (a parser of :data:`BYTES_PARSERS` gets the bytes, the Content-Type and ``options`` instead).

    Returns ``(encoding, page, error)``: the encoding it was decoded with (None when it could
    not be), the parser's result (None on failure) and the failure's message (a
    :class:`scraper.errors.KankeiError`'s; any other exception propagates). What a run and a
    rebuild both do with a stored body.
    """
    if parser in BYTES_PARSERS:
        try:
            page = _load(PARSERS[parser])(body, content_type, **(options or {}))
            return page.encoding, page, None
        except KankeiError as e:
            return None, None, str(e)
    decode_html, parse = _load("decode:decode_html"), _load(PARSERS[parser])
    encoding = None
    try:
        text, encoding = decode_html(body, content_type)
        return encoding, parse(text), None
    except KankeiError as e:
        return encoding, None, str(e)
