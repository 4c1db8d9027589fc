"""``kankei report --lang ja|en`` and ``[report] language``/``timezone`` on the demo's real database."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from db import schema
from pipeline.cli import cli
from pipeline.config import config_from_dict
from pipeline.report import messages
from scraper.errors import ConfigError

from .helpers import copy_demo, write_report_config

ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
REPORT_PACKAGE = Path(messages.__file__).parent
ENGLISH_WORDING = ("Run ", "Added (", "Removed (", "Changed (", "Stated total", "Generated", "new fiscal year",
                   "Initial load", "initial load", "Source ")


@pytest.fixture(scope="module")
def demo(pristine_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo's database after its four runs, with a config (no [report] section)."""
    return copy_demo(pristine_demo, tmp_path_factory.mktemp("language") / "demo")


def report(config: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["report", "--config", str(config), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def started_at(config: Path) -> dict[int, str]:
    conn = schema.connect(config.parent / "kankei.db")
    return {r[0]: r[1] for r in conn.execute("SELECT id, started_at FROM runs")}


# --- Japanese wording in all four formats ----------------------------------------------------


def test_markdown_in_japanese(demo: Path) -> None:
    run3 = report(demo, "--lang", "ja", "--run", "3")
    assert run3.startswith("# 関係人口モデル事業 変更レポート：第3回の実行\n")
    assert "### 令和3年度が追加されました（全3団体）" in run3 and "**採択団体 3 件追加**" in run3
    run4 = report(demo, "--lang", "ja", "--run", "4")
    assert "- 石狩市の事業概要が変更されました" in run4 and "{+・加工体験+}" in run4
    assert "**採択団体 1 件削除**" in run4 and "- 小布施町 — 長野県小布施町" in run4
    assert "記載の団体数：全3団体 → 全2団体" in run4
    run1 = report(demo, "--lang", "ja", "--run", "1")
    assert "採択団体 99 件" in run1 and "初回取得" in run1 and "邑南町" not in run1
    run5 = report(demo, "--lang", "ja")
    assert "### リンク先の資料" in run5 and "- 資料「令和2年度採択団体一覧」が変更されました" in run5
    assert "- 令和2年度：南知多町はページに掲載されていますが、資料「令和2年度採択団体一覧」にありません" in run5
    for text in (run1, run3, run4, run5):
        assert not [w for w in ENGLISH_WORDING if w in text], text


def test_html_in_japanese(demo: Path) -> None:
    page = report(demo, "--lang", "ja", "--since", "2000-01-01", "--format", "html")
    run3 = page[page.index('id="run-3"'):page.index('id="run-4"')]
    assert "<h3>令和3年度が追加されました（全3団体）</h3>" in run3
    run4 = page[page.index('id="run-4"'):]
    assert "<strong>石狩市</strong>の事業概要が変更されました" in run4
    assert "収穫体験<ins>・加工体験</ins>などの体験型" in run4
    assert "<h4>採択団体 1 件削除</h4>" in run4
    assert "<title>関係人口モデル事業 変更レポート：" in page
    visible = re.sub(r"<style>.*?</style>|<[^>]+>", "", page, flags=re.S)
    assert not [w for w in ENGLISH_WORDING if w in visible]


def test_atom_in_japanese(demo: Path) -> None:
    feed = etree.fromstring(report(demo, "--lang", "ja", "--format", "atom").encode("utf-8"))
    assert feed.get(XML_LANG) == "ja"
    assert feed.findtext(f"{ATOM}title") == "kankei：関係人口モデル事業 採択団体の変更"
    titles = [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]
    assert titles[0] == "第5回：資料 1 件変更／食い違い 1 件"
    assert titles[1] == "第4回：採択団体 1 件削除／採択団体 1 件変更／記載の団体数 1 件変更"
    assert titles[2] == "第3回：令和3年度が追加されました（全3団体）／採択団体 3 件追加"
    assert "初回取得" in titles[3]
    content = feed.findall(f"{ATOM}entry")[1].findtext(f"{ATOM}content")
    assert "<strong>石狩市</strong>の事業概要が変更されました" in content and "採択団体 1 件削除" in content
    english = etree.fromstring(report(demo, "--format", "atom").encode("utf-8"))
    assert english.get(XML_LANG) == "en"  # an English feed no longer claims to be Japanese


def test_json_is_the_same_in_every_language(demo: Path) -> None:
    en = json.loads(report(demo, "--since", "2000-01-01", "--format", "json"))
    ja = json.loads(report(demo, "--lang", "ja", "--since", "2000-01-01", "--format", "json"))
    en.pop("generated_at"), ja.pop("generated_at")
    assert en == ja
    assert [r["started_at"] for r in ja["runs"]] == [started_at(demo)[n] for n in (1, 3, 4, 5)]  # UTC, as stored


def test_config_language_is_the_default_and_lang_overrides_it(demo: Path, tmp_path: Path) -> None:
    directory = tmp_path / "ja"
    shutil.copytree(demo.parent, directory)
    config = write_report_config(directory, '[report]\nlanguage = "ja"\n')
    assert "石狩市の事業概要が変更されました" in report(config, "--run", "4")
    assert "- 石狩市: summary" in report(config, "--lang", "en", "--run", "4")


# --- times in [report] timezone ---------------------------------------------------------------


def japan_time(utc: str) -> dt.datetime:
    """A stored UTC time nine hours on (Japan has no daylight saving time)."""
    return dt.datetime.strptime(utc, "%Y-%m-%dT%H:%M:%SZ") + dt.timedelta(hours=9)


def test_times_are_shown_in_asia_tokyo(demo: Path) -> None:
    t4 = japan_time(started_at(demo)[4])
    text = report(demo, "--run", "4")
    assert f"## Run 4 · {t4:%Y-%m-%d %H:%M} JST · 3 changes" in text
    ja = report(demo, "--lang", "ja", "--run", "4")
    assert f"## 第4回の実行 · {t4.year}年{t4.month}月{t4.day}日 {t4:%H:%M} JST · 変更3件" in ja
    page = report(demo, "--format", "html", "--run", "4")
    fetched = japan_time(schema.connect(demo.parent / "kankei.db").execute(
        "SELECT fetched_at FROM snapshots WHERE run_id = 4 AND role = 'page'").fetchone()[0])
    assert f"(fetched {fetched:%Y-%m-%d %H:%M} JST)" in page
    assert not re.search(r"\d\d:\d\d:\d\dZ", text + ja + page)  # no raw UTC stamps for readers


def test_timezone_setting_changes_the_clock(demo: Path, tmp_path: Path) -> None:
    directory = tmp_path / "utc"
    shutil.copytree(demo.parent, directory)
    config = write_report_config(directory, '[report]\ntimezone = "UTC"\n')
    utc = dt.datetime.strptime(started_at(config)[4], "%Y-%m-%dT%H:%M:%SZ")
    assert f"## Run 4 · {utc:%Y-%m-%d %H:%M} UTC · 3 changes" in report(config, "--run", "4")


# --- --since read in [report] timezone --------------------------------------------------------


@pytest.fixture
def dated(demo: Path, tmp_path: Path) -> Path:
    """The demo with its runs moved around midnight in Japan on 2 March 2026."""
    directory = tmp_path / "dated"
    shutil.copytree(demo.parent, directory)
    conn = schema.connect(directory / "kankei.db")
    for run_id, utc in ((1, "2026-03-01T14:30:00Z"),   # 23:30 on 1 March in Japan
                        (2, "2026-03-01T14:45:00Z"),
                        (3, "2026-03-01T15:30:00Z"),   # 00:30 on 2 March in Japan, 1 March in UTC
                        (4, "2026-03-02T16:00:00Z"),
                        (5, "2026-03-02T16:30:00Z")):
        conn.execute("UPDATE runs SET started_at = ?, finished_at = ? WHERE id = ?", (utc, utc, run_id))
    conn.close()
    return write_report_config(directory)


def run_ids(config: Path, *args: str) -> tuple[list[int], str]:
    data = json.loads(report(config, "--format", "json", *args))
    return [r["run_id"] for r in data["runs"]], data["range"]["since"]


def test_since_is_read_in_the_configured_timezone(dated: Path) -> None:
    assert run_ids(dated, "--since", "2026-03-02") == ([3, 4, 5], "2026-03-01T15:00:00Z")  # midnight in Japan
    assert run_ids(dated, "--since", "2026-03-02T00:45") == ([4, 5], "2026-03-01T15:45:00Z")
    assert run_ids(dated, "--since", "2026-03-02T00:00Z") == ([4, 5], "2026-03-02T00:00:00Z")  # explicit UTC
    text = report(dated, "--since", "2026-03-02")
    assert text.startswith("# kankei report: runs since 2026-03-02 00:00 JST\n")
    utc = write_report_config(dated.parent, '[report]\ntimezone = "UTC"\n')
    assert run_ids(utc, "--since", "2026-03-02") == ([4, 5], "2026-03-02T00:00:00Z")


def test_report_help_says_how_since_and_lang_are_read() -> None:
    result = CliRunner().invoke(cli, ["report", "--help"], terminal_width=200)
    text = " ".join(result.stdout.split())
    assert "read in [report] timezone (default Asia/Tokyo)" in text
    assert "--lang [en|ja]" in text and "Default: [report] language, else en." in text


# --- config and message tables ---------------------------------------------------------------


SOURCES = {"sources": [{"name": "m", "url": "https://www.soumu.go.jp/x", "parser": "model_projects"}]}


def test_report_section_defaults_and_checks() -> None:
    default = config_from_dict(dict(SOURCES), None).report
    assert (default.language, default.timezone) == ("en", "Asia/Tokyo")
    chosen = config_from_dict({**SOURCES, "report": {"language": "ja", "timezone": "UTC"}}, None).report
    assert (chosen.language, chosen.timezone) == ("ja", "UTC")
    for bad in ({"langauge": "ja"}, {"language": "fr"}, {"timezone": "Asia/Tokio"}, {"timezone": 9}):
        with pytest.raises(ConfigError, match=next(iter(bad))):  # the error names the key
            config_from_dict({**SOURCES, "report": bad}, None)


def test_every_message_used_exists_in_every_language() -> None:
    used = set()
    for path in [REPORT_PACKAGE / "render.py", REPORT_PACKAGE / "charts.py", *(REPORT_PACKAGE / "templates").glob("*.j2")]:
        used |= set(re.findall(r"""\bt\(\s*["'](\w+)["']""", path.read_text(encoding="utf-8")))
    used |= {"added_title", "removed_title", "changed_title", "category_added", "category_removed",
             "category_changed", "bodies_added", "bodies_removed", "bodies_changed", "totals_changed",
             "categories_changed", "document_added", "document_removed", "document_changed",
             "missing_from_document", "missing_from_page", "missing_from_document_short", "missing_from_page_short",
             "documents_added", "documents_removed", "documents_changed", "discrepancies_found",
             "discrepancies_resolved"}  # keys passed through variables
    used.add("time")  # Messages.time()
    assert len(used) > 40
    for lang, table in messages.TABLES.items():
        assert set(table) == used, lang  # nothing missing, nothing left over
