"""Terminal renderings of changes."""

from __future__ import annotations

from scraper.compare import Change
from pipeline.format import change_line, inline_diff


def test_inline_diff_marks_the_characters_that_changed() -> None:
    old = "地域農業ファンづくり→収穫体験などの体験型レクリエーションツアーの実施→農村滞在交流活動など"
    new = old.replace("収穫体験などの", "収穫体験・加工体験などの")
    line = inline_diff(old, new)
    assert "{+・加工体験+}" in line and "[-" not in line
    assert len(line) < len(new)


def test_change_lines_use_the_pages_wording() -> None:
    assert change_line(Change("year_added", 2021, "令和3年度", "stated_total", None, "3")) == (
        "+ FY2021 令和3年度: new fiscal year (全3団体)"
    )
    assert change_line(Change("adoption_changed", 2020, "土佐町", "partners", "須崎市、四万十町", "須崎市")) == (
        "~ FY2020 土佐町: partners: 須崎市、四万十町 → 須崎市"
    )
    removed = change_line(Change("adoption_removed", 2021, "小布施町", None, "長野県小布施町", None))
    assert removed.startswith("- FY2021 小布施町")
