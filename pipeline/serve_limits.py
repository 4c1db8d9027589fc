"""A Datasette plugin registered by ``kankei serve``: SQLite's length limit on every connection.

Datasette's time limit is checked between SQLite instructions, so one function call
that builds a huge value (``randomblob(900000000)``) would run past it and take the
memory; with the length limit such a query fails at once with "string or blob too big".
"""

from __future__ import annotations

import sqlite3

from datasette import hookimpl

LENGTH_LIMIT = 10_000_000  # bytes: the longest string or blob a query may build (SQLITE_LIMIT_LENGTH)


@hookimpl
def prepare_connection(conn: sqlite3.Connection) -> None:
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, LENGTH_LIMIT)
