"""Property tests (hypothesis) of the model-project parser over the fixture pages.

* Structural damage (deleted, duplicated or swapped elements and lines, truncation,
  stray markup) never raises anything but :class:`ParseError`, and whatever parses
  is consistent with its own stated totals.
* Changes of form only (whitespace, comments, attribute order and quoting, wrapping
  elements, half/full width of ASCII letters, digits and parentheses) never change
  the parsed result, and :func:`scraper.compare.compare_model_projects` sees no change.

The profile is deterministic (``derandomize=True``, no example database), so CI
runs the same examples every time.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path

import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from scraper.compare import compare_model_projects
from scraper.decode import decode_html
from scraper.errors import ParseError
from scraper.model import ModelProjectsPage
from scraper.normalize import compare_key
from scraper.parsers.model_projects import parse_model_projects

FIXTURES = Path(__file__).parent / "fixtures"
GOOD = ["model_projects_table.html", "model_projects_dl.html", "model_projects_oldstyle_sjis.html"]
FORM_FIXTURES = ["model_projects_table.html", "model_projects_dl.html"]

PROFILE = settings(
    max_examples=20,  # per case: about 500 changed or damaged pages over the file (tests/test_templates.py adds more)
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SKIP_TAGS = {"script", "style", "title", "textarea", "head", "meta", "link"}
FLOW_PARENTS = {"body", "div", "section", "main", "article", "td", "dd", "li", "header", "footer", "nav", "aside"}
BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "dl", "div", "section"}
INLINES = {"span", "a", "font", "strong", "b", "em", "i", "small"}
WIDTH_SWAPPABLE = re.compile(r"[A-Za-z0-9()\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff08\uff09]")


def text_of(name: str) -> str:
    text, _ = decode_html((FIXTURES / name).read_bytes(), None)
    return text


TEXTS = {name: text_of(name) for name in GOOD}
PARSED = {name: parse_model_projects(TEXTS[name]) for name in GOOD}


def test_fixtures_parse() -> None:
    """The properties start from pages that parse (99 bodies in 3 years)."""
    for page in PARSED.values():
        assert [y.parsed_total for y in page.years] == [25, 44, 30]


# ------------------------------------------------------------- tree helpers


def document(html: str) -> etree._Element:
    return lxml.html.document_fromstring(html)


def serialize(root: etree._Element) -> str:
    return lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")


def in_skipped(el: etree._Element) -> bool:
    return any(isinstance(a.tag, str) and a.tag.lower() in SKIP_TAGS for a in (el, *el.iterancestors()))


def body_elements(root: etree._Element) -> list[etree._Element]:
    """The elements under <body> in document order, none inside a skipped element (script, style…).

    One walk that does not enter skipped subtrees (testing each element's ancestors instead took
    a tenth of these tests' time)."""
    body = root.find("body")
    assert body is not None
    if in_skipped(body):
        return []
    found = []
    stack = [iter(body)]
    while stack:
        for el in stack[-1]:
            if isinstance(el.tag, str) and el.tag.lower() not in SKIP_TAGS:
                found.append(el)
                stack.append(iter(el))
                break
        else:
            stack.pop()
    return found


def pick(data: st.DataObject, items: list, label: str):
    assert items, f"nothing to pick for {label}"
    return items[data.draw(st.integers(0, len(items) - 1), label=label)]


# ------------------------------------------------------- structural damage

DAMAGE_TOKENS = ["<", ">", "</table>", "<table>", "</td>", "<tr>", "<br>", "</p>", "<p>", "<!--", "-->", "&",
                 "全", "団体", "年度", "令和", "平成", "元", "(", ")", "（", "【", "】", "、", "採択団体", "事業概要",
                 "モデル事業採択団体(全3団体)", "令和2年度モデル事業採択団体(全25団体)", "関係深化型 6団体",
                 "北海道", "(北海道)", "石狩市", "0", "12", "999", "\n", "①", "うち①②重複3団体", "[複数団体の連携]"]


def damage(data: st.DataObject, html: str) -> str:
    """Apply one random structural change to ``html``."""
    kind = data.draw(st.sampled_from(
        ["drop_lines", "truncate", "drop_element", "drop_tag_only", "duplicate_element", "swap_elements",
         "swap_lines", "splice", "move_text"]), label="damage")
    if kind in ("drop_lines", "swap_lines"):
        lines = html.splitlines(keepends=True) or [""]
        i = data.draw(st.integers(0, len(lines) - 1), label="line")
        j = data.draw(st.integers(i, min(len(lines), i + 40)), label="to")
        if kind == "drop_lines":
            return "".join(lines[:i] + lines[j:])
        k = data.draw(st.integers(0, len(lines) - 1), label="other line")
        lines[i], lines[k] = lines[k], lines[i]
        return "".join(lines)
    if kind == "truncate":
        return html[: data.draw(st.integers(0, len(html)), label="cut")]
    if kind == "splice":
        at = data.draw(st.integers(0, len(html)), label="at")
        token = data.draw(st.sampled_from(DAMAGE_TOKENS), label="token")
        return html[:at] + token + html[at:]
    try:
        root = document(html)
    except etree.ParserError:  # damaged beyond any element (e.g. truncated to "<!"): splice instead
        return html + data.draw(st.sampled_from(DAMAGE_TOKENS), label="token")
    elements = body_elements(root) if root.find("body") is not None else []
    if not elements:
        return serialize(root) + data.draw(st.sampled_from(DAMAGE_TOKENS), label="token")
    el = pick(data, elements, "element")
    if kind == "drop_element":
        el.drop_tree()
    elif kind == "drop_tag_only":
        el.drop_tag()
    elif kind == "duplicate_element":
        twin = copy.deepcopy(el)
        el.addnext(twin)
    elif kind == "swap_elements":
        other = pick(data, elements, "other element")
        if other is not el and el not in other.iterancestors() and other not in el.iterancestors():
            marker = etree.Element("span")
            el.addprevious(marker)
            other.addprevious(el)
            marker.addprevious(other)
            marker.getparent().remove(marker)
    elif kind == "move_text":
        other = pick(data, elements, "other element")
        other.text, el.text = el.text, other.text
    return serialize(root)


def assert_consistent(page: ModelProjectsPage) -> None:
    """What the parser returns always agrees with itself: totals match, years unique and ordered."""
    fiscal_years = [y.fiscal_year for y in page.years]
    assert fiscal_years == sorted(set(fiscal_years), reverse=True)
    for year in page.years:
        assert year.parsed_total == year.stated_total
        assert all(a.fiscal_year == year.fiscal_year for a in year.adoptions)
        assert len({a.identity for a in year.adoptions}) == len(year.adoptions)
        assert all(a.name and a.prefecture for a in year.adoptions)


@pytest.mark.parametrize("fixture", GOOD)
@PROFILE
@given(data=st.data())
def test_structural_damage_raises_only_parse_error(fixture: str, data: st.DataObject) -> None:
    html = TEXTS[fixture]
    for _ in range(data.draw(st.integers(1, 4), label="rounds")):
        html = damage(data, html)
    try:
        page = parse_model_projects(html)
    except ParseError as e:
        message = str(e)
        assert message and "\n" not in message
        return
    assert_consistent(page)


# ------------------------------------------------------ form-only changes


def reflow_whitespace(data: st.DataObject, html: str) -> str:
    """Replace some runs of ASCII whitespace with other (non-empty) runs: same rendering."""
    runs = [m.span() for m in re.finditer(r"[ \t\r\n]+", html)]
    chosen = data.draw(st.lists(st.integers(0, len(runs) - 1), min_size=1, max_size=60, unique=True), label="runs")
    replacement = st.sampled_from(["\n", "\t", "  ", "\r\n\t\t", " \n ", "\n\n\n    ", " "])
    out, last = [], 0
    for index in sorted(chosen):
        start, end = runs[index]
        out += [html[last:start], data.draw(replacement, label="whitespace")]
        last = end
    out.append(html[last:])
    return "".join(out)


def add_comments(data: st.DataObject, html: str) -> str:
    """Insert comments between elements and inside text nodes (some of them look like content)."""
    root = document(html)
    elements = body_elements(root)
    comment_text = st.sampled_from([" note ", " 令和9年度モデル事業採択団体(全1団体) ", " 石狩市(北海道) ", "", " <td>x</td> "])
    for _ in range(data.draw(st.integers(1, 12), label="comments")):
        el = pick(data, elements, "element")
        comment = etree.Comment(data.draw(comment_text, label="comment"))
        where = data.draw(st.sampled_from(["inside_text", "before", "after", "child"]), label="where")
        if where == "inside_text" and el.text:
            cut = data.draw(st.integers(0, len(el.text)), label="cut")
            comment.tail = el.text[cut:] + (comment.tail or "")
            el.text = el.text[:cut]
            el.insert(0, comment)
        elif where == "before" and el.getparent() is not None:
            el.addprevious(comment)
        elif where == "after" and el.getparent() is not None:
            el.addnext(comment)
        else:
            el.insert(data.draw(st.integers(0, len(el)), label="index"), comment)
    return serialize(root)


ATTRIBUTE = re.compile(r"""\s+([^\s=/>"']+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>=]+))?""")
START_TAG = re.compile(r"<([a-zA-Z][\w:-]*)((?:" + ATTRIBUTE.pattern + r")+)(\s*/?)>")


def reorder_attributes(data: st.DataObject, html: str) -> str:
    """Permute the attributes of start tags and switch their quoting."""
    matches = list(START_TAG.finditer(html))
    chosen = set(data.draw(st.lists(st.integers(0, len(matches) - 1), min_size=1, max_size=40), label="tags"))
    out, last = [], 0
    for index, m in enumerate(matches):
        if index not in chosen:
            continue
        attrs = [(a.group(1), a.group(2)) for a in ATTRIBUTE.finditer(m.group(2))]
        order = data.draw(st.permutations(range(len(attrs))), label="order")
        rendered = []
        for i in order:
            name, value = attrs[i]
            if value is None:
                rendered.append(name)
                continue
            raw = value[1:-1] if value[0] in "\"'" else value
            quote = data.draw(st.sampled_from(['"', "'"]), label="quote")
            if quote in raw:
                quote = '"' if quote == "'" else "'"
            spacing = data.draw(st.sampled_from(["=", " = ", "=\n"]), label="eq")
            rendered.append(f"{name}{spacing}{quote}{raw}{quote}")
        sep = data.draw(st.sampled_from([" ", "  ", "\n\t"]), label="sep")
        out += [html[last:m.start()], f"<{m.group(1)}{sep}{sep.join(rendered)}{m.group(5)}>"]
        last = m.end()
    out.append(html[last:])
    return "".join(out)


def wrap_elements(data: st.DataObject, html: str) -> str:
    """Wrap block elements in <div>, inline elements and text runs in <span>."""
    root = document(html)
    for _ in range(data.draw(st.integers(1, 10), label="wraps")):
        elements = body_elements(root)
        kind = data.draw(st.sampled_from(["div", "span", "text"]), label="wrap")
        if kind == "div":
            candidates = [e for e in elements if e.tag in BLOCKS and e.getparent().tag in FLOW_PARENTS]
            if not candidates:
                continue
            el = pick(data, candidates, "block")
            wrapper = etree.Element("div", {"class": "wrap"})
        elif kind == "span":
            candidates = [e for e in elements if e.tag in INLINES]
            if not candidates:
                continue
            el = pick(data, candidates, "inline")
            wrapper = etree.Element("span")
        else:
            candidates = [e for e in elements if e.text and e.text.strip()]
            el = pick(data, candidates, "text holder")
            span = etree.Element("span")
            span.text, el.text = el.text, None
            el.insert(0, span)
            continue
        el.addprevious(wrapper)
        wrapper.tail, el.tail = el.tail, None
        wrapper.append(el)
    return serialize(root)


FULL = {c: chr(ord(c) + 0xFEE0) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789()"}
HALF = {v: k for k, v in FULL.items()}


def switch_width(data: st.DataObject, html: str) -> str:
    """Switch ASCII letters, digits and parentheses between half and full width in text nodes (never ① ②)."""
    root = document(html)
    flip = data.draw(st.floats(0.05, 1.0), label="share")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    counter = [seed]

    def swap(text: str) -> str:
        def one(m: re.Match[str]) -> str:
            counter[0] = (counter[0] * 1103515245 + 12345) % 2**31
            if counter[0] / 2**31 >= flip:
                return m.group()
            c = m.group()
            return FULL.get(c) or HALF.get(c, c)

        return WIDTH_SWAPPABLE.sub(one, text)

    for el in body_elements(root):
        if el.text:
            el.text = swap(el.text)
        if el.tail and not in_skipped(el.getparent()):
            el.tail = swap(el.tail)
    return serialize(root)


FORM_CHANGES: dict[str, Callable[[st.DataObject, str], str]] = {
    "whitespace": reflow_whitespace,
    "comments": add_comments,
    "attributes": reorder_attributes,
    "wrapping": wrap_elements,
}


@pytest.mark.parametrize("change", sorted(FORM_CHANGES))
@pytest.mark.parametrize("fixture", FORM_FIXTURES)
@PROFILE
@given(data=st.data())
def test_form_only_changes_keep_the_parse(fixture: str, change: str, data: st.DataObject) -> None:
    original = PARSED[fixture]
    transformed = FORM_CHANGES[change](data, TEXTS[fixture])
    parsed = parse_model_projects(transformed)
    assert parsed == original
    assert compare_model_projects(original, parsed).changes == []


def canonical(page: ModelProjectsPage) -> list:
    """The parse with every text reduced to its compare_key: what width changes must keep."""
    out: list = []
    for y in page.years:
        out.append((y.fiscal_year, compare_key(y.label), y.stated_total))
        for a in y.adoptions:
            out.append((a.identity, compare_key(a.name), a.lg_code, compare_key(a.category), compare_key(a.summary),
                        sorted((compare_key(p.name), p.prefecture, p.municipality, p.lg_code) for p in a.partners)))
    out += [(compare_key(c.name), compare_key(c.definition)) for c in page.categories]
    return out


@pytest.mark.parametrize("fixture", FORM_FIXTURES)
@PROFILE
@given(data=st.data())
def test_width_changes_keep_the_parse(fixture: str, data: st.DataObject) -> None:
    """Width is folded in names, labels and places; texts kept as written differ only in width."""
    original = PARSED[fixture]
    transformed = switch_width(data, TEXTS[fixture])
    parsed = parse_model_projects(transformed)
    assert canonical(parsed) == canonical(original)
    for old_year, new_year in zip(original.years, parsed.years, strict=True):
        assert (new_year.label, [a.identity for a in new_year.adoptions], [a.name for a in new_year.adoptions]) == (
            old_year.label, [a.identity for a in old_year.adoptions], [a.name for a in old_year.adoptions])
    assert compare_model_projects(original, parsed).changes == []
    assert "①" in transformed and "②" in transformed


@pytest.mark.parametrize("fixture", FORM_FIXTURES)
@PROFILE
@given(data=st.data())
def test_form_only_changes_combined(fixture: str, data: st.DataObject) -> None:
    original = PARSED[fixture]
    html = TEXTS[fixture]
    for name in data.draw(st.lists(st.sampled_from(sorted(FORM_CHANGES) + ["width"]), min_size=2, max_size=5),
                          label="changes"):
        html = switch_width(data, html) if name == "width" else FORM_CHANGES[name](data, html)
    parsed = parse_model_projects(html)
    assert canonical(parsed) == canonical(original)
    assert compare_model_projects(original, parsed).changes == []
