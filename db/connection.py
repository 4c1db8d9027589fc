"""Opening kankei's SQLite files, and grouping writes into transactions.

Every connection is in autocommit mode with rows as :class:`sqlite3.Row` and a busy
timeout, so a reader such as Datasette and a writing run wait for each other instead of
failing with "database is locked". Writes are grouped with :func:`transaction`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BUSY_TIMEOUT = 30.0  # seconds a connection waits for another's lock


def connect(path: Path | str, *, scratch: bool = False) -> sqlite3.Connection:
    """Open (creating if needed) a database file for writing: WAL, foreign keys, synchronous NORMAL.

    ``scratch``: a file that is thrown away unless it is complete (a rebuild's temporary
    database): no WAL and no syncing, since durability is moot there.
    """
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = _open(str(path))
    if scratch:
        conn.execute("PRAGMA journal_mode = MEMORY")
        conn.execute("PRAGMA synchronous = OFF")
    else:
        if str(path) != ":memory:":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def connect_readonly(path: Path | str) -> sqlite3.Connection:
    """Open an existing database read-only: reading it never creates or changes the file.

    Raises :class:`sqlite3.DatabaseError` when the file is missing or not a database.
    """
    path = Path(path)
    if not path.is_file():
        raise sqlite3.OperationalError(f"{path}: no such database file")
    conn = _open(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # fails now on a file that is not SQLite
    except sqlite3.DatabaseError:
        conn.close()
        raise
    return conn


def _open(target: str, uri: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(target, uri=uri, timeout=BUSY_TIMEOUT, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception (a failed COMMIT included).

    IMMEDIATE takes the write lock at the start, so two writers queue on the busy timeout
    instead of one failing halfway through. SQLite may already have rolled back by itself
    (a full disk, an I/O error): the rollback is then skipped, so the error that caused it
    is the one raised.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # the original error says more
        raise
