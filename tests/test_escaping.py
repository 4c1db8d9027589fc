"""Hostile scraped text comes out escaped in every HTML and Atom output.

The text travels the real way: a page served on 127.0.0.1 whose summaries and a type
definition contain ``<script>alert("x")</script> & "quotes" 'q'`` (as text, i.e.
escaped in the page's source), fetched and stored by ``kankei run``, then rendered by
``kankei report --format html`` / ``--format atom`` and by the Datasette pages of
``kankei serve``.
"""

from __future__ import annotations

import asyncio
import html
import sqlite3
from pathlib import Path

import lxml.html
import pytest
from click.testing import CliRunner
from lxml import etree

from pipeline.cli import cli
from pipeline.serve import database_name, make_datasette
from tests.http_server import LoopbackServer, Reply

FIXTURES = Path(__file__).parent / "fixtures"
PAGE_PATH = "/kankeijinkou/discription/index.html"
EVIL = "<script>alert(\"x\")</script> & \"quotes\" 'q'"
ATOM = "{http://www.w3.org/2005/Atom}"


def hostile_page() -> bytes:
    """The table fixture with EVIL as text in a new year's body, 石狩市's summary and a type definition."""
    text = (FIXTURES / "model_projects_table.html").read_text(encoding="utf-8")
    evil = html.escape(EVIL)
    new_year = (
        '<section id="r03"><h3>令和3年度モデル事業採択団体(全1団体)</h3>\n'
        "<table><thead><tr><th>採択団体</th><th>事業概要</th></tr></thead><tbody>\n"
        f"<tr><td>遠野市<br>(岩手県)</td><td><p>{evil} 遠野の取組</p></td></tr>\n"
        "</tbody></table></section>\n"
    )
    edits = [
        ('<section id="r02">', new_year + '<section id="r02">'),
        ("<p>地域農業ファンづくり→", f"<p>{evil}地域農業ファンづくり→"),
        ("<dd><p>ふるさと納税の寄附者を", f"<dd><p>{evil}ふるさと納税の寄附者を"),
    ]
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text.encode("utf-8")


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database after two real runs: the fixture page, then the hostile page. Returns its config."""
    tmp = tmp_path_factory.mktemp("escaping")
    config = tmp / "config.toml"
    runner = CliRunner()
    with LoopbackServer() as server:
        config.write_text(
            '[storage]\ndatabase = "kankei.db"\nsnapshots = "snapshots"\n'
            '[http]\nuser_agent = "kankei-test/0.1 (+tests)"\ntimeout = 5\nretries = 0\nmin_interval = 0\n'
            'allowed_hosts = ["127.0.0.1"]\n'
            f'[[sources]]\nname = "model-projects"\nurl = "{server.url(PAGE_PATH)}"\nparser = "model_projects"\n',
            encoding="utf-8",
        )
        for body in ((FIXTURES / "model_projects_table.html").read_bytes(), hostile_page()):
            server.route(PAGE_PATH, Reply(200, body=body, content_type="text/html; charset=utf-8"))
            result = runner.invoke(cli, ["--config", str(config), "run"], catch_exceptions=False)
            assert result.exit_code == 0, result.output
    assert "4 changes" in result.stdout, result.stdout
    conn = sqlite3.connect(tmp / "kankei.db")
    try:
        stored = [r[0] for r in conn.execute("SELECT summary FROM adoptions WHERE summary LIKE '%<script>%'")]
        defs = [r[0] for r in conn.execute("SELECT definition FROM categories WHERE definition LIKE '%<script>%'")]
    finally:
        conn.close()
    assert len(stored) == 2 and all(EVIL in s for s in stored)  # the raw text really reached the database
    assert len(defs) == 1 and EVIL in defs[0]
    return config


def assert_escaped_html(page: str, where: str) -> None:
    """EVIL is shown as text: escaped in the source, no script or handler of its own, readable in full."""
    assert "<script>alert" not in page, where
    assert "&lt;script&gt;alert(" in page and "&lt;/script&gt;" in page, where
    doc = lxml.html.document_fromstring(page)
    for script in doc.iter("script"):
        assert "alert" not in (script.text or ""), where
    for el in doc.iter():
        if isinstance(el.tag, str):
            assert not any(name.lower().startswith("on") for name in el.attrib), (where, el.tag, dict(el.attrib))
    assert EVIL in doc.text_content(), where


def report(config: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["report", "--config", str(config), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_report_html_escapes_scraped_text(hostile_db: Path, tmp_path: Path) -> None:
    assert_escaped_html(report(hostile_db, "--format", "html"), "report html on stdout")
    out = tmp_path / "report.html"
    report(hostile_db, "--format", "html", "--run", "2", "-o", str(out))
    assert_escaped_html(out.read_text(encoding="utf-8"), "report html file")


def test_atom_feed_escapes_scraped_text(hostile_db: Path) -> None:
    feed = report(hostile_db, "--format", "atom")
    assert "<script" not in feed
    root = etree.fromstring(feed.encode("utf-8"))  # well-formed XML
    entries = root.findall(f"{ATOM}entry")
    assert entries
    contents = []
    for entry in entries:
        for el in entry.iter():
            if el.get("type") == "html" and el.text:
                contents.append(el.text)
    hostile = [c for c in contents if "alert" in c]
    assert hostile, "the hostile text should appear in the feed's HTML content"
    for content in hostile:
        assert_escaped_html(f"<html><body>{content}</body></html>", "atom content")


@pytest.mark.parametrize("path", ["/{db}/adoptions?fiscal_year=2021", "/{db}/adoptions/{row}", "/{db}/changes",
                                  "/{db}/categories", "/{db}/recent_changes?days=30"])
def test_datasette_pages_escape_scraped_text(hostile_db: Path, path: str) -> None:
    database = hostile_db.parent / "kankei.db"
    conn = sqlite3.connect(database)
    row = conn.execute("SELECT id FROM adoptions WHERE fiscal_year = 2021").fetchone()[0]
    conn.close()
    ds = make_datasette(database)

    async def get() -> tuple[int, str]:
        await ds.invoke_startup()
        response = await ds.client.get(path.format(db=database_name(database), row=row))
        return response.status_code, response.text

    status, page = asyncio.run(get())
    assert status == 200, page[:500]
    assert_escaped_html(page, path)
