"""The reports' wording: one message table per language, and :func:`plural`.

A message is a ``str.format`` pattern, or a pair (one, many) chosen by its ``n``.
Templates call :class:`Messages` as ``t("key", name=…)``; in HTML the arguments are
escaped and the pattern is trusted (see :meth:`Messages.html`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

LANGUAGES = ("en", "ja")

Message = str | tuple[str, str]

EN: dict[str, Message] = {
    "title": "kankei report: {range}",
    "range_run": "run {run}",
    "range_since": "runs since {since}",
    "range_latest_one": "the latest run with changes",
    "range_latest_one_run": "the latest run with changes (run {run})",
    "range_latest_n": "the latest {n} runs with changes",
    "generated": "Generated {time}.",
    "source_portal": "Source: the ministry's 関係人口 portal{links}.",
    "link_sep": ", ",
    "no_changes_run": "No changes in run {run}.",
    "no_changes_since": ("No changes since {since} ({n} run checked).", "No changes since {since} ({n} runs checked)."),
    "no_changes_yet": "No changes recorded yet.",
    "run_heading": ("Run {run} · {time} · {n} change", "Run {run} · {time} · {n} changes"),
    "initial_load_mark": " · initial load",
    "snapshot_md": "Source {source}: {url} (snapshot #{id}, {path})",
    "snapshot_html": "Source {source}: {url} · {stored} (fetched {time})",
    "stored_snapshot": "stored snapshot #{id}",
    "initial_load": "Initial load of {source}",
    "initial_load_text": ": {summary}. Listed in full by {command}.",
    "fiscal_years": ("{n} fiscal year ({listed})", "{n} fiscal years ({listed})"),
    "year_total": "{label} 全{n}団体",
    "bodies": ("{n} adopted body", "{n} adopted bodies"),
    "categories": ("{n} category", "{n} categories"),
    "page_text_lines": "page text ({n} lines)",
    "records": "{n} records",
    "list_sep": ", ",
    "year_heading": "FY{fy} {label}",
    "year_heading_bare": "FY{fy}",
    "other_heading": "Categories and other pages",
    "year_added_heading": "{heading} — new fiscal year (全{n}団体)",
    "year_removed_heading": "{heading} — fiscal year removed (was 全{n}団体)",
    "stated_total": "Stated total: 全{old}団体 → 全{new}団体",
    "added_title": "Added ({n})",
    "removed_title": "Removed ({n})",
    "changed_title": "Changed ({n})",
    "adoption_changed": "{name}: {field}",
    "edit_label": "edit:",
    "old_label": "old:",
    "new_label": "new:",
    "none": "(none)",
    "category_added": "Category {name}: added",
    "category_removed": "Category {name}: removed",
    "category_changed": "Category {name}: definition changed",
    "text_changed": "Page text of {name} changed:",
    "feed_title": "kankei: changes to the 関係人口 model-project adoptions",
    "feed_subtitle": "Changes detected on the MIC 関係人口 portal ({range})",
    "headline": "Run {run}: {parts}",
    "headline_sep": "; ",
    "initial_headline": "initial load of {source}: {years} fiscal years, {bodies} bodies",
    "initial_headline_bare": "initial load of {source}",
    "year_added_headline": "new fiscal year {name} (全{n}団体)",
    "year_removed_headline": "fiscal year {name} removed",
    "bodies_added": ("{n} body added", "{n} bodies added"),
    "bodies_removed": ("{n} body removed", "{n} bodies removed"),
    "bodies_changed": ("{n} body changed", "{n} bodies changed"),
    "totals_changed": ("{n} stated total changed", "{n} stated totals changed"),
    "categories_changed": ("{n} category changed", "{n} categories changed"),
    "page_text_changed": "page text changed",
}

FIELDS_EN: dict[str, str] = {}  # English reports show the column name as stored (summary, partners, …)

TABLES: dict[str, dict[str, Message]] = {"en": EN}
FIELD_NAMES: dict[str, dict[str, str]] = {"en": FIELDS_EN}


def plural(n: int, one: str, many: str) -> str:
    """``one`` for exactly one, else ``many``."""
    return one if n == 1 else many


@dataclass(frozen=True)
class Messages:
    """One language's messages, filled in by :meth:`__call__`."""

    lang: str
    escape: Callable[[Any], Any] | None = None  # set by :meth:`html`

    def __call__(self, key: str, **values: Any) -> Any:
        pattern = TABLES[self.lang][key]
        if isinstance(pattern, tuple):
            pattern = plural(values["n"], *pattern)
        if self.escape is None:
            return pattern.format(**values)
        return self.escape(pattern).format(**values)

    def field(self, name: str | None) -> str:
        """A changed field's name for a reader (``summary`` → 事業概要 in Japanese)."""
        return FIELD_NAMES[self.lang].get(name or "", name or "")

    def html(self) -> Messages:
        """The same messages for HTML: the pattern is markup, every value is escaped."""
        from markupsafe import Markup

        return Messages(self.lang, Markup)
