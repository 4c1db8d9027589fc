"""One-line renderings of changes for the terminal (``kankei run``/``kankei demo``)."""

from __future__ import annotations

from scraper.compare import Change

from .report.textdiff import compact_diff

SYMBOLS = {
    "year_added": "+",
    "adoption_added": "+",
    "year_removed": "-",
    "adoption_removed": "-",
    "adoption_changed": "~",
    "total_changed": "~",
    "category_changed": "~",
    "text_changed": "~",
    "document_added": "+",
    "document_removed": "-",
    "document_changed": "~",
    "discrepancy_found": "!",
    "discrepancy_resolved": "✓",
}
DISCREPANCIES = {"missing_from_document": "on the page but not in the document",
                 "missing_from_page": "in the document but not on the page"}


def shorten(text: str | None, width: int = 60) -> str:
    if text is None:
        return "∅"
    one = " ".join(text.split())
    return one if len(one) <= width else one[: width - 1] + "…"


def change_line(c: Change) -> str:
    """A one-line description of a change, in the page's own wording."""
    where = f"FY{c.fiscal_year} " if c.fiscal_year else ""
    symbol = SYMBOLS.get(c.kind, "?")
    if c.kind == "year_added":
        return f"{symbol} {where}{c.name}: new fiscal year (全{c.new_value}団体)"
    if c.kind == "year_removed":
        return f"{symbol} {where}{c.name}: fiscal year removed (was 全{c.old_value}団体)"
    if c.kind == "adoption_added":
        return f"{symbol} {where}{c.name}: adopted body added"
    if c.kind == "adoption_removed":
        return f"{symbol} {where}{c.name}: adopted body removed"
    if c.kind == "total_changed":
        return f"{symbol} {where}{c.name}: stated total 全{c.old_value}団体 → 全{c.new_value}団体"
    if c.kind == "text_changed":
        lines = (c.new_value or "").splitlines()
        added = sum(1 for line in lines if line.startswith("+") and not line.startswith("+++"))
        removed = sum(1 for line in lines if line.startswith("-") and not line.startswith("---"))
        return f"{symbol} {c.name}: page text changed (+{added} -{removed} lines)"
    if c.kind in ("document_added", "document_removed"):
        return f"{symbol} {where}document {c.kind.split('_')[1]}: {c.name} ({c.field})"
    if c.kind == "document_changed":
        lines = (c.new_value or "").splitlines()
        if not (c.new_value or "").startswith("---"):
            return f"{symbol} {where}document changed: {c.name} ({c.field}): {shorten(c.new_value)}"
        added = sum(1 for line in lines if line.startswith("+") and not line.startswith("+++"))
        removed = sum(1 for line in lines if line.startswith("-") and not line.startswith("---"))
        return f"{symbol} {where}document changed: {c.name} ({c.field}): text +{added} -{removed} lines"
    if c.kind == "discrepancy_found":
        return f"{symbol} {where}{c.name}: {DISCREPANCIES.get(c.new_value or '', c.new_value)} ({c.field})"
    if c.kind == "discrepancy_resolved":
        return f"{symbol} {where}{c.name}: discrepancy resolved (was {DISCREPANCIES.get(c.old_value or '', c.old_value)})"
    if c.old_value and c.new_value and max(len(c.old_value), len(c.new_value)) > 60:
        return f"{symbol} {where}{c.name}: {c.field}: {inline_diff(c.old_value, c.new_value)}"
    return f"{symbol} {where}{c.name}: {c.field}: {shorten(c.old_value)} → {shorten(c.new_value)}"


def inline_diff(old: str, new: str, width: int = 100) -> str:
    """The report's character-level diff on one line: '…収穫体験{+・加工体験+}などの…'."""
    line = compact_diff(old, new)
    return line if len(line) <= width else line[: width - 1] + "…"
