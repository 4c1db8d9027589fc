"""The HTML report's pictures, as data for the SVG templates: a tile-grid map of the 47
prefectures shaded by adopted bodies, and bars of bodies per fiscal year by type.

Counts come from :func:`.select.adoption_counts` (the page's current state: a body adopted
in two years counts in both). ``templates/charts.html.j2`` draws them; nothing here
writes markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from .messages import Messages
from .select import AdoptionCount

TILE = 34  # px, one prefecture
GAP = 3

# Prefecture code (全国地方公共団体コード, first two digits), name, column and row of its tile:
# west to east, north to south, neighbours next to each other where the grid allows.
TILES: tuple[tuple[str, str, int, int], ...] = (
    ("01", "北海道", 12, 0), ("02", "青森県", 12, 1), ("03", "岩手県", 12, 2), ("04", "宮城県", 12, 3),
    ("05", "秋田県", 11, 2), ("06", "山形県", 11, 3), ("07", "福島県", 11, 4), ("08", "茨城県", 12, 5),
    ("09", "栃木県", 11, 5), ("10", "群馬県", 10, 5), ("11", "埼玉県", 10, 6), ("12", "千葉県", 12, 6),
    ("13", "東京都", 11, 6), ("14", "神奈川県", 10, 7), ("15", "新潟県", 10, 4), ("16", "富山県", 9, 4),
    ("17", "石川県", 8, 3), ("18", "福井県", 8, 4), ("19", "山梨県", 9, 6), ("20", "長野県", 9, 5),
    ("21", "岐阜県", 8, 5), ("22", "静岡県", 9, 7), ("23", "愛知県", 8, 6), ("24", "三重県", 7, 6),
    ("25", "滋賀県", 7, 5), ("26", "京都府", 7, 4), ("27", "大阪府", 6, 5), ("28", "兵庫県", 6, 4),
    ("29", "奈良県", 6, 6), ("30", "和歌山県", 6, 7), ("31", "鳥取県", 5, 4), ("32", "島根県", 4, 4),
    ("33", "岡山県", 5, 5), ("34", "広島県", 4, 5), ("35", "山口県", 3, 5), ("36", "徳島県", 5, 7),
    ("37", "香川県", 5, 6), ("38", "愛媛県", 4, 6), ("39", "高知県", 4, 7), ("40", "福岡県", 2, 5),
    ("41", "佐賀県", 1, 5), ("42", "長崎県", 0, 5), ("43", "熊本県", 1, 6), ("44", "大分県", 2, 6),
    ("45", "宮崎県", 2, 7), ("46", "鹿児島県", 1, 7), ("47", "沖縄県", 0, 8),
)

LIGHT = (222, 235, 247)  # the shade of one body
DARK = (8, 81, 156)  # the shade of the most bodies on a map
EMPTY = "#ffffff"
# Bar colours by type, in the order types first appear (colour-blind-safe Okabe–Ito first).
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000",
           "#999999", "#8c564b", "#17becf", "#bcbd22")


@dataclass(frozen=True)
class Tile:
    code: str
    prefecture: str
    label: str  # 北海道, 青森, 神奈川, …
    x: int
    y: int
    count: int
    fill: str
    text: str  # label colour, readable on ``fill``


@dataclass(frozen=True)
class TileMap:
    title: str
    tiles: list[Tile]
    most: int
    scale: list[str]  # the fills of none, one and the most
    width: int
    height: int


@dataclass(frozen=True)
class Segment:
    category: str
    count: int
    y: float
    height: float
    colour: str


@dataclass(frozen=True)
class Bar:
    fiscal_year: int
    label: str
    count: int
    x: float
    y: float
    segments: list[Segment]


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    legend: list[tuple[str, str]]  # (type, colour)
    ticks: list[tuple[int, float]]  # (value, y)
    bar_width: float
    baseline: float
    legend_x: int
    width: int
    height: int


def shade(count: int, most: int) -> tuple[str, str]:
    """Fill and label colours of a tile: white when empty, light to dark blue up to ``most``."""
    if count <= 0 or most <= 0:
        return EMPTY, "#555555"
    share = (count - 1) / (most - 1) if most > 1 else 1.0
    rgb = [round(lo + (hi - lo) * share) for lo, hi in zip(LIGHT, DARK)]
    return "#{:02x}{:02x}{:02x}".format(*rgb), "#ffffff" if share > 0.5 else "#1a1a1a"


def tile_map(title: str, counts: dict[str, int], most: int | None = None) -> TileMap:
    """One map: every prefecture's tile, shaded by its count (prefectures without one are empty tiles)."""
    top = max(counts.values(), default=0) if most is None else most
    tiles = []
    for code, name, x, y in TILES:
        n = counts.get(name, 0)
        fill, text = shade(n, top)
        label = name if name == "北海道" else name[:-1]
        tiles.append(Tile(code, name, label, x * (TILE + GAP), y * (TILE + GAP), n, fill, text))
    columns = max(x for _, _, x, _ in TILES) + 1
    rows = max(y for _, _, _, y in TILES) + 1
    scale = [EMPTY, shade(1, top)[0], shade(top, top)[0]] if top else [EMPTY]
    return TileMap(title, tiles, top, scale, columns * (TILE + GAP), rows * (TILE + GAP))


def tile_maps(rows: list[AdoptionCount], t: Messages) -> list[TileMap]:
    """All fiscal years, then one map per year (newest first) on one shared scale."""
    total: dict[str, int] = {}
    by_year: dict[int, dict[str, int]] = {}
    labels: dict[int, str] = {}
    for r in rows:
        total[r.prefecture] = total.get(r.prefecture, 0) + r.count
        year = by_year.setdefault(r.fiscal_year, {})
        year[r.prefecture] = year.get(r.prefecture, 0) + r.count
        labels[r.fiscal_year] = year_label(r, t)
    most = max((n for year in by_year.values() for n in year.values()), default=0)
    maps = [tile_map(t("chart_all_years"), total)]
    maps += [tile_map(labels[fy], by_year[fy], most) for fy in sorted(by_year, reverse=True)]
    return maps


def year_label(row: AdoptionCount, t: Messages) -> str:
    if t.lang == "ja" and row.label:
        return row.label
    return t("year_heading_bare", fy=row.fiscal_year)


def bar_chart(rows: list[AdoptionCount], t: Messages, height: int = 240, bar_width: int = 56) -> BarChart:
    """Bodies per fiscal year (oldest first), each bar stacked by type in order of first appearance."""
    order: list[str] = []
    years: dict[int, dict[str, int]] = {}
    labels: dict[int, str] = {}
    for r in sorted(rows, key=lambda r: (r.fiscal_year, r.category)):
        category = r.category or t("chart_no_type")
        if category not in order:
            order.append(category)
        years.setdefault(r.fiscal_year, {})
        years[r.fiscal_year][category] = years[r.fiscal_year].get(category, 0) + r.count
        labels[r.fiscal_year] = year_label(r, t)
    colours = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(order)}
    top = max((sum(y.values()) for y in years.values()), default=0)
    step = next(s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000) if top <= s * 5)
    scale_top = max(step, -(-top // step) * step)
    margin_top, baseline = 20, height - 30
    per_body = (baseline - margin_top) / scale_top
    bars = []
    for i, fy in enumerate(sorted(years)):
        y = float(baseline)
        segments = []
        for category in order:
            n = years[fy].get(category, 0)
            if n:
                y -= n * per_body
                segments.append(Segment(category, n, y, n * per_body, colours[category]))
        bars.append(Bar(fy, labels[fy], sum(years[fy].values()), 44 + i * (bar_width + 28), y, segments))
    ticks = [(v, baseline - v * per_body) for v in range(0, scale_top + 1, step)]
    legend_x = 44 + len(bars) * (bar_width + 28) + 8
    legend_width = 30 + 13 * max((len(c) for c in order), default=0)
    return BarChart(bars, [(c, colours[c]) for c in order], ticks, bar_width, baseline, legend_x,
                    legend_x + legend_width, max(height, margin_top + 20 * len(order)))
