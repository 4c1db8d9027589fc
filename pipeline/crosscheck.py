"""The cross-check: a year's adopted bodies on the page against that year's adoption list document.

Pure functions; storing what they find is the caller's job.

- :func:`is_adoption_list` decides whether a document is a year's adoption list (採択団体一覧, a
  press release's 別紙): its link text contains 採択 and it sits in that year's section of the
  page, or its first page states a fiscal year and 採択. A results report that names many towns
  is not one, and is never compared.
- :func:`discrepancies` compares the bodies the document names (:func:`scraper.lgcode.names_in_text`)
  with the year's adoptions by (prefecture, municipality): an adopted body the document does not
  name is ``missing_from_document``; a body the document names that the page lists neither as
  adopted nor as a partner (【】 partner or consortium member) is ``missing_from_page``.
"""

from __future__ import annotations

import re

from scraper.lgcode import names_in_text
from scraper.model import Adoption, Discrepancy
from scraper.normalize import compare_key
from scraper.parsers.model_projects import gregorian_year

SAITAKU = "採択"
FISCAL_YEAR = re.compile(r"(?P<era>令和|平成)(?P<num>元|\d{1,2})年度")


def is_adoption_list(link_text: str | None, fiscal_year_of_section: int | None, first_page_text: str | None) -> int | None:
    """The fiscal year whose adoption list the document is, or None when it is not one."""
    if fiscal_year_of_section is not None and SAITAKU in compare_key(link_text):
        return fiscal_year_of_section
    first_page = compare_key(first_page_text)
    if SAITAKU in first_page and (m := FISCAL_YEAR.search(first_page)):
        return gregorian_year(m["era"], m["num"])
    return None


def discrepancies(adoptions: list[Adoption], document_text: str) -> list[Discrepancy]:
    """What differs between a year's adoptions (from the page) and its adoption list's text.

    Bodies missing from the document come first, in page order, then bodies missing from the
    page, in document order. A document that names no local government at all (a cover sheet,
    a text layer with headings only) is not a list to compare with: it gives no discrepancies.
    """
    named = {(place.prefecture, place.municipality): place for place in names_in_text(document_text)}
    if not named:
        return []
    on_page = {(a.prefecture, a.municipality) for a in adoptions}
    on_page |= {(p.prefecture, p.municipality) for a in adoptions for p in a.partners}
    found = [
        Discrepancy("missing_from_document", a.name, a.prefecture, a.municipality, a.lg_code)
        for a in adoptions
        if (a.prefecture, a.municipality) not in named
    ]
    found += [
        Discrepancy("missing_from_page", place.full_name, place.prefecture, place.municipality, place.lg_code)
        for key, place in named.items()
        if key not in on_page
    ]
    return found
