"""Change reports: ``kankei report`` in Markdown, HTML, JSON or Atom.

:func:`select_changes` reads the runs in a range with their changes into a
:class:`ReportData`; the renderers turn it into text. Ranges: one run (``--run N``),
every run that started on or after a moment (``--since``), or by default the latest
run that found changes (Atom: the latest :data:`ATOM_DEFAULT_RUNS` such runs, since a
feed is a window over recent runs).

The first load of a source into the database (every fiscal year and body "added")
is marked ``initial_load``: JSON lists it in full, the other formats summarise it
(N fiscal years, M bodies) instead of listing a hundred bodies.

Snapshot links (HTML): each change links to the gzip file of the stored page it was
detected in. With ``-o FILE`` the link is relative to the report file's folder (the
report and the snapshot folder can move together); on stdout it is an absolute
``file://`` URL. Atom entries carry no snapshot links (feed readers cannot open
local files); they link to the ministry page.

JSON structure (``kankei_report_version`` 1; new keys may be added, existing keys
keep their meaning)::

    {
      "kankei_report_version": 1,
      "generated_at": "2026-04-01T06:00:00Z",      # UTC, ISO 8601
      "database_id": "0b6f…",                     # random UUID, stable per database
      "range": {
        "mode": "latest" | "run" | "since",
        "run_id": 4 | null,                       # mode "run"; mode "latest": the newest run shown
        "since": "2026-03-01T00:00:00Z" | null,   # mode "since" (UTC)
        "latest": 1 | null,                       # mode "latest": how many runs with changes
        "runs_checked": 4                         # runs in range, with or without changes
      },
      "sources": {"model-projects": "https://www.soumu.go.jp/…"},
      "runs": [                                   # oldest first; only runs with changes
        {
          "run_id": 4,
          "started_at": "…", "finished_at": "…" | null, "status": "ok" | "failed" | "running",
          "initial_load_sources": ["model-projects"],   # sources first loaded in this run
          "counts": {"adoption_changed": 1, …},
          "changes": [
            {
              "id": 116, "kind": "adoption_changed",    # kinds: see db.schema.CHANGE_KINDS
              "detected_at": "…",
              "fiscal_year": 2020 | null, "fiscal_year_label": "令和2年度" | null,
              "name": "石狩市",                          # body, year label, category or source
              "field": "summary" | null,
              "old_value": "…" | null, "new_value": "…" | null,
              "source": "model-projects", "source_url": "https://…" | null,
              "initial_load": false,
              "snapshot": {"id": 4, "url": "…", "fetched_at": "…", "http_status": 200,
                           "sha256": "…", "path": "e1/e161….gz"} | null  # path: in the snapshot folder
            }
          ]
        }
      ]
    }
"""

from __future__ import annotations

import datetime as dt
import difflib
import html
import json
import os
import re
import sqlite3
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import pathname2url

from db.store import utcnow
from scraper.errors import KankeiError

REPORT_VERSION = 1
ATOM_DEFAULT_RUNS = 20
FORMATS = ("markdown", "html", "json", "atom")
TAG_PREFIX = "tag:kankei,2026:"

YEAR_KIND_ORDER = ("year_added", "year_removed", "total_changed", "adoption_added", "adoption_removed",
                   "adoption_changed")


class ReportRangeError(KankeiError):
    """The requested range does not exist (unknown run, unreadable date, both --run and --since)."""


# --- data --------------------------------------------------------------------------------


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


@dataclass
class ReportData:
    generated_at: str
    database_id: str
    range: dict[str, Any]
    sources: dict[str, str]
    runs: list[ReportRun]
    snapshots_root: Path | None = field(default=None, repr=False)  # for HTML links; not in JSON

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON structure (see the module docstring)."""
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
    """The database's identity: a random UUID stored in ``meta`` on first use."""
    conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('database_id', ?)", (str(uuid.uuid4()),))
    return str(conn.execute("SELECT value FROM meta WHERE key = 'database_id'").fetchone()[0])


def parse_since(value: str, now: dt.datetime | None = None) -> str:
    """``--since`` as a UTC timestamp like the stored ones.

    Accepts a date (``2026-03-01``, midnight UTC), an ISO date-time (naive means UTC)
    or a number of days back (``7d``).
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
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def select_changes(conn: sqlite3.Connection, run: int | None = None, since: str | None = None,
                   latest: int = 1, snapshots_root: Path | None = None) -> ReportData:
    """The runs in range with their changes.

    ``run``: that run only (unknown run: :class:`ReportRangeError`). ``since``: every
    run started at or after it (see :func:`parse_since`). Neither: the ``latest`` runs
    that found changes.
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
        start = parse_since(since)
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
        "WHERE s.id IN (SELECT max(id) FROM snapshots GROUP BY source) ORDER BY s.source")}

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
                      snapshots_root=Path(snapshots_root) if snapshots_root else None)


# --- shared wording ------------------------------------------------------------------------


def range_title(data: ReportData) -> str:
    rng = data.range
    if rng["mode"] == "run":
        return f"run {rng['run_id']}"
    if rng["mode"] == "since":
        return f"runs since {rng['since']}"
    if rng["latest"] == 1:
        return "the latest run with changes" + (f" (run {rng['run_id']})" if rng["run_id"] else "")
    return f"the latest {rng['latest']} runs with changes"


def no_changes_text(data: ReportData) -> str:
    rng = data.range
    if rng["mode"] == "run":
        return f"No changes in run {rng['run_id']}."
    if rng["mode"] == "since":
        n = rng["runs_checked"]
        return f"No changes since {rng['since']} ({n} run{'s' if n != 1 else ''} checked)."
    return "No changes recorded yet."


def year_heading(fy: int | None, label: str | None) -> str:
    if fy is None:
        return "Categories and other pages"
    return f"FY{fy} {label}" if label else f"FY{fy}"


def split_description(value: str | None) -> tuple[str, str]:
    """An added/removed body's description: (place / category / partners, summary)."""
    head, _, summary = (value or "").partition("\n")
    return head, summary


def initial_summary(changes: list[ReportChange]) -> str:
    """One sentence for a source's initial load."""
    years = [c for c in changes if c.kind == "year_added"]
    bodies = sum(1 for c in changes if c.kind == "adoption_added")
    cats = sum(1 for c in changes if c.kind == "category_changed")
    texts = [c for c in changes if c.kind == "text_changed"]
    parts = []
    if years:
        listed = ", ".join(f"{c.name} 全{c.new_value}団体" for c in sorted(years, key=lambda c: c.fiscal_year or 0))
        parts.append(f"{len(years)} fiscal year{'s' if len(years) != 1 else ''} ({listed})")
    if bodies:
        parts.append(f"{bodies} adopted bod{'ies' if bodies != 1 else 'y'}")
    if cats:
        parts.append(f"{cats} categor{'ies' if cats != 1 else 'y'}")
    for c in texts:
        lines = sum(1 for line in (c.new_value or "").splitlines() if line.startswith("+") and not line.startswith("+++"))
        parts.append(f"page text ({lines} lines)")
    return ", ".join(parts) or f"{len(changes)} records"


def run_headline(run: ReportRun) -> str:
    """A short title for a run: what it found."""
    parts = []
    for source in run.initial_load_sources:
        initial = [c for c in run.changes if c.initial_load and c.source == source]
        years = sum(1 for c in initial if c.kind == "year_added")
        bodies = sum(1 for c in initial if c.kind == "adoption_added")
        parts.append(f"initial load of {source}: {years} fiscal years, {bodies} bodies" if years or bodies
                     else f"initial load of {source}")
    rest = [c for c in run.changes if not c.initial_load]
    for c in rest:
        if c.kind == "year_added":
            parts.append(f"new fiscal year {c.name} (全{c.new_value}団体)")
        elif c.kind == "year_removed":
            parts.append(f"fiscal year {c.name} removed")
    counts = Counter(c.kind for c in rest)
    for kind, word in (("adoption_added", "added"), ("adoption_removed", "removed"), ("adoption_changed", "changed")):
        if counts[kind]:
            n = counts[kind] if kind != "adoption_changed" else len({(c.fiscal_year, c.name) for c in rest
                                                                      if c.kind == kind})
            parts.append(f"{n} bod{'ies' if n != 1 else 'y'} {word}")
    if counts["total_changed"]:
        parts.append(f"{counts['total_changed']} stated total{'s' if counts['total_changed'] != 1 else ''} changed")
    if counts["category_changed"]:
        parts.append(f"{counts['category_changed']} categor{'ies' if counts['category_changed'] != 1 else 'y'} changed")
    if counts["text_changed"]:
        parts.append("page text changed")
    return f"Run {run.run_id}: " + "; ".join(parts)


def group_by_year(changes: list[ReportChange]) -> list[tuple[int | None, str | None, list[ReportChange]]]:
    """Changes grouped by fiscal year (newest first; year-less last), kinds in reading order."""
    groups: dict[int | None, list[ReportChange]] = {}
    for c in changes:
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


# --- character diff ------------------------------------------------------------------------


def char_diff(old: str, new: str) -> list[tuple[str, str]]:
    """A character-level diff: ``[(op, text)]`` with op ``'='``, ``'-'`` or ``'+'``.

    Japanese has no spaces, so words cannot be the unit. Equal stretches of one or two
    characters between two edits are folded into the edits, so a rewritten sentence
    reads as one replacement rather than confetti.
    """
    ops: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            ops.append(("=", old[i1:i2]))
        else:
            if i2 > i1:
                ops.append(("-", old[i1:i2]))
            if j2 > j1:
                ops.append(("+", new[j1:j2]))
    ops = _align_edits(ops)
    # Fold short equal runs between edits.
    folded: list[tuple[str, str]] = []
    for k, (op, text) in enumerate(ops):
        if (op == "=" and len(text) <= 2 and 0 < k < len(ops) - 1 and ops[k - 1][0] != "="
                and ops[k + 1][0] != "="):
            folded.append(("-", text))
            folded.append(("+", text))
        else:
            folded.append((op, text))
    # Merge neighbours: all deletions of a stretch, then all insertions.
    merged: list[tuple[str, str]] = []
    pending = {"-": "", "+": ""}
    for op, text in folded + [("=", "")]:
        if op == "=":
            for o in ("-", "+"):
                if pending[o]:
                    merged.append((o, pending[o]))
                    pending[o] = ""
            if text:
                merged.append(("=", text))
        else:
            pending[op] += text
    return merged


_PUNCT = set("、。，．・→←「」『』（）()［］[]【】〈〉《》〔〕！？!?：:；;…‥ー〜～/／,.　 \n\t")


def _char_class(ch: str) -> int:
    if ch in _PUNCT or ch.isspace():
        return 0
    if "\u3040" <= ch <= "\u309f":
        return 1  # hiragana
    if "\u30a0" <= ch <= "\u30ff":
        return 2  # katakana
    if ch.isascii() and ch.isalnum():
        return 3
    return 4  # kanji and the rest


def _boundary_score(a: str, b: str) -> int:
    """How natural a cut between characters ``a`` and ``b`` is (higher is better)."""
    if not a or not b:
        return 3  # the edge of the text
    ca, cb = _char_class(a), _char_class(b)
    if ca == 0 or cb == 0:
        return 2
    return 1 if ca != cb else 0


def _align_edits(ops: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Slide each lone insertion or deletion between two equal runs to the most natural cut.

    収穫体験 → 収穫体験・加工体験 can be read as inserting 体験・加工 after 収穫 or
    ・加工体験 after 収穫体験; prefer cuts at punctuation and script changes (ties: the
    rightmost), as a reader would.
    """
    ops = list(ops)
    for k in range(1, len(ops) - 1):
        (op1, left), (op, edit), (op2, right) = ops[k - 1], ops[k], ops[k + 1]
        if op1 != "=" or op2 != "=" or op == "=" or not left or not right or not edit:
            continue
        # Slide fully left, then try every position to the right.
        while left and edit and left[-1] == edit[-1]:
            left, edit, right = left[:-1], left[-1] + edit[:-1], edit[-1] + right
        best = (left, edit, right)
        best_score = -1
        while True:
            score = _boundary_score(left[-1:], edit[:1]) + _boundary_score(edit[-1:], right[:1])
            if score >= best_score:
                best, best_score = (left, edit, right), score
            if not right or right[0] != edit[0]:
                break
            left, edit, right = left + edit[0], edit[1:] + right[0], right[1:]
        left, edit, right = best
        ops[k - 1], ops[k], ops[k + 1] = ("=", left), (op, edit), ("=", right)
    return [(op, text) for op, text in ops if text or op != "="]


def compact_diff(old: str, new: str, context: int = 12) -> str:
    """The edits in ``[-deleted-]{+inserted+}`` notation with a little context."""
    out = []
    ops = char_diff(old, new)
    for k, (op, text) in enumerate(ops):
        if op == "-":
            out.append(f"[-{text}-]")
        elif op == "+":
            out.append(f"{{+{text}+}}")
        else:
            first, last = k == 0, k == len(ops) - 1
            if len(text) <= 2 * context:
                out.append(text)
            elif first:
                out.append("…" + text[-context:])
            elif last:
                out.append(text[:context] + "…")
            else:
                out.append(text[:context] + " … " + text[-context:])
    return " ".join("".join(out).split())


# --- Markdown ------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def md(text: str | None) -> str:
    """Scraped text made inert in Markdown (backslash escapes, one line)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join((text or "").split()))


def _md_fence(text: str, info: str = "") -> list[str]:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + info, text, fence]


def render_markdown(data: ReportData) -> str:
    """Grouped by run, then fiscal year, then kind; plain enough for a terminal or an email."""
    lines = [f"# kankei report: {range_title(data)}", ""]
    lines.append(f"Generated {data.generated_at}. Source: the ministry's 関係人口 portal"
                 + "".join(f", <{url}>" for url in data.sources.values() if _is_http(url)) + ".")
    lines.append("")
    if not data.runs:
        lines += [no_changes_text(data), ""]
        return "\n".join(lines)
    for run in data.runs:
        lines += _md_run(run)
    return "\n".join(lines).rstrip("\n") + "\n"


def _md_run(run: ReportRun) -> list[str]:
    n = len(run.changes)
    lines = [f"## Run {run.run_id} · {run.started_at} · {n} change{'s' if n != 1 else ''}"
             + (" · initial load" if run.initial_load_sources else ""), ""]
    snaps = {}
    for c in run.changes:
        if c.snapshot:
            snaps.setdefault(c.source, c.snapshot)
    for source, snap in snaps.items():
        lines.append(f"Source {md(source)}: <{snap.url}> (snapshot #{snap.id}, {snap.path})")
    if snaps:
        lines.append("")
    for source in run.initial_load_sources:
        initial = [c for c in run.changes if c.initial_load and c.source == source]
        lines += [f"**Initial load of {md(source)}**: {md(initial_summary(initial))}. "
                  f"Listed in full by `kankei report --run {run.run_id} --format json`.", ""]
    rest = [c for c in run.changes if not c.initial_load]
    for fy, label, items in group_by_year(rest):
        lines += _md_year(fy, label, items)
    return lines


def _md_year(fy: int | None, label: str | None, items: list[ReportChange]) -> list[str]:
    added_year = next((c for c in items if c.kind == "year_added"), None)
    removed_year = next((c for c in items if c.kind == "year_removed"), None)
    heading = year_heading(fy, label)
    if added_year:
        heading += f" — new fiscal year (全{added_year.new_value}団体)"
    if removed_year:
        heading += f" — fiscal year removed (was 全{removed_year.old_value}団体)"
    lines = [f"### {md(heading)}", ""]
    for c in items:
        if c.kind == "total_changed":
            lines += [f"- Stated total: 全{md(c.old_value)}団体 → 全{md(c.new_value)}団体", ""]
    sections = (("adoption_added", "Added"), ("adoption_removed", "Removed"), ("adoption_changed", "Changed"))
    for kind, title in sections:
        group = [c for c in items if c.kind == kind]
        if not group:
            continue
        lines += [f"**{title} ({len(group)})**", ""]
        for c in group:
            if kind == "adoption_changed":
                lines.append(f"- {md(c.name)}: {md(c.field)}")
                if c.old_value and c.new_value:
                    lines.append(f"  - edit: {md(compact_diff(c.old_value, c.new_value))}")
                lines.append(f"  - old: {md(c.old_value) if c.old_value is not None else '(none)'}")
                lines.append(f"  - new: {md(c.new_value) if c.new_value is not None else '(none)'}")
            else:
                head, summary = split_description(c.new_value if kind == "adoption_added" else c.old_value)
                lines.append(f"- {md(c.name)} — {md(head)}")
                if summary:
                    lines.append(f"  > {md(summary)}")
        lines.append("")
    for c in items:
        if c.kind == "category_changed":
            lines.append(f"- Category {md(c.name)}: "
                         + ("added" if c.old_value is None else "removed" if c.new_value is None else "definition changed"))
            if c.old_value and c.new_value:
                lines.append(f"  - edit: {md(compact_diff(c.old_value, c.new_value))}")
            else:
                lines.append(f"  > {md(c.new_value or c.old_value)}")
            lines.append("")
        elif c.kind == "text_changed":
            lines += [f"- Page text of {md(c.name)} changed:", ""] + _md_fence(c.new_value or "", "diff") + [""]
    return lines


# --- HTML ----------------------------------------------------------------------------------

CSS = """
body{font-family:system-ui,-apple-system,"Hiragino Sans","Noto Sans JP",Meiryo,sans-serif;max-width:60rem;
margin:2rem auto;padding:0 1rem;line-height:1.6;color:#222}
h1{font-size:1.5rem}h2{font-size:1.25rem;border-bottom:2px solid #ccc;padding-bottom:.2rem;margin-top:2rem}
h3{font-size:1.1rem;margin-top:1.5rem}h4{font-size:1rem;margin:1rem 0 .3rem}
.meta,.src{color:#555;font-size:.9rem}.place{color:#555}
ul{padding-left:1.2rem}li{margin:.4rem 0}
.summary{margin:.2rem 0 .4rem;white-space:pre-wrap}
ins{background:#d4f7d4;text-decoration:none}del{background:#ffd6d6;text-decoration:line-through}
.added{border-left:4px solid #3a3}.removed{border-left:4px solid #c33}.changed{border-left:4px solid #c90}
.added,.removed,.changed{padding-left:.6rem;list-style:none}
.old,.new{white-space:pre-wrap}.label{font-weight:bold;margin-right:.3rem}
pre{background:#f6f6f6;padding:.6rem;overflow-x:auto}.empty{font-size:1.1rem}
"""


def e(text: object) -> str:
    """Escape for HTML text and attributes."""
    return html.escape("" if text is None else str(text), quote=True)


def diff_html(old: str, new: str) -> str:
    """The new text with character-level ``<del>``/``<ins>`` marks, all text escaped."""
    out = []
    for op, text in char_diff(old, new):
        if op == "-":
            out.append(f"<del>{e(text)}</del>")
        elif op == "+":
            out.append(f"<ins>{e(text)}</ins>")
        else:
            out.append(e(text))
    return "".join(out)


def _is_http(url: str | None) -> bool:
    return bool(url) and urlsplit(url).scheme in ("http", "https")


def snapshot_href(data: ReportData, snap: SnapshotRef, output: Path | None) -> str | None:
    """A link to the stored gzip: relative to ``output``'s folder, else an absolute file:// URL."""
    if data.snapshots_root is None:
        return None
    target = (data.snapshots_root / snap.path).resolve()
    if output is not None:
        try:
            return pathname2url(os.path.relpath(target, Path(output).resolve().parent))
        except ValueError:  # another drive (Windows)
            pass
    return target.as_uri()


def render_html(data: ReportData, output: Path | None = None, snapshot_links: bool = True) -> str:
    """One self-contained page (inline CSS, no network fetches); all scraped text escaped."""
    title = f"kankei report: {range_title(data)}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="ja"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{e(title)}</h1>",
        f'<p class="meta">Generated {e(data.generated_at)}. Source: the ministry\'s 関係人口 portal'
        + "".join(f', <a href="{e(u)}">{e(u)}</a>' for u in data.sources.values() if _is_http(u)) + ".</p>",
    ]
    if not data.runs:
        parts.append(f'<p class="empty">{e(no_changes_text(data))}</p>')
    for run in data.runs:
        parts.append(html_run(data, run, output, snapshot_links))
    parts.append("</body></html>\n")
    return "\n".join(parts)


def html_run(data: ReportData, run: ReportRun, output: Path | None = None, snapshot_links: bool = True,
             heading: bool = True) -> str:
    """One run's section (also the content of its Atom entry)."""
    out = []
    n = len(run.changes)
    if heading:
        out.append(f'<section id="run-{run.run_id}"><h2>Run {run.run_id} · {e(run.started_at)} · '
                   f"{n} change{'s' if n != 1 else ''}{' · initial load' if run.initial_load_sources else ''}</h2>")
    snaps: dict[str | None, SnapshotRef] = {}
    for c in run.changes:
        if c.snapshot:
            snaps.setdefault(c.source, c.snapshot)
    for source, snap in snaps.items():
        link = (f'<a href="{e(snap.url)}">{e(snap.url)}</a>' if _is_http(snap.url) else e(snap.url))
        href = snapshot_href(data, snap, output) if snapshot_links else None
        stored = (f' · <a href="{e(href)}">stored snapshot #{snap.id}</a>' if href
                  else f" · stored snapshot #{snap.id}")
        out.append(f'<p class="src">Source {e(source)}: {link}{stored} (fetched {e(snap.fetched_at)})</p>')
    for source in run.initial_load_sources:
        initial = [c for c in run.changes if c.initial_load and c.source == source]
        out.append(f"<p><strong>Initial load of {e(source)}</strong>: {e(initial_summary(initial))}. "
                   f"Listed in full by <code>kankei report --run {run.run_id} --format json</code>.</p>")
    for fy, label, items in group_by_year([c for c in run.changes if not c.initial_load]):
        out.append(_html_year(fy, label, items))
    if heading:
        out.append("</section>")
    return "\n".join(out)


def _html_year(fy: int | None, label: str | None, items: list[ReportChange]) -> str:
    added_year = next((c for c in items if c.kind == "year_added"), None)
    removed_year = next((c for c in items if c.kind == "year_removed"), None)
    heading = e(year_heading(fy, label))
    if added_year:
        heading += f" — new fiscal year (全{e(added_year.new_value)}団体)"
    if removed_year:
        heading += f" — fiscal year removed (was 全{e(removed_year.old_value)}団体)"
    out = [f"<h3>{heading}</h3>"]
    for c in items:
        if c.kind == "total_changed":
            out.append(f"<p>Stated total: 全<del>{e(c.old_value)}</del>団体 → 全<ins>{e(c.new_value)}</ins>団体</p>")
    for kind, title, css in (("adoption_added", "Added", "added"), ("adoption_removed", "Removed", "removed"),
                             ("adoption_changed", "Changed", "changed")):
        group = [c for c in items if c.kind == kind]
        if not group:
            continue
        out.append(f"<h4>{title} ({len(group)})</h4><ul>")
        for c in group:
            if kind == "adoption_changed":
                out.append(f'<li class="{css}"><strong>{e(c.name)}</strong>: {e(c.field)}')
                if c.old_value is not None and c.new_value is not None:
                    out.append(f'<div class="new">{diff_html(c.old_value, c.new_value)}</div>')
                else:
                    out.append(f'<div class="old"><span class="label">old:</span>{e(c.old_value or "(none)")}</div>'
                               f'<div class="new"><span class="label">new:</span>{e(c.new_value or "(none)")}</div>')
                out.append("</li>")
            else:
                head, summary = split_description(c.new_value if kind == "adoption_added" else c.old_value)
                out.append(f'<li class="{css}"><strong>{e(c.name)}</strong> <span class="place">{e(head)}</span>'
                           + (f'<div class="summary">{e(summary)}</div>' if summary else "") + "</li>")
        out.append("</ul>")
    for c in items:
        if c.kind == "category_changed":
            what = "added" if c.old_value is None else "removed" if c.new_value is None else "definition changed"
            body = (diff_html(c.old_value, c.new_value) if c.old_value is not None and c.new_value is not None
                    else e(c.new_value or c.old_value))
            out.append(f'<p>Category <strong>{e(c.name)}</strong>: {what}</p><div class="summary">{body}</div>')
        elif c.kind == "text_changed":
            lines = []
            for line in (c.new_value or "").splitlines():
                if line.startswith("+") and not line.startswith("+++"):
                    lines.append(f"<ins>{e(line)}</ins>")
                elif line.startswith("-") and not line.startswith("---"):
                    lines.append(f"<del>{e(line)}</del>")
                else:
                    lines.append(e(line))
            out.append(f"<p>Page text of <strong>{e(c.name)}</strong> changed:</p><pre>" + "\n".join(lines) + "</pre>")
    return "\n".join(out)


# --- JSON ----------------------------------------------------------------------------------


def render_json(data: ReportData) -> str:
    """The structure documented in the module docstring, UTF-8 (not \\u-escaped), indented."""
    return json.dumps(data.to_dict(), ensure_ascii=False, indent=2) + "\n"


# --- Atom ----------------------------------------------------------------------------------

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml(text: str) -> str:
    return _XML_INVALID.sub("\ufffd", text)


def _as_datetime(value: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def render_atom(data: ReportData) -> str:
    """An Atom feed: one entry per run with changes, newest first.

    Ids are stable: the feed is ``tag:kankei,2026:<database_id>``, an entry
    ``tag:kankei,2026:<database_id>/run/<run_id>``; an entry's ``updated`` is its run's
    finish time, so re-rendering gives the same entries.
    """
    from feedgen.feed import FeedGenerator

    fg = FeedGenerator()
    fg.id(f"{TAG_PREFIX}{data.database_id}")
    fg.title("kankei: changes to the 関係人口 model-project adoptions")
    fg.subtitle(_xml(f"Changes detected on the MIC 関係人口 portal ({range_title(data)})"
                     if data.runs else no_changes_text(data)))
    fg.author({"name": "kankei"})
    fg.generator("kankei")
    fg.language("ja")
    for url in data.sources.values():
        if _is_http(url):
            fg.link(href=url, rel="alternate")
            break
    else:
        fg.link(href="https://www.soumu.go.jp/kankeijinkou/", rel="alternate")
    fg.updated(_as_datetime(max((r.updated for r in data.runs), default=data.generated_at)))
    for run in sorted(data.runs, key=lambda r: r.run_id, reverse=True):
        fe = fg.add_entry(order="append")
        fe.id(f"{TAG_PREFIX}{data.database_id}/run/{run.run_id}")
        fe.title(_xml(run_headline(run)))
        fe.updated(_as_datetime(run.updated))
        fe.published(_as_datetime(run.started_at))
        fe.content(_xml(html_run(data, run, snapshot_links=False, heading=False)), type="html")
        url = next((c.source_url for c in run.changes if _is_http(c.source_url)), None)
        if url:
            fe.link(href=url, rel="alternate")
    return fg.atom_str(pretty=True).decode("utf-8")


def render(data: ReportData, fmt: str, output: Path | None = None) -> str:
    """Render ``data`` in one of :data:`FORMATS`."""
    if fmt == "markdown":
        return render_markdown(data)
    if fmt == "html":
        return render_html(data, output)
    if fmt == "json":
        return render_json(data)
    if fmt == "atom":
        return render_atom(data)
    raise ValueError(f"unknown report format {fmt!r}")
