"""``kankei report``: Markdown, HTML, JSON and Atom on the demo's real database."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from urllib.request import url2pathname

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from db import runs, schema, store
from db.connection import transaction
from pipeline.cli import cli
from pipeline.demo import run_demo
from pipeline.report.render import diff_html
from pipeline.report.select import database_id, parse_since, select_changes
from pipeline.report.textdiff import char_diff, compact_diff
from scraper.compare import Change

from .helpers import copy_demo, write_report_config

ATOM = "{http://www.w3.org/2005/Atom}"
EVIL = "<script>alert(\"x\")</script> & 'q'"


@pytest.fixture(scope="module")
def demo(pristine_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's database after its five runs (read-only use), with a config pointing at it."""
    return copy_demo(pristine_demo, tmp_path_factory.mktemp("report") / "demo")


def report(config: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["report", "--config", str(config), *args])
    return result.exit_code, result.stdout, result.stderr


# --- range ---------------------------------------------------------------------------------


def test_default_range_is_the_latest_run_with_changes(demo: Path) -> None:
    conn = schema.connect(demo.parent / "kankei.db")
    data = select_changes(conn)
    assert [r.run_id for r in data.runs] == [5]
    assert data.range == {"mode": "latest", "run_id": 5, "since": None, "latest": 1, "runs_checked": 1}
    assert sorted(c.kind for c in data.runs[0].changes) == ["discrepancy_found", "document_changed"]
    run4 = select_changes(conn, run=4)
    assert sorted(c.kind for c in run4.runs[0].changes) == ["adoption_changed", "adoption_removed", "total_changed"]
    everything = select_changes(conn, since="2000-01-01")
    assert [r.run_id for r in everything.runs] == [1, 3, 4, 5]  # run 2 (a 304) found nothing
    assert everything.range["runs_checked"] == 5
    assert everything.runs[0].initial_load_sources == ["model-projects", "soumu-news"]
    assert not everything.runs[1].initial_load_sources


def test_parse_since_forms() -> None:
    import datetime as dt

    now = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.timezone.utc)
    assert parse_since("2026-03-01") == "2026-02-28T15:00:00Z"  # midnight in Japan, the default zone
    assert parse_since("2026-03-01T06:00") == "2026-02-28T21:00:00Z"
    assert parse_since("2026-03-01", tz="UTC") == "2026-03-01T00:00:00Z"
    assert parse_since("2026-03-01T06:00Z") == "2026-03-01T06:00:00Z"
    assert parse_since("2026-03-01T06:30+09:00", tz="UTC") == "2026-02-28T21:30:00Z"
    assert parse_since("7d", now=now) == "2026-03-03T12:00:00Z"


def test_bad_ranges_exit_2_with_a_clear_message(demo: Path, tmp_path: Path) -> None:
    code, _, err = report(demo, "--run", "99")
    assert code == 2 and "no run 99" in err and "runs 1–5" in err
    code, _, err = report(demo, "--run", "3", "--since", "2026-01-01")
    assert code == 2 and "either --run or --since" in err
    code, _, err = report(demo, "--since", "last tuesday")
    assert code == 2 and "--since" in err
    code, _, err = report(demo, "--format", "pdf")
    assert code == 2
    empty = tmp_path / "nodb"
    empty.mkdir()
    code, _, err = report(write_report_config(empty))
    assert code == 2 and "no database" in err and not (empty / "kankei.db").exists()


# --- HTML ----------------------------------------------------------------------------------


def test_html_shows_new_year_highlighted_edit_and_removed_body(demo: Path, tmp_path: Path) -> None:
    out = demo.parent / "reports" / "all.html"
    out.parent.mkdir(exist_ok=True)
    code, stdout, _ = report(demo, "--since", "2000-01-01", "--format", "html", "-o", str(out))
    assert code == 0 and stdout == ""
    page = out.read_text(encoding="utf-8")
    # Run 3: the new fiscal year with its three bodies.
    run3 = page[page.index('id="run-3"'):page.index('id="run-4"')]
    assert "FY2021 令和3年度 — new fiscal year (全3団体)" in run3
    assert all(body in run3 for body in ("遠野市", "小布施町", "長島町"))
    # Run 4: the edit highlighted character by character, the removed body, the new total.
    run4 = page[page.index('id="run-4"'):page.index('id="run-5"')]
    assert "収穫体験<ins>・加工体験</ins>などの体験型" in run4
    removed = run4[run4.index("Removed (1)"):]
    assert "小布施町" in removed[: removed.index("</ul>")]
    assert "全<del>3</del>団体 → 全<ins>2</ins>団体" in run4
    # The initial load is summarised, not listed body by body.
    run1 = page[page.index('id="run-1"'):page.index('id="run-3"')]
    assert "3 fiscal years" in run1 and "99 adopted bodies" in run1 and "4 linked documents" in run1
    assert "邑南町" not in run1
    # Run 5: the replaced adoption list with its text diff, and the discrepancy it makes.
    run5 = page[page.index('id="run-5"'):]
    assert "<h3>Documents</h3>" in run5 and "<del>-14 南知多町(愛知県)</del>" in run5
    assert "令和2年度: 南知多町 is on the page but not in 令和2年度採択団体一覧" in run5
    # Self-contained: inline CSS, nothing fetched.
    assert "<style>" in page and not re.search(r"<(link|script|img|iframe)\b", page) and "src=" not in page
    # Links: the ministry page, and the stored snapshot relative to the report file.
    assert 'href="http://127.0.0.1/kankeijinkou/discription/index.html"' not in page  # the URL actually fetched
    assert re.search(r'href="http://127\.0\.0\.1:\d+/kankeijinkou/discription/index\.html"', page)
    snapshot_links = re.findall(r'href="([^"]+\.gz)"', page)
    assert snapshot_links and all(not link.startswith(("/", "file:")) for link in snapshot_links)
    for link in snapshot_links:
        assert (out.parent / url2pathname(link)).resolve().is_file()


def test_html_on_stdout_links_snapshots_by_file_url(demo: Path) -> None:
    code, page, _ = report(demo, "--format", "html", "--run", "4")
    assert code == 0 and page.startswith("<!DOCTYPE html>")
    links = re.findall(r'href="(file://[^"]+\.gz)"', page)
    assert len(links) == 1
    assert Path(url2pathname(links[0].removeprefix("file://"))).is_file()


# --- Markdown ------------------------------------------------------------------------------


def test_markdown_groups_by_year_then_kind(demo: Path) -> None:
    code, text, _ = report(demo, "--run", "4")
    assert code == 0
    assert text.startswith("# kankei report: run 4")
    fy2021, fy2020 = text.index("### FY2021 令和3年度"), text.index("### FY2020 令和2年度")
    assert fy2021 < fy2020  # newest year first
    assert "Stated total: 全3団体 → 全2団体" in text[fy2021:fy2020]
    assert "**Removed (1)**" in text[fy2021:fy2020] and "- 小布施町 — 長野県小布施町" in text
    changed = text[fy2020:]
    assert "- 石狩市: summary" in changed and "{+・加工体験+}" in changed
    assert "old: 地域農業ファンづくり→収穫体験などの" in changed and "new: 地域農業ファンづくり→収穫体験・加工体験などの" in changed

    code, text, _ = report(demo, "--run", "3")
    assert "### FY2021 令和3年度 — new fiscal year (全3団体)" in text and "**Added (3)**" in text
    code, text, _ = report(demo, "--run", "1")
    assert "initial load" in text and "99 adopted bodies" in text and "邑南町" not in text


def test_markdown_documents_and_discrepancies_sections(demo: Path) -> None:
    code, text, _ = report(demo)
    assert code == 0 and text.startswith("# kankei report: the latest run with changes (run 5)")
    documents, discrepancies = text.index("### Documents"), text.index("### Discrepancies")
    assert documents < discrepancies
    assert "- Changed: 令和2年度採択団体一覧" in text[documents:discrepancies]
    assert "```diff" in text[documents:discrepancies] and "-14 南知多町(愛知県)" in text[documents:discrepancies]
    assert "- 令和2年度: 南知多町 is on the page but not in 令和2年度採択団体一覧" in text[discrepancies:]


# --- JSON ----------------------------------------------------------------------------------


def test_json_round_trips_with_the_documented_keys(demo: Path) -> None:
    code, text, _ = report(demo, "--since", "2000-01-01", "--format", "json")
    assert code == 0
    data = json.loads(text)
    assert json.dumps(data, ensure_ascii=False, indent=2) + "\n" == text
    assert set(data) == {"kankei_report_version", "generated_at", "database_id", "range", "sources", "runs"}
    assert data["kankei_report_version"] == 1
    assert data["range"]["mode"] == "since" and data["range"]["since"] == "1999-12-31T15:00:00Z"  # UTC
    assert [r["run_id"] for r in data["runs"]] == [1, 3, 4, 5]
    run1, run3, run4, run5 = data["runs"]
    assert set(run4) == {"run_id", "started_at", "finished_at", "status", "initial_load_sources", "counts", "changes"}
    assert run1["counts"] == {"year_added": 3, "adoption_added": 99, "category_changed": 7, "document_added": 4,
                              "announcement_added": 1}
    assert run5["counts"] == {"document_changed": 1, "discrepancy_found": 1}
    found = next(c for c in run5["changes"] if c["kind"] == "discrepancy_found")
    assert (found["name"], found["new_value"], found["field"].rsplit("/", 1)[-1]) == (
        "南知多町", "missing_from_document", "r02_saitaku.pdf")
    assert all(c["initial_load"] for c in run1["changes"])  # JSON lists the initial load in full
    assert run4["counts"] == {"total_changed": 1, "adoption_removed": 1, "adoption_changed": 1}
    edit = next(c for c in run4["changes"] if c["kind"] == "adoption_changed")
    assert set(edit) == {"id", "kind", "detected_at", "fiscal_year", "fiscal_year_label", "name", "field",
                         "old_value", "new_value", "source", "source_url", "initial_load", "snapshot"}
    assert (edit["fiscal_year"], edit["fiscal_year_label"], edit["name"], edit["field"]) == (2020, "令和2年度", "石狩市", "summary")
    assert "収穫体験・加工体験" in edit["new_value"] and not edit["initial_load"]
    assert set(edit["snapshot"]) == {"id", "url", "fetched_at", "http_status", "sha256", "path"}
    assert (demo.parent / "snapshots" / edit["snapshot"]["path"]).is_file()
    removed = next(c for c in run4["changes"] if c["kind"] == "adoption_removed")
    assert removed["name"] == "小布施町" and removed["fiscal_year_label"] == "令和3年度"


# --- Atom ----------------------------------------------------------------------------------


def test_atom_is_valid_with_one_entry_per_run_with_changes(demo: Path) -> None:
    code, first, _ = report(demo, "--format", "atom")
    assert code == 0
    feed = etree.fromstring(first.encode("utf-8"))
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{required}") is not None
    entries = feed.findall(f"{ATOM}entry")
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    feed_id = database_id(schema.connect(demo.parent / "kankei.db"))
    assert feed.findtext(f"{ATOM}id") == f"tag:kankei,2026:{feed_id}"
    assert ids == [f"tag:kankei,2026:{feed_id}/run/{n}" for n in (5, 4, 3, 1)]
    for entry in entries:
        for required in ("id", "title", "updated", "content"):
            assert entry.find(f"{ATOM}{required}") is not None
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert titles[0] == "Run 5: 1 document changed; 1 discrepancy found"
    assert "new fiscal year 令和3年度" in titles[2] and "initial load" in titles[3]
    assert "南知多町 is on the page but not in 令和2年度採択団体一覧" in entries[0].find(f"{ATOM}content").text
    content = entries[1].find(f"{ATOM}content")
    assert content.get("type") == "html" and "<ins>・加工体験</ins>" in content.text and "小布施町" in content.text
    # Stable: a second rendering has the same ids and dates.
    code, second, _ = report(demo, "--format", "atom")
    again = etree.fromstring(second.encode("utf-8")).findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}id") for e in again] == ids
    assert [e.findtext(f"{ATOM}updated") for e in again] == [e.findtext(f"{ATOM}updated") for e in entries]


def test_two_databases_have_different_feed_and_entry_ids(demo: Path, tmp_path: Path) -> None:
    """The session's demo database and a second demo made here."""
    other = tmp_path / "other"
    run_demo(other, echo=lambda line: None)
    feeds = []
    for config in (demo, write_report_config(other)):
        _, text, _ = report(config, "--format", "atom")
        feeds.append(etree.fromstring(text.encode("utf-8")))
    assert feeds[0].findtext(f"{ATOM}id") != feeds[1].findtext(f"{ATOM}id")
    entry_ids = [{e.findtext(f"{ATOM}id") for e in feed.findall(f"{ATOM}entry")} for feed in feeds]
    assert len(entry_ids[0]) == 4 and not entry_ids[0] & entry_ids[1]


# --- no changes ----------------------------------------------------------------------------


def test_no_changes_in_range_says_so(demo: Path, tmp_path: Path) -> None:
    code, text, _ = report(demo, "--run", "2")
    assert code == 0 and "No changes in run 2." in text
    code, text, _ = report(demo, "--since", "2999-01-01", "--format", "html")
    assert code == 0 and "No changes since 2999-01-01 00:00 JST (0 runs checked)." in text
    code, text, _ = report(demo, "--run", "2", "--format", "json")
    assert json.loads(text)["runs"] == []
    code, text, _ = report(demo, "--run", "2", "--format", "atom")
    feed = etree.fromstring(text.encode("utf-8"))
    assert feed.findall(f"{ATOM}entry") == [] and "No changes" in feed.findtext(f"{ATOM}subtitle")

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    schema.connect(fresh / "kankei.db").close()
    code, text, _ = report(write_report_config(fresh))
    assert code == 0 and "No changes recorded yet." in text


# --- escaping ------------------------------------------------------------------------------


@pytest.fixture
def evil_db(tmp_path: Path) -> Path:
    """A database whose scraped text is hostile."""
    config = write_report_config(tmp_path)
    conn = schema.connect(tmp_path / "kankei.db")
    run_id = runs.start_run(conn)
    changes = [
        Change("year_added", 2030, "令和12年度", "stated_total", None, "1"),
        Change("adoption_added", 2030, EVIL, None, None, f"東京都{EVIL}\n{EVIL}"),
        Change("adoption_changed", 2030, "石狩市", "summary", f"前 {EVIL}", f"後 {EVIL} 追加"),
    ]
    with transaction(conn):
        store.insert_changes(conn, run_id, "model-projects", None, changes[:1], runs.utcnow())
    runs.finish_run(conn, run_id, "ok", {})
    run_id = runs.start_run(conn)
    with transaction(conn):
        store.insert_changes(conn, run_id, "model-projects", None, changes, runs.utcnow())
    runs.finish_run(conn, run_id, "ok", {})
    conn.close()
    return config


def test_scraped_text_is_escaped_in_html_and_atom(evil_db: Path) -> None:
    code, page, _ = report(evil_db, "--format", "html")
    assert code == 0
    assert "<script" not in page and "&lt;script&gt;" in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;q&#39;" in page  # Jinja2's entities

    code, text, _ = report(evil_db, "--format", "atom")
    entry = etree.fromstring(text.encode("utf-8")).find(f"{ATOM}entry")
    html_content = entry.find(f"{ATOM}content").text  # the HTML, once unescaped from XML
    assert "<script" not in html_content and "&lt;script&gt;" in html_content
    assert "<ins>" in html_content  # markup of our own stays markup

    code, text, _ = report(evil_db)
    assert "<script>" not in text and r"\<script\>" in text


# --- character diff ------------------------------------------------------------------------


def test_char_diff_prefers_natural_cuts() -> None:
    assert char_diff("収穫体験などの", "収穫体験・加工体験などの") == [("=", "収穫体験"), ("+", "・加工体験"), ("=", "などの")]
    assert diff_html("a<b", "a<b>c") == "a&lt;b<ins>&gt;c</ins>"
    assert compact_diff("x" * 40 + "旧" + "y" * 40, "x" * 40 + "新" + "y" * 40) == "…xxxxxxxxxxxx[-旧-]{+新+}yyyyyyyyyyyy…"


@given(st.text(alphabet="あい体験・、ab", max_size=30), st.text(alphabet="あい体験・、ab", max_size=30))
def test_char_diff_reconstructs_both_texts(old: str, new: str) -> None:
    ops = char_diff(old, new)
    assert "".join(t for op, t in ops if op != "+") == old
    assert "".join(t for op, t in ops if op != "-") == new
    assert all(t for _, t in ops)


# --- read-only -----------------------------------------------------------------------------


def test_reports_never_write_the_database(pristine_demo: Path, tmp_path: Path) -> None:
    import hashlib

    directory = tmp_path / "demo"
    config = copy_demo(pristine_demo, directory)

    def files() -> dict[str, str]:  # SQLite's -shm index of a WAL database is not content
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in directory.iterdir()
                if p.is_file() and p.suffix != ".db-shm"}

    before = files()
    for fmt in ("markdown", "html", "json", "atom"):
        code, _, err = report(config, "--since", "2000-01-01", "--format", fmt)
        assert code == 0, err
    after = files()
    wal = after.pop("kankei.db-wal", None)
    assert wal in (None, before.get("kankei.db-wal"), hashlib.sha256(b"").hexdigest())  # nothing logged
    before.pop("kankei.db-wal", None)
    assert after == before
    conn = schema.connect(directory / "kankei.db")
    assert conn.execute("SELECT value FROM meta WHERE key = 'database_id'").fetchone() is None


def test_database_id_is_stable_and_keeps_an_id_stored_earlier(pristine_demo: Path, tmp_path: Path) -> None:
    directory = tmp_path / "demo"
    shutil.copytree(pristine_demo, directory)
    conn = schema.connect(directory / "kankei.db")
    derived = database_id(conn)
    assert derived == database_id(conn) and len(derived) == 36
    conn.execute("INSERT INTO meta(key, value) VALUES ('database_id', 'stored-by-an-earlier-report')")
    assert database_id(conn) == "stored-by-an-earlier-report"  # existing feeds keep their ids


def test_the_diff_and_the_escaper_load_no_renderer() -> None:
    """``kankei run`` imports the character diff and the Markdown escaper; the renderer, Jinja2 and
    feedgen load only to render."""
    import subprocess
    import sys

    code = ("import sys, pipeline.format, pipeline.notify, pipeline.config; "
            "print(sorted({'jinja2', 'feedgen', 'pipeline.report.render', 'pipeline.report.charts'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_one_markdown_escaper_for_reports_and_notifications() -> None:
    from pipeline import notify
    from pipeline.format import change_line
    from pipeline.report.markdown import md
    from pipeline.results import RunResult, SourceResult
    from scraper.compare import Change

    assert md("a\\b`c*d_e[f]g<h>i#j|k\n  l") == r"a\\b\`c\*d\_e\[f\]g\<h\>i\#j\|k l"
    change = Change("adoption_added", 2021, "*石狩市*_[x](y)<b>", None, None, "#1|2")
    short = notify.short_report(RunResult(7, [SourceResult("model_projects", "fetched", changes=[change])]))
    assert f"- {md(change_line(change))}" in short.splitlines()
    assert "\\*石狩市\\*\\_\\[x\\]" in short
