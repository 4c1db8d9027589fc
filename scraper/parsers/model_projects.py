"""Parser for the model-project page (モデル事業概要, kankeijinkou/discription/index.html).

The parser reads the page's visible lines (:mod:`scraper.html_lines`) and keys on their
wording and on the official list of local governments (:mod:`scraper.lgcode`), never on
CSS classes or one layout:

- A fiscal year starts at its heading, ``令和2年度モデル事業採択団体(全25団体)`` in any
  width and spacing, and ends at the next year heading or at the page's closing text.
- A body is a line, two neighbouring lines or the cells of one table row that hold only
  names of local governments, a ``(prefecture)`` and ``【partners】``: ``石狩市`` over
  ``(北海道)``, ``(北海道)`` over ``石狩市``, ``北海道 | 石狩市``, ``石狩市(北海道)``,
  ``北海道石狩市``, ``北海道`` for a prefecture-led body, and consortia as
  ``北海道(釧路市、北見市)`` or as a nested list under the lead. A line with any other
  words (``横浜市と連携し…``) is not a body.
- In a year without type headings, every line after a body up to the next body is its
  事業概要. In a year with type headings (``関係深化型(ゆかり型) 6団体``,
  ``パターン(1)① 16団体(うち①②重複3団体)``) the bodies under each heading are its type,
  and the type definitions follow the lists.
- Header rows, captions, legends, PDF links and navigation are skipped wherever they are.

The stated totals are the guard: every year must list exactly its 全N団体 and every type
its N団体 (a ①②重複 list counts in both ① and ②). Otherwise :class:`ParseError` names the
year, the counts and the lines that could not be placed, and nothing is stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .. import lgcode
from ..errors import ParseError
from ..html_lines import Line, page_lines
from ..model import Adoption, Category, FiscalYear, ModelProjectsPage, Partner
from ..normalize import compare_key, fold

ERAS = {"令和": 2018, "平成": 1988}
BULLET = r"^[■□●○◆◇◎・\s]*"

YEAR_HEADING = re.compile(
    BULLET + r"(?P<era>令和|平成)\s*(?P<num>元|\d{1,2})\s*年度\s*(?:モデル事業\s*)?採択団体\s*"
    r"\(\s*全\s*(?P<total>\d+)\s*団体\s*\)$"
)
TYPE_HEADING = re.compile(
    BULLET + r"(?P<type>[^。、\s][^。、]{0,39}?)\s*(?P<count>\d+)\s*団体\s*"
    r"(?:\(\s*うち\s*(?P<olabel>[^()]*?)\s*重複\s*(?P<ocount>\d+)\s*団体\s*\))?$"
)
HEADER_WORD = r"(?:採択団体名?|事業概要|都道府県名?|団体名|市区?町村名?|自治体名|類型|事業類型|連携団体|備考|No\.?|番号)"
# Lines that belong to no body, wherever they stand: header rows, captions, the 【 】 legend,
# the consortium marker, PDF links, breadcrumbs and in-page navigation.
CHROME = re.compile(
    rf"^{HEADER_WORD}(?:\s*[|/]?\s*{HEADER_WORD})*$"
    r"|採択団体\s*一覧"
    r"|^[\[【]\s*複数団体の連携\s*[\]】]$"
    r"|^【\s*】|^凡例"
    r"|[\[(]\s*PDF[^\[\]()]*[\])]$"
    r"|^[^。>]+(?:\s>\s[^。>]+)+$"
    r"|^(?:本文へ|ページの?(?:先頭|トップ)へ(?:戻る)?|このページの(?:先頭|トップ)へ|トップへ戻る|戻る|印刷(?:する)?)$"
)
# What closes the list of the last year: the page's closing text and footer.
CLOSING = re.compile(
    r"^(?:Get ADOBE READER|PDFファイルを見るためには|Adobe Reader|最終更新日|関連リンク|関連情報|お問い合わせ先|"
    r"Copyright|\(C\)|©)",
    re.IGNORECASE,
)
MUNICIPALITY = re.compile(r"^[^\s()【】「」『』、。,.:・/]{1,12}[市町村区]$")
NAME_SPLIT = re.compile(r"\s*[、,・/]\s*")
ITEM = re.compile(r"(?P<lead>[^()]+?)\s*(?:\((?P<paren>[^()]*)\))?")
PARTNERS_AT_END = re.compile(r"(?P<head>.*?)\s*【(?P<partners>[^【】]*)】")
PREFECTURE_FIRST = re.compile(r"\(\s*(?P<pref>[^()]+?)\s*\)\s*(?P<name>[^()]+)")
ENUMERATOR = re.compile(r"^\d+\s*[.．]\s*")
CIRCLED = re.compile(r"^[\u2460-\u2473\u3251-\u325f]")


def gregorian_year(era: str, num: str) -> int:
    """令和2 → 2020, 令和元 → 2019, 平成30 → 2018 (num already width-folded)."""
    return ERAS[era] + (1 if num == "元" else int(num))


# --- reading names -------------------------------------------------------------------


@dataclass
class _Body:
    """A body as read from the page, before it becomes an :class:`Adoption`."""

    name: str  # as written (width-folded, no spaces): '石狩市', '新潟県村上市', '北海道'
    prefecture: str
    partners: list[str] = field(default_factory=list)  # 【partners】 and consortium members, as written
    summary: list[str] = field(default_factory=list)  # 事業概要 lines, as on the page
    category: str | None = None


@dataclass
class _Fragment:
    """What one line holds when it holds only names: ``kind`` is 'bodies' (complete bodies),
    'bare' (a municipality without its prefecture), 'prefecture' (written alone, or in
    parentheses when ``paren``) or 'partners' (a 【…】 line)."""

    kind: str
    name: str = ""
    paren: bool = False
    partners: list[str] = field(default_factory=list)
    bodies: list[_Body] = field(default_factory=list)


def _is_place_name(name: str) -> bool:
    """A prefecture, a municipality with or without its prefecture: a name a body can have."""
    pref, rest = lgcode.split_prefecture(name)
    return (pref is not None and rest == "") or bool(MUNICIPALITY.match(rest))


def _names(text: str) -> list[str] | None:
    """'須崎市、四万十町' or '苫小牧市・長沼町' as names; None if anything else is written there."""
    names = [name.replace(" ", "") for name in NAME_SPLIT.split(text.strip()) if name]
    return names if names and all(map(_is_place_name, names)) else None


def _fragment(text: str) -> _Fragment | None:
    """The names a line holds, or None when it holds anything else (a sentence, a heading)."""
    partners: list[str] = []
    if (m := PARTNERS_AT_END.fullmatch(text)) is not None:
        found = _names(m["partners"])
        if found is None:
            return None
        text, partners = m["head"], found
        if not text:
            return _Fragment("partners", partners=partners)
    if text.startswith("(") and text.endswith(")") and lgcode.is_prefecture(text[1:-1].strip()):
        return _Fragment("prefecture", text[1:-1].strip(), paren=True, partners=partners)
    if lgcode.is_prefecture(text):
        return _Fragment("prefecture", text, partners=partners)
    if (m := PREFECTURE_FIRST.fullmatch(text)) and lgcode.is_prefecture(m["pref"]) and MUNICIPALITY.match(m["name"]):
        return _Fragment("bodies", bodies=[_Body(m["name"], m["pref"], partners)])
    items = _split_items(text)
    if not items:
        return None
    bodies = []
    for item in items:
        body = _item(item)
        if body is None:
            if len(items) == 1 and MUNICIPALITY.match(item.replace(" ", "")):
                return _Fragment("bare", item.replace(" ", ""), partners=partners)
            return None
        bodies.append(body)
    if partners:
        if len(bodies) != 1:
            return None
        bodies[0].partners.extend(partners)
    return _Fragment("bodies", bodies=bodies)


def _split_items(text: str) -> list[str]:
    """Split a line on the 、・／ outside parentheses."""
    items, depth, start = [], 0, 0
    for at, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return []
        elif depth == 0 and char in "、,・/":
            items.append(text[start:at].strip())
            start = at + 1
    items.append(text[start:].strip())
    return [item for item in items if item] if depth == 0 else []


def _item(text: str) -> _Body | None:
    """One listed body: '新潟県村上市', '石狩市(北海道)', '北海道(釧路市、北見市)'; None if it isn't one."""
    m = ITEM.fullmatch(text)
    if m is None:
        return None
    lead = m["lead"].replace(" ", "")
    pref, rest = lgcode.split_prefecture(lead)
    paren = (m["paren"] or "").strip()
    if pref is None:  # a bare municipality: only with its prefecture in parentheses
        if MUNICIPALITY.match(lead) and lgcode.is_prefecture(paren):
            return _Body(lead, paren)
        return None
    if rest and not MUNICIPALITY.match(rest):
        return None
    if m["paren"] is None or paren == pref:
        return _Body(lead, pref)
    members = _names(paren)  # a consortium: the lead, then its members
    return None if members is None else _Body(lead, pref, members)


# --- finding bodies among lines ------------------------------------------------------


@dataclass
class _Line:
    raw: str  # as html_lines gives it: kept for 事業概要 and definitions
    text: str  # width-folded: matched against
    row: int | None
    depth: int


def _body_at(lines: list[_Line], i: int) -> tuple[list[_Body], int] | None:
    """The bodies that start at line ``i`` and how many lines they take, or None."""
    here = _fragment(lines[i].text)
    if here is None or here.kind == "partners":
        return None
    partners, j = _partners_below(lines, i + 1)
    partners[:0] = here.partners
    there = _fragment(lines[j].text) if j < len(lines) and lines[j].depth <= lines[i].depth else None
    same_row = there is not None and lines[i].row is not None and lines[i].row == lines[j].row
    paired = False  # whether the line at j (a cell or a line of the same name) is part of it
    if here.kind == "bodies":
        bodies = here.bodies
        paired = (same_row and there.kind == "prefecture" and len(bodies) == 1
                  and bodies[0].prefecture == there.name)  # a name cell, then its prefecture cell
    elif here.kind == "bare":
        if there is not None and there.kind == "prefecture" and _pairs(here.name, there, same_row):
            bodies, paired = [_Body(here.name, there.name)], True
        elif len(lgcode.prefectures_of(here.name)) == 1:  # a name only one prefecture has
            bodies = [_Body(here.name, lgcode.prefectures_of(here.name)[0])]
        else:
            return None
    else:  # a prefecture
        if there is not None and there.kind == "bare" and _pairs(there.name, here, same_row):
            bodies, paired = [_Body(there.name, here.name)], True
        elif (same_row and there.kind == "bodies" and len(there.bodies) == 1
              and there.bodies[0].prefecture == here.name and not here.paren):
            bodies, paired = there.bodies, True  # a prefecture cell, then the body's cell
        elif same_row and there.kind == "prefecture" and there.name == here.name:
            bodies, paired = [_Body(here.name, here.name)], True
        elif here.paren:
            return None
        else:
            bodies = [_Body(here.name, here.name)]
    if len(bodies) != 1:  # a line listing several bodies stands alone
        return bodies, 1
    body = bodies[0]
    body.partners[:0] = partners
    if paired:
        body.partners.extend(there.partners)
        more, j = _partners_below(lines, j + 1)
        body.partners.extend(more)
    members, count = _nested_members(lines, j, lines[i].depth)
    body.partners.extend(members)
    return bodies, j + count - i


def _partners_below(lines: list[_Line], j: int) -> tuple[list[str], int]:
    """The 【partners】 on the lines from ``j`` on, and the line after them."""
    partners: list[str] = []
    while j < len(lines) and (below := _fragment(lines[j].text)) is not None and below.kind == "partners":
        partners.extend(below.partners)
        j += 1
    return partners, j


def _pairs(name: str, prefecture: _Fragment, same_row: bool) -> bool:
    """Whether a bare municipality and a prefecture on neighbouring lines are one body's name."""
    if prefecture.name in lgcode.prefectures_of(name):
        return True
    return prefecture.paren or same_row  # a name the list does not know, written as one with it


def _nested_members(lines: list[_Line], start: int, depth: int) -> tuple[list[str], int]:
    """A consortium's members listed one per item under their lead (deeper in the list)."""
    members: list[str] = []
    j = start
    while j < len(lines) and lines[j].depth > depth:
        fragment = _fragment(lines[j].text)
        if fragment is None or fragment.partners or fragment.paren:
            return [], 0
        if fragment.kind == "bodies":
            if any(body.partners for body in fragment.bodies):
                return [], 0
            members.extend(body.name for body in fragment.bodies)
        else:
            members.append(fragment.name)
        j += 1
    return members, j - start


# --- the page ------------------------------------------------------------------------


def parse_model_projects(html: str) -> ModelProjectsPage:
    """Parse the model-project page's decoded HTML into fiscal years and categories."""
    return parse_lines(page_lines(html))


@dataclass
class _Section:
    fiscal_year: int
    label: str
    stated_total: int
    lines: list[_Line]


@dataclass
class _Parsed:
    year: FiscalYear
    categories: list[Category]
    unplaced: list[str]  # lines that are neither a body, its 事業概要, a heading nor chrome
    error: str | None = None


def parse_lines(lines: list[Line]) -> ModelProjectsPage:
    """Parse a page given as its visible lines."""
    sections = _split_sections([_Line(line.text, fold(line.text), line.row, line.depth) for line in lines])
    if not sections:
        raise ParseError(
            "no fiscal-year heading (…年度モデル事業採択団体(全N団体)) found: the page layout may have changed"
        )
    warnings: list[str] = []
    chosen: dict[int, _Parsed] = {}
    for section in sections:
        parsed = _parse_section(section, warnings)
        known = chosen.get(section.fiscal_year)
        if known is not None and known.year.adoptions and parsed.year.adoptions:
            raise ParseError(f"{section.label} (FY{section.fiscal_year}) appears twice on the page")
        if known is None or (parsed.year.adoptions and not known.year.adoptions):
            chosen[section.fiscal_year] = parsed  # a heading repeated in a table of contents lists nothing
    categories: dict[str, Category] = {}
    for parsed in chosen.values():
        if parsed.error:
            raise ParseError(parsed.error)
        _validate_total(parsed)
        warnings.extend(f"{parsed.year.label}: ignored line {line[:40]}" for line in parsed.unplaced)
        for cat in parsed.categories:
            known_cat = categories.setdefault(cat.name, cat)
            if compare_key(known_cat.definition) != compare_key(cat.definition):
                warnings.append(f"category {cat.name} is defined twice with different text; kept the first")
    years = [chosen[fy].year for fy in sorted(chosen, reverse=True)]
    return ModelProjectsPage(years=years, categories=list(categories.values()), warnings=warnings)


def _split_sections(lines: list[_Line]) -> list[_Section]:
    starts = [(i, m) for i, line in enumerate(lines) if (m := YEAR_HEADING.match(line.text))]
    sections = []
    for n, (i, m) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        body = lines[i + 1 : end]
        closing = next((j for j, line in enumerate(body) if CLOSING.match(line.text)), len(body))
        sections.append(_Section(
            fiscal_year=gregorian_year(m["era"], m["num"]),
            label=f"{m['era']}{m['num']}年度",
            stated_total=int(m["total"]),
            lines=[line for line in body[:closing] if not CHROME.search(line.text)],
        ))
    return sections


def _parse_section(section: _Section, warnings: list[str]) -> _Parsed:
    year = FiscalYear(section.fiscal_year, section.label, section.stated_total)
    if any(TYPE_HEADING.match(line.text) for line in section.lines):
        return _parse_list_year(section, year, warnings)
    return _parse_table_year(section, year, warnings)


def _validate_total(parsed: _Parsed) -> None:
    year = parsed.year
    if year.parsed_total == 0 and year.stated_total:
        raise ParseError(
            f"{year.label} (FY{year.fiscal_year}, stated 全{year.stated_total}団体): neither a 採択団体/事業概要 "
            f"table nor type headings with counts were found: no line names a local government"
            f"{_not_placed(parsed.unplaced)}"
        )
    if year.parsed_total != year.stated_total:
        raise ParseError(
            f"{year.label} (FY{year.fiscal_year}): the page states 全{year.stated_total}団体 "
            f"but {year.parsed_total} bodies were parsed{_not_placed(parsed.unplaced)}"
        )


def _not_placed(lines: list[str]) -> str:
    if not lines:
        return ""
    return "; lines not placed: " + " | ".join(line[:40] for line in lines[:5])


def _adoption(fiscal_year: int, body: _Body, warnings: list[str], label: str) -> Adoption:
    place = lgcode.resolve(body.name, body.prefecture)
    assert place is not None  # a default prefecture is given
    if place.prefecture != body.prefecture:
        raise ParseError(f"{label}: {body.name} is written with prefecture {place.prefecture} "
                         f"but listed under ({body.prefecture})")
    if place.lg_code is None:
        warnings.append(f"{label}: {body.name} has no 全国地方公共団体コード in the code table")
    partners = []
    for name in body.partners:
        p = lgcode.resolve(name, body.prefecture)  # a name without prefecture lies in the lead's
        assert p is not None
        partners.append(Partner(name=name, prefecture=p.prefecture, municipality=p.municipality, lg_code=p.lg_code))
    return Adoption(
        fiscal_year=fiscal_year, name=body.name, prefecture=place.prefecture, municipality=place.municipality,
        lg_code=place.lg_code, category=body.category, summary="\n".join(body.summary) or None,
        partners=partners,
    )


def _no_duplicates(year: FiscalYear) -> None:
    seen: set[tuple[int, str, str]] = set()
    for adoption in year.adoptions:
        if adoption.identity in seen:
            raise ParseError(f"{year.label} (FY{year.fiscal_year}): {adoption.name} "
                             f"({adoption.prefecture}) is listed twice")
        seen.add(adoption.identity)


# --- years with 事業概要 (a table, cards, a definition list…) ---------------------------


def _parse_table_year(section: _Section, year: FiscalYear, warnings: list[str]) -> _Parsed:
    bodies: list[_Body] = []
    unplaced: list[str] = []
    lines = section.lines
    i = 0
    while i < len(lines):
        found = _body_at(lines, i)
        if found is not None:
            bodies.extend(found[0])
            i += found[1]
            continue
        if bodies:
            bodies[-1].summary.append(lines[i].raw)
        else:
            unplaced.append(lines[i].text)
        i += 1
    year.adoptions = [_adoption(year.fiscal_year, body, warnings, section.label) for body in bodies]
    _no_duplicates(year)
    if year.parsed_total != year.stated_total and not unplaced:
        # a body the parser did not recognise reads as 事業概要: show the short lines that may be one
        unplaced = [line for body in bodies for line in body.summary if len(line) <= 30 and "。" not in line]
    return _Parsed(year, [], unplaced)


# --- years listed by type ------------------------------------------------------------


@dataclass
class _Heading:
    type: str
    count: int | None
    overlap_label: str | None = None
    overlap_count: int | None = None
    bodies: list[_Body] = field(default_factory=list)
    subs: list[_Heading] = field(default_factory=list)


def _heading(line: _Line) -> _Heading | None:
    m = TYPE_HEADING.match(line.text)
    if m is None:
        return None
    return _Heading(m["type"].strip(), int(m["count"]), m["olabel"], int(m["ocount"]) if m["ocount"] else None)


def _parse_list_year(section: _Section, year: FiscalYear, warnings: list[str]) -> _Parsed:
    lines = section.lines
    headings: list[_Heading] = []  # the types bodies are listed under
    groups: list[_Heading] = []  # headings over other headings (関係深化型 11団体, パターン(1))
    current: _Heading | None = None
    group: _Heading | None = None
    unplaced: list[str] = []
    definitions_from = len(lines)
    i = 0
    while i < len(lines):
        line = lines[i]
        following = _heading(lines[i + 1]) if i + 1 < len(lines) else None
        heading = _heading(line)
        if heading is None and following is not None and compare_key(following.type).startswith(compare_key(line.text)):
            heading = _Heading(line.text, None)  # a group heading without a count
        if heading is not None:
            if following is not None and compare_key(following.type).startswith(compare_key(heading.type)):
                group, current = heading, None
                groups.append(heading)
            else:
                if group is None or not compare_key(heading.type).startswith(compare_key(group.type)):
                    group = None
                else:
                    group.subs.append(heading)
                headings.append(heading)
                current = heading
            i += 1
            continue
        found = _body_at(lines, i)
        if found is not None and current is not None:
            for body in found[0]:
                body.category = current.type
            current.bodies.extend(found[0])
            i += found[1]
            continue
        if any(h.bodies for h in headings):
            definitions_from = i
            break
        unplaced.append(line.text)
        i += 1
    error = _check_headings(section, headings, groups, unplaced)
    year.adoptions = _merge_bodies(section, headings, warnings)
    type_names = {compare_key(h.type): h.type for h in headings + groups}
    categories = _parse_definitions(lines[definitions_from:], type_names)
    return _Parsed(year, categories, unplaced, error)


def _check_headings(section: _Section, headings: list[_Heading], groups: list[_Heading],
                    unplaced: list[str]) -> str | None:
    """What contradicts a stated count, or None."""
    where = f"{section.label} (FY{section.fiscal_year})"
    for h in headings:
        listed = len(h.bodies)
        if h.overlap_count is not None:
            target = compare_key(f"{h.overlap_label}重複")
            overlap = next((o for o in headings if compare_key(o.type).endswith(target) and o is not h), None)
            if overlap is None:
                return (f"{where}: {h.type} states うち{h.overlap_label}重複{h.overlap_count}団体 "
                        f"but no {h.overlap_label}重複 list was found")
            if len(overlap.bodies) != h.overlap_count:
                return (f"{where}: {h.type} states {h.overlap_count} overlapping bodies "
                        f"but {overlap.type} lists {len(overlap.bodies)}")
            if listed + h.overlap_count != h.count:
                return (f"{where}: {h.type} states {h.count}団体 but {listed} bodies are listed "
                        f"plus {h.overlap_count} overlapping ({listed + h.overlap_count}){_not_placed(unplaced)}")
        elif listed != h.count:
            return f"{where}: {h.type} states {h.count}団体 but {listed} bodies are listed{_not_placed(unplaced)}"
    for g in groups:
        listed = sum(len(s.bodies) for s in g.subs)
        if g.count is not None and listed != g.count:
            return f"{where}: {g.type} states {g.count}団体 but its types list {listed} bodies"
    return None


def _merge_bodies(section: _Section, headings: list[_Heading], warnings: list[str]) -> list[Adoption]:
    """The year's adoptions: a body listed under two types (①②重複) is one adoption of both."""
    merged: dict[tuple[int, str, str], Adoption] = {}
    for h in headings:
        seen_here: set[tuple[int, str, str]] = set()
        for body in h.bodies:
            adoption = _adoption(section.fiscal_year, body, warnings, section.label)
            if adoption.identity in seen_here:
                raise ParseError(f"{section.label} (FY{section.fiscal_year}): {adoption.name} "
                                 f"({adoption.prefecture}) is listed twice under {h.type}")
            seen_here.add(adoption.identity)
            known = merged.setdefault(adoption.identity, adoption)
            if known is not adoption:
                warnings.append(f"{section.label}: {body.name} is listed under both {known.category} and {h.type}")
                known.category = f"{known.category}、{h.type}"
    return list(merged.values())


def _parse_definitions(lines: list[_Line], type_names: dict[str, str]) -> list[Category]:
    """Type definitions: a type's name alone on a line, its definition below (and ①② items)."""
    categories = []
    i = 0
    while i < len(lines):
        name = type_names.get(compare_key(lines[i].text))
        if name is None or i + 1 >= len(lines) or compare_key(lines[i + 1].text) in type_names:
            i += 1
            continue
        parts = [lines[i + 1].raw]
        j = i + 2
        while j < len(lines) and CIRCLED.match(ENUMERATOR.sub("", lines[j].text)):
            parts.append(ENUMERATOR.sub("", lines[j].raw))
            j += 1
        categories.append(Category(name=name, definition="\n".join(parts)))
        i = j
    return categories
