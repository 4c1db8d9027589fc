"""Parser 'feed' (scraper/parsers/feed.py): RSS 1.0 in Shift_JIS, RSS 2.0, Atom, keywords, broken feeds."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from scraper.errors import ParseError
from scraper.parsers.feed import parse_feed
from tests.http_server import LoopbackServer, Reply
from tests.sample_documents import ROOT

KEYWORDS = ["関係人口", "モデル事業", "採択"]
NEWS_RDF = (ROOT / "pipeline" / "samples" / "news.rdf").read_bytes()

RSS2 = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>ある市の新着情報</title><link>https://www.city.example.lg.jp/</link>
<description>新着</description>
<item><title>令和元年度 関係 人口ｾﾐﾅｰの開催</title><link>https://www.city.example.lg.jp/a.html</link>
<description>&lt;p&gt;東京で&lt;b&gt;ﾓﾃﾞﾙ事業&lt;/b&gt;の報告会を開きます。&lt;/p&gt;</description>
<pubDate>Tue, 27 Apr 2021 17:00:00 +0900</pubDate><guid>https://www.city.example.lg.jp/a.html</guid></item>
<item><title>お知らせ（日付なし）</title><guid isPermaLink="false">notice-42</guid></item>
<item><title>ＳＵＰ体験会</title><link>https://www.city.example.lg.jp/sup.html</link></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>関係人口ポータル</title><id>urn:example:feed</id>
<updated>2019-05-01T00:00:00Z</updated>
<entry><title>平成３１年度 モデル事業の採択団体</title><id>urn:example:1</id>
<link rel="alternate" href="https://www.soumu.go.jp/kankeijinkou/news/1.html"/>
<published>2019-04-26T10:00:00+09:00</published><updated>2019-04-27T10:00:00+09:00</updated>
<summary>採択団体を決定しました。</summary></entry>
<entry><title>サイトの更新</title><id>urn:example:2</id><updated>2019-05-01T00:00:00Z</updated></entry>
</feed>"""


def test_rss_1_0_in_shift_jis_with_no_charset_in_the_http_header(http_server: LoopbackServer) -> None:
    http_server.route("/news.rdf", Reply(200, body=NEWS_RDF, content_type="application/rss+xml"))
    fetched = requests.get(http_server.url("/news.rdf"), timeout=5)  # real HTTP on 127.0.0.1
    content_type = fetched.headers["Content-Type"]
    assert content_type == "application/rss+xml" and b'encoding="Shift_JIS"' in fetched.content[:60]
    feed = parse_feed(fetched.content, content_type, KEYWORDS)
    assert (feed.title, feed.encoding, len(feed.items)) == ("総務省 新着情報", "cp932", 5)
    [announcement] = [item for item in feed.items if item.matched]
    assert announcement.title == "令和３年度「関係人口創出・拡大事業」モデル事業の採択団体の決定"
    assert announcement.item_key == announcement.link == \
        "https://www.soumu.go.jp/menu_news/s-news/01gyosei08_02000999.html"
    assert (announcement.published, announcement.published_utc) == ("2021-04-27T17:00:00+09:00", "2021-04-27T08:00:00Z")
    assert announcement.matched == KEYWORDS and announcement.fiscal_year == 2021
    statistics = next(item for item in feed.items if "統計委員会" in item.title)
    assert statistics.description == "議事：①部会の審議状況について ②その他"  # cp932-only characters
    assert (statistics.matched, statistics.fiscal_year) == ([], None)


@pytest.mark.parametrize("content_type", [None, "text/xml", "application/xml", "text/html"])
def test_the_xml_declaration_decides_without_an_http_charset(content_type: str | None) -> None:
    feed = parse_feed(NEWS_RDF, content_type, KEYWORDS)
    assert [item.fiscal_year for item in feed.items if item.matched] == [2021]


def test_rss_2_0_in_utf_8_keeps_items_without_link_or_date() -> None:
    feed = parse_feed(RSS2.encode("utf-8"), "application/rss+xml; charset=UTF-8", KEYWORDS)
    seminar, notice, sup = feed.items
    assert (seminar.item_key, seminar.published, seminar.published_utc) == (
        "https://www.city.example.lg.jp/a.html", "Tue, 27 Apr 2021 17:00:00 +0900", "2021-04-27T08:00:00Z")
    assert seminar.description == "東京でﾓﾃﾞﾙ事業の報告会を開きます。"  # markup gone, kept as written
    assert (seminar.matched, seminar.fiscal_year) == (["関係人口", "モデル事業"], 2019)
    assert (notice.item_key, notice.link, notice.published, notice.published_utc, notice.description) == (
        "notice-42", None, None, None, None)
    assert (sup.item_key, sup.matched) == ("https://www.city.example.lg.jp/sup.html", [])


def test_atom() -> None:
    feed = parse_feed(ATOM.encode("utf-8"), "application/atom+xml", KEYWORDS)
    first, second = feed.items
    assert (first.item_key, first.published, first.published_utc) == (
        "https://www.soumu.go.jp/kankeijinkou/news/1.html", "2019-04-26T10:00:00+09:00", "2019-04-26T01:00:00Z")
    assert (first.matched, first.fiscal_year, first.description) == (["モデル事業", "採択"], 2019, "採択団体を決定しました。")
    assert (second.item_key, second.link, second.published, second.published_utc) == (
        "urn:example:2", None, "2019-05-01T00:00:00Z", "2019-05-01T00:00:00Z")


def test_keywords_match_in_full_and_half_width() -> None:
    feed = parse_feed(RSS2.encode("utf-8"), None, ["SUP", "ＭＯＤＥＬ", "モデル事業", "関係人口"])
    assert [item.matched for item in feed.items] == [["モデル事業", "関係人口"], [], ["SUP"]]
    feed = parse_feed(RSS2.encode("utf-8"), None, ["ｾﾐﾅｰ", "ＳＵＰ"])
    assert [item.matched for item in feed.items] == [["ｾﾐﾅｰ"], [], ["ＳＵＰ"]]


@pytest.mark.parametrize(("body", "content_type", "says"), [
    (b"", "application/rss+xml", "empty"),
    (b"  \n", None, "empty"),
    (b"hello world", "text/plain", "not a readable feed"),
    (b"<html><body><p>Service Unavailable</p></body></html>", "text/html", "not an RSS or Atom feed"),
    (NEWS_RDF[: len(NEWS_RDF) // 2], "application/rss+xml", "not a readable feed"),
    (NEWS_RDF.replace(b'encoding="Shift_JIS"', b'encoding="UTF-8"'), None, "not a readable feed"),
    (NEWS_RDF, "application/rss+xml; charset=UTF-8", "not a readable feed"),
    (RSS2.encode("utf-8").replace(b'encoding="UTF-8"', b'encoding="Shift_JIS"'), None, "not a readable feed"),
    (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>', None, "no items"),
])
def test_broken_feeds_raise_a_one_line_parse_error(body: bytes, content_type: str | None, says: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_feed(body, content_type, KEYWORDS)
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_a_body_naming_a_local_file_is_not_opened(tmp_path: Path) -> None:
    feed_file = tmp_path / "feed.xml"
    feed_file.write_text(RSS2, encoding="utf-8")
    assert len(parse_feed(feed_file.read_bytes(), None, KEYWORDS).items) == 3
    with pytest.raises(ParseError):
        parse_feed(str(feed_file).encode(), None, KEYWORDS)
