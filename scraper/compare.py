"""Comparing two states of a page: what changed in content, as :class:`Change` records.

Texts are compared by :func:`scraper.normalize.compare_key`, so changes of form only
(whitespace, line breaks, full-width vs half-width letters, digits and parentheses)
record nothing. Adoptions are matched by identity (year, prefecture, municipality), not
by position; partners are compared as a set of places. A run loads the stored state,
compares it with the new parse here, and writes the comparison (:mod:`db.store`).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from .model import Adoption, Category, FiscalYear, ModelProjectsPage
from .normalize import compare_key

# The name as written ('石狩市', '北海道石狩市') is not compared: a body is its place (its
# identity), and templates write the same place differently.
ADOPTION_FIELDS = ("lg_code", "category", "summary", "partners")


@dataclass(frozen=True)
class Change:
    """One row of the ``changes`` table."""

    kind: str
    fiscal_year: int | None = None
    name: str | None = None
    field: str | None = None
    old_value: str | None = None
    new_value: str | None = None


def partners_text(adoption: Adoption) -> str | None:
    """Partners as shown: '須崎市、四万十町' (None when there are none)."""
    return "、".join(p.name for p in adoption.partners) or None


def adoption_value(adoption: Adoption, name: str) -> str | None:
    return partners_text(adoption) if name == "partners" else getattr(adoption, name)


def adoption_differences(old: Adoption, new: Adoption) -> list[str]:
    """The fields of ``new`` that differ in content (not merely in form) from ``old``."""
    if old == new:  # what nearly every body of nearly every run is
        return []

    def key(a: Adoption, name: str) -> object:
        if name == "partners":
            return sorted(compare_key(p.prefecture + p.municipality) for p in a.partners)
        return compare_key(getattr(a, name))

    return [f for f in ADOPTION_FIELDS if getattr(old, f) != getattr(new, f) and key(old, f) != key(new, f)]


@dataclass
class YearComparison:
    """One fiscal year of the new page against the stored one."""

    fiscal_year: int
    old: FiscalYear | None  # None: the year is new
    new: FiscalYear
    # Adoptions added (None, new, []) or changed in content (stored, new, fields), in page order.
    adoptions: list[tuple[Adoption | None, Adoption, list[str]]]
    removed: list[Adoption]  # stored adoptions the page no longer lists, in stored order


@dataclass
class Comparison:
    """A new model-projects page against the stored state: what to write, and the changes."""

    old: ModelProjectsPage
    new: ModelProjectsPage
    years: list[YearComparison]  # every year of the new page, in page order
    removed_years: list[FiscalYear]  # stored years the page no longer lists
    changes: list[Change] = field(default_factory=list)


def compare_model_projects(old: ModelProjectsPage, new: ModelProjectsPage) -> Comparison:
    """Compare the stored ``old`` with the parsed ``new``."""
    old_years = {y.fiscal_year: y for y in old.years}
    years = []
    for fy, ny in {y.fiscal_year: y for y in new.years}.items():
        oy = old_years.pop(fy, None)
        stored = {a.identity: a for a in oy.adoptions} if oy else {}
        entries: list[tuple[Adoption | None, Adoption, list[str]]] = []
        for na in ny.adoptions:
            oa = stored.pop(na.identity, None)
            if oa is None:
                entries.append((None, na, []))
            elif fields := adoption_differences(oa, na):
                entries.append((oa, na, fields))
        years.append(YearComparison(fy, oy, ny, entries, list(stored.values())))
    comparison = Comparison(old, new, years, list(old_years.values()))
    comparison.changes = _changes(comparison)
    return comparison


def _describe(adoption: Adoption) -> str:
    """One value that tells a reader what an added or removed body is."""
    parts = [adoption.prefecture + adoption.municipality]
    if adoption.category:
        parts.append(adoption.category)
    if adoption.partners:
        parts.append("連携: " + (partners_text(adoption) or ""))
    text = " / ".join(parts)
    if adoption.summary:
        text += "\n" + adoption.summary
    return text


def _changes(c: Comparison) -> list[Change]:
    changes: list[Change] = []
    for year in sorted(c.years, key=lambda y: y.fiscal_year, reverse=True):
        fy, ny, oy = year.fiscal_year, year.new, year.old
        if oy is None:
            changes.append(Change("year_added", fy, ny.label, "stated_total", None, str(ny.stated_total)))
        elif oy.stated_total != ny.stated_total:
            changes.append(Change("total_changed", fy, ny.label, "stated_total", str(oy.stated_total),
                                  str(ny.stated_total)))
        for oa, na, fields in year.adoptions:
            if oa is None:
                changes.append(Change("adoption_added", fy, na.name, None, None, _describe(na)))
            else:
                changes.extend(Change("adoption_changed", fy, na.name, f, adoption_value(oa, f),
                                      adoption_value(na, f)) for f in fields)
        changes.extend(Change("adoption_removed", fy, oa.name, None, _describe(oa), None) for oa in year.removed)
    for oy in sorted(c.removed_years, key=lambda y: y.fiscal_year, reverse=True):
        changes.append(Change("year_removed", oy.fiscal_year, oy.label, "stated_total", str(oy.stated_total), None))
        changes.extend(Change("adoption_removed", oy.fiscal_year, a.name, None, _describe(a), None)
                       for a in oy.adoptions)
    changes.extend(_category_changes(c.old.categories, c.new.categories))
    return changes


def _category_changes(old: list[Category], new: list[Category]) -> list[Change]:
    old_by = {compare_key(c.name): c for c in old}
    new_by = {compare_key(c.name): c for c in new}
    changes = []
    for key, nc in new_by.items():
        oc = old_by.get(key)
        if oc is None:
            changes.append(Change("category_changed", None, nc.name, "definition", None, nc.definition))
        elif compare_key(oc.definition) != compare_key(nc.definition):
            changes.append(Change("category_changed", None, nc.name, "definition", oc.definition, nc.definition))
    changes.extend(Change("category_changed", None, oc.name, "definition", oc.definition, None)
                   for key, oc in old_by.items() if key not in new_by)
    return changes


def compare_text(source: str, old: str | None, new: str) -> list[Change]:
    """A text_changed change carrying a unified diff of the lines, or nothing."""
    if old is not None and compare_key(old) == compare_key(new):
        return []
    old_lines = old.splitlines() if old is not None else []
    diff = difflib.unified_diff(old_lines, new.splitlines(), "before", "after", n=1, lineterm="")
    return [Change("text_changed", None, source, "text", None, "\n".join(diff))]
