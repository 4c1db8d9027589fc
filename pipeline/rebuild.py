"""``kankei rebuild``: re-derive the database from the snapshot archive with the current parsers.

The rebuild writes a new database file, ``<database>.rebuild-<pid>.tmp``, in one
transaction, without WAL or syncing (the file is discarded unless it is complete):

1. the run log (``runs``) and ``meta`` are copied as they were;
2. every ``snapshots`` row is replayed in fetch order (by run, then by snapshot id),
   keeping its id: its file is read and verified against its hash (once: a source's
   next row with the same body reuses it), decoded (with the encoding recorded when
   it was fetched: the HTTP header is not stored), parsed with the source's current
   parser and applied through the very code a run uses
   (:func:`pipeline.cycle.apply_parsed`, :class:`db.store.StoredState`), with the
   snapshot's run and ``fetched_at``; the stored state stays in memory from one
   snapshot to the next. A 304 row (``same_as``: the body it confirms) carries the
   state forward; a body that fails to parse records the failure in ``source_state``
   as a run does. The reading, verifying, decoding and parsing run ahead of the
   replay in a worker process, forked when the replay starts, which this process
   helps whenever the parse it needs next has not arrived yet; the applying stays
   here, in order (:mod:`pipeline.rebuild_worker`; with one CPU, or without fork,
   all of it happens here, one row at a time, with the same result);
3. failures that left no snapshot (fetch errors) are replayed from each run's summary,
   with the run's ``finished_at`` as their time;
4. any other table (one this code does not derive) is copied over unchanged.

Nothing is silently skipped: a snapshot whose file is missing or no longer matches
its hash, or whose source's parser is unknown, fails the rebuild with an error naming
it. The result is compared with the current database table by table; then the new
content replaces the old in one SQLite transaction (the backup API), so a reader,
such as Datasette, sees either the old database or the new one, never a mixture. On
any error, or with ``--check``, the temporary file is deleted and the database is
left byte for byte as it was (a database of an earlier schema is first migrated, as
any command that writes would).
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from db import schema, search, store
from db.snapshots import SnapshotError, SnapshotStore
from scraper.errors import KankeiError

from .config import Config, Source
from .cycle import apply_parsed
from .rebuild_worker import Bodies, Parsed, Task, WorkerError, open_bodies

log = logging.getLogger(__name__)

# Tables the replay derives (or copies itself); every other table is carried over as it is.
REPLAYED = frozenset({
    "runs", "meta", "snapshots", "fiscal_years", "adoptions", "partners", "categories", "changes", "pages",
    "source_state", "adoption_versions", "fiscal_year_versions", "category_versions",
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
            f"Replayed {self.snapshots} snapshot{'s' if self.snapshots != 1 else ''} of {self.runs} "
            f"run{'s' if self.runs != 1 else ''}: {self.parsed} parsed, {self.unchanged} unchanged (304), "
            f"{len(self.failures)} failed to parse; {self.changes} change{'s' if self.changes != 1 else ''} derived."
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
        if self.replaced:
            out.append(f"Rebuilt {self.database}.")
        else:
            out.append(f"Checked only: {self.database} was not changed.")
        return out


def temp_path(database: Path) -> Path:
    return database.with_name(f"{database.name}.rebuild-{os.getpid()}.tmp")


def rebuild(config: Config, *, check: bool = False, echo: Callable[[str], None] | None = None,
            worker: bool | None = None) -> RebuildResult:
    """Rebuild ``config.database`` from its snapshots and swap it in (unless ``check``).

    ``worker``: parse in a worker process (True), in this process (False), or (None) in a
    worker when fork is available and there is more than one CPU
    (:func:`pipeline.rebuild_worker.use_worker`); the result is the same.

    Raises :class:`NoDatabase` when there is no database, :class:`RebuildError` (or
    :class:`pipeline.lock.LockHeld`) when the rebuild fails; the database is then untouched.
    """
    from .lock import run_lock

    database = Path(config.database)
    if not database.is_file():
        raise NoDatabase(f"{database}: no database to rebuild (run `kankei run` first)")
    with run_lock(config):
        _remove_stale_temps(database)
        tmp = temp_path(database)
        result = RebuildResult(database)
        try:
            with _readonly(database) as old, ExitStack() as opened:
                _migrate_if_older(old, database)
                old.execute("BEGIN")  # one consistent view of the old database throughout
                plan = _plan(old, config)
                # Forked first, before any thread is started: it parses while the new database is made.
                # Closed last: once the replay has had every body, the worker ends by itself.
                snapshots = SnapshotStore(config.snapshots)
                bodies = opened.enter_context(closing(open_bodies(snapshots, plan.tasks, worker)))
                new = opened.enter_context(closing(schema.connect(tmp, scratch=True, search_index=False)))
                _replay(old, new, config, plan, bodies, result, echo)
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


def _migrate_if_older(old: sqlite3.Connection, database: Path) -> None:
    """A database of an earlier schema is first brought up to date, as any ``kankei run`` would."""
    try:
        current = schema.schema_version(old) >= schema.SCHEMA_VERSION
    except sqlite3.OperationalError:  # no meta table: not a kankei database, left to fail below
        current = True
    if not current:
        schema.connect(database).close()


# --- replay --------------------------------------------------------------------------


@dataclass
class _Plan:
    """What the replay replays, read from the old database before anything else is done."""

    runs: list[sqlite3.Row]
    by_run: dict[int, list[sqlite3.Row]]  # run id -> its snapshots rows, by id
    parsers: dict[str, str | None]  # source -> its parser (None: unknown)
    tasks: list[Task]  # the rows with a body, in replay order: a 304 row's is only verified


def _plan(old: sqlite3.Connection, config: Config) -> _Plan:
    runs = old.execute("SELECT * FROM runs ORDER BY id").fetchall()
    by_run: dict[int, list[sqlite3.Row]] = {}
    for snap in old.execute("SELECT * FROM snapshots ORDER BY id"):
        by_run.setdefault(snap["run_id"], []).append(snap)
    orphans = sorted(set(by_run) - {r["id"] for r in runs})
    if orphans:
        raise RebuildError(f"snapshot {by_run[orphans[0]][0]['id']} belongs to run {orphans[0]}, "
                           "which is not in the runs table")
    in_order = [snap for run in runs for snap in by_run.get(run["id"], [])]
    configured = {s.name: s.parser for s in config.sources}
    # A source no longer configured: its parser judged by what it stored (None: unknown).
    parsers = {name: configured[name] if name in configured else _former_parser(old, name)
               for name in dict.fromkeys(s["source"] for s in in_order)}
    tasks = [Task(s["id"], s["source"], s["path"], s["sha256"], s["encoding"],
                  None if s["http_status"] == 304 else parsers[s["source"]])
             for s in in_order if s["sha256"] is not None]
    return _Plan(runs, by_run, parsers, tasks)


def _replay(old: sqlite3.Connection, new: sqlite3.Connection, config: Config, plan: _Plan, bodies: Bodies,
            result: RebuildResult, echo: Callable[[str], None] | None) -> None:
    result.runs = len(plan.runs)
    columns = _columns(old, "snapshots") & _columns(new, "snapshots")
    replayer = _Replayer(old, new, config, columns, plan.parsers, bodies)
    # One transaction for the whole replay (the file is thrown away unless it completes), so
    # the stored state can stay in memory from one snapshot to the next.
    with store.transaction(new):
        _copy_rows(old, new, "runs")
        _copy_rows(old, new, "meta", "key != 'schema_version'", replace=True)
        for run in plan.runs:
            snaps = plan.by_run.get(run["id"], [])
            for snap in snaps:
                replayer.replay(snap, result)
                result.snapshots += 1
            result.fetch_failures += _replay_fetch_failures(new, run, {s["source"] for s in snaps})
            if echo and snaps:
                echo(f"run {run['id']}: replayed {len(snaps)} snapshot{'s' if len(snaps) != 1 else ''}")
    result.changes = new.execute("SELECT COUNT(*) FROM changes").fetchone()[0]
    # The full-text index is built once from the replayed rows, not updated row by row during the replay.
    search.ensure_search(new)


class _Replayer:
    """Replays snapshots rows into ``new``, inside the caller's transaction."""

    def __init__(self, old: sqlite3.Connection, new: sqlite3.Connection, config: Config, columns: set[str],
                 parsers: dict[str, str | None], bodies: Bodies) -> None:
        self.old, self.new, self.config = old, new, config
        self.parsers, self.bodies = parsers, bodies  # the parsed bodies, in replay order
        old_columns = _ordered_columns(old, "snapshots")
        self.columns = [c for c in old_columns if c in columns]
        self.indices = [old_columns.index(c) for c in self.columns]
        self.encoding_index = self.columns.index("encoding")
        self.insert_sql = (f"INSERT INTO snapshots({', '.join(_q(c) for c in self.columns)}) "
                           f"VALUES ({', '.join('?' for _ in self.columns)})")
        self.sources: dict[str, Source] = {}
        self.state = store.StoredState(new)  # the model-project state, in memory for the whole replay

    def source(self, snap: sqlite3.Row) -> Source:
        name, url = snap["source"], snap["url"]
        known = self.sources.get(name)
        if known is not None and known.url == url:
            return known
        parser = self.parsers[name]
        if parser is None:
            where = self.config.path or "the config"
            raise RebuildError(f"{_name(snap)}: source {name!r} is no longer configured and its parser is unknown; "
                               f"add it back to [[sources]] in {where}")
        # The snapshot's URL, not today's: it is what the run stored (pages.url).
        self.sources[name] = Source(name=name, url=url, parser=parser)
        return self.sources[name]

    def body(self, snap: sqlite3.Row) -> Parsed | None:
        """The parse of ``snap``'s body (None for a 304 row's copy: verified only)."""
        try:
            return self.bodies.next(snap["id"])
        except (SnapshotError, WorkerError) as e:
            raise RebuildError(f"{_name(snap)}: {e}") from None

    def insert(self, snap: sqlite3.Row, encoding: str | None) -> int:
        """The row as it was (its id kept), with the encoding the replay decoded the body with."""
        row = [snap[i] for i in self.indices]
        row[self.encoding_index] = encoding
        self.new.execute(self.insert_sql, row)
        return int(snap["id"])

    def replay(self, snap: sqlite3.Row, result: RebuildResult) -> None:
        """Mirror pipeline.cycle.run_source / process_body for one stored snapshot."""
        run_id, at = snap["run_id"], snap["fetched_at"]
        if snap["http_status"] == 304:
            # Carried forward: it confirms an earlier body (same_as), replayed and verified before it.
            body_id = snap["same_as"]
            if snap["sha256"] is not None:
                self.body(snap)  # a 304 row not linked to its body (schema 1) keeps a copy: verified
            self.insert(snap, snap["encoding"])
            store.record_success(self.new, snap["source"], run_id, body_id or snap["id"], at)
            result.unchanged += 1
            return
        source = self.source(snap)
        parsed = self.body(snap)
        assert parsed is not None  # a row with a parser is parsed
        error = None if parsed.error is None else f"{source.url}: {parsed.error}"
        snapshot_id = self.insert(snap, parsed.encoding)
        if error is not None or parsed.page is None:
            store.record_failure(self.new, source.name, run_id, error or "no content", at)
            result.failures.append(f"{_name(snap)}: {error}")
            return
        changes = apply_parsed(self.new, source, parsed.page, run_id, self.state)
        store.insert_changes(self.new, run_id, source.name, snapshot_id, changes, at)
        store.record_success(self.new, source.name, run_id, snapshot_id, at)
        result.parsed += 1


def _replay_fetch_failures(new: sqlite3.Connection, run: sqlite3.Row, with_snapshot: set[str]) -> int:
    """Failures of ``run`` that stored no snapshot (fetch errors), from its summary."""
    if '"failed"' not in (run["summary"] or ""):
        return 0
    try:
        summary = json.loads(run["summary"] or "{}")
    except (TypeError, ValueError):
        return 0
    if not isinstance(summary, dict):
        return 0
    at = run["finished_at"] or run["started_at"]
    count = 0
    for source, entry in summary.items():
        if isinstance(entry, dict) and entry.get("status") == "failed" and source not in with_snapshot:
            store.record_failure(new, source, run["id"], str(entry.get("error") or "failed"), at)
            count += 1
    return count


def _former_parser(old: sqlite3.Connection, source: str) -> str | None:
    """The parser a source that is no longer configured had, judged by what it stored."""
    if old.execute("SELECT 1 FROM pages WHERE source = ?", (source,)).fetchone():
        return "text"
    if old.execute("SELECT 1 FROM changes WHERE source = ? AND kind != 'text_changed' LIMIT 1", (source,)).fetchone():
        return "model_projects"
    return None


def _name(snap: sqlite3.Row) -> str:
    return f"snapshot {snap['id']} (source {snap['source']}, run {snap['run_id']}, fetched {snap['fetched_at']})"


# --- other tables, comparison ---------------------------------------------------------


def _carry_over(old: sqlite3.Connection, new: sqlite3.Connection, result: RebuildResult) -> None:
    """Copy every table the replay does not derive (created, if need be, as it was)."""
    new_tables = set(_tables(new))
    with store.transaction(new):
        for table, sql in _tables(old).items():
            if table in REPLAYED:
                continue
            if table not in new_tables:
                new.execute(sql)
                for (index_sql,) in old.execute(
                        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                        (table,)):
                    new.execute(index_sql)
            elif new.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone():
                continue  # filled by the replay (a trigger or hook): derived, compared below
            if _copy_rows(old, new, table):
                result.carried.append(table)


def compare(old: sqlite3.Connection, new: sqlite3.Connection) -> list[str]:
    """One line per table whose rows differ between two databases (virtual tables left out)."""
    old_tables, new_tables = _tables(old), _tables(new)
    out = []
    for table in sorted(set(old_tables) | set(new_tables)):
        if table not in new_tables or table not in old_tables:
            side = "previous" if table in old_tables else "rebuilt"
            n = (old if side == "previous" else new).execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
            out.append(f"{table}: only in the {side} database ({n} rows)")
            continue
        in_new = _columns(new, table)
        columns = [c for c in _ordered_columns(old, table) if c in in_new and (table, c) not in NOT_COMPARED]
        select = f'SELECT {", ".join(f"{_q(c)}" for c in columns)} FROM "{table}"'
        if "WITHOUT ROWID" not in old_tables[table].upper() + new_tables[table].upper():
            select += " ORDER BY rowid"  # equal tables are then equal lists: no hashing needed
        rows_a, rows_b = _tuples(old, select).fetchall(), _tuples(new, select).fetchall()
        if rows_a == rows_b:
            continue
        a, b = Counter(rows_a), Counter(rows_b)  # compared as multisets: the order of rows does not matter
        if a != b:
            gone, added = sum((a - b).values()), sum((b - a).values())
            out.append(f"{table}: {gone} row{'s' if gone != 1 else ''} only in the previous database, "
                       f"{added} only in the rebuilt one")
    return out


def _tuples(conn: sqlite3.Connection, select: str) -> sqlite3.Cursor:
    """The rows of ``select`` as plain tuples, whatever the connection's row factory."""
    cur = conn.cursor()
    cur.row_factory = None
    return cur.execute(select)


def _tables(conn: sqlite3.Connection) -> dict[str, str]:
    """Ordinary tables (name -> CREATE statement), without virtual tables and their shadow tables."""
    rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'")
    tables = dict(rows.fetchall())
    virtual = [n for n, sql in tables.items() if sql.upper().startswith("CREATE VIRTUAL TABLE")]
    return {n: sql for n, sql in tables.items()
            if n not in virtual and not any(n.startswith(v + "_") for v in virtual)}


def _ordered_columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return set(_ordered_columns(conn, table))


def _q(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _copy_rows(old: sqlite3.Connection, new: sqlite3.Connection, table: str, where: str = "1",
               replace: bool = False) -> int:
    """Copy ``table``'s rows (the columns both databases have), rowids kept; returns the count."""
    in_new = _columns(new, table)
    columns = [c for c in _ordered_columns(old, table) if c in in_new]
    names = ", ".join(_q(c) for c in columns)
    rows = old.execute(f'SELECT {names} FROM "{table}" WHERE {where} ORDER BY rowid').fetchall()
    verb = "INSERT OR REPLACE" if replace else "INSERT"
    new.executemany(f'{verb} INTO "{table}"({names}) VALUES ({", ".join("?" for _ in columns)})',
                    [tuple(r) for r in rows])
    return len(rows)


# --- files, swap --------------------------------------------------------------------------


@contextmanager
def _readonly(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection: reading the old database never changes its file."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30.0, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        conn.execute("PRAGMA busy_timeout = 30000")
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as e:
        conn.close()
        raise RebuildError(f"{path}: cannot read the database: {e}") from None
    try:
        yield conn
    finally:
        conn.close()


def _high_water(conn: sqlite3.Connection) -> tuple[Any, ...]:
    """What would change if a run wrote to the database meanwhile."""
    return tuple(conn.execute(
        "SELECT (SELECT max(id) FROM runs), (SELECT max(id) FROM snapshots), (SELECT COUNT(*) FROM changes),"
        " (SELECT group_concat(status) FROM runs)").fetchone())


def _swap(tmp: Path, database: Path, marks: tuple[Any, ...]) -> None:
    """Replace the database's content with ``tmp``'s in one transaction.

    The SQLite backup API writes every page under one write lock and commits once (in
    WAL mode: one commit in the WAL), so open readers keep their snapshot of the old
    database until they begin a new read, and an interruption leaves the old content.
    A rename would not be safe here: connections still open on the old file share its
    -wal and -shm files with connections to the new one.
    """
    with _readonly(database) as old:
        if _high_water(old) != marks:
            raise RebuildError(f"{database} changed during the rebuild (another process wrote a run); "
                               "nothing was replaced: run the rebuild again")
    src = sqlite3.connect(tmp)
    try:
        dst = sqlite3.connect(database, timeout=30.0, isolation_level=None)
        try:
            dst.execute("PRAGMA busy_timeout = 30000")
            dst.execute("PRAGMA synchronous = NORMAL")  # as every kankei connection (db/schema.py)
            try:
                src.backup(dst)
            except sqlite3.Error as e:
                raise RebuildError(f"{database}: could not write the rebuilt database: {e}") from None
            try:  # PASSIVE: never waits for readers; SQLite's auto-checkpoint finishes the job later
                dst.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.Error as e:
                log.info("checkpoint after rebuild deferred: %s", e)
        finally:
            dst.close()
    finally:
        src.close()


def _remove(tmp: Path) -> None:
    for path in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal")):
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def _remove_stale_temps(database: Path) -> None:
    """Delete temporary files left by a rebuild that was killed (we hold the run lock: none is running)."""
    for path in database.parent.glob(f"{database.name}.rebuild-*.tmp"):
        log.warning("removing %s, left by an interrupted rebuild", path)
        _remove(path)
