"""Turn an HTML document into the lines a reader sees.

Parsers in kankei key on a page's textual structure, not on its markup: every
block-level element, table cell, list item and ``<br>`` ends a line, inline
elements (``<span>``, ``<font>``, ``<a>``…) do not, and scripts, styles and comments
are dropped. A table layout, a ``<dl>``/``<div>`` layout and an old nested-table
page with ``<br>`` line breaks all give the same lines for the same content.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from .normalize import clean

BLOCK_TAGS = frozenset(
    """address article aside blockquote body br caption center dd details dialog dir div dl dt
    fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 head header hgroup hr html legend li
    main menu nav noscript ol p pre section summary table tbody td tfoot th thead title tr ul""".split()
)
SKIP_TAGS = frozenset({"script", "style", "template", "noscript", "iframe", "object", "svg"})
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


def parse_document(html: str) -> etree._Element:
    """Parse decoded HTML text with lxml (tolerant of broken markup)."""
    html = _XML_DECL.sub("", html, count=1)
    if not html.strip():
        return lxml.html.document_fromstring("<html><body></body></html>")
    try:
        return lxml.html.document_fromstring(html)
    except etree.ParserError:  # nothing but a stray "<!" or a comment: an empty document
        return lxml.html.document_fromstring("<html><body></body></html>")


def element_lines(root: etree._Element) -> list[str]:
    """The visible lines of ``root``: whitespace-collapsed, empty lines dropped."""
    parts: list[str] = []
    _walk(root, parts)
    lines = []
    for raw in "".join(parts).split("\n"):
        if not raw or raw.isspace():  # most segments: the gaps between blocks
            continue
        line = clean(raw)
        if line:
            lines.append(line)
    return lines


def _text(text: str, pre: bool) -> str:
    """A text node as rendered: outside <pre>, a line break in the source is only a space."""
    return text if pre else text.replace("\r", " ").replace("\n", " ")


def _walk(el: etree._Element, parts: list[str], pre: bool = False) -> None:
    tag = el.tag
    if isinstance(tag, str):
        tag = tag.lower()
        if tag in SKIP_TAGS:
            return
        block = tag in BLOCK_TAGS
        pre = pre or tag == "pre"
        if block:
            parts.append("\n")
        if el.text:
            parts.append(_text(el.text, pre))
        for child in el:
            _walk(child, parts, pre)
            if child.tail:
                parts.append(_text(child.tail, pre))
        if block:
            parts.append("\n")
    # comments and processing instructions contribute nothing but their tail,
    # which the parent appends


def html_lines(html: str) -> list[str]:
    """The visible lines of an HTML document's ``<body>`` (or the whole document)."""
    root = parse_document(html)
    body = root.find("body")
    return element_lines(body if body is not None else root)
