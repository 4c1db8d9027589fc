"""What a run did: one :class:`SourceResult` per source, gathered in a :class:`RunResult`.

Printed by ``kankei run``, stored as ``runs.summary`` and read by the notifications.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scraper.compare import Change


@dataclass
class SourceResult:
    source: str
    status: str  # 'fetched', 'unchanged' or 'failed'
    changes: list[Change] = field(default_factory=list)
    message: str = ""
    snapshot_id: int | None = None
    http_status: int | None = None
    consecutive_failures: int = 0
    warnings: list[str] = field(default_factory=list)
    initial: bool = False  # the first successful load of this source into the database
    accepted_removals: str | None = None  # what the user confirmed with --accept-removals
    previous_failures: int = 0  # consecutive failures before this run (for recovery notices)
    document_errors: dict[str, list[str]] = field(default_factory=dict)  # url -> [text_status, message]

    @property
    def counts(self) -> Counter[str]:
        return Counter(c.kind for c in self.changes)

    def line(self) -> str:
        """The one line ``kankei run`` prints for this source."""
        if self.status == "failed":
            return f"{self.source}: failed: {self.message}"
        if self.status == "unchanged":
            if self.changes:  # the page answered 304, its documents changed
                detail = ", ".join(f"{n} {kind}" for kind, n in sorted(self.counts.items()))
                return f"{self.source}: unchanged ({self.message}); documents: {len(self.changes)} changes ({detail})"
            return f"{self.source}: unchanged ({self.message})"
        if not self.changes:
            return f"{self.source}: fetched, no changes"
        if self.initial:
            detail = ", ".join(f"{n} {kind}" for kind, n in sorted(self.counts.items()))
            return f"{self.source}: fetched, initial load ({detail})"
        detail = ", ".join(f"{n} {kind}" for kind, n in sorted(self.counts.items()))
        plural = "s" if len(self.changes) != 1 else ""
        return f"{self.source}: fetched, {len(self.changes)} change{plural} ({detail})"


@dataclass
class RunResult:
    run_id: int
    sources: list[SourceResult]

    @property
    def ok(self) -> bool:
        return all(s.status != "failed" for s in self.sources)

    @property
    def changes(self) -> list[Change]:
        return [c for s in self.sources for c in s.changes]

    def summary(self) -> dict[str, Any]:
        """``runs.summary``: per source its status, as a bare string when that is all there is to say
        (``"unchanged"``; ``"fetched"`` with no change), else ``{"status", "changes", "error"}``."""
        out: dict[str, Any] = {}
        for s in self.sources:
            entry: dict[str, Any] = {"status": s.status}
            if s.changes:
                entry["changes"] = dict(s.counts)
            if s.status == "failed":
                entry["error"] = s.message
            if s.accepted_removals:
                entry["accepted_removals"] = s.accepted_removals
            if s.document_errors:
                entry["document_errors"] = s.document_errors
            out[s.source] = entry if len(entry) > 1 else s.status
        return out
