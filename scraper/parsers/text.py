"""Parser ``text``: the main text of any page, for sources without a dedicated parser.

The main content is ``<main>`` (or ``role="main"``, or the element with id ``main``,
``contents`` or ``content``), else ``<body>`` without its ``<nav>``, ``<header>`` and
``<footer>``. The result is one visible line per text line.
"""

from __future__ import annotations

from ..errors import ParseError
from ..html_lines import element_lines, parse_document
from ..model import TextPage
from ..normalize import clean

MAIN_XPATHS = (
    "//main",
    "//*[@role='main']",
    "//*[@id='main']",
    "//*[@id='contents']",
    "//*[@id='content']",
)


def parse_text(html: str) -> TextPage:
    root = parse_document(html)
    title_el = root.find(".//title")
    title = clean("".join(title_el.itertext())) if title_el is not None else ""
    main = None
    for xpath in MAIN_XPATHS:
        found = root.xpath(xpath)
        if found:
            main = found[0]
            break
    if main is None:
        main = root.find("body")
        if main is None:
            main = root
        for el in main.xpath(".//nav|.//header|.//footer"):
            _drop(el)
    lines = element_lines(main)
    if not lines:
        raise ParseError("the page has no visible text")
    return TextPage(title=title, text="\n".join(lines))


def _drop(el) -> None:
    """Remove ``el`` and its content, keeping the text that follows it."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)
