"""Reading and writing linked documents, their versions and the cross-check's discrepancies.

The tables ``documents`` and ``discrepancies`` are in :data:`db.schema.SCHEMA`;
``document_versions`` (:data:`SCHEMA` here) keeps every distinct recorded state of a document in
the ``valid_from_run``/``valid_to_run`` form of :mod:`db.versions`. A version is written when a
change is recorded (added, changed, removed), never for a 304 or a form-only revision. Every
write happens inside the caller's transaction.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scraper.model import Discrepancy

from .versions import write_version

SCHEMA = """
CREATE TABLE IF NOT EXISTS document_versions (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    url TEXT NOT NULL,
    link_text TEXT,
    size_note TEXT,
    fiscal_year INTEGER,
    sha256 TEXT,
    pages INTEGER,
    text_status TEXT NOT NULL,
    text TEXT,
    removed INTEGER NOT NULL DEFAULT 0 CHECK (removed IN (0, 1)),
    valid_from_run INTEGER NOT NULL REFERENCES runs(id),
    valid_to_run INTEGER REFERENCES runs(id)
);
CREATE UNIQUE INDEX IF NOT EXISTS document_versions_open
    ON document_versions(source, url) WHERE valid_to_run IS NULL;
"""

VERSION_COLUMNS = ("source", "url", "link_text", "size_note", "fiscal_year", "sha256", "pages", "text_status", "text")


@dataclass
class StoredDocument:
    """A ``documents`` row."""

    id: int
    source: str
    url: str
    link_text: str | None
    size_note: str | None
    fiscal_year: int | None
    content_type: str | None
    sha256: str | None
    snapshot_id: int | None
    pages: int | None
    text_status: str
    text: str | None
    error: str | None
    removed: bool


def load(conn: sqlite3.Connection, source: str) -> dict[str, StoredDocument]:
    """The source's documents by URL, removed ones included."""
    rows = conn.execute(
        "SELECT id, source, url, link_text, size_note, fiscal_year, content_type, sha256, snapshot_id, pages,"
        " text_status, text, error, removed FROM documents WHERE source = ? ORDER BY id", (source,))
    return {r[2]: StoredDocument(*r[:13], removed=bool(r[13])) for r in rows}


def validators(conn: sqlite3.Connection, snapshot_id: int | None) -> tuple[str | None, str | None]:
    """The ETag and Last-Modified of a document's stored body, for the conditional GET."""
    if snapshot_id is None:
        return None, None
    row = conn.execute("SELECT etag, last_modified FROM snapshots WHERE id = ?", (snapshot_id,)).fetchone()
    return (row[0], row[1]) if row else (None, None)


def insert(conn: sqlite3.Connection, row: dict[str, Any], run_id: int) -> int:
    row = {**row, "first_seen_run": run_id, "last_changed_run": run_id, "removed": 0}
    cur = conn.execute(f"INSERT INTO documents({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
                       tuple(row.values()))
    return int(cur.lastrowid)


def update(conn: sqlite3.Connection, document_id: int, values: dict[str, Any]) -> None:
    if values:
        sets = ", ".join(f"{k} = ?" for k in values)
        conn.execute(f"UPDATE documents SET {sets} WHERE id = ?", (*values.values(), document_id))


def record_version(conn: sqlite3.Connection, document_id: int, run_id: int) -> None:
    """After a change to a document was recorded: version its state (removed or not)."""
    row = conn.execute(f"SELECT {', '.join(VERSION_COLUMNS)}, removed FROM documents WHERE id = ?",
                       (document_id,)).fetchone()
    content = dict(zip((*VERSION_COLUMNS, "removed"), tuple(row), strict=True))
    current = conn.execute("SELECT * FROM document_versions WHERE source = ? AND url = ? AND valid_to_run IS NULL",
                           (content["source"], content["url"])).fetchone()
    write_version(conn, "document_versions", current, content, run_id)


# --- discrepancies ------------------------------------------------------------------------


@dataclass(frozen=True)
class ListDocument:
    """A current document with text, as the cross-check reads it."""

    id: int
    url: str
    link_text: str | None
    fiscal_year: int | None
    text: str


def readable(conn: sqlite3.Connection) -> list[ListDocument]:
    """Every current document whose text could be read, in id order."""
    return [ListDocument(*r) for r in conn.execute(
        "SELECT id, url, link_text, fiscal_year, text FROM documents"
        " WHERE removed = 0 AND text_status = 'ok' AND text IS NOT NULL ORDER BY id")]


def open_discrepancies(conn: sqlite3.Connection) -> dict[tuple[int, int, str, str, str], sqlite3.Row]:
    """Open discrepancies by (document_id, fiscal_year, prefecture, municipality, kind)."""
    return {(r["document_id"], r["fiscal_year"], r["prefecture"], r["municipality"], r["kind"]): r
            for r in conn.execute("SELECT * FROM discrepancies WHERE resolved_run IS NULL ORDER BY id")}


def add_discrepancy(conn: sqlite3.Connection, document_id: int, fiscal_year: int, d: Discrepancy,
                    run_id: int) -> None:
    conn.execute(
        "INSERT INTO discrepancies(fiscal_year, document_id, name, prefecture, municipality, lg_code, kind,"
        " first_seen_run) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (fiscal_year, document_id, d.name, d.prefecture, d.municipality, d.lg_code, d.kind, run_id))


def resolve_discrepancy(conn: sqlite3.Connection, discrepancy_id: int, run_id: int) -> None:
    conn.execute("UPDATE discrepancies SET resolved_run = ? WHERE id = ?", (run_id, discrepancy_id))
