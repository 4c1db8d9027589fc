"""Full-text search over adoptions that works for Japanese.

Japanese has no spaces between words, so a word tokenizer cannot find 関係人口 inside
a sentence. ``adoptions_fts`` is an FTS5 table with SQLite's ``trigram`` tokenizer
(SQLite >= 3.34): it matches any substring of three or more characters. It is an
external-content table over ``adoptions`` (name, summary, prefecture, municipality,
category), kept in sync by triggers, so it stores only the index. Datasette detects it
(``content="adoptions"``) and offers a search box on the adoptions table.

Trigram cannot match terms of one or two characters (農業, 市). :data:`SEARCH_SQL` is a
query that works for any length: an FTS phrase match for three or more characters, a
plain substring test (``instr``) for shorter terms. Without trigram support (older
SQLite) no FTS table is created and :data:`SEARCH_SQL_NO_FTS` (substring test only)
is used instead.
"""

from __future__ import annotations

import sqlite3
from functools import cache

FTS_TABLE = "adoptions_fts"
FTS_COLUMNS = ("name", "summary", "prefecture", "municipality", "category")

_cols = ", ".join(FTS_COLUMNS)
_new = ", ".join(f"new.{c}" for c in FTS_COLUMNS)
_old = ", ".join(f"old.{c}" for c in FTS_COLUMNS)

FTS_SCHEMA = f"""
CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(
    {_cols}, content="adoptions", content_rowid="id", tokenize="trigram"
);
CREATE TRIGGER IF NOT EXISTS adoptions_fts_ai AFTER INSERT ON adoptions BEGIN
    INSERT INTO {FTS_TABLE}(rowid, {_cols}) VALUES (new.id, {_new});
END;
CREATE TRIGGER IF NOT EXISTS adoptions_fts_ad AFTER DELETE ON adoptions BEGIN
    INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_cols}) VALUES ('delete', old.id, {_old});
END;
CREATE TRIGGER IF NOT EXISTS adoptions_fts_au AFTER UPDATE ON adoptions BEGIN
    INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_cols}) VALUES ('delete', old.id, {_old});
    INSERT INTO {FTS_TABLE}(rowid, {_cols}) VALUES (new.id, {_new});
END;
INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild');
"""

_RESULT_COLUMNS = "a.id, a.fiscal_year, a.name, a.prefecture, a.municipality, a.category, a.summary"
_SUBSTRING = """(instr(a.name, trim(:q)) > 0
           OR instr(a.prefecture || a.municipality, trim(:q)) > 0
           OR instr(coalesce(a.category, ''), trim(:q)) > 0
           OR instr(coalesce(a.summary, ''), trim(:q)) > 0)"""

SEARCH_SQL = f"""SELECT {_RESULT_COLUMNS}
FROM adoptions a
WHERE CASE WHEN length(trim(:q)) >= 3
    THEN a.id IN (SELECT rowid FROM {FTS_TABLE}
                  WHERE {FTS_TABLE} MATCH '"' || replace(trim(:q), '"', '""') || '"')
    ELSE {_SUBSTRING}
END
ORDER BY a.fiscal_year DESC, a.prefecture, a.municipality"""
"""Search adoptions for ``:q`` (one term or phrase, any length): trigram FTS for three
or more characters, substring test for one or two."""

SEARCH_SQL_NO_FTS = f"""SELECT {_RESULT_COLUMNS}
FROM adoptions a
WHERE {_SUBSTRING}
ORDER BY a.fiscal_year DESC, a.prefecture, a.municipality"""
"""The same search without FTS (SQLite without the trigram tokenizer)."""


@cache
def trigram_available() -> bool:
    """Whether this SQLite has FTS5 with the trigram tokenizer (SQLite >= 3.34)."""
    try:
        probe = sqlite3.connect(":memory:")
        try:
            probe.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='trigram')")
        finally:
            probe.close()
    except sqlite3.Error:
        return False
    return True


def has_fts(conn: sqlite3.Connection) -> bool:
    """Whether the database has the search index."""
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (FTS_TABLE,)).fetchone()
    return row is not None


def ensure_search(conn: sqlite3.Connection) -> bool:
    """Create and fill the search index and its triggers if missing; True if it exists.

    Idempotent; call it on an autocommit connection (it runs its own transaction).
    Returns False, creating nothing, when SQLite lacks the trigram tokenizer.
    """
    if has_fts(conn):
        return True
    if not trigram_available():
        return False
    conn.execute("BEGIN IMMEDIATE")
    try:
        if not has_fts(conn):  # another process may have created it meanwhile
            for statement in _statements(FTS_SCHEMA):
                conn.execute(statement)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return True


def _statements(script: str) -> list[str]:
    """Split a script into complete statements (triggers contain semicolons)."""
    out, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if current.strip() and sqlite3.complete_statement(current):
            out.append(current.strip())
            current = ""
    return out


def search_sql(conn: sqlite3.Connection) -> str:
    """The any-length search query for this database (with or without FTS)."""
    return SEARCH_SQL if has_fts(conn) else SEARCH_SQL_NO_FTS


def search(conn: sqlite3.Connection, q: str) -> list[sqlite3.Row]:
    """Adoptions whose name, place, category or summary contains ``q``."""
    return conn.execute(search_sql(conn), {"q": q}).fetchall()
