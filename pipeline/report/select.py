"""Which changes a report shows: the runs in a range with their changes, read-only.

:func:`select_changes` reads the runs in a range with their changes into a
:class:`ReportData`. Ranges: one run (``--run N``), every run that started on or after
a moment (``--since``), or by default the latest run that found changes (Atom: the latest
:data:`ATOM_DEFAULT_RUNS` such runs, since a feed is a window over recent runs).

The first load of a source into the database (every fiscal year and body "added") is
marked ``initial_load``.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from db.runs import utcnow
from scraper.errors import KankeiError

from ..config import DEFAULT_TIMEZONE

REPORT_VERSION = 1
ATOM_DEFAULT_RUNS = 20

ANNOUNCEMENT_KINDS = ("announcement_added",)
DOCUMENT_KINDS = ("document_added", "document_removed", "document_changed")
DISCREPANCY_KINDS = ("discrepancy_found", "discrepancy_resolved")
YEAR_KIND_ORDER = ("year_added", "year_removed", "total_changed", "adoption_added", "adoption_removed",
                   "adoption_changed")

_ID_NAMESPACE = uuid.UUID("6f1d4c1e-8a51-4a8e-9a8e-6b616e6b6569")  # kankei's namespace for database ids


class ReportRangeError(KankeiError):
    """The requested range does not exist (unknown run, unreadable date, both --run and --since)."""


@dataclass
class SnapshotRef:
    id: int
    url: str
    fetched_at: str
    http_status: int
    sha256: str
    path: str  # relative to the snapshot folder


@dataclass
class ReportChange:
    id: int
    kind: str
    detected_at: str
    fiscal_year: int | None
    fiscal_year_label: str | None
    name: str | None
    field: str | None
    old_value: str | None
    new_value: str | None
    source: str | None
    source_url: str | None
    initial_load: bool
    snapshot: SnapshotRef | None


@dataclass
class ReportRun:
    run_id: int
    started_at: str
    finished_at: str | None
    status: str
    initial_load_sources: list[str]
    changes: list[ReportChange]

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(c.kind for c in self.changes))

    @property
    def updated(self) -> str:
        return self.finished_at or self.started_at


@dataclass(frozen=True)
class AdoptionCount:
    """How many bodies of one prefecture the page lists for one fiscal year and type."""

    fiscal_year: int
    label: str | None  # 令和2年度
    prefecture: str
    category: str  # '' where the page states no type
    count: int


@dataclass
class ReportData:
    generated_at: str
    database_id: str
    range: dict[str, Any]
    sources: dict[str, str]
    runs: list[ReportRun]
    snapshots_root: Path | None = field(default=None, repr=False)  # for HTML links; not in JSON
    adoptions: list[AdoptionCount] = field(default_factory=list, repr=False)  # the HTML pictures; not in JSON
    document_names: dict[str, str] = field(default_factory=dict, repr=False)  # document URL -> link text; not in JSON
    years_on_page: dict[int, set[int]] = field(default_factory=dict, repr=False)  # run -> fiscal years listed then

    def document_name(self, url: str | None) -> str:
        """A document as a reader knows it: its link text, else its URL."""
        return self.document_names.get(url or "") or url or ""

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON structure (see :mod:`pipeline.report`)."""
        return {
            "kankei_report_version": REPORT_VERSION,
            "generated_at": self.generated_at,
            "database_id": self.database_id,
            "range": dict(self.range),
            "sources": dict(self.sources),
            "runs": [
                {
                    "run_id": r.run_id,
                    "started_at": r.started_at,
                    "finished_at": r.finished_at,
                    "status": r.status,
                    "initial_load_sources": list(r.initial_load_sources),
                    "counts": r.counts,
                    "changes": [asdict(c) for c in r.changes],
                }
                for r in self.runs
            ],
        }

    @property
    def change_count(self) -> int:
        return sum(len(r.changes) for r in self.runs)


def database_id(conn: sqlite3.Connection) -> str:
    """The database's identity for feed and entry ids, read without writing.

    A database that an earlier kankei's report gave a random id (``meta.database_id``)
    keeps it, so existing feeds keep their ids. Otherwise the id is a name-based UUID of
    the database's first fetch (its run's start, URL and page hash): every report of the
    database gives the same id, a rebuild keeps it (it keeps runs and snapshots), and two
    databases differ unless their first fetch was the same page at the same second.
    """
    row = conn.execute("SELECT value FROM meta WHERE key = 'database_id'").fetchone()
    if row:
        return str(row[0])
    first = conn.execute(
        "SELECT r.started_at, s.url, s.sha256 FROM snapshots s JOIN runs r ON r.id = s.run_id "
        "ORDER BY s.id LIMIT 1").fetchone()
    return str(uuid.uuid5(_ID_NAMESPACE, "\n".join(str(v) for v in first) if first else "empty"))


def parse_since(value: str, now: dt.datetime | None = None, tz: str = DEFAULT_TIMEZONE) -> str:
    """``--since`` as a UTC timestamp like the stored ones.

    Accepts a date (``2026-03-01``: midnight in ``tz``), an ISO date-time (without an
    offset: in ``tz``) or a number of days back (``7d``). ``kankei report`` passes
    ``[report] timezone``.
    """
    text = value.strip()
    m = re.fullmatch(r"(\d+)\s*d(ays?)?", text)
    if m:
        moment = (now or dt.datetime.now(dt.timezone.utc)) - dt.timedelta(days=int(m.group(1)))
    else:
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ReportRangeError(
                f"--since {value!r}: expected a date (2026-03-01), a date-time (2026-03-01T06:00) or days (7d)"
            ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def select_changes(conn: sqlite3.Connection, run: int | None = None, since: str | None = None,
                   latest: int = 1, snapshots_root: Path | None = None, tz: str = DEFAULT_TIMEZONE) -> ReportData:
    """The runs in range with their changes.

    ``run``: that run only (unknown run: :class:`ReportRangeError`). ``since``: every
    run started at or after it (see :func:`parse_since`; read in ``tz``). Neither: the
    ``latest`` runs that found changes.
    """
    if run is not None and since is not None:
        raise ReportRangeError("use either --run or --since, not both")
    if run is not None:
        if conn.execute("SELECT 1 FROM runs WHERE id = ?", (run,)).fetchone() is None:
            low, high = conn.execute("SELECT min(id), max(id) FROM runs").fetchone()
            known = f"runs {low}–{high}" if low is not None else "no runs yet"
            raise ReportRangeError(f"no run {run} in this database ({known})")
        run_ids = [run]
        rng: dict[str, Any] = {"mode": "run", "run_id": run, "since": None, "latest": None, "runs_checked": 1}
    elif since is not None:
        start = parse_since(since, tz=tz)
        run_ids = [r[0] for r in conn.execute("SELECT id FROM runs WHERE started_at >= ? ORDER BY id", (start,))]
        rng = {"mode": "since", "run_id": None, "since": start, "latest": None, "runs_checked": len(run_ids)}
    else:
        run_ids = [r[0] for r in conn.execute(
            "SELECT DISTINCT run_id FROM changes ORDER BY run_id DESC LIMIT ?", (latest,))][::-1]
        rng = {"mode": "latest", "run_id": run_ids[-1] if run_ids else None, "since": None, "latest": latest,
               "runs_checked": len(run_ids)}

    initial_run = {r[0]: r[1] for r in conn.execute("SELECT source, min(run_id) FROM changes GROUP BY source")}
    labels = {r[0]: r[1] for r in conn.execute(
        "SELECT fiscal_year, name FROM changes WHERE kind IN ('year_added', 'year_removed', 'total_changed') "
        "ORDER BY id")}
    labels.update({r[0]: r[1] for r in conn.execute("SELECT fiscal_year, label FROM fiscal_years")})
    sources = {r[0]: r[1] for r in conn.execute(  # a 304 row names its URL only when it is not its body's
        "SELECT s.source, coalesce(s.url, b.url) FROM snapshots s LEFT JOIN snapshots b ON b.id = s.same_as "
        "WHERE s.id IN (SELECT max(id) FROM snapshots WHERE role = 'page' GROUP BY source) ORDER BY s.source")}

    runs: list[ReportRun] = []
    for run_id in run_ids:
        r = conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        rows = conn.execute(
            """SELECT c.*, s.url AS s_url, s.fetched_at AS s_fetched_at, s.http_status AS s_http_status,
                      s.sha256 AS s_sha256, s.path AS s_path
               FROM changes c LEFT JOIN snapshots s ON s.id = c.snapshot_id
               WHERE c.run_id = ? ORDER BY c.id""",
            (run_id,),
        ).fetchall()
        if not rows:
            continue
        changes = []
        for c in rows:
            snap = None
            if c["snapshot_id"] is not None and c["s_path"] is not None:
                snap = SnapshotRef(c["snapshot_id"], c["s_url"], c["s_fetched_at"], c["s_http_status"],
                                   c["s_sha256"], c["s_path"])
            changes.append(ReportChange(
                id=c["id"], kind=c["kind"], detected_at=c["detected_at"], fiscal_year=c["fiscal_year"],
                fiscal_year_label=labels.get(c["fiscal_year"]) if c["fiscal_year"] is not None else None,
                name=c["name"], field=c["field"], old_value=c["old_value"], new_value=c["new_value"],
                source=c["source"], source_url=snap.url if snap else sources.get(c["source"] or ""),
                initial_load=initial_run.get(c["source"]) == run_id, snapshot=snap,
            ))
        initial_sources = sorted({c.source or "" for c in changes if c.initial_load})
        runs.append(ReportRun(r["id"], r["started_at"], r["finished_at"], r["status"], initial_sources, changes))
    return ReportData(generated_at=utcnow(), database_id=database_id(conn), range=rng, sources=sources, runs=runs,
                      snapshots_root=Path(snapshots_root) if snapshots_root else None,
                      adoptions=adoption_counts(conn), document_names=document_names(conn),
                      years_on_page={r.run_id: years_on_page(conn, r.run_id) for r in runs})


def years_on_page(conn: sqlite3.Connection, run_id: int) -> set[int]:
    """The fiscal years the portal page listed after run ``run_id`` (from fiscal_year_versions)."""
    return {r[0] for r in conn.execute(
        "SELECT fiscal_year FROM fiscal_year_versions WHERE removed = 0 AND valid_from_run <= ?"
        " AND (valid_to_run IS NULL OR valid_to_run > ?)", (run_id, run_id))}


def document_names(conn: sqlite3.Connection) -> dict[str, str]:
    """Every document's link text by URL."""
    return {url: text for url, text in conn.execute("SELECT url, link_text FROM documents ORDER BY id") if text}


def adoption_counts(conn: sqlite3.Connection) -> list[AdoptionCount]:
    """The current adopted bodies counted by fiscal year, prefecture and type."""
    return [AdoptionCount(*row) for row in conn.execute(
        """SELECT a.fiscal_year, y.label, a.prefecture, coalesce(a.category, ''), count(*)
           FROM adoptions a LEFT JOIN fiscal_years y ON y.fiscal_year = a.fiscal_year
           GROUP BY a.fiscal_year, a.prefecture, coalesce(a.category, '')
           ORDER BY a.fiscal_year, a.prefecture, coalesce(a.category, '')""")]


def group_by_year(changes: list[ReportChange]) -> list[tuple[int | None, str | None, list[ReportChange]]]:
    """The page's changes grouped by fiscal year (newest first; year-less last), kinds in reading order;
    document and discrepancy changes have sections of their own."""
    groups: dict[int | None, list[ReportChange]] = {}
    for c in changes:
        if c.kind in DOCUMENT_KINDS or c.kind in DISCREPANCY_KINDS or c.kind in ANNOUNCEMENT_KINDS:
            continue
        groups.setdefault(c.fiscal_year, []).append(c)
    order = sorted((fy for fy in groups if fy is not None), reverse=True) + ([None] if None in groups else [])
    out = []
    for fy in order:
        items = sorted(groups[fy], key=lambda c: (_kind_rank(c.kind), c.id))
        label = next((c.fiscal_year_label for c in items if c.fiscal_year_label), None)
        out.append((fy, label, items))
    return out


def _kind_rank(kind: str) -> int:
    return YEAR_KIND_ORDER.index(kind) if kind in YEAR_KIND_ORDER else len(YEAR_KIND_ORDER)


def split_description(value: str | None) -> tuple[str, str]:
    """An added/removed body's description: (place / category / partners, summary)."""
    head, _, summary = (value or "").partition("\n")
    return head, summary
