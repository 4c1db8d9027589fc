"""The HTML report's pictures: the tile-grid map of the 47 prefectures and the bars per fiscal year.

Read back from the real report (``kankei report --format html``) on the demo's database and
compared with direct SQL counts.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import lxml.html
import pytest
from click.testing import CliRunner

from db import schema
from pipeline.cli import cli
from pipeline.report.charts import TILES
from scraper import lgcode

from .helpers import copy_demo, screenshot_script, write_report_config

EVIL = "<script>alert(\"x\")</script>\"><img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def demo(pristine_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_demo(pristine_demo, tmp_path_factory.mktemp("charts") / "demo")


def html_report(config: Path, *args: str) -> lxml.html.HtmlElement:
    result = CliRunner().invoke(cli, ["report", "--config", str(config), "--format", "html", *args])
    assert result.exit_code == 0, result.output
    return lxml.html.document_fromstring(result.stdout)


def sql(config: Path, query: str) -> list[tuple]:
    conn = schema.connect(config.parent / "kankei.db")
    try:
        return [tuple(r) for r in conn.execute(query)]
    finally:
        conn.close()


def maps(page: lxml.html.HtmlElement) -> list[tuple[str, dict[str, int]]]:
    """Each map's title and its tiles' counts by prefecture."""
    out = []
    for svg in page.xpath('//figure[@class="map"]/svg'):
        tiles = svg.xpath('.//g[@class="tile"]')
        counts = {g.get("data-prefecture"): int(g.get("data-count")) for g in tiles}
        assert len(tiles) == len(counts) == 47
        out.append((svg.get("aria-label"), counts))
    return out


def test_tile_layout_has_every_prefecture_once() -> None:
    assert len(TILES) == 47
    assert [code for code, *_ in TILES] == [f"{n:02d}" for n in range(1, 48)]
    assert {name for _, name, _, _ in TILES} == set(lgcode.prefectures())
    assert len({(x, y) for *_, x, y in TILES}) == 47  # no two tiles on one square
    for code, name, _, _ in TILES:
        assert lgcode.lookup(name, "").startswith(code), name  # the code is the prefecture's


def test_map_counts_equal_sql_counts(demo: Path) -> None:
    page = html_report(demo)
    (title, everything), *years = maps(page)
    assert title == "All fiscal years"
    expected = dict.fromkeys(lgcode.prefectures(), 0)
    expected.update(dict(sql(demo, "SELECT prefecture, count(*) FROM adoptions GROUP BY prefecture")))
    assert everything == expected and sum(everything.values()) == 101
    assert 0 < sum(1 for n in everything.values() if n == 0) < 47  # prefectures with none are tiles too
    per_year = sql(demo, "SELECT fiscal_year, prefecture, count(*) FROM adoptions GROUP BY 1, 2")
    assert [t for t, _ in years] == ["FY2021", "FY2020", "FY2019", "FY2018"]
    for (title, counts), fy in zip(years, (2021, 2020, 2019, 2018)):
        assert {p: n for p, n in counts.items() if n} == {p: n for y, p, n in per_year if y == fy}, title


def test_empty_tiles_are_white_and_the_most_is_darkest(demo: Path) -> None:
    svg = html_report(demo).xpath('//figure[@class="map"]/svg')[0]
    fills = {int(g.get("data-count")): g.find("rect").get("fill") for g in svg.xpath('.//g[@class="tile"]')}
    assert fills[0] == "#ffffff"
    assert fills[max(fills)] == "#08519c" and len(set(fills.values())) == len(fills)


def test_bars_equal_per_year_counts(demo: Path) -> None:
    page = html_report(demo, "--lang", "ja")
    bars = page.xpath('//figure[@class="bars"]//g[@class="bar"]')
    expected = dict(sql(demo, "SELECT fiscal_year, count(*) FROM adoptions GROUP BY 1"))
    assert {int(b.get("data-fiscal-year")): int(b.get("data-count")) for b in bars} == expected
    by_type = Counter({(y, c or "（類型の記載なし）"): n for y, c, n in sql(
        demo, "SELECT fiscal_year, coalesce(category, ''), count(*) FROM adoptions GROUP BY 1, 2")})
    seen: Counter[tuple[int, str]] = Counter()
    heights = set()
    for bar in bars:
        segments = bar.xpath('.//rect[@class="segment"]')
        assert sum(int(s.get("data-count")) for s in segments) == int(bar.get("data-count"))
        for s in segments:
            seen[(int(bar.get("data-fiscal-year")), s.get("data-category"))] += int(s.get("data-count"))
            heights.add(round(float(s.get("height")) / int(s.get("data-count")), 6))
    assert seen == by_type
    assert len(heights) == 1  # one scale: a segment's height is proportional to its count
    labels = [t.text for b in bars for t in b.findall("text")][1::2]
    assert labels == ["平成30年度", "令和元年度", "令和2年度", "令和3年度"]


def test_scraped_type_and_prefecture_text_is_escaped_in_the_pictures(demo: Path, tmp_path: Path) -> None:
    directory = tmp_path / "evil"
    shutil.copytree(demo.parent, directory)
    config = write_report_config(directory)
    conn = schema.connect(directory / "kankei.db")
    conn.execute("UPDATE adoptions SET category = ? WHERE id = (SELECT min(id) FROM adoptions)", (EVIL,))
    conn.close()
    result = CliRunner().invoke(cli, ["report", "--config", str(config), "--format", "html"])
    page = result.stdout
    assert "<script" not in page and "<img" not in page and "&lt;script&gt;" in page
    doc = lxml.html.document_fromstring(page)
    assert any(s.get("data-category") == EVIL for s in doc.xpath('//rect[@class="segment"]'))
    assert not [el for el in doc.iter() if isinstance(el.tag, str) and any(a.startswith("on") for a in el.attrib)]


def test_screenshot_script_photographs_the_report_in_headless_chromium(tmp_path: Path) -> None:
    """scripts/report_screenshots.py (which regenerates docs/report-ja.png) on the demo, in real Chromium."""
    import struct

    script = screenshot_script()
    (png,) = script.make_screenshots(tmp_path)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == script.SHOTS[0][1]  # width, height
    assert len(data) > 150_000  # a page of text, tiles and bars, not a blank window
