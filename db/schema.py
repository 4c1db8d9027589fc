"""The SQLite schema (documented in README.md, section "Schema").

``meta.schema_version`` records the schema a database has; :func:`connect` sets up a new
file and migrates an older one in place (version 1 → 2: compact 304 rows in ``snapshots``,
see :func:`_migrate_1_2`; 2 → 3: the search index made by sqlite-utils; 3 → 4: linked documents,
see :func:`_migrate_3_4`).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from . import connection
from .connection import transaction

SCHEMA_VERSION = 4

CHANGE_KINDS = (
    "year_added",
    "year_removed",
    "adoption_added",
    "adoption_removed",
    "adoption_changed",
    "total_changed",
    "category_changed",
    "text_changed",
    "document_added",
    "document_removed",
    "document_changed",
    "discrepancy_found",
    "discrepancy_resolved",
    "announcement_added",
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
    url TEXT,
    fetched_at TEXT NOT NULL,
    http_status INTEGER NOT NULL,
    same_as INTEGER REFERENCES snapshots(id),
    etag TEXT,
    last_modified TEXT,
    sha256 TEXT,
    size INTEGER,
    path TEXT,
    encoding TEXT,
    role TEXT NOT NULL DEFAULT 'page' CHECK (role IN ('page', 'document')),
    content_type TEXT,
    -- role 'page': a tracked source's page; 'document': a document it links to (url is the document's).
    -- A body row, or a 304 pointing at the body row it confirms and repeating none of it
    -- (url, etag and last_modified only where the 304 differed from the body's).
    CHECK (same_as IS NULL AND url IS NOT NULL AND sha256 IS NOT NULL AND size IS NOT NULL AND path IS NOT NULL
           OR same_as IS NOT NULL AND sha256 IS NULL AND size IS NULL AND path IS NULL AND encoding IS NULL)
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
CREATE INDEX IF NOT EXISTS notifications_pending ON notifications(sent_at, id);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    url TEXT NOT NULL,
    link_text TEXT,
    size_note TEXT,
    fiscal_year INTEGER,
    content_type TEXT,
    sha256 TEXT,
    snapshot_id INTEGER REFERENCES snapshots(id),
    pages INTEGER,
    text_status TEXT NOT NULL,
    text TEXT,
    error TEXT,
    first_seen_run INTEGER NOT NULL REFERENCES runs(id),
    last_changed_run INTEGER NOT NULL REFERENCES runs(id),
    removed INTEGER NOT NULL DEFAULT 0 CHECK (removed IN (0, 1)),
    UNIQUE (source, url)
);
CREATE TABLE IF NOT EXISTS discrepancies (
    id INTEGER PRIMARY KEY,
    fiscal_year INTEGER NOT NULL,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    name TEXT NOT NULL,
    prefecture TEXT NOT NULL,
    municipality TEXT NOT NULL DEFAULT '',
    lg_code TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('missing_from_document', 'missing_from_page')),
    first_seen_run INTEGER NOT NULL REFERENCES runs(id),
    resolved_run INTEGER REFERENCES runs(id)
);
CREATE INDEX IF NOT EXISTS discrepancies_document ON discrepancies(document_id, resolved_run);
CREATE TABLE IF NOT EXISTS announcements (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    item_key TEXT NOT NULL,
    title TEXT NOT NULL,
    link TEXT,
    published TEXT,
    published_utc TEXT,
    description TEXT,
    matched TEXT,
    fiscal_year INTEGER,
    first_seen_run INTEGER NOT NULL REFERENCES runs(id),
    UNIQUE (source, item_key)
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


def connect(path: Path | str, *, scratch: bool = False) -> sqlite3.Connection:
    """Open (creating if needed) a kankei database (:func:`db.connection.connect`), its schema up to date.

    The schema is set up, or an older one migrated, only when ``meta.schema_version`` is
    not :data:`SCHEMA_VERSION`: opening a current database reads one row. ``scratch``: see
    :func:`db.connection.connect`.
    """
    conn = connection.connect(path, scratch=scratch)
    if stored_version(conn) != SCHEMA_VERSION:
        _set_up(conn)
    return conn


def stored_version(conn: sqlite3.Connection) -> int | None:
    """``meta.schema_version``; None for a new file (or one that is not a kankei database yet)."""
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.OperationalError:  # no meta table
        return None
    return int(row[0]) if row else None


def _set_up(conn: sqlite3.Connection) -> None:
    """Create what is missing, migrate an older schema, then record the version (last: a set-up
    that was interrupted is done again, every step being idempotent)."""
    from . import documents, search, versions, views  # set-up only: sqlite-utils, the code list, the tables' SQL

    conn.executescript("BEGIN IMMEDIATE;" + SCHEMA + versions.SCHEMA + documents.SCHEMA + "COMMIT;")
    version = stored_version(conn)
    if version is not None and version < SCHEMA_VERSION:
        _migrate(conn, version)
    views.ensure_views(conn)
    search.create_search(conn)
    conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))


def _migrate(conn: sqlite3.Connection, version: int) -> None:
    """Bring a database of an earlier schema up to :data:`SCHEMA_VERSION`, in one transaction.

    Foreign keys are off while a table is rebuilt (SQLite's documented procedure for
    changing a table's constraints) and checked before the commit.
    """
    conn.execute("PRAGMA foreign_keys = OFF")  # cannot change inside a transaction
    conn.execute("PRAGMA legacy_alter_table = ON")  # rename without re-checking views that name the table
    try:
        with transaction(conn):
            version = stored_version(conn) or version  # again, under the write lock: another process may have migrated
            if version < 2:
                _migrate_1_2(conn)
            if version < 3:
                _migrate_2_3(conn)
            if version < 4:
                _migrate_3_4(conn)
            problems = conn.execute("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise sqlite3.IntegrityError(f"schema migration broke foreign keys: {[tuple(p) for p in problems]}")
            conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
    finally:
        conn.execute("PRAGMA legacy_alter_table = OFF")
        conn.execute("PRAGMA foreign_keys = ON")


def _migrate_3_4(conn: sqlite3.Connection) -> None:
    """Version 4 follows linked documents and feeds: ``snapshots`` gains ``role`` ('page' or
    'document') and ``content_type``; ``changes.kind`` admits the document, discrepancy and
    announcement kinds (a CHECK, so the table is rebuilt); the tables ``documents``,
    ``discrepancies``, ``document_versions`` and ``announcements`` are new (made by the set-up's
    CREATE ... IF NOT EXISTS)."""
    have = {row[1] for row in conn.execute("PRAGMA table_info(snapshots)")}
    if "role" not in have:  # a schema-1 database got them with its version-2 table
        conn.execute("ALTER TABLE snapshots ADD COLUMN role TEXT NOT NULL DEFAULT 'page'"
                     " CHECK (role IN ('page', 'document'))")
        conn.execute("ALTER TABLE snapshots ADD COLUMN content_type TEXT")
    create = SCHEMA[SCHEMA.index("CREATE TABLE IF NOT EXISTS changes ("):SCHEMA.index(
        "CREATE INDEX IF NOT EXISTS changes_run")]
    conn.execute(create.replace("IF NOT EXISTS changes (", "changes_v4 (", 1))
    conn.execute("INSERT INTO changes_v4 SELECT * FROM changes ORDER BY id")
    conn.execute("DROP TABLE changes")
    conn.execute("ALTER TABLE changes_v4 RENAME TO changes")
    conn.execute("CREATE INDEX IF NOT EXISTS changes_run ON changes(run_id)")


def _migrate_2_3(conn: sqlite3.Connection) -> None:
    """Version 3's search index is made by sqlite-utils (triggers ``adoptions_ai``, ``_ad``, ``_au``):
    the hand-made one of version 2 is dropped here and made again by :func:`db.search.create_search`."""
    for suffix in ("ai", "ad", "au"):
        conn.execute(f"DROP TRIGGER IF EXISTS adoptions_fts_{suffix}")
        conn.execute(f"DROP TRIGGER IF EXISTS adoptions_{suffix}")  # sqlite-utils' own, made again with the index
    conn.execute("DROP TABLE IF EXISTS adoptions_fts")


def _migrate_1_2(conn: sqlite3.Connection) -> None:
    """Version 1 stored a 304 as a full copy of the previous snapshots row (URL, sha256, path,
    size, encoding, ETag…). Version 2 stores it as ``same_as``, the id of the body row it
    confirms, with those columns empty, and ``source_state.last_snapshot_id`` names the body row."""
    create = SCHEMA[SCHEMA.index("CREATE TABLE IF NOT EXISTS snapshots ("):SCHEMA.index(
        "CREATE INDEX IF NOT EXISTS snapshots_source_id")]
    conn.execute(create.replace("IF NOT EXISTS snapshots (", "snapshots_v2 (", 1))
    # The body a 304 confirmed: the last earlier body of its source with the same hash. Its
    # URL, ETag and Last-Modified are kept only where they differ from the body's.
    conn.execute("""
        WITH confirms AS (
            SELECT s.id, (SELECT max(b.id) FROM snapshots b WHERE b.source = s.source AND b.id < s.id
                                                              AND b.http_status != 304 AND b.sha256 = s.sha256) AS body
            FROM snapshots s WHERE s.http_status = 304)
        INSERT INTO snapshots_v2(id, run_id, source, url, fetched_at, http_status, same_as, etag, last_modified,
                                 sha256, size, path, encoding)
        SELECT s.id, s.run_id, s.source, nullif(s.url, b.url), s.fetched_at, s.http_status, c.body,
               nullif(s.etag, b.etag), nullif(s.last_modified, b.last_modified),
               CASE WHEN c.body IS NULL THEN s.sha256 END, CASE WHEN c.body IS NULL THEN s.size END,
               CASE WHEN c.body IS NULL THEN s.path END, CASE WHEN c.body IS NULL THEN s.encoding END
        FROM snapshots s LEFT JOIN confirms c ON c.id = s.id LEFT JOIN snapshots b ON b.id = c.body
        ORDER BY s.id""")
    conn.execute("DROP TABLE snapshots")
    conn.execute("ALTER TABLE snapshots_v2 RENAME TO snapshots")
    conn.execute("CREATE INDEX snapshots_source_id ON snapshots(source, id)")
    conn.execute("""UPDATE source_state SET last_snapshot_id = coalesce(
                        (SELECT same_as FROM snapshots WHERE id = last_snapshot_id), last_snapshot_id)""")
