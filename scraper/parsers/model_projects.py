"""Parser for the model-project page (モデル事業概要, kankeijinkou/discription/index.html).

The parser works on the page's visible lines (see :mod:`scraper.html_lines`) and keys
on their wording, never on CSS classes:

- a year heading ``令和2年度モデル事業採択団体(全25団体)`` opens a fiscal year;
- a table year has the header ``採択団体`` / ``事業概要`` and rows ``石狩市`` ``(北海道)``,
  an optional ``【partners】`` line and the 事業概要 paragraphs;
- a list year has type headings with counts (``関係深化型(ゆかり型) 6団体``,
  ``パターン(1)① 16団体(うち①②重複3団体)``) followed by lines of bodies separated
  by 、 and consortia such as ``北海道(釧路市、北見市)`` after ``[複数団体の連携]``;
- the type definitions follow a year's lists: the type's name alone on a line, then
  its definition (and ①② items).

Every year is validated against its stated total and every type heading against its
stated count; any mismatch raises :class:`ParseError` naming the year and the counts.

Parsing starts at the block that holds the first year heading when nothing before it can
be content (:func:`content_start`): the header and navigation are never read. The work is
kept small because a rebuild parses every stored snapshot: lines that need width folding
are found by one byte search of the page, only lines that end like a heading are matched
against the heading patterns, and each distinct heading, list line, listed body and partner
list is parsed once per process (``functools`` caches: the same ones come back in every
snapshot).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .. import lgcode
from ..errors import ParseError
from ..html_lines import html_lines
from ..model import Adoption, Category, FiscalYear, ModelProjectsPage, Partner
from ..normalize import clean, compare_key, fold_width

ERAS = {"令和": 2018, "平成": 1988}

YEAR_HEADING = re.compile(
    r"^(?P<era>令和|平成)\s*(?P<num>元|\d{1,2})\s*年度\s*モデル事業\s*採択団体\s*"
    r"\(\s*全\s*(?P<total>\d+)\s*団体\s*\)$"
)
TYPE_HEADING = re.compile(
    r"^(?P<type>[^。、]{1,40}?)\s*(?P<count>\d+)\s*団体\s*"
    r"(?:\(\s*うち\s*(?P<olabel>[^()]*?)\s*重複\s*(?P<ocount>\d+)\s*団体\s*\))?$"
)
# A year or type heading ends in 団体 or 団体) (in either width); a table header begins with 採択団体.
HEADING_ENDS = ("団体", "団体)", "団体）")
TABLE_HEADER_ONE_LINE = re.compile(r"^採択団体\s*事業概要$")
PARTNERS_LINE = re.compile(r"^【(?P<partners>[^】]*[^】\s][^】]*)】$")
LEGEND = re.compile(r"^【\s*】\s*内")
CONSORTIUM_MARKER = re.compile(r"^\[\s*複数団体の連携\s*\]$")
YEAR_LIST_TITLE = re.compile(r"年度\s*採択団体\s*一覧$")
ENUMERATOR = re.compile(r"^\d+\s*[.．]\s*")
CIRCLED = re.compile(r"^[\u2460-\u2473\u3251-\u325f]")
SHORT_NAME = re.compile(r"^[^\s()【】「」、。,.:：]{1,20}$")
MUNICIPALITY = re.compile(r"^[^\s()【】「」、。,.]{1,12}[市町村区]$")
MEMBER_SPLIT = re.compile(r"\s*[、・,，]\s*")
BODY_ITEM = re.compile(r"^(?P<lead>[^()]+?)\s*(?:\((?P<members>[^()]*)\))?$")


def _pref_pattern() -> str:
    return "|".join(re.escape(p) for p in lgcode.prefectures())


_NAME_PREF: re.Pattern[str] | None = None
_PREF_ONLY: re.Pattern[str] | None = None


def _name_pref_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    global _NAME_PREF, _PREF_ONLY
    if _NAME_PREF is None or _PREF_ONLY is None:
        prefs = _pref_pattern()
        tail = r"\s*(?:【(?P<partners>[^】]*)】)?$"
        _NAME_PREF = re.compile(
            r"^(?P<name>[^\s()【】「」、。]{1,20}?)\s*\(\s*(?P<pref>" + prefs + r")\s*\)" + tail
        )
        _PREF_ONLY = re.compile(r"^\(\s*(?P<pref>" + prefs + r")\s*\)" + tail)
    return _NAME_PREF, _PREF_ONLY


def _fold_line(line: str) -> str:
    """:func:`fold` for a line that is already whitespace-clean (as html_lines gives)."""
    folded = fold_width(line)
    return folded if folded is line else clean(folded)  # fold() = clean(fold_width()); fold_width is idempotent


def _fold_lines(lines: list[str]) -> list[str]:
    """The lines width-folded. One scan of the whole text finds the few lines that need folding.

    The lines are as :func:`html_lines` gives them: whitespace is already collapsed to
    single spaces, so the characters :func:`fold_width` changes are the full-width and
    half-width forms (U+FF01–U+FF9F) and the three dashes. The forms are found by one
    byte search of the text in UTF-16LE (a copy of the string's own memory; UTF-32LE if
    it has characters beyond U+FFFF), where their high byte is 0xFF: several times faster
    than a regular expression over the text; the dashes by ``str.find``.
    """
    joined = "\n".join(lines)
    hits: list[int] = []  # character offsets, a few per page
    wide, unit = joined.encode("utf-16-le"), 2
    if len(wide) != 2 * len(joined):  # characters beyond U+FFFF: one unit per character
        wide, unit = joined.encode("utf-32-le"), 4
    at = wide.find(b"\xff")
    while at != -1:
        if at % unit == 1:  # the second byte of a character: U+FFxx
            hits.append(at // unit)
        at = wide.find(b"\xff", at + 1)
    for dash in _DASHES:
        at = joined.find(dash)
        while at != -1:
            hits.append(at)
            at = joined.find(dash, at + 1)
    if not hits:
        return lines
    folded = list(lines)
    for line in _line_numbers(joined, len(lines), hits):
        folded[line] = _fold_line(lines[line])
    return folded


def _line_numbers(joined: str, line_count: int, offsets: list[int]) -> list[int]:
    """The lines (of the newline-joined text, ``line_count`` of them) that hold these character
    offsets, in order, each once."""
    offsets = sorted(offsets)
    # The line of the first offset, counting newlines from the nearer end; then onwards.
    if offsets[0] > len(joined) // 2:
        line, counted_to = line_count - 1 - joined.count("\n", offsets[0]), offsets[0]
    else:
        line, counted_to = 0, 0
    found: list[int] = []
    for at in offsets:
        line += joined.count("\n", counted_to, at)
        counted_to = at
        if not found or found[-1] != line:
            found.append(line)
    return found


_DASHES = ("\u2212", "\u2010", "\u2011")  # the dashes fold_width folds (normalize._MINUS)


def gregorian_year(era: str, num: str) -> int:
    """令和2 → 2020, 令和元 → 2019, 平成30 → 2018 (num already width-folded)."""
    n = 1 if num == "元" else int(num)
    return ERAS[era] + n


@dataclass(slots=True)
class _Section:
    fiscal_year: int
    label: str
    stated_total: int
    raw: list[str]
    folded: list[str]
    heads: dict[int, re.Match[str]]  # line index → its type heading (N団体)
    header_lines: list[int]  # indices of the lines that begin with 採択団体 (a table header?)


@dataclass(slots=True)
class _Heading:
    type: str
    count: int | None
    overlap_label: str | None = None
    overlap_count: int | None = None
    bodies: list[Adoption] = field(default_factory=list)
    subs: list[_Heading] = field(default_factory=list)
    is_group: bool = False


def parse_model_projects(html: str, *, skip_preamble: bool = True) -> ModelProjectsPage:
    """Parse the model-project page's decoded HTML into fiscal years and categories.

    The page's header, navigation and introduction, before the block that holds the
    first year heading, are not parsed (see :func:`content_start`; ``skip_preamble=False``
    parses everything): the parser never reads them. Should the rest not parse, the
    whole page is parsed before anything is reported.
    """
    start = content_start(html) if skip_preamble else 0
    if start:
        try:
            return parse_lines(html_lines(html[start:]))
        except ParseError:
            pass  # the whole page decides
    return parse_lines(html_lines(html))


_HEADING_WORDS = "年度モデル事業採択団体"  # in every year heading, in either width
_BLOCK_START = re.compile(
    r"<(?i:h[1-6]|p|div|section|article|main|header|aside|nav|table|caption|tr|td|th|ul|ol|li|dl|dt|dd|"
    r"blockquote|center|form|fieldset)(?=[\s/>])")
# What a cut must not fall into: comments, elements whose content is raw text, and <pre>
# (whose descendants keep their line breaks). Each opener with the closer that ends it.
_RAW_TEXT = "script style textarea title xmp pre noscript template iframe noembed noframes plaintext".split()
# (a literal "<" first, so the search skips from one "<" to the next, and a look at the next
# character that turns most tags away before the alternatives are tried)
_ENCLOSING = re.compile(r"<(?=[!sStTxXpPnNiI])(?i:!--|!\[CDATA\[|(" + "|".join(_RAW_TEXT) + r")(?=[\s/>]))")
_CLOSERS = {"<!--": re.compile("-->"), "<![CDATA[": re.compile(r"\]\]>"),
            **{tag: re.compile(f"</{tag}", re.IGNORECASE) for tag in _RAW_TEXT}}


def content_start(html: str) -> int:
    """Offset of the start tag of the block that holds the first year heading; 0 if unsure.

    Found in the source text: the first 年度モデル事業採択団体, then the nearest block-level
    start tag before it (a few tags back at most). 0 unless everything before that tag is
    plainly not content: no 度 in it (so no year heading, even one split by markup, can be
    skipped), no character reference, and no comment, script, style, <pre> or the like
    left open. Parsing from that tag gives the same lines from the first year heading on
    as parsing the whole page (tested on the fixtures, reformatted and damaged, in
    tests/test_properties.py).
    """
    lt = html.find(_HEADING_WORDS)
    if lt < 0:
        return 0
    for _ in range(8):
        lt = html.rfind("<", 0, lt)
        if lt <= 0:
            return 0
        if _BLOCK_START.match(html, lt):
            break
    else:
        return 0
    if html.find("度", 0, lt) >= 0 or html.find("&#", 0, lt) >= 0:
        return 0
    at = 0
    while (opener := _ENCLOSING.search(html, at, lt)) is not None:
        closer = _CLOSERS[opener[1].lower() if opener[1] else opener[0].upper()].search(html, opener.end(), lt)
        if closer is None:
            return 0  # the cut would fall inside it
        at = closer.end()
    return lt


def parse_lines(raw_lines: list[str]) -> ModelProjectsPage:
    folded = _fold_lines(raw_lines)
    sections = _split_sections(raw_lines, folded)
    if not sections:
        raise ParseError(
            "no fiscal-year heading (…年度モデル事業採択団体(全N団体)) found: "
            "the page layout may have changed"
        )
    warnings: list[str] = []
    years: dict[int, FiscalYear] = {}
    categories: dict[str, Category] = {}
    for section in sections:
        year, cats = _parse_section(section, warnings)
        if year.fiscal_year in years:
            if years[year.fiscal_year].adoptions and year.adoptions:
                raise ParseError(f"{section.label} (FY{section.fiscal_year}) appears twice on the page")
            if not year.adoptions:
                continue
        years[year.fiscal_year] = year
        for cat in cats:
            known = categories.get(cat.name)
            if known is None:
                categories[cat.name] = cat
            elif compare_key(known.definition) != compare_key(cat.definition):
                warnings.append(f"category {cat.name} is defined twice with different text; kept the first")
    for year in years.values():
        _validate_total(year)
    ordered = [years[k] for k in sorted(years, reverse=True)]
    return ModelProjectsPage(years=ordered, categories=list(categories.values()), warnings=warnings)


def _split_sections(raw: list[str], folded: list[str]) -> list[_Section]:
    starts: list[tuple[int, re.Match[str]]] = []
    heads: dict[int, re.Match[str]] = {}
    header_lines: list[int] = []
    # Only lines that end like a heading or begin like a table header (as written, before width
    # folding) are looked at.
    for i in [i for i, line in enumerate(raw) if line.endswith(HEADING_ENDS) or line.startswith("採択団体")]:
        line = folded[i]
        if line.startswith("採択団体"):
            header_lines.append(i)
        if not line.endswith(HEADING_ENDS):
            continue
        heading = _match_heading(line)
        if heading is None:
            continue
        if heading[0]:
            starts.append((i, heading[1]))
        else:
            heads[i] = heading[1]
    sections = []
    for n, (i, m) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(folded)
        label = f"{m['era']}{m['num']}年度"
        sections.append(
            _Section(
                fiscal_year=gregorian_year(m["era"], m["num"]),
                label=label,
                stated_total=int(m["total"]),
                raw=raw[i + 1 : end],
                folded=folded[i + 1 : end],
                heads={j - i - 1: h for j, h in heads.items() if i < j < end},
                header_lines=[j - i - 1 for j in header_lines if i < j < end],
            )
        )
    return sections


@lru_cache(maxsize=1024)
def _match_heading(line: str) -> tuple[bool, re.Match[str]] | None:
    """``(True, match)`` for a year heading, ``(False, match)`` for a type heading, None for
    neither. Cached: the same headings come back in every snapshot."""
    if "年度" in line and (m := YEAR_HEADING.match(line)):
        return True, m
    m = TYPE_HEADING.match(line)
    return None if m is None else (False, m)


def _parse_section(section: _Section, warnings: list[str]) -> tuple[FiscalYear, list[Category]]:
    year = FiscalYear(section.fiscal_year, section.label, section.stated_total)
    header_end = _find_table_header(section.folded, section.header_lines)
    if header_end is not None:
        year.adoptions = _parse_table(section, header_end, warnings)
        return year, []
    if section.heads:
        return _parse_lists(section, year, warnings)
    if not any(section.folded):
        return year, []
    raise ParseError(
        f"{section.label} (FY{section.fiscal_year}, stated 全{section.stated_total}団体): "
        "neither a 採択団体/事業概要 table nor type headings with counts were found"
    )


# --- table years -------------------------------------------------------------------


def _find_table_header(folded: list[str], header_lines: list[int]) -> int | None:
    """Index just past the 採択団体 / 事業概要 header, or None (``header_lines``: the lines beginning with 採択団体)."""
    for i in header_lines:
        line = folded[i]
        if TABLE_HEADER_ONE_LINE.match(line):
            return i + 1
        if line == "採択団体" and i + 1 < len(folded) and folded[i + 1] == "事業概要":
            return i + 2
    return None


def _parse_table(section: _Section, start: int, warnings: list[str]) -> list[Adoption]:
    name_pref = _name_pref_patterns()[0]
    folded, raw = section.folded, section.raw
    # Only a line that opens with ( or 【 or closes with ) or 】 can be a body's name, prefecture or
    # partners line (or the legend that ends the table); every other line is 事業概要 text, taken
    # below as slices between the bodies.
    candidates = [i for i in range(start, len(folded)) if folded[i][0] in "(【" or folded[i][-1] in ")】"]
    bodies: list[list] = []  # [name, pref, partners, first summary line, end of summary, first line]
    end = len(folded)
    for i in candidates:
        line = folded[i]
        first = line[0]
        if first == "【":
            if LEGEND.match(line):
                end = i
                break
            pm = PARTNERS_LINE.match(line)
            if pm and bodies and bodies[-1][3] == i:  # right under the body's name: its partners
                body = bodies[-1]
                body[2] = pm["partners"] if body[2] is None else f"{body[2]}、{pm['partners']}"
                body[3] = i + 1
                continue
        elif first == "(" and i > start:
            # '(北海道)' under a name line: the name line began a new body
            body = _name_over_prefecture(folded[i - 1], line)
            if body is not None:
                if bodies:
                    bodies[-1][4] = i - 1
                bodies.append([body[0], body[1], body[2], i + 1, None, i - 1])
                continue
        if line[-1] in ")】" and "(" in line:
            m = name_pref.match(line)
            if m:
                if bodies:
                    bodies[-1][4] = i
                bodies.append([m["name"], m["pref"], m["partners"], i + 1, None, i])
                continue
    if bodies:
        bodies[-1][4] = end
    for i in range(start, bodies[0][5] if bodies else end):
        warnings.append(f"{section.label}: ignored a line before the first body: {folded[i][:40]}")
    year, resolve = section.fiscal_year, lgcode.resolve
    adoptions = []
    for name, pref, partners, first, stop, _ in bodies:
        place = resolve(name, pref)  # a Place: a default prefecture is given
        if place.prefecture != pref:
            raise ParseError(f"{section.label}: {name} is written with prefecture {place.prefecture} but listed under ({pref})")
        adoptions.append(
            Adoption(  # fiscal_year, name, prefecture, municipality, lg_code, category, summary, partners
                year, name, pref, place.municipality, place.lg_code, None,
                "\n".join(raw[first:stop]) if stop > first else None,
                list(_partners(partners, pref)) if partners else [],
            )
        )
        if place.lg_code is None:
            _warn_unknown(name, section.label, warnings)
    return adoptions


@lru_cache(maxsize=4096)
def _name_over_prefecture(name_line: str, line: str) -> tuple[str, str, str | None] | None:
    """(name, prefecture, partners) of a body written as its name over ``(北海道)`` or
    ``(北海道)【partners】``; None if these two lines are not one. Cached: the same pairs come
    back in every snapshot."""
    pref: str | None = line[1:-1].strip()
    if line[-1] == ")" and lgcode.is_prefecture(pref):
        partners = None
    else:
        m = _name_pref_patterns()[1].match(line)
        pref, partners = (m["pref"], m["partners"]) if m else (None, None)
    if pref is not None and len(name_line) <= 20 and SHORT_NAME.match(name_line):
        return name_line, pref, partners
    return None


# --- list years --------------------------------------------------------------------


def _parse_lists(section: _Section, year: FiscalYear, warnings: list[str]) -> tuple[FiscalYear, list[Category]]:
    folded, raw = section.folded, section.raw
    headings: list[_Heading] = []
    groups: list[_Heading] = []
    current: _Heading | None = None
    group: _Heading | None = None
    i = 0
    n = len(folded)
    definitions_from: int | None = None
    heads = section.heads
    while i < n:
        line = folded[i]
        m = heads.get(i)
        if m:
            heading = _Heading(
                type=m["type"].strip(),
                count=int(m["count"]),
                overlap_label=m["olabel"],
                overlap_count=int(m["ocount"]) if m["ocount"] else None,
            )
            nm = heads.get(i + 1)
            if nm and compare_key(nm["type"]).startswith(compare_key(heading.type)):
                heading.is_group = True
                group = heading
                groups.append(heading)
                current = None
            else:
                if group is not None and compare_key(heading.type).startswith(compare_key(group.type)):
                    group.subs.append(heading)
                else:
                    group = None
                headings.append(heading)
                current = heading
            i += 1
            continue
        if (line[0] == "[" and CONSORTIUM_MARKER.match(line)) or (line[-1] == "覧" and YEAR_LIST_TITLE.search(line)):
            i += 1
            continue
        bodies = _parse_body_line(line, section, current.type if current is not None else None)
        if bodies is not None:
            if current is None:
                raise ParseError(f"{section.label} (FY{section.fiscal_year}): bodies listed before any type heading: {line[:40]}")
            current.bodies.extend(bodies)
            i += 1
            continue
        nm = heads.get(i + 1)
        if nm and compare_key(nm["type"]).startswith(compare_key(line)):
            # a group heading without a count, e.g. 'パターン(1)'
            group = _Heading(type=line, count=None, is_group=True)
            groups.append(group)
            current = None
            i += 1
            continue
        if any(h.bodies for h in headings):
            definitions_from = i
            break
        warnings.append(f"{section.label}: ignored line {line[:40]}")
        i += 1

    _validate_headings(section, headings, groups)
    year.adoptions = _merge_bodies(section, headings, warnings)
    type_names = {compare_key(h.type): h.type for h in headings + groups}
    categories = _parse_definitions(raw, folded, definitions_from, type_names) if definitions_from is not None else []
    return year, categories


def _parse_body_line(line: str, section: _Section, category: str | None) -> list[Adoption] | None:
    """Parse '新潟県村上市、新潟県燕市' or '北海道(釧路市、北見市)、岩手県(宮古市)'; None if not a body list."""
    parsed = _parse_items(line)
    if parsed is None:
        return None
    year = section.fiscal_year
    return [Adoption(year, lead, pref, rest, code, category, None, list(members) if members else [])
            for lead, pref, rest, code, members in parsed]


@lru_cache(maxsize=1024)
def _parse_items(line: str) -> tuple[tuple[str, str, str, str | None, tuple[Partner, ...]], ...] | None:
    if "。" in line:  # prose, not a list of bodies
        return None
    items = _split_top_level(line)
    if items is None:
        return None
    parsed = []
    for item in items:
        one = _parse_item(item)
        if one is None:
            return None
        parsed.append(one)
    return tuple(parsed)


@lru_cache(maxsize=4096)
def _parse_item(item: str) -> tuple[str, str, str, str | None, tuple[Partner, ...]] | None:
    """One listed body: (name, prefecture, municipality, lg_code, partners), or None if it isn't one.

    Cached: the same names come back in every run and every snapshot of a rebuild.
    """
    m = BODY_ITEM.match(item)
    if not m:
        return None
    lead = m["lead"].strip()
    pref, rest = lgcode.split_prefecture(lead)
    if pref is None or (rest and not MUNICIPALITY.match(rest)):
        return None
    members: tuple[Partner, ...] = ()
    if m["members"] is not None:
        for member in MEMBER_SPLIT.split(m["members"].strip()):
            if not member:
                continue
            mpref, mrest = lgcode.split_prefecture(member)
            if not MUNICIPALITY.match(mrest) and not (mpref and mrest == ""):
                return None
        members = _partners(m["members"], pref)
    return lead, pref, rest, lgcode.lookup(pref, rest), members


_ITEM = r"[^、,，()]+(?:\([^()]*\))?"
_ITEMS = re.compile(rf"\s*{_ITEM}(?:[、,，]\s*{_ITEM})*[、,，]?\s*")
_ITEM_FIND = re.compile(_ITEM)


def _split_top_level(line: str) -> list[str] | None:
    """Split a line of bodies on the 、 outside parentheses; None if it isn't such a line."""
    if not _ITEMS.fullmatch(line):
        return None
    items = [item.strip() for item in _ITEM_FIND.findall(line)]
    return [item for item in items if item] or None


def _validate_headings(section: _Section, headings: list[_Heading], groups: list[_Heading]) -> None:
    where = f"{section.label} (FY{section.fiscal_year})"
    by_key = {compare_key(h.type): h for h in headings}
    for h in headings:
        listed = len(h.bodies)
        if h.overlap_count is not None:
            target_key = compare_key(f"{h.overlap_label}重複")
            overlap = next((o for k, o in by_key.items() if k.endswith(target_key) and o is not h), None)
            if overlap is None:
                raise ParseError(f"{where}: {h.type} states うち{h.overlap_label}重複{h.overlap_count}団体 but no {h.overlap_label}重複 list was found")
            if len(overlap.bodies) != h.overlap_count:
                raise ParseError(f"{where}: {h.type} states {h.overlap_count} overlapping bodies but {overlap.type} lists {len(overlap.bodies)}")
            if listed + h.overlap_count != h.count:
                raise ParseError(f"{where}: {h.type} states {h.count}団体 but {listed} bodies are listed plus {h.overlap_count} overlapping ({listed + h.overlap_count})")
        elif listed != h.count:
            raise ParseError(f"{where}: {h.type} states {h.count}団体 but {listed} bodies are listed")
    for g in groups:
        if g.count is None:
            continue
        listed = sum(len(s.bodies) for s in g.subs)
        if listed != g.count:
            raise ParseError(f"{where}: {g.type} states {g.count}団体 but its types list {listed} bodies")


def _merge_bodies(section: _Section, headings: list[_Heading], warnings: list[str]) -> list[Adoption]:
    merged: dict[tuple[str, str], Adoption] = {}  # one year: (prefecture, municipality) identifies
    for h in headings:
        for body in h.bodies:  # each already carries its heading's type as category
            known = merged.setdefault((body.prefecture, body.municipality), body)
            if known is body:
                if body.lg_code is None:
                    _warn_unknown(body.name, section.label, warnings)
            else:
                warnings.append(f"{section.label}: {body.name} is listed under both {known.category} and {h.type}")
                known.category = f"{known.category}、{h.type}"
    return list(merged.values())


def _parse_definitions(raw: list[str], folded: list[str], start: int, type_names: dict[str, str]) -> list[Category]:
    categories = []
    # A line as long as this cannot be a type's name, even written with a space between every character.
    longest = 2 * max(map(len, type_names), default=0)
    i = start
    while i < len(folded):
        if len(folded[i]) >= longest:
            i += 1
            continue
        name = type_names.get(compare_key(folded[i]))
        if name is None or i + 1 >= len(folded) or compare_key(folded[i + 1]) in type_names:
            i += 1
            continue
        parts = [raw[i + 1]]
        j = i + 2
        while j < len(folded):
            item = ENUMERATOR.sub("", folded[j])
            if not CIRCLED.match(item):
                break
            parts.append(ENUMERATOR.sub("", raw[j]))
            j += 1
        categories.append(Category(name=name, definition="\n".join(parts)))
        i = j
    return categories


# --- shared ------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _partners(text: str, default_prefecture: str) -> tuple[Partner, ...]:
    """Partners written as '須崎市、四万十町' (a name without prefecture lies in the default one)."""
    partners = []
    for name in MEMBER_SPLIT.split(text.strip()):
        if not name:
            continue
        place = lgcode.resolve(name, default_prefecture)  # a Place: a default prefecture is given
        partners.append(Partner(name=name, prefecture=place.prefecture, municipality=place.municipality, lg_code=place.lg_code))
    return tuple(partners)


def _warn_unknown(name: str, label: str, warnings: list[str]) -> None:
    """For a body whose place has no code in the code table."""
    warnings.append(f"{label}: {name} has no 全国地方公共団体コード in the code table")


def _validate_total(year: FiscalYear) -> None:
    if year.parsed_total != year.stated_total:
        raise ParseError(
            f"{year.label} (FY{year.fiscal_year}): the page states 全{year.stated_total}団体 "
            f"but {year.parsed_total} bodies were parsed"
        )
