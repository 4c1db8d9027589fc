"""Versions: every distinct stored state of every adoption, fiscal year and category.

Each ``*_versions`` row is one state, valid from the run that stored it
(``valid_from_run``, inclusive) until the run that replaced it (``valid_to_run``,
exclusive; NULL while current). A removal is a version too: it closes the current
version and opens one with ``removed = 1`` that carries the last content seen (so it
can be found by name) and stays open until the entity comes back.

The state "as of run N" is therefore one condition on any of the three tables::

    valid_from_run <= :run AND (valid_to_run IS NULL OR valid_to_run > :run)

What the page said about a body on a date (:data:`ON_DATE_SQL`; the state after the
last run started by the end of that day), e.g. ``{"place": "石狩市", "date": "2024-05-01"}``::

    WITH asof AS (SELECT max(id) AS run FROM runs WHERE started_at < date(:date, '+1 day'))
    SELECT v.* FROM adoption_versions v, asof
    WHERE (v.municipality = :place OR v.name = :place)
      AND v.valid_from_run <= asof.run AND (v.valid_to_run IS NULL OR v.valid_to_run > asof.run)
    ORDER BY v.fiscal_year

A row with ``removed = 1`` means the body had been removed from the page by then.
Versions are written by :func:`db.store.write_model_projects` through the helpers
below, and only when the stored row really changes, which happens only when the page
changes in content (texts compared by :func:`scraper.normalize.compare_key`): a
form-only revision, a 304 or a second identical run writes no version.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from scraper.normalize import compare_key


SCHEMA = """
CREATE TABLE IF NOT EXISTS adoption_versions (
    id INTEGER PRIMARY KEY,
    fiscal_year INTEGER NOT NULL,
    prefecture TEXT NOT NULL,
    municipality TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL,
    lg_code TEXT,
    category TEXT,
    summary TEXT,
    partners TEXT,
    removed INTEGER NOT NULL DEFAULT 0 CHECK (removed IN (0, 1)),
    valid_from_run INTEGER NOT NULL REFERENCES runs(id),
    valid_to_run INTEGER REFERENCES runs(id)
);
CREATE INDEX IF NOT EXISTS adoption_versions_identity
    ON adoption_versions(fiscal_year, prefecture, municipality, valid_from_run);
CREATE UNIQUE INDEX IF NOT EXISTS adoption_versions_open
    ON adoption_versions(fiscal_year, prefecture, municipality) WHERE valid_to_run IS NULL;
CREATE INDEX IF NOT EXISTS adoption_versions_name ON adoption_versions(name);
CREATE TABLE IF NOT EXISTS fiscal_year_versions (
    id INTEGER PRIMARY KEY,
    fiscal_year INTEGER NOT NULL,
    label TEXT NOT NULL,
    stated_total INTEGER NOT NULL,
    removed INTEGER NOT NULL DEFAULT 0 CHECK (removed IN (0, 1)),
    valid_from_run INTEGER NOT NULL REFERENCES runs(id),
    valid_to_run INTEGER REFERENCES runs(id)
);
CREATE UNIQUE INDEX IF NOT EXISTS fiscal_year_versions_open
    ON fiscal_year_versions(fiscal_year) WHERE valid_to_run IS NULL;
CREATE TABLE IF NOT EXISTS category_versions (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    definition TEXT NOT NULL,
    removed INTEGER NOT NULL DEFAULT 0 CHECK (removed IN (0, 1)),
    valid_from_run INTEGER NOT NULL REFERENCES runs(id),
    valid_to_run INTEGER REFERENCES runs(id)
);
CREATE UNIQUE INDEX IF NOT EXISTS category_versions_open
    ON category_versions(name) WHERE valid_to_run IS NULL;
"""

VERSION_TABLES = ("adoption_versions", "fiscal_year_versions", "category_versions")

AS_OF = "valid_from_run <= :run AND (valid_to_run IS NULL OR valid_to_run > :run)"

ON_DATE_SQL = """WITH asof AS (SELECT max(id) AS run FROM runs WHERE started_at < date(:date, '+1 day'))
SELECT v.* FROM adoption_versions v, asof
WHERE (v.municipality = :place OR v.name = :place)
  AND v.valid_from_run <= asof.run AND (v.valid_to_run IS NULL OR v.valid_to_run > asof.run)
ORDER BY v.fiscal_year"""
"""Every version of a body (by municipality or name, ``:place``) that was current on ``:date``."""


# --- writing versions (called by db.store.write_model_projects, inside its transaction) ----


def write_version(conn: sqlite3.Connection, table: str, current: sqlite3.Row | None, row: dict[str, Any],
                  run_id: int) -> None:
    """Close ``current`` and open a version with ``row``'s content, unless nothing changed."""
    if current is not None:
        if all(current[k] == v for k, v in row.items()):
            return
        if current["valid_from_run"] == run_id:
            # Replaced within the run that opened it: it was never the state after any run.
            conn.execute(f"DELETE FROM {table} WHERE id = ?", (current["id"],))
        else:
            conn.execute(f"UPDATE {table} SET valid_to_run = ? WHERE id = ?", (run_id, current["id"]))
    columns = [*row, "valid_from_run"]
    conn.execute(
        f"INSERT INTO {table}({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
        (*row.values(), run_id),
    )


def _adoption_content(conn: sqlite3.Connection, adoption_id: int) -> dict[str, Any]:
    a = conn.execute("SELECT * FROM adoptions WHERE id = ?", (adoption_id,)).fetchone()
    partners = [r[0] for r in conn.execute("SELECT name FROM partners WHERE adoption_id = ? ORDER BY rowid",
                                           (adoption_id,))]
    return {
        "fiscal_year": a["fiscal_year"], "prefecture": a["prefecture"], "municipality": a["municipality"],
        "name": a["name"], "lg_code": a["lg_code"], "category": a["category"], "summary": a["summary"],
        "partners": "、".join(partners) or None,
    }


def _open_adoption(conn: sqlite3.Connection, content: dict[str, Any]) -> sqlite3.Row | None:
    return conn.execute(
        """SELECT * FROM adoption_versions
           WHERE fiscal_year = ? AND prefecture = ? AND municipality = ? AND valid_to_run IS NULL""",
        (content["fiscal_year"], content["prefecture"], content["municipality"]),
    ).fetchone()


def record_adoption(conn: sqlite3.Connection, adoption_id: int, run_id: int) -> None:
    """After an adoption row (and its partners) was inserted or updated: version its stored state."""
    content = _adoption_content(conn, adoption_id)
    write_version(conn, "adoption_versions", _open_adoption(conn, content), {**content, "removed": 0}, run_id)


def remove_adoption(conn: sqlite3.Connection, adoption_id: int, run_id: int) -> None:
    """Before an adoption row is deleted: close its version, open a removed one with its last content."""
    content = _adoption_content(conn, adoption_id)
    write_version(conn, "adoption_versions", _open_adoption(conn, content), {**content, "removed": 1}, run_id)


def _fiscal_year_row(conn: sqlite3.Connection, fiscal_year: int) -> tuple[dict[str, Any], sqlite3.Row | None]:
    y = conn.execute("SELECT fiscal_year, label, stated_total FROM fiscal_years WHERE fiscal_year = ?",
                     (fiscal_year,)).fetchone()
    current = conn.execute("SELECT * FROM fiscal_year_versions WHERE fiscal_year = ? AND valid_to_run IS NULL",
                           (fiscal_year,)).fetchone()
    return dict(y), current


def record_fiscal_year(conn: sqlite3.Connection, fiscal_year: int, run_id: int) -> None:
    """After a fiscal_years row was inserted or updated: version its label and stated total."""
    content, current = _fiscal_year_row(conn, fiscal_year)
    write_version(conn, "fiscal_year_versions", current, {**content, "removed": 0}, run_id)


def remove_fiscal_year(conn: sqlite3.Connection, fiscal_year: int, run_id: int) -> None:
    """Before a fiscal_years row is deleted."""
    content, current = _fiscal_year_row(conn, fiscal_year)
    write_version(conn, "fiscal_year_versions", current, {**content, "removed": 1}, run_id)


def _category_row(conn: sqlite3.Connection, name: str) -> tuple[dict[str, Any], sqlite3.Row | None]:
    c = conn.execute("SELECT name, definition FROM categories WHERE name = ?", (name,)).fetchone()
    key = compare_key(name)
    # Categories are identified by the form-insensitive key of their name, as in db.store.
    current = next((r for r in conn.execute("SELECT * FROM category_versions WHERE valid_to_run IS NULL")
                    if compare_key(r["name"]) == key), None)
    return dict(c), current


def record_category(conn: sqlite3.Connection, name: str, run_id: int) -> None:
    """After a categories row was inserted or updated."""
    content, current = _category_row(conn, name)
    write_version(conn, "category_versions", current, {**content, "removed": 0}, run_id)


def remove_category(conn: sqlite3.Connection, name: str, run_id: int) -> None:
    """Before a categories row is deleted."""
    content, current = _category_row(conn, name)
    write_version(conn, "category_versions", current, {**content, "removed": 1}, run_id)


# --- reading ------------------------------------------------------------------------------


def as_of(conn: sqlite3.Connection, table: str, run_id: int) -> list[sqlite3.Row]:
    """Every version of ``table`` (one of :data:`VERSION_TABLES`) that was the state after run ``run_id``.

    Includes ``removed = 1`` rows: entities the page no longer listed by then.
    """
    if table not in VERSION_TABLES:
        raise ValueError(f"not a versions table: {table}")
    return conn.execute(f"SELECT * FROM {table} WHERE {AS_OF} ORDER BY id", {"run": run_id}).fetchall()
