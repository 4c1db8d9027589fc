"""The cross-check (pipeline/crosscheck.py) on the sample adoption list PDFs against the reference page."""

from __future__ import annotations

import pytest

from pipeline.crosscheck import discrepancies, is_adoption_list
from scraper import lgcode
from scraper.decode import decode_html
from scraper.documents import extract_text, find_documents, first_page
from scraper.lgcode import names_in_text
from scraper.model import Discrepancy, FiscalYear
from scraper.parsers.model_projects import parse_model_projects
from tests.sample_documents import ROOT, sample

LISTS = {2018: "h30_saitaku.pdf", 2019: "r01_saitaku.pdf", 2020: "r02_saitaku.pdf"}


@pytest.fixture(scope="module")
def years() -> dict[int, FiscalYear]:
    """The reference page's years (the v2 sample adds the fictional 令和3年度)."""
    html, _ = decode_html((ROOT / "pipeline" / "samples" / "v2_new_year.html").read_bytes(), None)
    return {year.fiscal_year: year for year in parse_model_projects(html).years}


def text_of(name: str) -> str:
    document = extract_text(sample(name), "application/pdf", f"https://www.soumu.go.jp/main_content/{name}", 10**6)
    assert document.text_status == "ok"
    return document.text


@pytest.mark.parametrize("fiscal_year", [2018, 2019, 2020])
def test_a_years_list_names_exactly_the_pages_bodies_and_partners(years: dict[int, FiscalYear], fiscal_year: int) -> None:
    year = years[fiscal_year]
    bodies = {(a.prefecture, a.municipality) for a in year.adoptions}
    partners = {(p.prefecture, p.municipality) for a in year.adoptions for p in a.partners}
    named = {(p.prefecture, p.municipality) for p in names_in_text(text_of(LISTS[fiscal_year]))}
    assert len(bodies) == year.stated_total
    assert named == bodies | partners
    assert discrepancies(year.adoptions, text_of(LISTS[fiscal_year])) == []


def test_the_later_list_without_a_body_gives_one_discrepancy(years: dict[int, FiscalYear]) -> None:
    assert discrepancies(years[2020].adoptions, text_of("r02_saitaku_v2.pdf")) == [
        Discrepancy("missing_from_document", "南知多町", "愛知県", "南知多町", lgcode.lookup("愛知県", "南知多町"))]


def test_a_body_only_the_document_names_is_missing_from_the_page(years: dict[int, FiscalYear]) -> None:
    text = text_of("r02_saitaku.pdf") + "\n26 遠野市(岩手県)【釜石市、須崎市】"  # no 須崎市 in 岩手県
    assert discrepancies(years[2020].adoptions, text) == [
        Discrepancy("missing_from_page", "岩手県遠野市", "岩手県", "遠野市", lgcode.lookup("岩手県", "遠野市")),
        Discrepancy("missing_from_page", "岩手県釜石市", "岩手県", "釜石市", lgcode.lookup("岩手県", "釜石市")),
    ]


def test_partners_count_as_present_and_a_removed_body_is_missing(years: dict[int, FiscalYear]) -> None:
    year = years[2020]
    tosa = next(a for a in year.adoptions if a.municipality == "土佐町")
    assert [p.municipality for p in tosa.partners] == ["須崎市", "四万十町"]
    others = [a for a in year.adoptions if a is not tosa]
    text = text_of("r02_saitaku.pdf").replace("土佐町(高知県)【須崎市、四万十町】", "須崎市(高知県)")
    assert discrepancies(year.adoptions, text) == [
        Discrepancy("missing_from_document", "土佐町", "高知県", "土佐町", tosa.lg_code)]
    # the page without 土佐町 no longer lists 須崎市 as a partner: the document's 須崎市 is news
    assert [d.name for d in discrepancies(others, text)] == ["高知県須崎市"]


def test_a_document_naming_no_body_is_not_compared(years: dict[int, FiscalYear]) -> None:
    assert discrepancies(years[2020].adoptions, "令和2年度 採択団体一覧\n(別添のとおり)") == []


def test_the_press_releases_besshi_is_the_years_list_and_agrees_with_the_page(years: dict[int, FiscalYear]) -> None:
    """The fictional 令和3年度 press release links its 別紙 outside any year section: the first page decides."""
    html, _ = decode_html((ROOT / "pipeline" / "samples" / "press_release_r03.html").read_bytes(), None)
    [link] = find_documents(html, "https://www.soumu.go.jp/menu_news/s-news/01gyosei08_02000999.html", ["pdf"])
    assert (link.url, link.link_text, link.fiscal_year) == ("https://www.soumu.go.jp/main_content/000745999.pdf", "別紙", None)
    text = text_of("r03_besshi.pdf")
    assert is_adoption_list(link.link_text, link.fiscal_year, first_page(text)) == 2021
    assert discrepancies(years[2021].adoptions, text) == []


def test_adoption_list_by_link_text_in_a_year_section() -> None:
    assert is_adoption_list("令和2年度採択団体一覧", 2020, "") == 2020
    assert is_adoption_list("平成31年度「関係人口創出・拡大事業」モデル事業の採択一覧その1", 2019, None) == 2019
    assert is_adoption_list("令和2年度採択団体一覧", None, "") is None  # in no year's section
    assert is_adoption_list("リーフレット", 2020, "") is None


@pytest.mark.parametrize(("name", "fiscal_year"), [(n, y) for y, n in LISTS.items()])
def test_adoption_list_by_its_first_page(name: str, fiscal_year: int) -> None:
    assert is_adoption_list("一覧", None, first_page(text_of(name))) == fiscal_year


def test_a_results_report_is_not_an_adoption_list(years: dict[int, FiscalYear]) -> None:
    text = text_of("r02_seika.pdf")
    assert "採択" in text and "採択" not in first_page(text)  # only its second page mentions 採択
    assert is_adoption_list("令和2年度 成果報告書", 2020, first_page(text)) is None
    # compared anyway, it would give nine false discrepancies: which is why it never is
    assert len([d for d in discrepancies(years[2020].adoptions, text) if d.kind == "missing_from_page"]) == 9

