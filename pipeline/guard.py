"""The mass-removal guard: a page that would remove much is refused until a person confirms it.

The stated totals catch a page the parser does not understand; this catches a page it does
understand that says something drastic: a whole fiscal year gone, more than a fifth of a
year's bodies gone (one body alone is an ordinary correction, even in a small year), or
every year at 全0団体. Such a page fails its source and nothing is
written; ``kankei run --accept-removals`` records it, and the run notes the confirmation.
"""

from __future__ import annotations

from scraper.errors import KankeiError
from scraper.model import ModelProjectsPage

SHARE = 0.2  # more than this share of a year's bodies removed at once is refused


def refused_removals(old: ModelProjectsPage, new: ModelProjectsPage) -> str | None:
    """Why storing ``new`` over ``old`` needs a person's confirmation, or None."""
    if new.years and all(year.stated_total == 0 for year in new.years):
        return "every fiscal year on the page states 全0団体"
    new_years = {year.fiscal_year: year for year in new.years}
    reasons = []
    for year in old.years:
        if not year.adoptions:
            continue
        kept = new_years.get(year.fiscal_year)
        if kept is None:
            reasons.append(f"the whole of {year.label} (FY{year.fiscal_year}, {len(year.adoptions)} bodies)")
            continue
        still = {adoption.identity for adoption in kept.adoptions}
        removed = sum(adoption.identity not in still for adoption in year.adoptions)
        if removed > 1 and removed > SHARE * len(year.adoptions):
            reasons.append(f"{removed} of the {len(year.adoptions)} bodies of {year.label}")
    if not reasons:
        return None
    return "the page would remove " + " and ".join(reasons)


class RemovalsRefused(KankeiError):
    """A page that would remove much, stored only with ``kankei run --accept-removals``."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"refused: {reason}; nothing was stored. Check the page, then record it with "
                         "`kankei run --accept-removals`")
