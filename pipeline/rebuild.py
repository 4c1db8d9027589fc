"""``kankei rebuild``: re-derive the database from the snapshot archive with the current parsers.

The rebuild replays the archive into a new file, ``<database>.rebuild-<pid>.tmp``:

1. the run log (``runs``) and ``meta`` are copied as they were;
2. every ``snapshots`` row, in fetch order (by run, then by id), is copied with its id; its
   file is read and verified against its hash, decoded with the encoding recorded when it
   was fetched, parsed with its source's current parser and applied through the function
   a run uses (:func:`pipeline.apply.apply_parsed`). A 304 row carries the state forward;
   a body that fails to parse records the failure as a run does. After a page that was
   stored (or confirmed by a 304), its linked documents are recorded through the function a
   run uses (:func:`pipeline.documents.record_documents`): the run's document rows are the
   bodies it fetched, the run's summary (``document_errors``) the fetches that failed, and
   every other link was unchanged;
3. failures that left no snapshot (fetch errors) are replayed from each run's summary;
4. any other table (one this code does not derive) is copied over unchanged.

A snapshot whose file is missing or altered, or whose source's parser is unknown, fails
the rebuild with an error naming it. The result is compared with the current database
table by table; then the new content replaces the old in one SQLite transaction (the
backup API), so a reader such as Datasette sees the old database or the new one, never a
mixture. On any error, or with ``--check``, the temporary file is deleted and the
database is left as it was.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import sqlite_utils

from db import runs, schema, store
from db.connection import connect, connect_readonly, transaction
from db.snapshots import SnapshotError, SnapshotStore
from scraper.errors import KankeiError
from scraper.parsers import BYTES_PARSERS, decode_and_parse

from .config import Config, Source
from . import documents
from .apply import apply_parsed, parser_options
from .guard import RemovalsRefused
from .lock import run_lock

log = logging.getLogger(__name__)

# Tables the replay derives (or copies itself); every other table is carried over as it is.
REPLAYED = frozenset({
    "runs", "meta", "snapshots", "fiscal_years", "adoptions", "partners", "categories", "changes", "pages",
    "source_state", "adoption_versions", "fiscal_year_versions", "category_versions",
    "documents", "document_versions", "discrepancies", "announcements",
})
# Columns that cannot be re-derived exactly, left out of the comparison: the time of a
# fetch failure that stored no snapshot is not recorded anywhere but in source_state.
NOT_COMPARED = {("source_state", "last_error_at")}


class RebuildError(KankeiError):
    """The rebuild failed; the database was left as it was."""


class NoDatabase(KankeiError):
    """There is no database to rebuild."""


@dataclass
class RebuildResult:
    database: Path
    runs: int = 0
    snapshots: int = 0  # snapshot rows replayed
    parsed: int = 0  # bodies parsed and applied
    unchanged: int = 0  # 304 rows carried forward
    failures: list[str] = field(default_factory=list)  # snapshots that failed to decode or parse
    fetch_failures: int = 0  # failures without a snapshot, replayed from run summaries
    changes: int = 0  # change rows derived
    carried: list[str] = field(default_factory=list)  # tables copied over unchanged
    differences: list[str] = field(default_factory=list)  # one line per table that differs
    replaced: bool = False  # the database now holds the rebuilt content

    def lines(self) -> list[str]:
        """What ``kankei rebuild`` prints."""
        out = [
            f"Replayed {_n(self.snapshots, 'snapshot')} of {_n(self.runs, 'run')}: {self.parsed} parsed, "
            f"{self.unchanged} unchanged (304), {len(self.failures)} failed to parse; "
            f"{_n(self.changes, 'change')} derived."
        ]
        out += [f"  failed: {f}" for f in self.failures]
        if self.fetch_failures:
            out.append(f"Replayed {self.fetch_failures} fetch failure(s) from the run log.")
        if self.carried:
            out.append(f"Copied unchanged: {', '.join(self.carried)}.")
        if self.differences:
            out.append("Differences from the previous database:")
            out += [f"  {d}" for d in self.differences]
        else:
            out.append("Identical to the previous database, table by table.")
        out.append(f"Rebuilt {self.database}." if self.replaced else f"Checked only: {self.database} was not changed.")
        return out


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def temp_path(database: Path) -> Path:
    return database.with_name(f"{database.name}.rebuild-{os.getpid()}.tmp")


def rebuild(config: Config, *, check: bool = False, echo: Callable[[str], None] | None = None) -> RebuildResult:
    """Rebuild ``config.database`` from its snapshots and swap it in (unless ``check``).

    Raises :class:`NoDatabase` when there is no database, :class:`RebuildError` (or
    :class:`pipeline.lock.LockHeld`) when the rebuild fails; the database is then untouched.
    """
    database = Path(config.database)
    if not database.is_file():
        raise NoDatabase(f"{database}: no database to rebuild (run `kankei run` first)")
    with run_lock(config):
        _remove_stale_temps(database)
        tmp = temp_path(database)
        result = RebuildResult(database)
        try:
            schema.connect(database).close()  # an earlier schema is first migrated, as any run would
            with closing(_open_old(database)) as old, closing(schema.connect(tmp, scratch=True)) as new:
                old.execute("BEGIN")  # one consistent view of the old database throughout
                _replay(old, new, config, SnapshotStore(config.snapshots), result, echo)
                _carry_over(old, new, result)
                result.differences = compare(old, new)
                marks = _high_water(old)
                old.execute("COMMIT")
            if not check:
                _swap(tmp, database, marks)
                result.replaced = True
        finally:
            _remove(tmp)
    return result


def _open_old(database: Path) -> sqlite3.Connection:
    try:
        return connect_readonly(database)
    except sqlite3.DatabaseError as e:
        raise RebuildError(f"{database}: cannot read the database: {e}") from None


# --- replay --------------------------------------------------------------------------


def _replay(old: sqlite3.Connection, new: sqlite3.Connection, config: Config, snapshots: SnapshotStore,
            result: RebuildResult, echo: Callable[[str], None] | None) -> None:
    runs = old.execute("SELECT * FROM runs ORDER BY id").fetchall()
    by_run: dict[int, list[sqlite3.Row]] = {}
    for snap in old.execute("SELECT * FROM snapshots ORDER BY id"):
        by_run.setdefault(snap["run_id"], []).append(snap)
    orphans = sorted(set(by_run) - {r["id"] for r in runs})
    if orphans:
        raise RebuildError(f"snapshot {by_run[orphans[0]][0]['id']} belongs to run {orphans[0]}, "
                           "which is not in the runs table")
    result.runs = len(runs)
    replayer = _Replayer(old, new, config, snapshots)
    with transaction(new):  # one transaction: the file is thrown away unless it completes
        _copy_rows(old, new, "runs")
        _copy_rows(old, new, "meta", replace=True, where="key != 'schema_version'")
        for run in runs:
            snaps = by_run.get(run["id"], [])
            for snap in snaps:
                if snap["role"] != "document":  # replayed with their page
                    docs = [s for s in snaps if s["role"] == "document" and s["source"] == snap["source"]]
                    replayer.replay(snap, result, docs)
            result.snapshots += len(snaps)
            result.fetch_failures += _replay_fetch_failures(new, run, {s["source"] for s in snaps})
            if echo and snaps:
                echo(f"run {run['id']}: replayed {_n(len(snaps), 'snapshot')}")
    result.changes = new.execute("SELECT COUNT(*) FROM changes").fetchone()[0]


class _Replayer:
    """Replays snapshots rows into ``new`` as the runs that fetched them stored them."""

    def __init__(self, old: sqlite3.Connection, new: sqlite3.Connection, config: Config,
                 snapshots: SnapshotStore) -> None:
        self.old, self.new, self.config, self.snapshots = old, new, config, snapshots
        self.configured = {s.name: s for s in config.sources}
        # sources that followed documents: as configured, and any that stored some (a feed's followed pages)
        self.follows = {s.name for s in config.sources if s.follows_documents}
        self.follows |= {r[0] for r in old.execute("SELECT DISTINCT source FROM documents")}
        self.columns = [c for c in _columns(old, "snapshots") if c in _columns(new, "snapshots")]

    def replay(self, snap: sqlite3.Row, result: RebuildResult, docs: list[sqlite3.Row] = ()) -> None:
        """What :func:`pipeline.cycle.run_source` did for this row (a page's), with its run and time;
        ``docs``: the document rows its run fetched for the same source."""
        run_id, at = snap["run_id"], snap["fetched_at"]
        if snap["http_status"] == 304:
            if snap["sha256"] is not None:  # a 304 of schema 1 keeps a copy of its body: verified
                self.body(snap)
            self.insert(snap, snap["encoding"])
            runs.record_success(self.new, snap["source"], run_id, snap["same_as"] or snap["id"], at)
            result.unchanged += 1
            self.documents(snap, None, docs, page_changed=False)
            return
        source = self.source(snap)
        declared = f"text/html; charset={snap['encoding']}" if snap["encoding"] else None
        if source.parser in BYTES_PARSERS:  # as fetched: the feed reads its own declaration
            declared = snap["content_type"]
        body = self.body(snap)
        encoding, page, error = decode_and_parse(body, declared, source.parser, parser_options(source))
        self.insert(snap, encoding)
        if error is not None or page is None:
            message = f"{source.url}: {error}" if error else "no content"
            runs.record_failure(self.new, source.name, run_id, message, at)
            result.failures.append(f"{_name(snap)}: {message}")
            return
        try:
            changes, _ = apply_parsed(self.new, source, page, run_id, self.accepted(run_id, source.name))
        except RemovalsRefused as e:  # refused as the run refused it
            message = f"{source.url}: {e}"
            runs.record_failure(self.new, source.name, run_id, message, at)
            result.failures.append(f"{_name(snap)}: {message}")
            return
        store.insert_changes(self.new, run_id, source.name, snap["id"], changes, at)
        runs.record_success(self.new, source.name, run_id, snap["id"], at)
        result.parsed += 1
        self.documents(snap, (body, encoding), docs, page_changed=bool(changes))

    def documents(self, snap: sqlite3.Row, page: tuple[bytes, str | None] | None, docs: list[sqlite3.Row],
                  *, page_changed: bool) -> None:
        """The documents step that followed this page in its run (see the module docstring)."""
        name = snap["source"]
        for doc in docs:
            self.insert(doc, None)
        errors = self.document_errors(snap["run_id"], name)
        if name not in self.follows and not docs and not errors:
            return
        settings = self.config.documents
        if page is None:
            links = documents.stored_links(self.new, name)
        else:
            links = documents.page_links(page[0], page[1], snap["url"], settings.extensions)
        links, _ = documents.limit_links(links, settings.max_per_source, name)
        fetches = {doc["url"]: documents.DocumentFetch("fetched", snapshot_id=doc["id"], body=self.body(doc),
                                                       sha256=doc["sha256"], content_type=doc["content_type"])
                   for doc in docs}
        for url, (status, error) in errors.items():
            fetches[url] = documents.DocumentFetch("not_fetched" if status == "not_fetched" else "failed",
                                                   text_status=status, error=error)
        documents.record_documents(self.new, name, links, fetches, snap["run_id"], settings.max_bytes,
                                   page_changed=page_changed, detected_at=snap["fetched_at"],
                                   page_snapshot_id=snap["same_as"] or snap["id"])

    def document_errors(self, run_id: int, source: str) -> dict[str, list[str]]:
        """The run summary's ``document_errors`` of a source: url -> [text_status, message]."""
        row = self.old.execute("SELECT summary FROM runs WHERE id = ?", (run_id,)).fetchone()
        try:
            entry = json.loads(row["summary"] or "{}").get(source)
        except (ValueError, AttributeError):
            return {}
        return dict(entry.get("document_errors") or {}) if isinstance(entry, dict) else {}

    def accepted(self, run_id: int, source: str) -> bool:
        """Whether the run stored this source's page with ``--accept-removals``."""
        row = self.old.execute("SELECT summary FROM runs WHERE id = ?", (run_id,)).fetchone()
        try:
            entry = json.loads(row["summary"] or "{}").get(source)
        except (ValueError, AttributeError):
            return False
        return isinstance(entry, dict) and bool(entry.get("accepted_removals"))

    def body(self, snap: sqlite3.Row) -> bytes:
        try:
            return self.snapshots.read(snap["path"], snap["sha256"])
        except SnapshotError as e:
            raise RebuildError(f"{_name(snap)}: {e}") from None

    def source(self, snap: sqlite3.Row) -> Source:
        """The snapshot's source, with the URL it was fetched from (what the run stored in pages.url)."""
        name = snap["source"]
        if name in self.configured:
            return replace(self.configured[name], url=snap["url"])
        parser = _former_parser(self.old, name)
        if parser is None:
            raise RebuildError(f"{_name(snap)}: source {name!r} is no longer configured and its parser is unknown; "
                               f"add it back to [[sources]] in {self.config.path or 'the config'}")
        return Source(name=name, url=snap["url"], parser=parser)

    def insert(self, snap: sqlite3.Row, encoding: str | None) -> None:
        """The row as it was (its id kept), with the encoding the replay decoded the body with."""
        row = {c: snap[c] for c in self.columns} | {"encoding": encoding}
        self.new.execute(f"INSERT INTO snapshots({', '.join(_q(c) for c in row)}) "
                         f"VALUES ({', '.join('?' for _ in row)})", tuple(row.values()))


def _replay_fetch_failures(new: sqlite3.Connection, run: sqlite3.Row, with_snapshot: set[str]) -> int:
    """Failures of ``run`` that stored no snapshot (fetch errors), from its summary, at the run's end."""
    try:
        summary = json.loads(run["summary"] or "{}")
    except ValueError:
        return 0
    if not isinstance(summary, dict):
        return 0
    at = run["finished_at"] or run["started_at"]
    count = 0
    for source, entry in summary.items():
        if isinstance(entry, dict) and entry.get("status") == "failed" and source not in with_snapshot:
            runs.record_failure(new, source, run["id"], str(entry.get("error") or "failed"), at)
            count += 1
    return count


def _former_parser(old: sqlite3.Connection, source: str) -> str | None:
    """The parser a source that is no longer configured had, judged by what it stored."""
    if old.execute("SELECT 1 FROM pages WHERE source = ?", (source,)).fetchone():
        return "text"
    if old.execute("SELECT 1 FROM announcements WHERE source = ?", (source,)).fetchone():
        return "feed"
    if old.execute("SELECT 1 FROM changes WHERE source = ? AND kind IN ('year_added', 'adoption_added') LIMIT 1", (source,)).fetchone():
        return "model_projects"
    return None


def _name(snap: sqlite3.Row) -> str:
    return f"snapshot {snap['id']} (source {snap['source']}, run {snap['run_id']}, fetched {snap['fetched_at']})"


# --- other tables, comparison ---------------------------------------------------------


def _tables(conn: sqlite3.Connection) -> list[str]:
    """Ordinary tables, without full-text indexes and their shadow tables."""
    db = sqlite_utils.Database(conn)
    indexes = db.table_names(fts4=True) + db.table_names(fts5=True)
    return [t for t in db.table_names()
            if not t.startswith("sqlite_") and not any(t == i or t.startswith(i + "_") for i in indexes)]


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [c.name for c in sqlite_utils.Database(conn)[table].columns]


def _carry_over(old: sqlite3.Connection, new: sqlite3.Connection, result: RebuildResult) -> None:
    """Copy every table the replay does not derive (created, with its indexes, as it was)."""
    made = set(_tables(new))
    with transaction(new):
        for table in _tables(old):
            if table in REPLAYED:
                continue
            if table not in made:
                for (sql,) in old.execute("SELECT sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL"
                                          " AND type IN ('table', 'index') ORDER BY type = 'index'", (table,)):
                    new.execute(sql)
            elif new.execute(f"SELECT 1 FROM {_q(table)} LIMIT 1").fetchone():
                continue  # filled by the replay (a trigger or hook): derived, compared below
            if _copy_rows(old, new, table):
                result.carried.append(table)


def _copy_rows(old: sqlite3.Connection, new: sqlite3.Connection, table: str, *, replace: bool = False,
               where: str = "1") -> int:
    """Copy ``table``'s rows (the columns both databases have), in rowid order; returns the count."""
    in_new = _columns(new, table)
    columns = ", ".join(_q(c) for c in _columns(old, table) if c in in_new)
    rows = [dict(r) for r in old.execute(f"SELECT {columns} FROM {_q(table)} WHERE {where} ORDER BY rowid")]
    sqlite_utils.Database(new)[table].insert_all(rows, replace=replace)
    return len(rows)


def compare(old: sqlite3.Connection, new: sqlite3.Connection) -> list[str]:
    """One line per table whose rows differ between two databases (compared as multisets)."""
    old_tables, new_tables = set(_tables(old)), set(_tables(new))
    out = []
    for table in sorted(old_tables | new_tables):
        if table not in new_tables or table not in old_tables:
            side, conn = ("previous", old) if table in old_tables else ("rebuilt", new)
            n = conn.execute(f"SELECT COUNT(*) FROM {_q(table)}").fetchone()[0]
            out.append(f"{table}: only in the {side} database ({n} rows)")
            continue
        in_new = _columns(new, table)
        columns = [c for c in _columns(old, table) if c in in_new and (table, c) not in NOT_COMPARED]
        select = f"SELECT {', '.join(_q(c) for c in columns)} FROM {_q(table)}"
        a = Counter(tuple(r) for r in old.execute(select))
        b = Counter(tuple(r) for r in new.execute(select))
        if a != b:
            gone, added = sum((a - b).values()), sum((b - a).values())
            out.append(f"{table}: {_n(gone, 'row')} only in the previous database, {added} only in the rebuilt one")
    return out


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- files, swap --------------------------------------------------------------------------


def _high_water(conn: sqlite3.Connection) -> tuple[Any, ...]:
    """What would change if a run wrote to the database meanwhile."""
    return tuple(conn.execute(
        "SELECT (SELECT max(id) FROM runs), (SELECT max(id) FROM snapshots), (SELECT COUNT(*) FROM changes),"
        " (SELECT group_concat(status) FROM runs)").fetchone())


def _swap(tmp: Path, database: Path, marks: tuple[Any, ...]) -> None:
    """Replace the database's content with ``tmp``'s in one transaction.

    The SQLite backup API writes every page under one write lock and commits once, so open
    readers keep their view of the old database until they begin a new read, and an
    interruption leaves the old content. A rename would not be safe: connections still open
    on the old file share its -wal and -shm files with connections to the new one.
    """
    with closing(_open_old(database)) as old:
        if _high_water(old) != marks:
            raise RebuildError(f"{database} changed during the rebuild (another process wrote a run); "
                               "nothing was replaced: run the rebuild again")
    with closing(connect_readonly(tmp)) as src, closing(connect(database)) as dst:
        try:
            src.backup(dst)
        except sqlite3.Error as e:
            raise RebuildError(f"{database}: could not write the rebuilt database: {e}") from None
        try:  # PASSIVE: never waits for readers; SQLite's auto-checkpoint finishes the job later
            dst.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as e:
            log.info("checkpoint after rebuild deferred: %s", e)


def _remove(tmp: Path) -> None:
    for path in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal")):
        path.unlink(missing_ok=True)


def _remove_stale_temps(database: Path) -> None:
    """Delete temporary files left by a rebuild that was killed (we hold the run lock: none is running)."""
    for path in database.parent.glob(f"{database.name}.rebuild-*.tmp"):
        log.warning("removing %s, left by an interrupted rebuild", path)
        _remove(path)
