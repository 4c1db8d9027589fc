"""kankei's Datasette for Japanese readers (issue 13), through Datasette's real test client on the demo
database: the front pages, hidden tables, the Japanese views, edits highlighted (and escaped), the
licence and 出典 on every page, and the dashboard's map and bars."""

from __future__ import annotations

import asyncio
import html
import re
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from db import schema
from pipeline.serve import LICENSE, attribution, make_datasette
from scraper.lgcode import CODES
from tests.helpers import screenshot_script

SOURCE_URL = "https://www.soumu.go.jp/kankeijinkou/discription/index.html"
HIDDEN = {"meta", "notifications", "source_state", "snapshots", "runs", "adoption_versions",
          "fiscal_year_versions", "category_versions", "document_versions"}
ADOPTIONS_JA = ["年度", "年度表記", "団体名", "都道府県", "市区町村", "団体コード", "類型", "事業概要", "連携団体"]
CHANGES_JA = ["番号", "検出日時", "種類", "年度", "団体名", "項目", "変更前", "変更後", "取得元", "実行番号"]
PREFECTURE_CODE = {p: code[:2] for (p, m), code in CODES.items() if not m}


@pytest.fixture(scope="module")
def demo_db(pristine_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("datasette-ja") / "demo"
    shutil.copytree(pristine_demo, directory)
    return directory / "kankei.db"


@pytest.fixture(scope="module")
def ds(demo_db: Path):
    return make_datasette(demo_db, source_url=SOURCE_URL)


def get(ds, path: str) -> Any:
    async def fetch() -> Any:
        response = await ds.client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text[-800:])
        return response.json() if ".json" in path else response.text

    return asyncio.run(fetch())


def view(name: str, suffix: str = "") -> str:
    """A view's path as Datasette writes it (tilde-encoded: /kankei/~E6~8E~A1…)."""
    from datasette.utils import tilde_encode

    return f"/kankei/{tilde_encode(name)}{suffix}"


def rows(ds, path: str) -> list[dict[str, Any]]:
    return get(ds, f"{path}{'&' if '?' in path else '?'}_shape=array&_size=max")


def sql(db: Path, query: str, *args: Any) -> list[tuple]:
    conn = schema.connect(db)
    try:
        return [tuple(r) for r in conn.execute(query, args)]
    finally:
        conn.close()


@pytest.mark.parametrize("path", ["/", "/kankei"])
def test_front_pages_lead_with_bodies_changes_search_and_map(ds, path: str) -> None:
    page = get(ds, path)
    overview = page.index('class="kankei-overview"')
    bodies = page.index('href="/kankei/~E6~8E~A1~E6~8A~9E~E5~9B~A3~E4~BD~93"')  # 採択団体
    changes = page.index('href="/kankei/~E5~A4~89~E6~9B~B4~E5~B1~A5~E6~AD~B4"')  # 変更履歴
    search = page.index('action="/kankei/search"')
    tile_map = page.index('class="tile"')
    rest = page.index("Custom SQL query") if path == "/kankei" else page.index("Adopted bodies of the")
    assert overview < min(bodies, changes, search, tile_map) and max(bodies, changes, search, tile_map) < rest
    assert "全101件" in page and "令和3年度</a>：2団体" in page
    # The latest real change first: 石狩市's edited 事業概要, highlighted.
    first = page[page.index('class="kankei-changes"'):]
    assert first.index("石狩市") < first.index("小布施町") and "<ins>・加工体験</ins>" in first


def test_internal_tables_are_hidden_but_reachable_by_sql(ds) -> None:
    tables = {t["name"]: t["hidden"] for t in get(ds, "/kankei.json")["tables"]}
    hidden = {name for name, is_hidden in tables.items() if is_hidden}
    assert HIDDEN <= hidden and not hidden & {"adoptions", "changes", "fiscal_years", "partners", "categories"}
    assert all(name in HIDDEN or name.startswith(("adoptions_fts", "documents_fts", "announcements_fts")) for name in hidden)
    page = get(ds, "/kankei")
    for name in HIDDEN:
        assert f'href="/kankei/{name}"' not in page
    assert rows(ds, "/kankei.json?sql=select+count(*)+AS+n+from+runs") == [{"n": 5}]  # the demo's five runs
    assert len(rows(ds, "/kankei/snapshots.json")) > 0


def test_japanese_views_columns(ds) -> None:
    assert get(ds, view("採択団体", ".json"))["columns"] == ADOPTIONS_JA
    assert get(ds, view("変更履歴", ".json"))["columns"] == CHANGES_JA
    page = get(ds, view("採択団体"))
    assert "採択団体（モデル事業採択団体）" in page and 'class="kankei-summary"' in page
    changes = get(ds, view("変更履歴"))
    assert "採択団体の変更" in changes and "採択団体の削除" in changes  # kinds in Japanese (raw in the JSON)
    assert "<ins>・加工体験</ins>" in changes


def test_bodies_in_local_government_code_order(ds, demo_db: Path) -> None:
    found = rows(ds, view("採択団体", ".json"))
    assert len(found) == sql(demo_db, "SELECT count(*) FROM adoptions")[0][0] and found[0]["都道府県"] == "北海道"
    keys = [(PREFECTURE_CODE[r["都道府県"]], r["団体コード"] or "") for r in found]
    assert keys == sorted(keys)


def test_real_changes_newest_first_without_each_sources_initial_load(ds, demo_db: Path) -> None:
    found = rows(ds, view("変更履歴", ".json"))
    numbers = [r["番号"] for r in found]
    assert numbers == sorted(numbers, reverse=True)
    first_load = dict(sql(demo_db, "SELECT source, min(run_id) FROM snapshots WHERE http_status = 200 GROUP BY source"))
    expected = {i for i, run, source in sql(demo_db, "SELECT id, run_id, source FROM changes")
                if run > first_load[source]}
    assert set(numbers) == expected and len(expected) == 9
    assert found[0]["団体名"] == "南知多町" and found[0]["種類"] == "discrepancy_found"  # run 5, the newest
    assert any(r["団体名"] == "石狩市" and r["項目"] == "summary" for r in found)


def test_changes_come_newest_first_in_every_change_list(ds) -> None:
    for path in ("/kankei/changes.json", "/kankei/changes_detail.json", view("変更履歴", ".json"),
                 "/kankei/recent_changes.json?days=3650"):
        result = get(ds, path + ("&" if "?" in path else "?") + "_shape=array")
        ids = [r.get("id", r.get("番号")) for r in result]
        assert len(ids) > 5 and ids == sorted(ids, reverse=True), path


def test_each_body_links_to_its_history_and_the_ministry_page(ds) -> None:
    page = get(ds, view("採択団体") + "?" + quote("団体名") + "=" + quote("石狩市"))
    assert 'href="/kankei/body_history?name=%E7%9F%B3%E7%8B%A9%E5%B8%82"' in page
    assert f'href="{SOURCE_URL}"' in page
    history = rows(ds, "/kankei/body_history.json?name=%E7%9F%B3%E7%8B%A9%E5%B8%82")
    assert {r["kind"] for r in history} == {"adoption_added", "adoption_changed"}


def test_column_descriptions_are_folded_not_deleted(ds) -> None:
    page = get(ds, view("採択団体"))
    details = page[page.index('<details class="kankei-columns">'):]
    details = details[:details.index("</details>")]
    assert "全国地方公共団体コード（6桁、検査数字付き）" in details
    assert page.index("</details>", page.index('<details class="kankei-columns">')) < page.index('<table class="rows-and-columns">')


@pytest.mark.parametrize("path", [
    "/", "/kankei", "/kankei/adoptions", view("採択団体"), "/kankei/recent_changes?days=30",
    "/kankei/body_history?name=%E7%9F%B3%E7%8B%A9%E5%B8%82", "/kankei/search?q=%E8%BE%B2%E6%A5%AD",
    "/kankei/multi_year_bodies", "/dashboard"])
def test_licence_and_attribution_on_every_page(ds, path: str) -> None:
    page = get(ds, path)
    footer = page[page.index('<footer class="ft">'):]
    assert html.escape(attribution(SOURCE_URL), quote=False) in footer and LICENSE in footer
    assert "出典：総務省「関係人口ポータルサイト」" in footer


def test_dashboard_tiles_and_bars_equal_sql_counts(ds, demo_db: Path) -> None:
    page = get(ds, "/dashboard")
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="(https?:)?//', page)  # no CDN, nothing fetched
    first_map = page[page.index('<figure class="map">'):page.index("</figure>")]
    tiles = re.findall(r'data-code="(\d\d)" data-prefecture="([^"]+)" data-count="(\d+)"', first_map)
    assert len(tiles) == 47 and len({p for _, p, _ in tiles}) == 47
    expected = dict(sql(demo_db, "SELECT prefecture, count(*) FROM adoptions GROUP BY prefecture"))
    assert {p: int(n) for _, p, n in tiles} == {p: expected.get(p, 0) for _, p, _ in tiles}
    assert any(n == "0" for _, _, n in tiles)  # prefectures with no body are shown, as empty tiles
    bars = {int(fy): int(n) for fy, n in re.findall(r'class="bar" data-fiscal-year="(\d+)" data-count="(\d+)"', page)}
    assert bars == dict(sql(demo_db, "SELECT fiscal_year, count(*) FROM adoptions GROUP BY fiscal_year"))


PAYLOADS = ('<script>alert("x")</script>', '"><img src=x onerror=alert(1)>')


@pytest.fixture(scope="module")
def hostile_ds(pristine_demo: Path, tmp_path_factory: pytest.TempPathFactory):
    """The demo database with hostile markup in a 事業概要 and in an edit recorded by a later run."""
    directory = tmp_path_factory.mktemp("datasette-hostile") / "demo"
    shutil.copytree(pristine_demo, directory)
    db = directory / "kankei.db"
    conn = schema.connect(db)
    old = conn.execute("SELECT summary FROM adoptions WHERE name = '石狩市'").fetchone()[0]
    new = old + PAYLOADS[0] + PAYLOADS[1]
    conn.execute("UPDATE adoptions SET summary = ? WHERE name = '石狩市'", (new,))
    conn.execute("""INSERT INTO changes(run_id, detected_at, kind, fiscal_year, name, field, old_value, new_value, source)
                    VALUES (4, '2026-12-02T09:00:00Z', 'adoption_changed', 2020, '石狩市', 'summary', ?, ?,
                            'model-projects')""", (old, new))
    conn.close()
    return make_datasette(db, source_url=SOURCE_URL)


@pytest.mark.parametrize("path", ["/", "/kankei", view("変更履歴"), "/kankei/recent_changes?days=3650",
                                  "/kankei/body_history?name=%E7%9F%B3%E7%8B%A9%E5%B8%82", view("採択団体"),
                                  "/kankei/adoptions", "/kankei/changes"])
def test_edits_are_highlighted_and_markup_in_the_text_stays_text(hostile_ds, path: str) -> None:
    page = get(hostile_ds, path)
    assert '<script>alert("x")' not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(" in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    if path not in (view("採択団体"), "/kankei/adoptions"):
        # The same character diff as the HTML report: the payload is the inserted text, escaped.
        assert re.search(r"<ins>&lt;script&gt;alert\(&(#34|quot);x&(#34|quot);\)&lt;/script&gt;&(#34|quot);"
                         r"&gt;&lt;img src=x onerror=alert\(1\)&gt;</ins>", page), page[:0]




def test_screenshot_script_photographs_datasette_in_headless_chromium(tmp_path: Path) -> None:
    """scripts/report_screenshots.py (docs/datasette-ja.png, docs/dashboard-ja.png) on the demo, in real Chromium."""
    import struct

    script = screenshot_script()
    pngs = script.make_datasette_screenshots(tmp_path)
    assert [p.name for p in pngs] == ["datasette-ja.png", "dashboard-ja.png"]
    for png in pngs:
        data = png.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", data[16:24]) == (1400, 900)
        assert len(data) > 100_000  # text, tiles and bars, not a blank or error page


def test_every_change_kind_has_a_japanese_label() -> None:
    from db.schema import CHANGE_KINDS

    labels = (Path(__file__).parent.parent / "pipeline/datasette/templates/kankei/labels.html").read_text("utf-8")
    assert [kind for kind in CHANGE_KINDS if f'"{kind}":' not in labels] == []
