"""A database of schema 1 (304 rows stored as full copies of the previous snapshots row) is
migrated in place by ``db.schema.connect``: compact 304 rows pointing at their body (``same_as``)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from db import schema
from db import search as db_search
from pipeline.cli import cli

V1_SNAPSHOTS = """CREATE TABLE snapshots (
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
)"""
V1_COLUMNS = "id, run_id, source, url, fetched_at, http_status, etag, last_modified, sha256, size, path, encoding"


def downgrade(db: Path, *, point_state_at_304: bool = False) -> None:
    """Rewrite a current database as schema 1 wrote it: each 304 row a copy of its body row, and no
    linked documents (schema 4 added them)."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("PRAGMA legacy_alter_table = ON")
    conn.execute("BEGIN")
    conn.execute("DELETE FROM changes WHERE kind LIKE 'document%' OR kind LIKE 'discrepancy%'")
    for table in ("discrepancies", "document_versions", "documents"):
        conn.execute(f"DELETE FROM {table}")
    conn.execute("DELETE FROM snapshots WHERE role = 'document'")
    # and no feeds (schema 4 added them too)
    conn.execute("DELETE FROM changes WHERE kind = 'announcement_added'")
    for table in ("snapshots", "source_state"):
        conn.execute(f"DELETE FROM {table} WHERE source IN (SELECT source FROM announcements)")
    conn.execute("DELETE FROM announcements")
    # numbered as a run without documents numbered them
    conn.execute("UPDATE changes SET id = -(SELECT COUNT(*) FROM changes c WHERE c.id <= changes.id)")
    conn.execute("UPDATE changes SET id = -id")
    conn.execute("ALTER TABLE snapshots RENAME TO snapshots_v2")
    conn.execute(V1_SNAPSHOTS)
    conn.execute(f"""INSERT INTO snapshots({V1_COLUMNS})
        SELECT s.id, s.run_id, s.source, coalesce(s.url, b.url), s.fetched_at, s.http_status,
               coalesce(s.etag, b.etag), coalesce(s.last_modified, b.last_modified),
               coalesce(s.sha256, b.sha256), coalesce(s.size, b.size), coalesce(s.path, b.path),
               coalesce(s.encoding, b.encoding)
        FROM snapshots_v2 s LEFT JOIN snapshots_v2 b ON b.id = s.same_as""")
    conn.execute("DROP TABLE snapshots_v2")
    conn.execute("CREATE INDEX snapshots_source_id ON snapshots(source, id)")
    if point_state_at_304:  # schema 1 pointed the source's state at its last row, a 304 or not
        conn.execute("UPDATE source_state SET last_snapshot_id = (SELECT max(id) FROM snapshots)")
    conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    conn.execute("COMMIT")
    conn.close()


PAGES = "role = 'page' AND source NOT IN (SELECT source FROM announcements)"  # what schema 1 could have


def rows(db: Path, sql: str, *args: object) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def test_connect_migrates_a_schema_1_database(pristine_demo: Path, tmp_path: Path) -> None:
    directory = tmp_path / "demo"
    shutil.copytree(pristine_demo, directory)
    db = directory / "kankei.db"
    expected = rows(db, f"SELECT * FROM snapshots WHERE {PAGES} ORDER BY id")
    columns = rows(db, "SELECT name FROM pragma_table_info('snapshots')")
    body = rows(db, f"SELECT max(id) FROM snapshots WHERE {PAGES} AND http_status = 200")[0][0]
    last = rows(db, "SELECT max(id) FROM snapshots")[0][0]
    # A 304 after the last body too, so that the state points at a 304 row, as schema 1 did.
    conn = schema.connect(db)
    conn.execute("INSERT INTO runs(id, started_at, finished_at, status, summary) "
                 "VALUES (6, '2026-01-05T00:00:00Z', '2026-01-05T00:00:01Z', 'ok', '{}')")
    conn.execute("INSERT INTO snapshots(id, run_id, source, fetched_at, http_status, same_as, etag) "
                 "VALUES (?, 6, 'model-projects', '2026-01-05T00:00:00Z', 304, ?, '\"new\"')", (last + 1, body))
    conn.close()
    expected.append((last + 1, 6, "model-projects", None, "2026-01-05T00:00:00Z", 304, body, '"new"') + (None,) * 5
                    + ("page", None))
    downgrade(db, point_state_at_304=True)
    assert rows(db, "SELECT http_status, sha256 IS NOT NULL, last_snapshot_id FROM snapshots, source_state "
                    "WHERE snapshots.id = ?", last + 1) == [(304, 1, last + 1)]

    schema.connect(db).close()

    assert rows(db, "SELECT value FROM meta WHERE key = 'schema_version'") == [(str(schema.SCHEMA_VERSION),)]
    assert rows(db, "SELECT name FROM pragma_table_info('snapshots')") == columns
    assert rows(db, "SELECT * FROM snapshots ORDER BY id") == expected  # the ETag only the 304 sent is kept
    assert rows(db, "SELECT last_snapshot_id FROM source_state") == [(body,)]  # the body, not the 304
    assert rows(db, "PRAGMA integrity_check") == [("ok",)] and rows(db, "PRAGMA foreign_key_check") == []
    assert len(rows(db, "SELECT * FROM changes_detail WHERE snapshot_sha256 IS NOT NULL")) == \
        len(rows(db, "SELECT * FROM changes"))
    schema.connect(db).close()  # a second open changes nothing
    assert rows(db, "SELECT * FROM snapshots ORDER BY id") == expected


def test_rebuild_of_a_schema_1_database(pristine_demo: Path, tmp_path: Path) -> None:
    directory = tmp_path / "demo"
    shutil.copytree(pristine_demo, directory)
    db = directory / "kankei.db"
    expected = rows(db, f"SELECT * FROM snapshots WHERE {PAGES} ORDER BY id")
    downgrade(db)
    config = directory / "config.toml"
    config.write_text('[storage]\ndatabase = "kankei.db"\nsnapshots = "snapshots"\n\n[http]\n'
                      'user_agent = "kankei-test/0.1 (+tests)"\nallowed_hosts = ["127.0.0.1"]\n\n'
                      '[[sources]]\nname = "model-projects"\nurl = "http://127.0.0.1/x.html"\n'
                      'parser = "model_projects"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["rebuild", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "Identical to the previous database, table by table." in result.output
    assert rows(db, "SELECT * FROM snapshots ORDER BY id") == expected


V2_SEARCH = """
CREATE VIRTUAL TABLE adoptions_fts USING fts5(
    name, summary, prefecture, municipality, category, content="adoptions", content_rowid="id", tokenize="trigram");
CREATE TRIGGER adoptions_fts_ai AFTER INSERT ON adoptions BEGIN
    INSERT INTO adoptions_fts(rowid, name, summary, prefecture, municipality, category)
    VALUES (new.id, new.name, new.summary, new.prefecture, new.municipality, new.category);
END;
INSERT INTO adoptions_fts(adoptions_fts) VALUES ('rebuild');
"""


def test_schema_2_search_index_is_replaced_by_sqlite_utils_one(tmp_path: Path) -> None:
    """Version 2 made the search index and its triggers by hand; version 3 has sqlite-utils make them."""
    db = tmp_path / "old.db"
    conn = schema.connect(db)
    conn.execute("INSERT INTO runs(started_at, status) VALUES ('2020-01-01T00:00:00Z', 'ok')")
    conn.execute("INSERT INTO fiscal_years VALUES (2020, '令和2年度', 2, 2)")
    for trigger in ("ai", "ad", "au"):
        conn.execute(f"DROP TRIGGER adoptions_{trigger}")
    conn.execute("DROP TABLE adoptions_fts")
    conn.executescript(V2_SEARCH)
    conn.execute("INSERT INTO adoptions(fiscal_year, name, prefecture, municipality, summary, first_seen_run, "
                 "last_changed_run) VALUES (2020, '石狩市', '北海道', '石狩市', '関係人口の創出', 1, 1)")
    conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    conn.close()

    conn = schema.connect(db)
    triggers = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")]
    assert triggers == ["adoptions_ad", "adoptions_ai", "adoptions_au", "announcements_ad", "announcements_ai",
                        "announcements_au", "documents_ad", "documents_ai", "documents_au"]
    conn.execute("INSERT INTO adoptions(fiscal_year, name, prefecture, municipality, summary, first_seen_run, "
                 "last_changed_run) VALUES (2020, '邑南町', '島根県', '邑南町', '関係人口の拡大', 1, 1)")
    conn.execute("INSERT INTO adoptions_fts(adoptions_fts, rank) VALUES ('integrity-check', 1)")
    assert sorted(r["name"] for r in db_search.search(conn, "関係人口")) == sorted(["石狩市", "邑南町"])
    assert schema.stored_version(conn) == schema.SCHEMA_VERSION
    conn.close()
