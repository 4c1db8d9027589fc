"""The reference page's content in many templates a ministry might publish.

The content (bodies, 事業概要, types, consortia, definitions) is the data that
``scripts/make_fixtures.py`` carries from the reference capture. Each year can be laid out
in one of several styles, with full- or half-width digits and parentheses, and with the
usual chrome around it (breadcrumbs, PDF links, legends, page-top links, footers). The
named templates in :data:`TEMPLATES` are fixed choices; :func:`render` takes any.
"""

from __future__ import annotations

import html
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

from scraper import lgcode
from scraper.normalize import compare_key

_spec = importlib.util.spec_from_file_location(
    "make_fixtures", Path(__file__).resolve().parent.parent / "scripts" / "make_fixtures.py")
content = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(content)  # type: ignore[union-attr]

TABLE_STYLES = ("name_over_pref", "pref_cell_first", "name_then_pref_cell", "one_line", "dl", "card",
                "pref_over_name")
LIST_STYLES = ("joined", "li_per_body", "rowspan_table", "dl_slash")


@dataclass(frozen=True)
class Style:
    table: str = "name_over_pref"  # how 令和2年度 (bodies with 事業概要) is laid out
    lists: str = "joined"  # how 令和元年度 and 平成30年度 (bodies by type) are laid out
    wide: bool = False  # full-width digits and parentheses
    header_row: bool = True
    partners_below: bool = False  # 【partners】 on a line of their own under the name
    separator: str = "、"  # between bodies on one line (joined and dl_slash lists)
    member_separator: str | None = None  # between a consortium's members; None: as in the reference
    chrome: bool = True  # breadcrumbs, PDF links, page-top links, legend before the table


TEMPLATES: dict[str, Style] = {
    "three_column_prefecture_first": Style(table="pref_cell_first", lists="rowspan_table"),
    "no_header_one_line": Style(table="one_line", lists="joined", wide=True, header_row=False,
                                partners_below=True),
    "definition_lists": Style(table="dl", lists="dl_slash", separator="／", member_separator="・"),
    "cards": Style(table="card", lists="li_per_body", wide=True, partners_below=True),
    "li_per_body": Style(table="pref_over_name", lists="li_per_body", header_row=False),
    "rowspan_types": Style(table="name_then_pref_cell", lists="rowspan_table", wide=True, separator="・",
                           chrome=False),
}


def e(text: str) -> str:
    return html.escape(text, quote=False)


def _w(text: str, style: Style) -> str:
    """Digits and parentheses in the style's width."""
    if not style.wide:
        return text
    return re.sub(r"[0-9()]", lambda m: chr(ord(m.group()) + 0xFEE0), text)


def _consortium(text: str, style: Style) -> str:
    if style.member_separator is None:
        return text
    return re.sub(r"[、・]", style.member_separator, text)


# --- 令和2年度 ------------------------------------------------------------------------


def _table_year(style: Style) -> list[str]:
    o: list[str] = []
    a = o.append
    rows = content.Y2020
    p = lambda s: _w(s, style)  # noqa: E731
    partners = lambda ps: f"【{ps}】" if ps else ""  # noqa: E731
    if style.chrome:
        a(f'<p class="legend">{e(content.LEGEND)}</p>')
    if style.table in ("name_over_pref", "pref_cell_first", "name_then_pref_cell"):
        a(f"<table><caption>{e(content.Y2020_CAPTION)}</caption>")
        if style.header_row:
            heads = {"name_over_pref": ("採択団体", "事業概要"), "pref_cell_first": ("都道府県名", "団体名", "事業概要"),
                     "name_then_pref_cell": ("団体名", "都道府県", "事業概要")}[style.table]
            a("<thead><tr>" + "".join(f"<th>{h}</th>" for h in heads) + "</tr></thead>")
        a("<tbody>")
        for name, pref, ps, paras in rows:
            summary = "<td>" + "".join(f"<p>{e(p(x))}</p>" for x in paras) + "</td>"
            below = f"<br><span>{partners(ps)}</span>" if ps and style.partners_below else ""
            inline = partners(ps) if not style.partners_below else ""
            if style.table == "name_over_pref":
                a(f"<tr><th scope=row>{name}{inline}<br>{p('(' + pref + ')')}{below}</th>{summary}</tr>")
            elif style.table == "pref_cell_first":
                a(f"<tr><td>{pref}</td><td>{name}{inline}{below}</td>{summary}</tr>")
            else:
                a(f"<tr><td>{name}{inline}{below}</td><td>{pref}</td>{summary}</tr>")
        a("</tbody></table>")
    elif style.table == "one_line":
        for name, pref, ps, paras in rows:
            line = name + p(f"({pref})") + ("" if style.partners_below else partners(ps))
            a(f"<p><strong>{e(line)}</strong></p>")
            if ps and style.partners_below:
                a(f"<p>{partners(ps)}</p>")
            o.extend(f"<p>{e(p(x))}</p>" for x in paras)
    elif style.table == "dl":
        a("<dl>")
        for name, pref, ps, paras in rows:
            a(f"<dt>{name}<span>{p('(' + pref + ')')}</span>{partners(ps)}</dt>")
            a("<dd>" + "".join(f"<p>{e(p(x))}</p>" for x in paras) + "</dd>")
        a("</dl>")
    elif style.table == "card":
        a('<div class="cards">')
        for name, pref, ps, paras in rows:
            a(f'<section class="card"><h4>{pref}{name}</h4>')
            if ps:
                a(f'<p class="partners">{partners(ps)}</p>')
            o.extend(f"<p>{e(p(x))}</p>" for x in paras)
            a("</section>")
        a("</div>")
    elif style.table == "pref_over_name":
        for name, pref, ps, paras in rows:
            a(f'<div class="body"><p class="pref">{p("(" + pref + ")")}</p><h4>{name}</h4>')
            if ps:
                a(f"<p>{partners(ps)}</p>")
            a("<ul>" + "".join(f"<li>{e(p(x))}</li>" for x in paras) + "</ul></div>")
    else:
        raise ValueError(style.table)
    if not style.chrome:
        a(f"<p>{e(content.LEGEND)}</p>")
    return o


# --- 令和元年度 and 平成30年度 -----------------------------------------------------------


def _heading_text(heading: str, style: Style) -> str:
    return _w(heading, style)


def _list_year(groups, style: Style) -> list[str]:
    o: list[str] = []
    a = o.append
    sep = style.separator
    if style.lists == "rowspan_table":
        a("<table>")
        if style.header_row:
            a("<tr><th>類型</th><th>採択団体</th></tr>")
    for group, subs in groups:
        same = len(subs) == 1 and compare_key(subs[0][0]).startswith(compare_key(group))
        if style.lists == "rowspan_table":
            if not same or True:
                a(f'<tr><th colspan="2">{e(_heading_text(group, style))}</th></tr>')
        else:
            a(f"<h4>{e(_heading_text(group, style))}</h4>")
        for sub, bodies, consortia in subs:
            sub_text = e(_heading_text(sub, style))
            items = bodies + [_consortium(c, style) for c in consortia]
            if style.lists == "joined":
                a(f"<h5>{sub_text}</h5>")
                a(f"<p>{e(_w(sep.join(bodies), style))}</p>")
                if consortia:
                    a(f"<p>{e(content.RENKEI)}</p>")
                    a(f"<p>{e(_w(sep.join(_consortium(c, style) for c in consortia), style))}</p>")
            elif style.lists == "dl_slash":
                a(f"<dl><dt>{sub_text}</dt><dd>{e(_w(sep.join(items), style))}</dd></dl>")
            elif style.lists == "li_per_body":
                a(f"<h5>{sub_text}</h5><ul>")
                o.extend(f"<li>{e(b)}</li>" for b in bodies)
                for c in consortia:
                    lead, members = re.fullmatch(r"([^()]+)\((.*)\)", c).groups()
                    names = re.split(r"[、・]", members)
                    a(f"<li>{e(lead)}<ul>" + "".join(f"<li>{e(n)}</li>" for n in names) + "</ul></li>")
                a("</ul>")
            elif style.lists == "rowspan_table":
                first = True
                for item in items:
                    cell = f'<td rowspan="{len(items)}">{sub_text}</td>' if first else ""
                    a(f"<tr>{cell}<td>{e(_w(item, style))}</td></tr>")
                    first = False
            else:
                raise ValueError(style.lists)
    if style.lists == "rowspan_table":
        a("</table>")
    return o


def _definitions(defs, style: Style) -> list[str]:
    o: list[str] = []
    for definition in defs:
        term, text, *rest = definition
        items = rest[0] if rest else []
        o.append(f"<h4>{e(_w(term, style))}</h4><p>{e(_w(text, style))}</p>")
        if items:
            o.append("<ol>" + "".join(f"<li>{e(_w(x, style))}</li>" for x in items) + "</ol>")
    return o


# --- the page ------------------------------------------------------------------------


def render(style: Style, *, charset_meta: str | None = "utf-8") -> str:
    """The whole page in ``style``."""
    o: list[str] = ["<!DOCTYPE html>", '<html lang="ja"><head>']
    if charset_meta:
        o.append(f'<meta charset="{charset_meta}">')
    o.append(f"<title>{content.PAGE_TITLE}｜関係人口ポータルサイト</title></head><body>")
    o.append('<header><a href="#main">本文へ</a><nav><ul><li>トップ</li><li>関係人口とは</li></ul></nav></header>')
    if style.chrome:
        o.append('<p class="breadcrumb">トップ &gt; 関係人口 &gt; モデル事業概要</p>')
    o.append(f'<main id="main"><h1>{content.PAGE_TITLE}</h1><h2>{content.INTRO_H2}</h2><h3>{e(content.INTRO_H3)}</h3>')
    o.extend(f"<p>{e(x)}</p>" for x in content.INTRO_PARAS)
    o.append(f"<h2>{content.SAITAKU_H2}</h2>")
    for heading, caption, year in (
        (content.Y2020_HEADING, content.Y2020_CAPTION, None),
        (content.Y2019_HEADING, content.Y2019_CAPTION, (content.Y2019_GROUPS, content.DEFS2019)),
        (content.Y2018_HEADING, content.Y2018_CAPTION, (content.Y2018_GROUPS, content.DEFS2018)),
    ):
        o.append(f"<h3>{e(_w(heading, style))}</h3>")
        if style.chrome:
            o.append(f'<p><a href="/list.pdf">{caption} [PDFファイル/271KB]</a></p>')
        if year is None:
            o.extend(_table_year(style))
        else:
            if style.lists != "rowspan_table":
                o.append(f"<p>{caption}</p>")
            o.extend(_list_year(year[0], style))
            o.extend(_definitions(year[1], style))
        if style.chrome:
            o.append('<p class="pagetop"><a href="#top">ページの先頭へ</a></p>')
    o.append(f'<div class="adobe"><img alt="{content.ADOBE_ALT}"><p>{content.ADOBE_ALT}</p>')
    o.extend(f"<p>{e(x)}</p>" for x in content.ADOBE_LINES)
    o.append(f"</div><p>{e(content.PORTAL_LINE1)}</p></main>")
    o.append("<footer><p>総務省 〒100-8926 東京都千代田区霞が関2-1-2</p>"
             "<p>Copyright (C) Ministry of Internal Affairs and Communications</p></footer></body></html>")
    return "\n".join(o)


# --- what every template must give ---------------------------------------------------


def _place(name: str, default: str) -> tuple[str, str, str | None]:
    place = lgcode.resolve(name, default)
    assert place is not None
    return place.prefecture, place.municipality, place.lg_code


def _members(text: str, lead_pref: str) -> tuple:
    return tuple(sorted(_place(n, lead_pref)[:2] for n in re.split(r"[、・]", text)))


def expected_entities() -> list[tuple]:
    """Every year's bodies as :func:`entities` gives them, made from the content, not by the parser."""
    out = []
    y2020 = []
    for name, pref, ps, paras in content.Y2020:
        y2020.append((*_place(name, pref), None, compare_key("".join(paras)),
                      _members(ps, pref) if ps else ()))
    out.append((2020, "令和2年度", 25, tuple(y2020)))
    for fy, label, total, groups in ((2019, "令和元年度", 44, content.Y2019_GROUPS),
                                     (2018, "平成30年度", 30, content.Y2018_GROUPS)):
        bodies = []
        for _, subs in groups:
            for sub, listed, consortia in subs:
                category = re.sub(r"\s*\d+団体.*$", "", sub)
                for name in listed:
                    bodies.append((*_place(name, ""), category, "", ()))
                for c in consortia:
                    lead, members = re.fullmatch(r"([^()]+)\((.*)\)", c).groups()
                    pref, muni, code = _place(lead, "")
                    bodies.append((pref, muni, code, category, "", _members(members, pref)))
        out.append((fy, label, total, tuple(bodies)))
    return out


def entities(page) -> list[tuple]:
    """A parse as comparable entities: the place, code, type, 事業概要 and partner places of
    every body (the name as written differs between templates and is compared by place)."""
    return [
        (y.fiscal_year, y.label, y.stated_total, tuple(
            (a.prefecture, a.municipality, a.lg_code, a.category, compare_key(a.summary),
             tuple(sorted((p.prefecture, p.municipality) for p in a.partners)))
            for a in y.adoptions))
        for y in page.years
    ]
