"""Parser ``text``: the main text of any page, for sources without a dedicated parser.

The main content is ``<main>`` (or ``role="main"``, or the element with id ``main``,
``contents`` or ``content``), else ``<body>`` without its ``<nav>``, ``<header>`` and
``<footer>``. The result is one visible line per text line.
"""

from __future__ import annotations

from ..errors import ParseError
from ..html_lines import parse_html, tag_lines
from ..model import TextPage
from ..normalize import clean

MAIN_IDS = ("main", "contents", "content")


def parse_text(html: str) -> TextPage:
    soup = parse_html(html)
    title = clean(soup.title.get_text()) if soup.title else ""
    main = soup.find("main") or soup.find(attrs={"role": "main"})
    for main_id in MAIN_IDS:
        main = main or soup.find(id=main_id)
    if main is None:
        main = soup.body or soup
        for chrome in main.find_all(["nav", "header", "footer"]):
            chrome.decompose()
    lines = [line.text for line in tag_lines(main)]
    if not lines:
        raise ParseError("the page has no visible text")
    return TextPage(title=title, text="\n".join(lines))
