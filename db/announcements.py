"""Reading and writing the announcements of feed sources (table ``announcements`` in :data:`db.schema.SCHEMA`).

An item is identified by its key (its link, else its guid, else its title) within its source. A
feed keeps only its latest items, so an item it no longer lists is not removed: rows are only
ever added. Every write happens inside the caller's transaction.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scraper.model import FeedItem


def known_keys(conn: sqlite3.Connection, source: str) -> set[str]:
    return {r[0] for r in conn.execute("SELECT item_key FROM announcements WHERE source = ?", (source,))}


def insert(conn: sqlite3.Connection, source: str, item: FeedItem, run_id: int) -> None:
    conn.execute(
        "INSERT INTO announcements(source, item_key, title, link, published, published_utc, description, matched,"
        " fiscal_year, first_seen_run) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (source, item.item_key, item.title, item.link, item.published, item.published_utc, item.description,
         "、".join(item.matched), item.fiscal_year, run_id))


def followed(conn: sqlite3.Connection, source: str) -> list[tuple[int, str]]:
    """The (id, link) of the source's announcements that have a link, oldest first."""
    return [(r[0], r[1]) for r in conn.execute(
        "SELECT id, link FROM announcements WHERE source = ? AND link IS NOT NULL ORDER BY id", (source,))]


# Announcements of an adoption (採択) in a fiscal year the portal page does not list yet: the leading signal.
PENDING_SQL = """SELECT a.fiscal_year, min(coalesce(a.published_utc, a.published)) AS announced, a.title, a.link,
       a.source, min(a.first_seen_run) AS first_seen_run
FROM announcements a
WHERE a.fiscal_year IS NOT NULL AND instr(a.title, '採択') > 0
  AND a.fiscal_year NOT IN (SELECT fiscal_year FROM fiscal_years)
GROUP BY a.fiscal_year
ORDER BY a.fiscal_year"""


def pending_years(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """Fiscal years announced as adopted (採択) in a feed but not on the portal page yet."""
    return conn.execute(PENDING_SQL).fetchall()
