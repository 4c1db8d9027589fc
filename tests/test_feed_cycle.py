"""The feed source kind (issue 15) in the cycle, over real HTTP on 127.0.0.1 into a real SQLite file:
announcements, keywords, following an item's page and its 別紙, the pending years, rebuild."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.config import load_config
from pipeline.cycle import run_cycle
from pipeline.demo import sample_bytes
from tests.http_server import LoopbackServer, Reply
from tests.test_document_cycle import cached

from .helpers import write_config

PORTAL = "/kankeijinkou/discription/index.html"
FEED = "/news.rdf"
PRESS = "/menu_news/s-news/01gyosei08_02000999.html"
BESSHI = "/main_content/000745999.pdf"


def localised(body: bytes, server: LoopbackServer) -> bytes:
    """A sample whose links point at www.soumu.go.jp, pointing at the loopback server instead."""
    return body.replace(b"https://www.soumu.go.jp", server.url("/").rstrip("/").encode("ascii"))


def feed_config(tmp_path: Path, server: LoopbackServer, feed_keys: str = "follow = true\n") -> Path:
    extra = f'\n[[sources]]\nname = "soumu-news"\nurl = "{server.url(FEED)}"\nparser = "feed"\n{feed_keys}'
    return write_config(tmp_path, server.url(PORTAL), extra=extra)


def serve(server: LoopbackServer, portal: str = "v1_baseline.html", feed: bytes | None = None) -> None:
    server.route("/robots.txt", Reply(200, body="User-agent: *\nAllow: /\n", content_type="text/plain"))
    server.route(PORTAL, cached(sample_bytes(portal), "text/html"))
    # Like www.soumu.go.jp: RSS 1.0 in Shift_JIS, the encoding only in the XML declaration.
    server.route(FEED, cached(feed or localised(sample_bytes("news.rdf"), server), "application/rss+xml"))
    server.route(PRESS, cached(localised(sample_bytes("press_release_r03.html"), server), "text/html"))
    server.route(BESSHI, cached(sample_bytes("documents/r03_besshi.pdf"), "application/pdf"))


def rows(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_the_announcement_leads_the_portal_page_and_its_besshi_is_cross_checked(http_server: LoopbackServer,
                                                                                tmp_path: Path) -> None:
    serve(http_server)
    config = load_config(feed_config(tmp_path, http_server))
    first = run_cycle(config)
    assert first.ok, [s.line() for s in first.sources]
    db = config.database
    # Only the matching item of five is kept, read from Shift_JIS without an HTTP charset.
    assert rows(db, "SELECT title, fiscal_year, matched, published, published_utc, first_seen_run FROM announcements"
                ) == [("令和３年度「関係人口創出・拡大事業」モデル事業の採択団体の決定", 2021, "関係人口、モデル事業、採択",
                       "2021-04-27T17:00:00+09:00", "2021-04-27T08:00:00Z", 1)]
    assert [s.source for s in first.sources] == ["model-projects", "soumu-news", "soumu-news:1"]
    assert rows(db, "SELECT kind, name FROM changes WHERE source = 'soumu-news'") == [
        ("announcement_added", "令和３年度「関係人口創出・拡大事業」モデル事業の採択団体の決定")]
    # The press release was followed as a text page, with its 別紙.
    assert rows(db, "SELECT source, link_text, text_status FROM documents WHERE source = 'soumu-news:1'") == [
        ("soumu-news:1", "別紙", "ok")]
    assert "採択団体を決定しました" in rows(db, "SELECT text FROM pages WHERE source = 'soumu-news:1'")[0][0]
    # 令和3年度 is announced, not yet on the portal page: pending.
    assert rows(db, "SELECT fiscal_year, announced FROM (" + PENDING + ")") == [(2021, "2021-04-27T08:00:00Z")]
    report = CliRunner().invoke(cli, ["--config", str(config.path), "report", "--run", "1"])
    assert "announced on 2021-04-27, not yet on the portal page" in report.stdout, report.stdout
    assert report.stdout.index("### Announcements") < report.stdout.index("Source model-projects")

    status = CliRunner().invoke(cli, ["--config", str(config.path), "status"])
    assert "pending year: FY2021 announced 2021-04-27T08:00:00Z by soumu-news" in status.stdout, status.stdout

    # The same feed again records nothing (conditional GETs all round).
    again = run_cycle(config)
    assert again.ok and again.changes == []
    assert rows(db, "SELECT COUNT(*) FROM announcements") == [(1,)]

    # The portal page gains 令和3年度: the year is no longer pending, and the 別紙 agrees with it.
    http_server.route(PORTAL, cached(sample_bytes("v2_new_year.html"), "text/html"))
    third = run_cycle(config)
    assert third.ok
    assert rows(db, PENDING) == []
    # a report of run 1 still says what was true then
    then = CliRunner().invoke(cli, ["--config", str(config.path), "report", "--run", "1"]).stdout
    assert "announced on 2021-04-27, not yet on the portal page" in then
    assert "pending year" not in CliRunner().invoke(cli, ["--config", str(config.path), "status"]).stdout
    assert rows(db, "SELECT COUNT(*) FROM discrepancies") == [(0,)]
    # Then the page drops a body the 別紙 names: a discrepancy from the press release's list.
    http_server.route(PORTAL, cached(sample_bytes("v3_edited.html"), "text/html"))
    fourth = run_cycle(config)
    assert [(c.kind, c.name, c.new_value) for c in fourth.changes if c.kind.startswith("discrepancy")] == [
        ("discrepancy_found", "長野県小布施町", "missing_from_page")]

    result = CliRunner().invoke(cli, ["--config", str(config.path), "rebuild", "--check"])
    assert result.exit_code == 0 and "Identical to the previous database" in result.output, result.output


def canned_query(name: str) -> str:
    """A canned query's SQL as Datasette runs it, from pipeline/datasette/metadata.yml."""
    import yaml

    path = Path(__file__).parent.parent / "pipeline" / "datasette" / "metadata.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))["queries"][name]["sql"]


PENDING = canned_query("pending_years")


RSS2 = """<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>新着</title>
{items}</channel></rss>"""
ITEM = "<item><title>{title}</title><link>{link}</link><pubDate>Tue, 27 Apr 2021 08:00:00 GMT</pubDate></item>"


def rss2(*titles: str, link: str = "https://www.soumu.go.jp/menu_news/s-news/{n}.html") -> bytes:
    items = "".join(ITEM.format(title=t, link=link.format(n=n)) for n, t in enumerate(titles))
    return RSS2.format(items=items).encode("utf-8")


def test_a_feed_that_drops_old_items_records_no_removal_and_full_width_keywords_match(
        http_server: LoopbackServer, tmp_path: Path) -> None:
    feed = rss2("ＭＯＤＥＬ事業の採択", "白書の公表", "関係人口 フォーラム")
    serve(http_server, feed=feed)
    config = load_config(feed_config(tmp_path, http_server, 'keywords = ["MODEL事業", "関係 人口"]\n'))
    assert run_cycle(config).ok
    assert rows(config.database, "SELECT title, matched FROM announcements ORDER BY id") == [
        ("ＭＯＤＥＬ事業の採択", "MODEL事業"), ("関係人口 フォーラム", "関係 人口")]
    http_server.route(FEED, cached(rss2("関係人口 フォーラム"), "application/rss+xml"))
    dropped = run_cycle(config)
    assert dropped.ok and dropped.changes == []
    assert rows(config.database, "SELECT COUNT(*) FROM announcements") == [(2,)]
    # without follow, no item page was requested
    assert http_server.count("/menu_news/s-news/0.html") == 0


def test_a_broken_feed_fails_its_source_alone_and_keeps_what_is_stored(http_server: LoopbackServer,
                                                                        tmp_path: Path) -> None:
    serve(http_server, feed=rss2("関係人口の催し"))
    config = load_config(feed_config(tmp_path, http_server, ""))
    assert run_cycle(config).ok
    for broken in (b"<html>not a feed</html>", b"", b'<?xml version="1.0" encoding="Shift_JIS"?><rss><chan'):
        http_server.route(FEED, Reply(200, body=broken, content_type="application/rss+xml"))
        result = run_cycle(config)
        [portal, feed] = result.sources
        assert portal.status in ("fetched", "unchanged") and feed.status == "failed"
        assert "\n" not in feed.message and feed.message
        assert rows(config.database, "SELECT title FROM announcements") == [("関係人口の催し",)]


def test_a_followed_page_on_a_foreign_host_is_recorded_but_not_requested(http_server: LoopbackServer,
                                                                          http_server_factory, tmp_path: Path) -> None:
    other = http_server_factory()
    foreign = other.url("/press.html").replace("127.0.0.1", "localhost")
    serve(http_server, feed=rss2("関係人口の採択", link=foreign))
    config = load_config(feed_config(tmp_path, http_server))
    result = run_cycle(config)
    assert result.ok and [s.source for s in result.sources] == ["model-projects", "soumu-news"]
    assert rows(config.database, "SELECT link FROM announcements") == [(foreign,)]
    assert other.count() == 0


def test_atom_and_json_carry_the_announcements(http_server: LoopbackServer, tmp_path: Path) -> None:
    serve(http_server)
    config = load_config(feed_config(tmp_path, http_server))
    assert run_cycle(config).ok
    atom = CliRunner().invoke(cli, ["--config", str(config.path), "report", "--format", "atom", "--lang", "ja"])
    assert "モデル事業の採択団体の決定" in atom.stdout and "ポータルサイトにはまだ掲載されていません" in atom.stdout


def test_the_default_configs_commented_feed_source_is_valid_once_uncommented(tmp_path: Path) -> None:
    text = (Path(__file__).parent.parent / "config.toml").read_text(encoding="utf-8")
    block = text[text.index('# [[sources]]\n# name = "soumu-news"'):]
    block = block[:block.index("\n\n")]
    path = tmp_path / "config.toml"
    path.write_text(text + "\n" + "\n".join(line.removeprefix("# ") for line in block.splitlines()) + "\n",
                    encoding="utf-8")
    [feed] = [s for s in load_config(path).sources if s.name == "soumu-news"]
    assert (feed.url, feed.parser, feed.keywords, feed.follow) == (
        "https://www.soumu.go.jp/news.rdf", "feed", ["関係人口", "モデル事業", "採択"], True)


def test_feed_keys_belong_to_feed_sources_only(tmp_path: Path) -> None:
    from pipeline.config import ConfigError

    path = write_config(tmp_path, "http://127.0.0.1/x.html", extra="follow = true\n")
    try:
        load_config(path)
    except ConfigError as e:
        assert "sources[0].follow" in str(e) and 'parser = "feed"' in str(e)
    else:
        raise AssertionError("follow on a model_projects source was accepted")


def test_hostile_link_text_and_feed_titles_come_out_escaped(http_server: LoopbackServer, tmp_path: Path) -> None:
    """A document's link text and an announcement's title, as text with markup in it, through every
    HTML and Atom output (with the document change, the discrepancy and the announcement sections)."""
    import html

    from pipeline.demo import with_document_links
    from tests.sample_documents import sample
    from tests.test_escaping import EVIL, assert_escaped_html

    links = {"令和2年度モデル事業採択団体": [("/d/list.pdf", f"{html.escape(EVIL)} 令和2年度採択団体一覧")]}
    serve(http_server, feed=rss2(f"{html.escape(EVIL)} 関係人口の採択"))
    http_server.route(PORTAL, cached(with_document_links(sample_bytes("v1_baseline.html"), links), "text/html"))
    http_server.route("/d/list.pdf", cached(sample("r02_saitaku.pdf"), "application/pdf"))
    config = load_config(feed_config(tmp_path, http_server, ""))
    assert run_cycle(config).ok
    http_server.route("/d/list.pdf", cached(sample("r02_saitaku_v2.pdf"), "application/pdf"))
    second = run_cycle(config)
    assert {c.kind for c in second.changes} == {"document_changed", "discrepancy_found"}

    def report(*args: str) -> str:
        return CliRunner().invoke(cli, ["--config", str(config.path), "report", "--since", "2000-01-01",
                                        *args]).stdout
    for lang in ("en", "ja"):
        page = report("--format", "html", "--lang", lang)
        assert "Announcements" in page or "報道発表" in page
        assert_escaped_html(page, f"html {lang}")
        feed = report("--format", "atom", "--lang", lang)
        assert "<script" not in feed
        from lxml import etree
        for entry in etree.fromstring(feed.encode("utf-8")).iter("{http://www.w3.org/2005/Atom}content"):
            if "alert" in (entry.text or ""):
                assert_escaped_html(f"<html><body>{entry.text}</body></html>", f"atom {lang}")
    markdown = report()
    assert "<script>" not in markdown


def test_an_atom_feed_without_validators_is_compared_by_hash(http_server: LoopbackServer, tmp_path: Path) -> None:
    atom = ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>新着</title>'
            '<id>urn:x</id><updated>2021-04-27T08:00:00Z</updated><entry><title>関係人口の集い</title>'
            '<id>urn:item:1</id><updated>2021-04-27T08:00:00Z</updated></entry></feed>').encode("utf-8")
    serve(http_server)
    http_server.route(FEED, Reply(200, body=atom, content_type="application/atom+xml"))
    config = load_config(feed_config(tmp_path, http_server, ""))
    assert run_cycle(config).ok
    # an item without a link is kept, keyed by its id
    assert rows(config.database, "SELECT item_key, link, published_utc FROM announcements") == [
        ("urn:item:1", None, "2021-04-27T08:00:00Z")]
    files = sorted(config.snapshots.rglob("*.gz"))
    again = run_cycle(config)
    assert again.ok and again.changes == [] and sorted(config.snapshots.rglob("*.gz")) == files


def test_status_and_the_canned_query_share_one_definition_of_pending() -> None:
    from db.announcements import PENDING_SQL

    assert PENDING.split() == PENDING_SQL.split()
