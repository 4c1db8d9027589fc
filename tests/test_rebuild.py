"""`kankei rebuild`: re-derive the database from the snapshot archive and swap it in."""

from __future__ import annotations

import gzip
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pipeline.cli import cli
from pipeline.config import load_config
from pipeline.lock import run_lock
from pipeline.rebuild import RebuildError, compare, rebuild
from tests.http_server import LoopbackServer, Reply

from .helpers import fixture_bytes, write_config

PAGE = "/kankeijinkou/discription/index.html"


@pytest.fixture
def demo(pristine_demo: Path, tmp_path: Path) -> Path:
    """A fresh copy of the demo folder with a config.toml pointing at it; returns the config path."""
    directory = tmp_path / "demo"
    shutil.copytree(pristine_demo, directory)
    config = directory / "config.toml"
    config.write_text(f"""
[storage]
database = "kankei.db"
snapshots = "snapshots"

[http]
user_agent = "kankei-test/0.1 (+tests)"
allowed_hosts = ["127.0.0.1"]

[[sources]]
name = "model-projects"
url = "http://127.0.0.1/{PAGE.lstrip('/')}"
parser = "model_projects"

[[sources]]
name = "soumu-news"
url = "http://127.0.0.1/news.rdf"
parser = "feed"
""", encoding="utf-8")
    return config


def invoke(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["rebuild", "--config", str(config), *args])


def tables(db: Path) -> dict[str, list[tuple]]:
    """Every ordinary table's rows, ids and timestamps included (FTS index tables left out)."""
    conn = sqlite3.connect(db)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'"
            " AND name NOT LIKE 'adoptions_fts%' AND name NOT LIKE 'documents_fts%' ORDER BY name")]
        return {n: sorted(conn.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}
    finally:
        conn.close()


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if ".rebuild-" in p.name)


def test_rebuild_of_the_demo_reproduces_every_table(demo: Path) -> None:
    db = demo.parent / "kankei.db"
    expected = tables(db)
    assert len(expected["adoption_versions"]) == 104 and len(expected["changes"]) == 123
    assert len(expected["documents"]) == 4 and len(expected["discrepancies"]) == 1
    assert len(expected["announcements"]) == 1
    # Damage every derived table, so only a real replay can restore them.
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA foreign_keys = ON")
    for table in ("changes", "adoption_versions", "fiscal_year_versions", "category_versions", "partners",
                  "discrepancies", "document_versions", "documents", "announcements", "adoptions", "categories",
                  "fiscal_years", "source_state"):
        conn.execute(f"DELETE FROM {table}")
    conn.commit()
    conn.close()

    result = invoke(demo)
    assert result.exit_code == 0, result.output
    assert "Replayed 15 snapshots of 5 runs: 4 parsed, 6 unchanged (304), 0 failed to parse; 123 changes derived." \
        in result.output
    assert "adoptions: 0 rows only in the previous database, 101 only in the rebuilt one" in result.output
    assert tables(db) == expected
    assert leftovers(demo.parent) == []
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # The search index was built from the replayed rows, not copied stale.
    assert conn.execute("SELECT COUNT(*) FROM adoptions_fts WHERE adoptions_fts MATCH '\"加工体験\"'").fetchone()[0] == 1
    conn.close()

    # Rebuilding the rebuilt database changes nothing and says so.
    again = invoke(demo)
    assert again.exit_code == 0 and "Identical to the previous database, table by table." in again.output
    assert tables(db) == expected


def test_check_reports_differences_and_changes_nothing(demo: Path) -> None:
    db = demo.parent / "kankei.db"
    conn = sqlite3.connect(db)
    conn.execute("UPDATE adoptions SET summary = 'tampered' WHERE name = '石狩市'")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    result = invoke(demo, "--check")
    assert result.exit_code == 1, result.output
    assert "adoptions: 1 row only in the previous database, 1 only in the rebuilt one" in result.output
    assert "was not changed" in result.output
    assert db.read_bytes() == before and leftovers(demo.parent) == []


@pytest.mark.parametrize("damage", ["deleted", "replaced", "corrupted"])
def test_a_missing_or_altered_snapshot_fails_naming_it(demo: Path, damage: str) -> None:
    db = demo.parent / "kankei.db"
    conn = sqlite3.connect(db)
    snapshot, path = conn.execute("SELECT id, path FROM snapshots WHERE run_id = 4 AND role = 'page'").fetchone()
    conn.close()
    file = demo.parent / "snapshots" / path
    if damage == "deleted":
        file.unlink()
    elif damage == "replaced":
        file.write_bytes(gzip.compress("<html>別の内容</html>".encode("utf-8")))
    else:
        data = bytearray(file.read_bytes())
        data[len(data) // 2] ^= 0xFF
        file.write_bytes(bytes(data))
    before, rows = db.read_bytes(), tables(db)

    result = invoke(demo)
    assert result.exit_code == 1, result.output
    message = result.output.strip()
    assert len(message.splitlines()) == 1
    assert message.startswith("kankei: rebuild failed, ") and "was not changed" in message
    assert f"snapshot {snapshot} (source model-projects, run 4" in message and path in message
    assert {"deleted": "is missing", "replaced": "does not match its hash"}.get(damage, "snapshot file") in message
    assert db.read_bytes() == before and tables(db) == rows
    assert leftovers(demo.parent) == []


def test_no_database_is_a_usage_error(tmp_path: Path) -> None:
    config = write_config(tmp_path, "http://127.0.0.1/x.html")
    result = invoke(config)
    assert result.exit_code == 2
    assert "no database to rebuild" in result.output
    assert not (tmp_path / "data" / "kankei.db").exists()


def test_held_lock_exits_3_and_writes_nothing(demo: Path) -> None:
    db = demo.parent / "kankei.db"
    before = db.read_bytes()
    with run_lock(load_config(demo)):
        result = invoke(demo)
    assert result.exit_code == 3 and "holds" in result.output
    assert db.read_bytes() == before


def test_a_source_no_longer_configured(demo: Path) -> None:
    db = demo.parent / "kankei.db"
    text = demo.read_text(encoding="utf-8")
    demo.write_text(text.replace('name = "model-projects"', 'name = "renamed"'), encoding="utf-8")
    # Its parser is judged from what it stored: the model-project tables.
    result = invoke(demo)
    assert result.exit_code == 0 and "Identical to the previous database" in result.output, result.output
    # With nothing to judge by, the rebuild refuses rather than guess.
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM changes")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    result = invoke(demo)
    assert result.exit_code == 1
    assert "snapshot 1 (source model-projects" in result.output and "no longer configured" in result.output
    assert db.read_bytes() == before


def test_interrupted_rebuild_leaves_the_database_untouched(demo: Path) -> None:
    db = demo.parent / "kankei.db"
    before = db.read_bytes()

    def interrupt(line: str) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rebuild(load_config(demo), echo=interrupt)
    assert db.read_bytes() == before and leftovers(demo.parent) == []


def test_an_open_reader_keeps_its_view_during_the_swap(demo: Path) -> None:
    db = demo.parent / "kankei.db"
    writer = sqlite3.connect(db)
    writer.execute("UPDATE adoptions SET summary = 'tampered' WHERE name = '石狩市'")
    writer.commit()
    writer.close()
    reader = sqlite3.connect(db, isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT summary FROM adoptions WHERE name = '石狩市'").fetchone()[0] == "tampered"
    result = rebuild(load_config(demo))
    assert result.replaced and result.differences == [
        "adoptions: 1 row only in the previous database, 1 only in the rebuilt one"]
    # Mid-transaction the reader still sees the old database, whole; afterwards the new one.
    assert reader.execute("SELECT summary FROM adoptions WHERE name = '石狩市'").fetchone()[0] == "tampered"
    reader.execute("COMMIT")
    assert "加工体験" in reader.execute("SELECT summary FROM adoptions WHERE name = '石狩市'").fetchone()[0]
    reader.close()


def test_failures_replay_into_source_state(http_server: LoopbackServer, tmp_path: Path) -> None:
    """A body that failed to parse and a fetch that failed are replayed as the runs recorded them."""
    config = write_config(tmp_path, http_server.url(PAGE))
    db = tmp_path / "data" / "kankei.db"
    for reply in (Reply(200, body=fixture_bytes("model_projects_table.html"), content_type="text/html"),
                  Reply(200, body=fixture_bytes("error_page.html"), content_type="text/html"),
                  Reply(404)):
        http_server.route(PAGE, reply)
        CliRunner().invoke(cli, ["--config", str(config), "run"])
    conn = sqlite3.connect(db)
    state = conn.execute("SELECT consecutive_failures, last_success_run, last_error FROM source_state").fetchone()
    conn.close()
    assert state[:2] == (2, 1) and "404" in state[2]
    expected = tables(db)

    result = rebuild(load_config(config))
    assert (result.snapshots, result.parsed, result.fetch_failures) == (2, 1, 1)
    assert len(result.failures) == 1 and "snapshot 2 (source model-projects, run 2" in result.failures[0]
    assert result.differences == []
    got = tables(db)
    # A fetch failure's time is not stored anywhere else: the rebuild uses its run's end.
    assert {k: v for k, v in got.items() if k != "source_state"} == \
        {k: v for k, v in expected.items() if k != "source_state"}
    assert [r[:7] for r in got["source_state"]] == [r[:7] for r in expected["source_state"]]


def test_compare_names_tables_only_on_one_side(tmp_path: Path) -> None:
    a, b = sqlite3.connect(tmp_path / "a.db"), sqlite3.connect(tmp_path / "b.db")
    a.execute("CREATE TABLE t(x)")
    a.execute("INSERT INTO t VALUES (1), (2)")
    b.execute("CREATE TABLE t(x)")
    b.execute("INSERT INTO t VALUES (2), (3), (3)")
    b.execute("CREATE TABLE extra(y)")
    assert compare(a, b) == ["extra: only in the rebuilt database (0 rows)",
                             "t: 1 row only in the previous database, 2 only in the rebuilt one"]


def test_carries_over_tables_it_does_not_derive(demo: Path) -> None:
    db = demo.parent / "kankei.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE notes(id INTEGER PRIMARY KEY, text TEXT)")
    conn.execute("CREATE INDEX notes_text ON notes(text)")
    conn.execute("INSERT INTO notes(text) VALUES ('kept')")
    conn.execute("INSERT INTO meta(key, value) VALUES ('feed_last', '2024-01-01')")
    conn.commit()
    conn.close()
    result = rebuild(load_config(demo))
    assert result.carried == ["notes"] and result.differences == []
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT text FROM notes").fetchall() == [("kept",)]
    assert conn.execute("SELECT value FROM meta WHERE key = 'feed_last'").fetchone() == ("2024-01-01",)
    assert conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'notes_text'").fetchone() == (1,)
    conn.close()


def test_help_text() -> None:
    result = CliRunner().invoke(cli, ["rebuild", "--help"])
    assert result.exit_code == 0
    assert "snapshot archive" in result.output and "--check" in result.output and "Exit status" in result.output
    assert "rebuild" in CliRunner().invoke(cli, ["--help"]).output


def test_rebuild_error_is_one_line() -> None:
    assert str(RebuildError("a\nb")) == "a b"
