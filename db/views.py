"""The views people and Datasette read, made when the schema is set up.

The views :data:`VIEWS` answer the common questions: ``current_adoptions`` (the
current state, one row per adopted body, with its year's label and its partners) and
``changes_detail`` (every change with its run's times and the snapshot it came from).
For browsing in Japanese, ``採択団体`` (the current bodies with Japanese column names, in
全国地方公共団体コード order) and ``変更履歴`` (the real changes, newest first: every
change except each source's initial load, the first run that recorded changes for it);
``prefectures`` gives each prefecture's two-digit code, for ordering.

The module is loaded only by the schema's set-up, Datasette and exports: it reads the code list.
"""

from __future__ import annotations

import sqlite3

from scraper.lgcode import CODES

from .connection import transaction

# The 47 prefectures and the first two digits of their own code (北海道 010006 → 01), from the code list.
_PREFECTURES = sorted((code[:2], prefecture) for (prefecture, municipality), code in CODES.items() if not municipality)
PREFECTURES_SQL = ("SELECT column1 AS code, column2 AS prefecture FROM (VALUES "
                   + ", ".join(f"('{code}', '{name}')" for code, name in _PREFECTURES) + ")")

# name -> SELECT; created as "CREATE VIEW <name> AS <select>" and recreated when the text changes.
VIEWS: dict[str, str] = {
    "current_adoptions": """SELECT a.fiscal_year, y.label AS fiscal_year_label, a.name, a.prefecture, a.municipality,
       a.lg_code, a.category, a.summary,
       (SELECT group_concat(p.name, '、') FROM
            (SELECT name FROM partners WHERE adoption_id = a.id ORDER BY rowid) AS p) AS partners,
       a.first_seen_run, a.last_changed_run, a.id AS adoption_id
FROM adoptions a JOIN fiscal_years y ON y.fiscal_year = a.fiscal_year
ORDER BY a.fiscal_year DESC, a.id""",
    "changes_detail": """SELECT c.id, c.run_id, r.started_at AS run_started_at, r.finished_at AS run_finished_at,
       c.detected_at, c.kind, c.fiscal_year, c.name, c.field, c.old_value, c.new_value, c.source,
       c.snapshot_id, s.url AS snapshot_url, s.sha256 AS snapshot_sha256, s.path AS snapshot_path,
       s.fetched_at AS snapshot_fetched_at
FROM changes c JOIN runs r ON r.id = c.run_id LEFT JOIN snapshots s ON s.id = c.snapshot_id""",
    "prefectures": PREFECTURES_SQL,
    # Japanese browsing views: the stable interface for SQL stays the English tables and views above.
    "採択団体": """SELECT a.fiscal_year AS 年度, a.fiscal_year_label AS 年度表記, a.name AS 団体名,
       a.prefecture AS 都道府県, a.municipality AS 市区町村, a.lg_code AS 団体コード, a.category AS 類型,
       a.summary AS 事業概要, a.partners AS 連携団体
FROM current_adoptions a LEFT JOIN prefectures p ON p.prefecture = a.prefecture
ORDER BY p.code IS NULL, p.code, coalesce(a.lg_code, ''), a.fiscal_year DESC, a.adoption_id""",
    "変更履歴": """WITH initial AS (SELECT source, min(run_id) AS run_id FROM changes GROUP BY source)
SELECT c.id AS 番号, strftime('%Y-%m-%d %H:%M', c.detected_at, '+9 hours') AS 検出日時, c.kind AS 種類,
       c.fiscal_year AS 年度, c.name AS 団体名, c.field AS 項目, c.old_value AS 変更前, c.new_value AS 変更後,
       c.source AS 取得元, c.run_id AS 実行番号
FROM changes c JOIN initial i ON i.source IS c.source
WHERE c.run_id > i.run_id
ORDER BY c.id DESC""",
}


def ensure_views(conn: sqlite3.Connection) -> None:
    """Create the views, or replace one whose definition changed."""
    stored = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'view'").fetchall())
    stale = [n for n, select in VIEWS.items() if stored.get(n) != f"CREATE VIEW {n} AS {select}"]
    with transaction(conn):
        for name in stale:
            conn.execute(f"DROP VIEW IF EXISTS {name}")
            conn.execute(f"CREATE VIEW {name} AS {VIEWS[name]}")
