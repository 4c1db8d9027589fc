"""A run's bookkeeping: the ``runs`` rows, the ``snapshots`` rows and each source's ``source_state``.

This is all an unchanged run writes (a page that answered 304 is one compact snapshot row and
its source's success); what a page holds is stored by :mod:`db.store`. Every write happens inside
:func:`db.connection.transaction`.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from typing import Any

from .connection import transaction


def utcnow() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def start_run(conn: sqlite3.Connection, started_at: str | None = None) -> int:
    with transaction(conn):
        cur = conn.execute(
            "INSERT INTO runs(started_at, status) VALUES (?, 'running')", (started_at or utcnow(),)
        )
    return int(cur.lastrowid)


def close_interrupted(conn: sqlite3.Connection) -> list[int]:
    """Mark runs left 'running' by a killed process as 'failed' (finished_at stays empty); their ids.

    Only for a caller that holds the run lock: no other run can be in progress then.
    """
    with transaction(conn):
        ids = [r[0] for r in conn.execute("SELECT id FROM runs WHERE status = 'running'")]
        conn.execute("UPDATE runs SET status = 'failed' WHERE status = 'running'")
    return ids


def finish_run(conn: sqlite3.Connection, run_id: int, status: str, summary: dict[str, Any],
               finished_at: str | None = None) -> None:
    with transaction(conn):
        conn.execute(
            "UPDATE runs SET finished_at = ?, status = ?, summary = ? WHERE id = ?",
            (finished_at or utcnow(), status, json.dumps(summary, ensure_ascii=False, separators=(",", ":")), run_id),
        )


def insert_snapshot(conn: sqlite3.Connection, **row: Any) -> int:
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    cur = conn.execute(f"INSERT INTO snapshots({columns}) VALUES ({marks})", tuple(row.values()))
    return int(cur.lastrowid)


def snapshot(conn: sqlite3.Connection, snapshot_id: int | None) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM snapshots WHERE id = ?", (snapshot_id,)).fetchone()


def last_good_snapshot(conn: sqlite3.Connection, source: str) -> sqlite3.Row | None:
    """The snapshot whose content the stored state of ``source`` reflects."""
    return conn.execute(
        "SELECT s.* FROM source_state st JOIN snapshots s ON s.id = st.last_snapshot_id WHERE st.source = ?",
        (source,),
    ).fetchone()


def links_documents(conn: sqlite3.Connection, source: str) -> bool:
    """Whether the source's page, as last stored, links to a document (a 304 then re-checks them)."""
    row = conn.execute("SELECT 1 FROM documents WHERE source = ? AND NOT removed LIMIT 1", (source,)).fetchone()
    return row is not None


def consecutive_failures(conn: sqlite3.Connection, source: str) -> int:
    """The source's failures in a row so far (0 for a source never run)."""
    row = conn.execute("SELECT consecutive_failures FROM source_state WHERE source = ?", (source,)).fetchone()
    return int(row[0]) if row else 0


def record_success(conn: sqlite3.Connection, source: str, run_id: int, snapshot_id: int, at: str) -> None:
    conn.execute(
        """INSERT INTO source_state(source, last_run, last_success_run, last_success_at, last_snapshot_id,
                                    consecutive_failures)
           VALUES (?, ?, ?, ?, ?, 0)
           ON CONFLICT(source) DO UPDATE SET last_run = excluded.last_run,
               last_success_run = excluded.last_success_run, last_success_at = excluded.last_success_at,
               last_snapshot_id = excluded.last_snapshot_id, consecutive_failures = 0""",
        (source, run_id, run_id, at, snapshot_id),
    )


def record_failure(conn: sqlite3.Connection, source: str, run_id: int, error: str, at: str) -> int:
    conn.execute(
        """INSERT INTO source_state(source, last_run, consecutive_failures, last_error, last_error_at)
           VALUES (?, ?, 1, ?, ?)
           ON CONFLICT(source) DO UPDATE SET last_run = excluded.last_run,
               consecutive_failures = source_state.consecutive_failures + 1,
               last_error = excluded.last_error, last_error_at = excluded.last_error_at""",
        (source, run_id, error, at),
    )
    return consecutive_failures(conn, source)
