"""The mass-removal guard on parsed pages."""

from __future__ import annotations

import copy

from pipeline.guard import refused_removals
from scraper.parsers.model_projects import parse_model_projects

from .helpers import fixture_text

PAGE = parse_model_projects(fixture_text("model_projects_table.html"))


def without(page, fiscal_year: int, bodies: int = 0, whole: bool = False):
    page = copy.deepcopy(page)
    year = next(y for y in page.years if y.fiscal_year == fiscal_year)
    if whole:
        page.years.remove(year)
    else:
        del year.adoptions[:bodies]
    return page


def test_the_same_page_and_small_removals_pass() -> None:
    assert refused_removals(PAGE, PAGE) is None
    assert refused_removals(PAGE, without(PAGE, 2020, 5)) is None  # 5 of 25 is a fifth, not more
    small = copy.deepcopy(PAGE)
    small.years[0].adoptions[3:] = []
    assert refused_removals(small, without(small, 2020, 1)) is None  # one body of three: a correction
    assert refused_removals(small, without(small, 2020, 2)) == "the page would remove 2 of the 3 bodies of 令和2年度"


def test_a_whole_year_or_more_than_a_fifth_is_refused() -> None:
    assert refused_removals(PAGE, without(PAGE, 2020, whole=True)) == (
        "the page would remove the whole of 令和2年度 (FY2020, 25 bodies)")
    assert refused_removals(PAGE, without(PAGE, 2019, 9)) == "the page would remove 9 of the 44 bodies of 令和元年度"


def test_every_year_at_zero_is_refused_even_on_a_first_load() -> None:
    empty = copy.deepcopy(PAGE)
    for year in empty.years:
        year.stated_total, year.adoptions = 0, []
    assert refused_removals(PAGE, empty) == "every fiscal year on the page states 全0団体"
    assert refused_removals(copy.deepcopy(empty), empty) == "every fiscal year on the page states 全0団体"


def test_a_first_load_and_a_new_year_pass() -> None:
    nothing = copy.deepcopy(PAGE)
    nothing.years = []
    assert refused_removals(nothing, PAGE) is None
    assert refused_removals(without(PAGE, 2020, whole=True), PAGE) is None
