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

ADOPTION_FIELDS = ("name", "lg_code", "category", "summary", "partners")


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


def diff_model_projects(old: ModelProjectsPage, new: ModelProjectsPage) -> list[Change]:
    changes: list[Change] = []
    old_years = {y.fiscal_year: y for y in old.years}
    new_years = {y.fiscal_year: y for y in new.years}
    for fy in sorted(new_years, reverse=True):
        ny = new_years[fy]
        oy = old_years.get(fy)
        if oy is None:
            changes.append(Change("year_added", fy, ny.label, "stated_total", None, str(ny.stated_total)))
            changes.extend(Change("adoption_added", fy, a.name, None, None, _describe(a)) for a in ny.adoptions)
            continue
        if oy.stated_total != ny.stated_total:
            changes.append(Change("total_changed", fy, ny.label, "stated_total", str(oy.stated_total), str(ny.stated_total)))
        changes.extend(_diff_year(oy, ny))
    for fy in sorted(set(old_years) - set(new_years), reverse=True):
        oy = old_years[fy]
        changes.append(Change("year_removed", fy, oy.label, "stated_total", str(oy.stated_total), None))
        changes.extend(Change("adoption_removed", fy, a.name, None, _describe(a), None) for a in oy.adoptions)
    changes.extend(_diff_categories(old.categories, new.categories))
    return changes


def _diff_year(old: FiscalYear, new: FiscalYear) -> list[Change]:
    changes = []
    old_by_id = {a.identity: a for a in old.adoptions}
    new_by_id = {a.identity: a for a in new.adoptions}
    for identity, na in new_by_id.items():
        oa = old_by_id.get(identity)
        if oa is None:
            changes.append(Change("adoption_added", new.fiscal_year, na.name, None, None, _describe(na)))
            continue
        for field in adoption_differences(oa, na):
            changes.append(
                Change("adoption_changed", new.fiscal_year, na.name, field,
                       adoption_value(oa, field), adoption_value(na, field))
            )
    for identity, oa in old_by_id.items():
        if identity not in new_by_id:
            changes.append(Change("adoption_removed", old.fiscal_year, oa.name, None, _describe(oa), None))
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
