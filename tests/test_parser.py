"""The model-project parser on several markups of the reference page."""

from __future__ import annotations

import pytest

from scraper.compare import compare_model_projects
from scraper.errors import ParseError
from scraper.parsers.model_projects import gregorian_year, parse_model_projects

from .helpers import fixture_text

GOOD = [
    "model_projects_table.html",
    "model_projects_dl.html",
    "model_projects_oldstyle_sjis.html",
    "model_projects_form_only.html",
]


def by_name(page, fiscal_year: int, name: str):
    year = next(y for y in page.years if y.fiscal_year == fiscal_year)
    return next(a for a in year.adoptions if a.name == name)


@pytest.mark.parametrize("fixture", GOOD)
def test_years_and_totals(fixture: str) -> None:
    page = parse_model_projects(fixture_text(fixture))
    assert [(y.fiscal_year, y.label, y.stated_total, y.parsed_total) for y in page.years] == [
        (2020, "令和2年度", 25, 25),
        (2019, "令和元年度", 44, 44),
        (2018, "平成30年度", 30, 30),
    ]


@pytest.mark.parametrize("fixture", GOOD)
def test_reference_facts(fixture: str) -> None:
    page = parse_model_projects(fixture_text(fixture))
    ishikari = by_name(page, 2020, "石狩市")
    assert (ishikari.prefecture, ishikari.municipality, ishikari.lg_code) == ("北海道", "石狩市", "012351")
    assert ishikari.summary is not None and ishikari.summary.count("\n") == 1  # two paragraphs
    assert "移住トレーナー" in ishikari.summary

    fukuchiyama = by_name(page, 2019, "京都府福知山市")
    assert (fukuchiyama.prefecture, fukuchiyama.municipality) == ("京都府", "福知山市")
    assert [(p.prefecture, p.municipality) for p in fukuchiyama.partners] == [("兵庫県", "丹波市"), ("兵庫県", "朝来市")]

    tosa = by_name(page, 2020, "土佐町")
    assert [(p.name, p.prefecture, p.lg_code) for p in tosa.partners] == [
        ("須崎市", "高知県", "392065"),
        ("四万十町", "高知県", "394122"),
    ]
    takko = by_name(page, 2020, "田子町")
    assert [p.prefecture for p in takko.partners] == ["岩手県", "秋田県"]

    h30 = next(y for y in page.years if y.fiscal_year == 2018)
    yokote = [a for a in h30.adoptions if a.municipality == "横手市"]
    assert len(yokote) == 1 and yokote[0].category == "パターン(1)①②重複"


@pytest.mark.parametrize("fixture", GOOD)
def test_consortia_are_one_body_led_by_the_name_before_the_parenthesis(fixture: str) -> None:
    page = parse_model_projects(fixture_text(fixture))
    hokkaido = by_name(page, 2019, "北海道")
    assert hokkaido.municipality == "" and hokkaido.lg_code == "010006"
    assert len(hokkaido.partners) == 17 and hokkaido.partners[0].name == "釧路市"
    assert all(p.prefecture == "北海道" and p.lg_code for p in hokkaido.partners)
    masuda = by_name(page, 2018, "島根県益田市")
    assert [p.municipality for p in masuda.partners] == ["津和野町", "吉賀町"]
    yuzawa = by_name(page, 2019, "秋田県湯沢市")
    assert [(p.prefecture, p.municipality) for p in yuzawa.partners] == [("神奈川県", "横浜市")]


@pytest.mark.parametrize("fixture", GOOD)
def test_categories_and_types(fixture: str) -> None:
    page = parse_model_projects(fixture_text(fixture))
    names = [c.name for c in page.categories]
    assert names == [
        "関係深化型(ゆかり型)",
        "関係深化型(ふるさと納税型)",
        "関係創出型",
        "裾野拡大型",
        "裾野拡大(外国人)型",
        "パターン(1)",
        "パターン(2)",
    ]
    pattern1 = page.categories[5].definition
    assert "①その地域にルーツがある者" in pattern1 and "②ふるさと納税を行った者" in pattern1
    r1 = next(y for y in page.years if y.fiscal_year == 2019)
    counts: dict[str, int] = {}
    for a in r1.adoptions:
        counts[a.category] = counts.get(a.category, 0) + 1
    assert counts == {
        "関係深化型(ゆかり型)": 6,
        "関係深化型(ふるさと納税型)": 1,
        "関係深化型(ゆかり型・ふるさと納税型)": 4,
        "関係創出型": 7,
        "裾野拡大型": 21,
        "裾野拡大(外国人)型": 5,
    }


def test_every_body_and_partner_has_a_code() -> None:
    page = parse_model_projects(fixture_text("model_projects_table.html"))
    assert page.warnings == []
    for year in page.years:
        for a in year.adoptions:
            assert a.lg_code and len(a.lg_code) == 6, a.name
            for p in a.partners:
                assert p.lg_code and len(p.lg_code) == 6, p.name


@pytest.mark.parametrize("fixture", GOOD[1:])
def test_markups_parse_to_the_same_content(fixture: str) -> None:
    table = parse_model_projects(fixture_text("model_projects_table.html"))
    other = parse_model_projects(fixture_text(fixture))
    assert compare_model_projects(table, other).changes == []


def test_circled_digits_are_kept_as_written() -> None:
    page = parse_model_projects(fixture_text("model_projects_oldstyle_sjis.html"))
    categories = {a.category for y in page.years for a in y.adoptions}
    assert "パターン(1)①" in categories and "パターン(1)②" in categories


def test_count_mismatch_names_the_year_and_counts() -> None:
    with pytest.raises(ParseError, match=r"令和元年度 \(FY2019\): 関係創出型 states 7団体 but 6 bodies"):
        parse_model_projects(fixture_text("model_projects_count_mismatch.html"))


@pytest.mark.parametrize("fixture", ["model_projects_no_table.html", "error_page.html"])
def test_missing_structure_is_refused(fixture: str) -> None:
    with pytest.raises(ParseError):
        parse_model_projects(fixture_text(fixture))


def test_empty_and_garbage_pages_are_refused() -> None:
    for html in ["", "<html></html>", "<p>令和2年度モデル事業採択団体(全25団体)</p>"]:
        with pytest.raises(ParseError):
            parse_model_projects(html)


@pytest.mark.parametrize(
    "era,num,year", [("令和", "2", 2020), ("令和", "元", 2019), ("平成", "30", 2018), ("令和", "3", 2021)]
)
def test_gregorian_year(era: str, num: str, year: int) -> None:
    assert gregorian_year(era, num) == year


def test_full_width_year_heading() -> None:
    html = """<h2>令和２年度モデル事業採択団体（全１団体）</h2>
    <table><tr><th>採択団体</th><th>事業概要</th></tr>
    <tr><td>石狩市<br>（北海道）</td><td><p>概要。</p></td></tr></table>"""
    page = parse_model_projects(html)
    assert page.years[0].fiscal_year == 2020 and page.years[0].adoptions[0].lg_code == "012351"


def test_same_year_twice_is_refused() -> None:
    row = "<tr><td>石狩市<br>(北海道)</td><td><p>概要。</p></td></tr>"
    section = f"<h2>令和2年度モデル事業採択団体(全1団体)</h2><table><tr><th>採択団体</th><th>事業概要</th></tr>{row}</table>"
    with pytest.raises(ParseError, match="appears twice"):
        parse_model_projects(section + section)
