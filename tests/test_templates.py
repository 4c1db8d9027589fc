"""The parser on many templates of the same content: the same entities, no change between them."""

from __future__ import annotations

import functools
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scraper.compare import compare_model_projects
from scraper.decode import decode_html
from scraper.errors import ParseError
from scraper.model import ModelProjectsPage
from scraper.parsers.model_projects import parse_model_projects

from .helpers import fixture_text
from .templates import LIST_STYLES, TABLE_STYLES, TEMPLATES, Style, content, entities, expected_entities, render

EXPECTED = expected_entities()
# How each named template is served: (charset in <meta>, encoding of the bytes, HTTP Content-Type).
SERVED = {
    "three_column_prefecture_first": (None, "utf-8", "text/html; charset=UTF-8"),
    "no_header_one_line": ("Shift_JIS", "cp932", "text/html"),
    "definition_lists": ("utf-8", "utf-8", "text/html"),
    "cards": (None, "utf-8", None),
    "li_per_body": ("Shift_JIS", "cp932", None),
    "rowspan_types": ("utf-8", "utf-8", "text/html; charset=utf-8"),
}
EXISTING = ["model_projects_table.html", "model_projects_dl.html", "model_projects_oldstyle_sjis.html",
            "model_projects_form_only.html"]


def served(name: str) -> str:
    """The named template as bytes on the wire, decoded as a run decodes them."""
    meta, encoding, content_type = SERVED[name]
    text, _ = decode_html(render(TEMPLATES[name], charset_meta=meta).encode(encoding), content_type)
    return text


@functools.cache
def template_page(name: str) -> ModelProjectsPage:
    """The named template's parse, made when a test first needs it (not when each xdist worker imports this)."""
    return parse_model_projects(served(name))


def test_the_templates_are_different_pages() -> None:
    pages = [render(style) for style in TEMPLATES.values()]
    assert len(set(pages)) == len(pages) >= 6
    assert {style.table for style in TEMPLATES.values()} >= {"pref_cell_first", "one_line", "dl", "card"}
    assert {style.lists for style in TEMPLATES.values()} == set(LIST_STYLES)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_gives_the_reference_entities(name: str) -> None:
    parsed = template_page(name)
    assert entities(parsed) == EXPECTED
    assert [c.name for c in parsed.categories] == [term for term, *_ in content.DEFS2019 + content.DEFS2018]
    assert parsed.warnings == []


@pytest.mark.parametrize("fixture", EXISTING)
def test_the_existing_fixtures_give_the_reference_entities(fixture: str) -> None:
    assert entities(parse_model_projects(fixture_text(fixture))) == EXPECTED


def test_going_from_any_template_to_any_other_records_no_change() -> None:
    pages = {**{name: template_page(name) for name in TEMPLATES},
             **{f: parse_model_projects(fixture_text(f)) for f in EXISTING}}
    for a, b in itertools.permutations(pages, 2):
        assert compare_model_projects(pages[a], pages[b]).changes == [], (a, b)


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(
    table=st.sampled_from(TABLE_STYLES), lists=st.sampled_from(LIST_STYLES), wide=st.booleans(),
    header_row=st.booleans(), partners_below=st.booleans(), separator=st.sampled_from(["、", "・", "／", ","]),
    member_separator=st.sampled_from([None, "、", "・"]), chrome=st.booleans(),
    wire=st.sampled_from([("utf-8", "utf-8", None), (None, "utf-8", "text/html; charset=utf-8"),
                          ("Shift_JIS", "cp932", None), (None, "cp932", "text/html; charset=Shift_JIS")]),
)
def test_randomly_re_templated_pages_give_identical_parses(table, lists, wide, header_row, partners_below,
                                                           separator, member_separator, chrome, wire) -> None:
    style = Style(table=table, lists=lists, wide=wide, header_row=header_row, partners_below=partners_below,
                  separator=separator, member_separator=member_separator, chrome=chrome)
    meta, encoding, content_type = wire
    text, _ = decode_html(render(style, charset_meta=meta).encode(encoding), content_type)
    assert entities(parse_model_projects(text)) == EXPECTED


# --- what a body is, and is not ------------------------------------------------------

def one_year(rows: str, total: int) -> str:
    return f"<h2>令和2年度モデル事業採択団体(全{total}団体)</h2>{rows}<p>Get ADOBE READER</p><p>石狩市</p>"


def test_a_summary_sentence_naming_towns_is_not_a_body() -> None:
    html = one_year(
        "<p>石狩市(北海道)</p><p>横浜市と連携し、札幌市、千歳市の住民を対象にツアーを実施する。</p>"
        "<p>連携先:岩手県二戸市、秋田県鹿角市</p><p>北海道当別町との協働</p>"
        "<p>五戸町(青森県)</p><p>概要。</p>", 2)
    page = parse_model_projects(html)
    year = page.years[0]
    assert [(a.name, a.prefecture) for a in year.adoptions] == [("石狩市", "北海道"), ("五戸町", "青森県")]
    assert year.adoptions[0].summary.splitlines()[1:] == ["連携先:岩手県二戸市、秋田県鹿角市", "北海道当別町との協働"]
    assert year.adoptions[1].summary == "概要。"  # the closing text ends the year


def test_every_written_form_of_a_name() -> None:
    forms = [
        "<p>石狩市</p><p>(北海道)</p>", "<p>(北海道)</p><p>石狩市</p>", "<table><tr><td>北海道</td><td>石狩市</td></tr></table>",
        "<p>石狩市(北海道)</p>", "<p>石狩市（北海道）</p>", "<p>北海道石狩市</p>", "<p>北海道 石狩市</p>",
        "<p>（北海道）石狩市</p>", "<table><tr><td>石狩市</td><td>北海道</td></tr></table>", "<h4>石狩市</h4>",
    ]
    for form in forms:
        year = parse_model_projects(one_year(form + "<p>概要。</p>", 1)).years[0]
        assert [(a.prefecture, a.municipality, a.lg_code, a.summary) for a in year.adoptions] == [
            ("北海道", "石狩市", "012351", "概要。")], form


def test_a_prefecture_alone_is_a_prefecture_led_body() -> None:
    year = parse_model_projects(one_year("<p>北海道</p><p>全道で実施する。</p><p>石狩市(北海道)</p><p>概要。</p>", 2)).years[0]
    assert [(a.name, a.municipality, a.lg_code) for a in year.adoptions] == [("北海道", "", "010006"), ("石狩市", "石狩市", "012351")]


def test_an_unknown_name_counts_with_no_code_and_a_warning() -> None:
    page = parse_model_projects(one_year("<p>新石狩市(北海道)</p><p>概要。</p><p>五戸町(青森県)</p><p>概要。</p>", 2))
    unknown = page.years[0].adoptions[0]
    assert (unknown.name, unknown.prefecture, unknown.lg_code) == ("新石狩市", "北海道", None)
    assert any("新石狩市" in w and "コード" in w for w in page.warnings)


def test_known_variants_and_renamed_bodies_get_the_list_name_and_code() -> None:
    page = parse_model_projects(one_year("<p>檮原町(高知県)</p><p>概要。</p><p>福岡県那珂川町</p><p>概要。</p>", 2))
    assert [(a.name, a.municipality, a.lg_code) for a in page.years[0].adoptions] == [
        ("檮原町", "梼原町", "394050"), ("福岡県那珂川町", "那珂川市", "402311")]
    assert page.warnings == []


def test_a_body_listed_twice_in_a_year_is_refused_by_name() -> None:
    with pytest.raises(ParseError, match=r"令和2年度 \(FY2020\): 石狩市 \(北海道\) is listed twice"):
        parse_model_projects(one_year("<p>石狩市(北海道)</p><p>a。</p><p>石狩市(北海道)</p><p>b。</p>", 2))


# --- refusals ------------------------------------------------------------------------

def test_a_year_replaced_by_an_image_is_refused() -> None:
    html = render(TEMPLATES["cards"]).replace('<div class="cards">', '<img alt="令和2年度採択団体一覧" src="list.png"><div hidden><!--', 1)
    html = html.replace("</section>\n</div>", "--></div>", 1)
    with pytest.raises(ParseError, match=r"令和2年度 \(FY2020, stated 全25団体\): neither .* no line names a local government"):
        parse_model_projects(html)


def test_wrong_totals_are_refused_naming_the_lines_not_placed() -> None:
    html = render(Style(table="one_line")).replace("<p><strong>五戸町(青森県)</strong></p>", "<p><strong>五戸ちょう(青森)</strong></p>")
    with pytest.raises(ParseError, match=r"全25団体 but 24 bodies were parsed; lines not placed: 五戸ちょう\(青森\)"):
        parse_model_projects(html)


def test_a_listed_type_short_of_its_count_is_refused() -> None:
    html = render(Style(lists="li_per_body")).replace("<li>千葉県館山市</li>", "", 1)
    with pytest.raises(ParseError, match=r"令和元年度 \(FY2019\): 関係創出型 states 7団体 but 6 bodies are listed"):
        parse_model_projects(html)


# --- the whole document is read ------------------------------------------------------

@pytest.mark.parametrize("wrap", [
    lambda html: html.replace("<h3>令和元年度", "<span>" * 300 + "<h3>令和元年度", 1),
    lambda html: html.replace("<h3>令和元年度", "<font>" * 260 + "<h3>令和元年度", 1),
    lambda html: html.replace("<h3>令和元年度", "<div>" * 1000 + "<h3>令和元年度", 1),
], ids=["300 spans", "260 unclosed fonts", "1000 divs"])
def test_deep_nesting_loses_nothing(wrap) -> None:
    assert entities(parse_model_projects(wrap(render(Style())))) == EXPECTED


def test_a_huge_text_node_loses_nothing() -> None:
    html = render(Style()).replace("<h3>令和元年度", "<p>" + " " * 11_000_000 + "</p><h3>令和元年度", 1)
    assert entities(parse_model_projects(html)) == EXPECTED


@pytest.mark.parametrize("line", ["(PDF" * 200_000, "a > " * 200_000, "【" * 500_000, "(" * 500_000, "石狩市 " * 300_000],
                         ids=["pdf notes", "breadcrumbs", "brackets", "parentheses", "names and spaces"])
def test_long_hostile_lines_are_refused_not_hung(line: str) -> None:
    with pytest.raises(ParseError, match="no line names a local government"):
        parse_model_projects(one_year(f"<p>{line}</p>", 1))
