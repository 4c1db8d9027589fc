"""Turn an HTML document into the lines a reader sees.

Parsers in kankei key on a page's wording, not on its markup. Every block-level element,
table cell, list item and ``<br>`` ends a line; inline elements (``<span>``, ``<font>``,
``<a>``…) do not; scripts, styles, comments and the window's ``<title>`` are dropped.
A table layout, a ``<dl>``/``<div>`` layout and an old nested-table page with ``<br>``
line breaks give the same lines for the same content.

Each line also says which table row it sits in and how deep it sits in nested lists: the
parser uses that to tell the cells of one row (北海道 | 石狩市) from a consortium's members
listed under their lead, never to find content.

The tree is built by BeautifulSoup on lxml with ``huge_tree``, so deep nesting and long
text nodes are read in full, and walked with an explicit stack, not recursion.
"""

from __future__ import annotations

from dataclasses import dataclass

from bs4 import BeautifulSoup, CData, NavigableString, Tag

BLOCK_TAGS = frozenset(
    """address article aside blockquote body br caption center dd details dialog dir div dl dt
    fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 head header hgroup hr html legend li
    main menu nav ol p pre section summary table tbody td tfoot th thead tr ul""".split()
)
# <title> is the window's title, not the page's text.
SKIP_TAGS = frozenset({"script", "style", "template", "noscript", "iframe", "object", "svg", "title"})
ZERO_WIDTH = "\u200b\ufeff"


@dataclass(frozen=True, slots=True)
class Line:
    """One visible line: its text (whitespace collapsed), the table row it is in (an id
    unique within the page, None outside tables) and the number of list items around it."""

    text: str
    row: int | None = None
    depth: int = 0


def parse_html(html: str) -> BeautifulSoup:
    """The document tree of decoded HTML (tolerant of broken markup, no depth or size limit)."""
    return BeautifulSoup(html, "lxml", huge_tree=True)


def html_lines(html: str) -> list[str]:
    """The visible lines of an HTML document, as text."""
    return [line.text for line in page_lines(html)]


def page_lines(html: str) -> list[Line]:
    """The visible lines of an HTML document, with their row and list depth."""
    return tag_lines(parse_html(html))


def tag_lines(tag: Tag) -> list[Line]:
    """The visible lines of one element of a parsed document."""
    return _LineWriter().walk(tag)


class _LineWriter:
    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.parts: list[str] = []
        self.rows: list[int] = []  # the open table rows, innermost last
        self.row_count = 0
        self.depth = 0  # open <li> elements
        self.in_pre = 0
        self.line_row: int | None = None
        self.line_depth = 0

    def walk(self, root: Tag) -> list[Line]:
        stack: list[tuple[object, bool]] = [(root, False)]
        while stack:
            node, closing = stack.pop()
            if isinstance(node, Tag):
                if closing:
                    self.end(node.name)
                elif node.name not in SKIP_TAGS:
                    self.start(node.name)
                    stack.append((node, True))
                    stack.extend((child, False) for child in reversed(node.contents))
            elif type(node) in (NavigableString, CData):
                self.text(str(node))
        self.flush()
        return self.lines

    def start(self, name: str) -> None:
        if name in BLOCK_TAGS:
            self.flush()
        if name == "tr":
            self.row_count += 1
            self.rows.append(self.row_count)
        elif name == "li":
            self.depth += 1
        elif name == "pre":
            self.in_pre += 1

    def end(self, name: str) -> None:
        if name in BLOCK_TAGS:
            self.flush()
        if name == "tr" and self.rows:
            self.rows.pop()
        elif name == "li":
            self.depth -= 1
        elif name == "pre":
            self.in_pre -= 1

    def text(self, text: str) -> None:
        if self.in_pre:  # inside <pre>, a source line break is a line break
            first, *rest = text.split("\n")
            self.add(first)
            for piece in rest:
                self.flush()
                self.add(piece)
        else:
            self.add(text)

    def add(self, text: str) -> None:
        if not self.parts:
            self.line_row = self.rows[-1] if self.rows else None
            self.line_depth = self.depth
        self.parts.append(text)

    def flush(self) -> None:
        text = "".join(self.parts)
        self.parts = []
        for char in ZERO_WIDTH:
            text = text.replace(char, "")
        text = " ".join(text.split())  # every kind of whitespace, ideographic space included
        if text:
            self.lines.append(Line(text, self.line_row, self.line_depth))
