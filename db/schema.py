"""The SQLite schema (documented in README.md, section "Schema").

Opened in WAL mode with a busy timeout, so Datasette can read while a run writes.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils

SCHEMA_VERSION = 1

CHANGE_KINDS = (
    "year_added",
    "year_removed",
    "adoption_added",
    "adoption_removed",
    "adoption_changed",
    "total_changed",
    "category_changed",
    "text_changed",
)

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed')),
    summary TEXT
);
CREATE TABLE IF NOT EXISTS snapshots (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    source TEXT NOT NULL,
    url TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    http_status INTEGER NOT NULL,
    etag TEXT,
    last_modified TEXT,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    path TEXT NOT NULL,
    encoding TEXT
);
CREATE INDEX IF NOT EXISTS snapshots_source_id ON snapshots(source, id);
CREATE TABLE IF NOT EXISTS fiscal_years (
    fiscal_year INTEGER PRIMARY KEY,
    label TEXT NOT NULL,
    stated_total INTEGER NOT NULL,
    parsed_total INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS adoptions (
    id INTEGER PRIMARY KEY,
    fiscal_year INTEGER NOT NULL REFERENCES fiscal_years(fiscal_year),
    name TEXT NOT NULL,
    prefecture TEXT NOT NULL,
    municipality TEXT NOT NULL DEFAULT '',
    lg_code TEXT,
    category TEXT,
    summary TEXT,
    first_seen_run INTEGER NOT NULL REFERENCES runs(id),
    last_changed_run INTEGER NOT NULL REFERENCES runs(id),
    UNIQUE (fiscal_year, prefecture, municipality)
);
CREATE INDEX IF NOT EXISTS adoptions_lg_code ON adoptions(lg_code);
CREATE TABLE IF NOT EXISTS partners (
    adoption_id INTEGER NOT NULL REFERENCES adoptions(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    prefecture TEXT NOT NULL,
    municipality TEXT NOT NULL DEFAULT '',
    lg_code TEXT
);
CREATE INDEX IF NOT EXISTS partners_adoption ON partners(adoption_id);
CREATE TABLE IF NOT EXISTS categories (
    name TEXT PRIMARY KEY,
    definition TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS changes (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    detected_at TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ({", ".join(repr(k) for k in CHANGE_KINDS)})),
    fiscal_year INTEGER,
    name TEXT,
    field TEXT,
    old_value TEXT,
    new_value TEXT,
    source TEXT,
    snapshot_id INTEGER REFERENCES snapshots(id)
);
CREATE INDEX IF NOT EXISTS changes_run ON changes(run_id);
CREATE TABLE IF NOT EXISTS pages (
    source TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    title TEXT,
    text TEXT NOT NULL,
    updated_run INTEGER NOT NULL REFERENCES runs(id)
);
CREATE TABLE IF NOT EXISTS notifications (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    run_id INTEGER REFERENCES runs(id),
    kind TEXT NOT NULL CHECK (kind IN ('changes', 'failure', 'recovery')),
    source TEXT,
    target TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    sent_at TEXT,
    last_error TEXT
);
CREATE TABLE IF NOT EXISTS source_state (
    source TEXT PRIMARY KEY,
    last_run INTEGER REFERENCES runs(id),
    last_success_run INTEGER REFERENCES runs(id),
    last_success_at TEXT,
    last_snapshot_id INTEGER REFERENCES snapshots(id),
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    last_error_at TEXT
);
"""


def connect(path: Path | str) -> sqlite3.Connection:
    """Open (creating if needed) a kankei database: WAL, busy timeout, foreign keys, schema.

    The connection is in autocommit mode; use :func:`db.store.transaction` to group writes.
    """
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=30.0, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 30000")
    if str(path) != ":memory:":
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    from . import versions  # version tables (adoption_versions, …) and the views

    conn.executescript("BEGIN IMMEDIATE;" + SCHEMA + versions.SCHEMA + "COMMIT;")
    conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    versions.ensure_views(conn)
    from . import search  # the Japanese full-text index (trigram FTS5) and its triggers

    search.ensure_search(conn)
    return conn


def database(conn: sqlite3.Connection) -> sqlite_utils.Database:
    """A sqlite-utils view of the same connection, for queries and introspection."""
    import sqlite_utils  # imported when needed: with dateutil it takes a quarter of a second

    return sqlite_utils.Database(conn)
