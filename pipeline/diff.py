"""Semantic change detection: compare a new parse with the stored state.

Texts are compared by :func:`scraper.normalize.compare_key`, so changes of form only
(whitespace, line breaks, full-width vs half-width letters, digits and parentheses)
record nothing. Partners are compared as a set of places.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from scraper.model import Adoption, Category, FiscalYear, ModelProjectsPage
from scraper.normalize import compare_key

# The name as written ('石狩市', '北海道石狩市') is not compared: a body is its place (its
# identity), and templates write the same place differently.
ADOPTION_FIELDS = ("lg_code", "category", "summary", "partners")


@dataclass(frozen=True)
class Change:
    kind: str
    fiscal_year: int | None = None
    name: str | None = None
    field: str | None = None
    old_value: str | None = None
    new_value: str | None = None


def partners_text(adoption: Adoption) -> str | None:
    """Partners as shown: '須崎市、四万十町' (None when there are none)."""
    return "、".join(p.name for p in adoption.partners) or None


def _partners_key(adoption: Adoption) -> tuple[str, ...]:
    return tuple(sorted(compare_key(p.prefecture + p.municipality) for p in adoption.partners))


def adoption_value(adoption: Adoption, field: str) -> str | None:
    if field == "partners":
        return partners_text(adoption)
    return getattr(adoption, field)


def adoption_differences(old: Adoption, new: Adoption) -> list[str]:
    """The fields of ``new`` that differ in content (not merely in form) from ``old``."""
    if old == new:  # the common case, decided at once
        return []
    fields = []
    for field in ADOPTION_FIELDS:
        if field == "partners":  # equal lists are equal in content: skip the keys (most bodies, most runs)
            if old.partners != new.partners and _partners_key(old) != _partners_key(new):
                fields.append(field)
        else:
            before, after = getattr(old, field), getattr(new, field)
            if before != after and compare_key(before) != compare_key(after):
                fields.append(field)
    return fields


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


@dataclass
class YearComparison:
    """One fiscal year of a parse compared with the stored state, adoption by adoption.

    Computed once per parse by :func:`compare_years`; both the change rows
    (:func:`diff_model_projects`) and the writes (:func:`db.store.apply_model_projects`)
    are derived from it.
    """

    fiscal_year: int
    old: FiscalYear | None  # the stored year; None when the year is new
    new: FiscalYear
    # Adoptions added (None, new, []) or changed in content (stored, new, fields), in page order.
    adoptions: list[tuple[Adoption | None, Adoption, list[str]]]
    removed: list[Adoption]  # stored adoptions the page no longer lists, in stored order


def compare_years(old: ModelProjectsPage, new: ModelProjectsPage) -> list[YearComparison]:
    """Every fiscal year of ``new`` (in page order) against the stored ``old``."""
    old_years = {y.fiscal_year: y for y in old.years}
    out = []
    for fy, ny in {y.fiscal_year: y for y in new.years}.items():
        oy = old_years.get(fy)
        if oy is None:
            out.append(YearComparison(fy, None, ny, [(None, a, []) for a in ny.adoptions], []))
            continue
        entries = _same_bodies(oy.adoptions, ny.adoptions)
        if entries is not None:
            out.append(YearComparison(fy, oy, ny, entries, []))
            continue
        old_by_id = {a.identity: a for a in oy.adoptions}
        entries = []
        for na in ny.adoptions:
            oa = old_by_id.pop(na.identity, None)
            if oa is None:
                entries.append((None, na, []))
            elif fields := adoption_differences(oa, na):
                entries.append((oa, na, fields))
        out.append(YearComparison(fy, oy, ny, entries, list(old_by_id.values())))
    return out


def _same_bodies(old: list[Adoption], new: list[Adoption]) -> list[tuple[Adoption | None, Adoption, list[str]]] | None:
    """The changed adoptions when ``new`` lists the same bodies as ``old`` in the same order (the
    usual case, compared pairwise without matching identities); None otherwise."""
    if len(old) != len(new):
        return None
    # Equal adoptions (most, in most runs) are decided at once; the very same object (a rebuild's
    # worker passes a body unchanged since its previous parse on as that parse's object) without a look.
    same = [a is b or a == b for a, b in zip(old, new)]
    if all(same):
        return []
    entries: list[tuple[Adoption | None, Adoption, list[str]]] = []
    for oa, na, equal in zip(old, new, same):
        if equal:
            continue
        if oa.identity != na.identity:
            return None
        fields = adoption_differences(oa, na)
        if fields:
            entries.append((oa, na, fields))
    return entries


def diff_model_projects(old: ModelProjectsPage, new: ModelProjectsPage,
                        years: list[YearComparison] | None = None) -> list[Change]:
    """The changes from ``old`` to ``new``; ``years``: :func:`compare_years` of the two, when already computed."""
    if years is None:
        years = compare_years(old, new)
    changes: list[Change] = []
    for year in sorted(years, key=lambda y: y.fiscal_year, reverse=True):
        fy, ny, oy = year.fiscal_year, year.new, year.old
        if oy is None:
            changes.append(Change("year_added", fy, ny.label, "stated_total", None, str(ny.stated_total)))
        elif oy.stated_total != ny.stated_total:
            changes.append(Change("total_changed", fy, ny.label, "stated_total", str(oy.stated_total), str(ny.stated_total)))
        for oa, na, fields in year.adoptions:
            if oa is None:
                changes.append(Change("adoption_added", fy, na.name, None, None, _describe(na)))
            else:
                changes.extend(Change("adoption_changed", fy, na.name, field, adoption_value(oa, field),
                                      adoption_value(na, field)) for field in fields)
        changes.extend(Change("adoption_removed", fy, oa.name, None, _describe(oa), None) for oa in year.removed)
    new_years = {y.fiscal_year for y in years}
    for oy in sorted((y for y in old.years if y.fiscal_year not in new_years), key=lambda y: y.fiscal_year,
                     reverse=True):
        changes.append(Change("year_removed", oy.fiscal_year, oy.label, "stated_total", str(oy.stated_total), None))
        changes.extend(Change("adoption_removed", oy.fiscal_year, a.name, None, _describe(a), None)
                       for a in oy.adoptions)
    if old.categories != new.categories:
        changes.extend(_diff_categories(old.categories, new.categories))
    return changes


def _diff_categories(old: list[Category], new: list[Category]) -> list[Change]:
    changes = []
    old_by = {compare_key(c.name): c for c in old}
    new_by = {compare_key(c.name): c for c in new}
    for key, nc in new_by.items():
        oc = old_by.get(key)
        if oc is None:
            changes.append(Change("category_changed", None, nc.name, "definition", None, nc.definition))
        elif compare_key(oc.definition) != compare_key(nc.definition):
            changes.append(Change("category_changed", None, nc.name, "definition", oc.definition, nc.definition))
    for key, oc in old_by.items():
        if key not in new_by:
            changes.append(Change("category_changed", None, oc.name, "definition", oc.definition, None))
    return changes


def diff_text(source: str, old: str | None, new: str) -> list[Change]:
    """A text_changed change carrying a unified diff of the lines, or nothing."""
    if old is not None and compare_key(old) == compare_key(new):
        return []
    old_lines = old.splitlines() if old is not None else []
    diff = difflib.unified_diff(old_lines, new.splitlines(), "before", "after", n=1, lineterm="")
    return [Change("text_changed", None, source, "text", None, "\n".join(diff))]
