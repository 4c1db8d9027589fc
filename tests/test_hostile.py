"""Hostile databases, paths, pages and exposure: each ends in a clear one-line error or a safe default."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.serve import database_name, is_loopback, make_datasette
from tests.helpers import write_config
from tests.http_server import unused_port


@pytest.mark.parametrize("command", [["report"], ["report", "--format", "html"], ["serve"], ["status"], ["run"]])
def test_a_database_replaced_by_garbage_gives_one_line(tmp_path: Path, command: list[str]) -> None:
    config = write_config(tmp_path, "http://127.0.0.1:1/x")
    database = tmp_path / "data" / "kankei.db"
    database.parent.mkdir()
    garbage = b"this is not a database\n" * 500
    database.write_bytes(garbage)
    result = CliRunner().invoke(cli, ["--config", str(config), *command])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.stderr == f"kankei: cannot {'write the database' if command == ['run'] else 'read'} {database}: " \
                            "file is not a database\n"
    assert result.stdout == ""
    assert database.read_bytes() == garbage


# ------------------------------------------------------------------ kankei serve


@pytest.fixture(scope="module")
def odd_db(pristine_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database under a path with spaces, Japanese, #, ? and %."""
    folder = tmp_path_factory.mktemp("serve-path") / "データ ベース #2?x=1"
    folder.mkdir()
    database = folder / "関係 人口 #1?a=%41 50%.db"
    shutil.copyfile(pristine_demo / "kankei.db", database)
    return database


def get(ds, path: str) -> tuple[int, Any]:
    async def fetch() -> tuple[int, Any]:
        response = await ds.client.get(path)
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, response.text

    return asyncio.run(fetch())


def test_serve_opens_a_path_with_spaces_japanese_hash_question_mark_and_percent(odd_db: Path) -> None:
    before = sorted(p.name for p in odd_db.parent.iterdir())
    ds = make_datasette(odd_db)
    route = ds.urls.database(database_name(odd_db))
    status, rows = get(ds, f"{route}/multi_year_bodies.json?_shape=array")
    assert status == 200, rows
    assert any(r["municipality"] == "邑南町" and r["years"] == 3 for r in rows)
    status, rows = get(ds, f"{route}/adoptions.json?_shape=array&_size=max")
    conn = sqlite3.connect(odd_db)
    assert len(rows) == conn.execute("SELECT count(*) FROM adoptions").fetchone()[0] > 0
    conn.close()
    assert set(before) <= {p.name for p in odd_db.parent.iterdir()} <= set(before) | {
        odd_db.name + "-wal", odd_db.name + "-shm"}  # no new, empty database file beside it
    assert not any(p.name.startswith("関係 人口 ") and p != odd_db and not p.name.endswith(("-wal", "-shm"))
                   for p in odd_db.parent.iterdir())


def test_serve_command_prints_a_url_that_reaches_the_real_database(odd_db: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\ndatabase = "{odd_db.as_posix()}"\n[http]\nuser_agent = "kankei-test/0.1"\n'
                      'allowed_hosts = ["127.0.0.1"]\n[[sources]]\nname = "model-projects"\n'
                      'url = "http://127.0.0.1/kankeijinkou/discription/index.html"\nparser = "model_projects"\n',
                      encoding="utf-8")
    port = unused_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from pipeline.cli import cli; cli()", "serve", "--config", str(config),
         "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        first, second = proc.stdout.readline(), proc.stdout.readline()
        url = first.split(" at ", 1)[1].split()[0]
        assert url.startswith(f"http://127.0.0.1:{port}/") and " " not in url and "#" not in url, first
        assert second.startswith("Reachable from this machine only: ") and "arbitrary SQL on" in second, second
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(f"{url}/multi_year_bodies.json?_shape=array", timeout=5) as response:
                    rows = json.loads(response.read())
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        assert any(r["municipality"] == "邑南町" for r in rows)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_no_query_builds_a_huge_value_and_the_time_limit_holds(odd_db: Path) -> None:
    ds = make_datasette(odd_db)
    route = ds.urls.database(database_name(odd_db))
    started = time.monotonic()
    status, body = get(ds, f"{route}.json?sql=select+length(randomblob(20000000)||randomblob(20000000))")
    assert status == 400 and "too big" in json.dumps(body), body
    assert time.monotonic() - started < 5
    started = time.monotonic()
    status, body = get(ds, f"{route}.json?sql=with+recursive+c(x)+as+(select+1+union+all+select+x%2B1+from+c)"
                           "+select+count(*)+from+c")
    assert status == 400 and "too long" in json.dumps(body), body
    assert time.monotonic() - started < 5


def test_an_exposed_datasette_refuses_arbitrary_sql_but_keeps_canned_queries_and_search(odd_db: Path) -> None:
    ds = make_datasette(odd_db, allow_sql=False)
    route = ds.urls.database(database_name(odd_db))
    status, _ = get(ds, f"{route}.json?sql=select+1")
    assert status == 403
    status, rows = get(ds, f"{route}/multi_year_bodies.json?_shape=array")
    assert status == 200 and rows
    status, rows = get(ds, f"{route}/search.json?q=%E8%BE%B2%E6%A5%AD&_shape=array")
    assert status == 200 and rows
    status, rows = get(ds, f"{route}/adoptions.json?_search=%E9%96%A2%E4%BF%82%E4%BA%BA%E5%8F%A3&_shape=array")
    assert status == 200 and rows


@pytest.mark.parametrize("host,loopback", [("127.0.0.1", True), ("127.0.0.2", True), ("::1", True),
                                           ("localhost", True), ("0.0.0.0", False), ("::", False),
                                           ("192.168.1.5", False), ("example.org", False)])
def test_only_loopback_addresses_count_as_local(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
