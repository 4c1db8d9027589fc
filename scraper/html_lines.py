"""Turn an HTML document into the lines a reader sees.

Parsers in kankei key on a page's textual structure, not on its markup: every
block-level element, table cell, list item and ``<br>`` ends a line, inline
elements (``<span>``, ``<font>``, ``<a>``…) do not, and scripts, styles, comments
and the window's ``<title>`` are dropped. A table layout, a ``<dl>``/``<div>`` layout and an old nested-table
page with ``<br>`` line breaks all give the same lines for the same content.
"""

from __future__ import annotations

import copy
import re
import threading

from lxml import etree


BLOCK_TAGS = frozenset(
    """address article aside blockquote body br caption center dd details dialog dir div dl dt
    fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 head header hgroup hr html legend li
    main menu nav noscript ol p pre section summary table tbody td tfoot th thead tr ul""".split()
)
# <title> is the window's title, not the page's text (and a <head> holds nothing else with text).
SKIP_TAGS = frozenset({"script", "style", "template", "noscript", "iframe", "object", "svg", "title"})
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


# Marks a line break: a private-use character, so it can neither occur in the ministry's
# pages nor be confused with a source line break (which renders as a space outside <pre>).
_BREAK = "\ue000"
_ZERO_WIDTH = "\u200b"

# Flattening in libxslt (C): skipped elements and comments vanish, every block element
# is framed by break marks, text is copied into one result element. About a tenth of the
# time of a Python walk.
_FLATTEN_XSL = f"""<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="xml" encoding="UTF-8"/>
<xsl:template match="/"><r><xsl:apply-templates/></r></xsl:template>
<xsl:template match="{"|".join(sorted(SKIP_TAGS))}|comment()|processing-instruction()"/>
<xsl:template match="{"|".join(sorted(BLOCK_TAGS - SKIP_TAGS))}">&#xE000;<xsl:apply-templates/>&#xE000;</xsl:template>
</xsl:stylesheet>"""
_local = threading.local()  # an XSLT object per thread: lxml does not share them across threads


def _flatten(root: etree._Element) -> str:
    transform = getattr(_local, "flatten", None)
    if transform is None:
        transform = _local.flatten = etree.XSLT(etree.XML(_FLATTEN_XSL))
    # The text is collected under one result element and read as its .text: no serialising.
    return transform(root).getroot().text or ""


def parse_document(html: str) -> etree._Element:
    """Parse decoded HTML text with libxml2's HTML parser (tolerant of broken markup).

    Returns the root element; a document with nothing in it gives an empty ``<html>``.
    """
    html = _XML_DECL.sub("", html, count=1)
    root = None
    if html and not html.isspace():
        try:
            root = etree.fromstring(html, _html_parser())
        except etree.XMLSyntaxError:  # nothing but a stray "<!" or a comment
            root = None
    if root is None:
        root = etree.fromstring("<html><body></body></html>", _html_parser())
    return root


def _html_parser() -> etree.HTMLParser:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.HTMLParser()
    return parser


def element_lines(root: etree._Element) -> list[str]:
    """The visible lines of ``root``: whitespace-collapsed, empty lines dropped."""
    for pre in root.iter("pre"):  # inside <pre>, a source line break is a line break
        for el in pre.iter():
            if el.text:
                el.text = el.text.replace("\n", _BREAK)
            if el.tail and el is not pre:
                el.tail = el.tail.replace("\n", _BREAK)
    if root.getparent() is not None:  # transform just this element, not its whole document
        root = copy.deepcopy(root)
    return _split_lines(_flatten(root))


def _split_lines(flat: str) -> list[str]:
    """The lines of flattened text: split at the break marks, zero-width spaces dropped,
    whitespace collapsed, empty lines dropped."""
    if _ZERO_WIDTH in flat:
        flat = flat.replace(_ZERO_WIDTH, "")
    # str.split() collapses every kind of whitespace (ideographic and no-break spaces too); done
    # once over the whole text (the break mark is not whitespace), then each line loses the
    # single space left at either end: the same lines as splitting each line, in fewer calls.
    return list(filter(None, map(str.strip, " ".join(flat.split()).split(_BREAK))))


def html_lines(html: str) -> list[str]:
    """The visible lines of an HTML document.

    The ``<head>`` gives none (its title is skipped, its other elements have no text),
    but it is not dropped: libxml2 leaves body content inside an unclosed ``<head>`` when
    an element it does not know (such as ``<main>``) comes first, and that text counts.
    """
    return element_lines(parse_document(html))
