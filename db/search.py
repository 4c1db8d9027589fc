"""Full-text search over adoptions that works for Japanese.

Japanese has no spaces between words, so a word tokenizer cannot find 関係人口 inside
a sentence. ``adoptions_fts`` is an FTS5 table with SQLite's ``trigram`` tokenizer
(SQLite >= 3.34): it matches any substring of three or more characters. It is an
external-content table over ``adoptions`` (name, summary, prefecture, municipality,
category), kept in sync by triggers, so it stores only the index; sqlite-utils'
``enable_fts`` makes both. Datasette detects it and offers a search box on the adoptions table.

Trigram cannot match terms of one or two characters (農業, 市). :data:`SEARCH_SQL` is a
query that works for any length: an FTS phrase match for three or more characters, a
plain substring test (``instr``) for shorter terms. Without trigram support (older
SQLite) no FTS table is created and :data:`SEARCH_SQL_NO_FTS` (substring test only)
is used instead.
"""

from __future__ import annotations

import logging
import sqlite3

import sqlite_utils

log = logging.getLogger(__name__)

FTS_TABLE = "adoptions_fts"
FTS_COLUMNS = ("name", "summary", "prefecture", "municipality", "category")
# Linked documents' text (and link text) get the same trigram index: documents_fts.
DOCUMENT_FTS_TABLE = "documents_fts"
DOCUMENT_FTS_COLUMNS = ("link_text", "text")
# And the feeds' announcements: announcements_fts.
ANNOUNCEMENT_FTS_TABLE = "announcements_fts"
ANNOUNCEMENT_FTS_COLUMNS = ("title", "description")


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


def has_fts(conn: sqlite3.Connection) -> bool:
    """Whether the database has the search index."""
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (FTS_TABLE,)).fetchone()
    return row is not None


def create_search(conn: sqlite3.Connection) -> bool:
    """Create and fill the search index with its triggers (sqlite-utils); True if it exists afterwards.

    Called by :mod:`db.schema` when it sets a database up or upgrades it (the one place db/
    loads this module and sqlite-utils with it). Creates nothing, and returns
    False, when this SQLite has no trigram tokenizer: :data:`SEARCH_SQL_NO_FTS` is used then.
    """
    db = sqlite_utils.Database(conn)
    try:
        for table, fts, columns in (("adoptions", FTS_TABLE, FTS_COLUMNS),
                                    ("documents", DOCUMENT_FTS_TABLE, DOCUMENT_FTS_COLUMNS),
                                    ("announcements", ANNOUNCEMENT_FTS_TABLE, ANNOUNCEMENT_FTS_COLUMNS)):
            if not db[fts].exists():
                db[table].enable_fts(columns, tokenize="trigram", create_triggers=True)
    except sqlite3.OperationalError as e:  # "no such tokenizer: trigram" (SQLite < 3.34)
        log.warning("no full-text index (%s); searching by substring instead", e)
        return False
    return True


def search_sql(conn: sqlite3.Connection) -> str:
    """The any-length search query for this database (with or without FTS)."""
    return SEARCH_SQL if has_fts(conn) else SEARCH_SQL_NO_FTS


def search(conn: sqlite3.Connection, q: str) -> list[sqlite3.Row]:
    """Adoptions whose name, place, category or summary contains ``q``."""
    return conn.execute(search_sql(conn), {"q": q}).fetchall()
