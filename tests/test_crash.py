"""Crash safety: real ``kankei run`` processes killed with SIGKILL at several points.

After every kill: ``PRAGMA integrity_check`` is ok, the stored adoptions are
exactly the previous state or exactly the new page's (never a mix), every
snapshots row points to an existing file that matches its hash, the lock is free,
and the next run completes normally.
"""

from __future__ import annotations

import hashlib
import signal
import sqlite3
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.config import load_config
from pipeline.cycle import run_cycle
from pipeline.demo import SamplePageServer, demo_config
from pipeline.lock import file_lock
from tests.http_server import LoopbackServer, Reply

from .helpers import write_config
from .ops_helpers import (PAGE, V1, V2, V3, adoption_state, assert_consistent, padded, page_requests, query,
                          run_kankei, serve, spawn, wait_until)


@pytest.fixture(scope="module")
def reference() -> dict[str, tuple]:
    """The adoption state each sample page leads to, computed in-process on a scratch database."""
    states = {}
    with tempfile.TemporaryDirectory() as scratch, SamplePageServer() as site:
        config = demo_config(Path(scratch), site.url)
        for n, (name, page) in enumerate((("v1", V1), ("v2", V2), ("v3", V3)), start=1):
            site.serve(page, n)
            assert run_cycle(config).ok
            states[name] = adoption_state(config.database)
    assert len({*states.values()}) == 3
    return states


def check_after_kill(config_path: Path, allowed: list[tuple]) -> tuple:
    config = load_config(config_path)
    assert_consistent(config.database, config.snapshots)
    state = adoption_state(config.database)
    assert state in allowed, "the stored adoptions are neither the previous state nor the new page's"
    with file_lock(config.lock_path):  # the kernel released the dead process's lock
        pass
    return state


def kill(proc) -> int:
    proc.send_signal(signal.SIGKILL)
    return proc.wait(timeout=10)


def test_sigkill_while_the_page_is_downloading(http_server: LoopbackServer, tmp_path: Path,
                                              reference: dict[str, tuple]) -> None:
    serve(http_server, V1)
    config = write_config(tmp_path, http_server.url(PAGE), timeout=30)
    assert CliRunner().invoke(cli, ["--config", str(config), "run"]).exit_code == 0
    db = tmp_path / "data" / "kankei.db"
    before_runs = query(db, "SELECT * FROM runs")
    before_snapshots = query(db, "SELECT * FROM snapshots")

    serve(http_server, padded(V2, 500), stall_after=40_000, stall=30)  # the body stops halfway
    proc = spawn(config, "run")
    try:
        assert wait_until(lambda: len(page_requests(http_server)) == 2, timeout=15)
        time.sleep(0.3)  # well inside the stalled body
        assert proc.poll() is None
    finally:
        code = kill(proc)
    assert code == -signal.SIGKILL
    assert check_after_kill(config, [reference["v1"]]) == reference["v1"]
    assert query(db, "SELECT * FROM snapshots") == before_snapshots
    runs = query(db, "SELECT * FROM runs")
    assert runs[:-1] == before_runs and runs[-1][0] == 2 and runs[-1][2:] == (None, "running", None)

    serve(http_server, V2)
    after = run_kankei(config, "run")
    assert after.returncode == 0, after.stderr
    assert "run 2 was interrupted before it finished; marked failed" in after.stderr
    assert adoption_state(db) == reference["v2"]
    assert query(db, "SELECT id, status FROM runs") == [(1, "ok"), (2, "failed"), (3, "ok")]
    assert_consistent(db, tmp_path / "snapshots")


def notice_page(version: str, lines: int = 30000) -> bytes:
    """A big text page whose every line changes between versions: a long diff inside the write transaction.

    The lines are those of one ``<pre>``: quick to parse (one element, not 30,000), so the run reaches
    its write transaction soon, while the diff and the write inside it take as long as for 30,000 ``<p>``."""
    body = "".join(f"お知らせ{i}: 第{version}版 {i * 7919 % 10007}\n" for i in range(lines))
    return f"<html><head><title>お知らせ</title></head><body><pre>{body}</pre></body></html>".encode()


def writer_active(conn: sqlite3.Connection) -> bool:
    """True while another connection holds the database's write transaction."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as e:
        if "locked" in str(e):
            return True
        raise
    conn.execute("ROLLBACK")
    return False


def test_sigkill_inside_the_write_transaction(http_server: LoopbackServer, tmp_path: Path,
                                             reference: dict[str, tuple]) -> None:
    old, new = notice_page("1"), notice_page("2")
    serve(http_server, V1)
    http_server.route("/notice.html", Reply(200, body=old, content_type="text/html; charset=utf-8"))
    notice = f'\n[[sources]]\nname = "notice"\nurl = "{http_server.url("/notice.html")}"\nparser = "text"\n'
    config = write_config(tmp_path, http_server.url(PAGE), timeout=30, extra=notice)
    db = tmp_path / "data" / "kankei.db"
    assert CliRunner().invoke(cli, ["--config", str(config), "run"]).exit_code == 0
    old_text = query(db, "SELECT text FROM pages WHERE source = 'notice'")
    old_snapshots = query(db, "SELECT * FROM snapshots")

    serve(http_server, V2)
    http_server.route("/notice.html", Reply(200, body=new, content_type="text/html; charset=utf-8"))
    new_sha = hashlib.sha256(new).hexdigest()
    new_file = tmp_path / "snapshots" / new_sha[:2] / f"{new_sha}.gz"
    probe = sqlite3.connect(db, timeout=0, isolation_level=None)
    proc = spawn(config, "run")
    try:
        assert wait_until(new_file.exists, timeout=20, interval=0.001), "the notice was never stored"
        assert wait_until(lambda: writer_active(probe), timeout=10, interval=0.0005)
        code = kill(proc)  # the run is between BEGIN IMMEDIATE and COMMIT for the notice
    finally:
        probe.close()
        if proc.poll() is None:
            proc.kill()
    assert code == -signal.SIGKILL
    check_after_kill(config, [reference["v1"], reference["v2"]])
    assert query(db, "SELECT text FROM pages WHERE source = 'notice'") == old_text
    assert query(db, "SELECT count(*) FROM snapshots WHERE sha256 = ?", (new_sha,)) == [(0,)]
    assert set(old_snapshots) <= set(query(db, "SELECT * FROM snapshots"))
    assert query(db, "SELECT count(*) FROM changes WHERE source = 'notice'") == [(1,)]  # the initial load only

    after = run_kankei(config, "run", timeout=60)
    assert after.returncode == 0, after.stderr
    assert "notice: fetched, 1 change (1 text_changed)" in after.stdout
    assert adoption_state(db) == reference["v2"]
    assert query(db, "SELECT count(*) FROM snapshots WHERE sha256 = ?", (new_sha,)) == [(1,)]
    assert_consistent(db, tmp_path / "snapshots")


def test_sigkill_at_spread_points_of_a_big_page(http_server: LoopbackServer, tmp_path: Path,
                                                  reference: dict[str, tuple]) -> None:
    """Kill runs on a big page at spread points from the request to the expected end (download, parse, write)."""
    big = {name: padded(page, 4000) for name, page in (("v1", V1), ("v2", V2), ("v3", V3))}  # ~1.4 MB each
    trickle = (128 * 1024, 0.02)  # about 0.2 s of downloading
    serve(http_server, big["v1"], trickle=trickle)
    config = write_config(tmp_path, http_server.url(PAGE), timeout=30)
    db = tmp_path / "data" / "kankei.db"
    started = time.monotonic()
    assert CliRunner().invoke(cli, ["--config", str(config), "run"]).exit_code == 0
    duration = time.monotonic() - started  # download + snapshot + decode + parse + write on this machine
    assert adoption_state(db) == reference["v1"]

    killed = 0
    for name, fraction in [("v2", 0.15), ("v3", 0.5), ("v2", 0.85)]:
        before = adoption_state(db)
        requests = len(page_requests(http_server))
        serve(http_server, big[name], trickle=trickle)
        proc = spawn(config, "run")
        try:
            assert wait_until(lambda: len(page_requests(http_server)) > requests, timeout=15)
            time.sleep(duration * fraction)
        finally:
            code = kill(proc)
        killed += code == -signal.SIGKILL
        state = check_after_kill(config, [before, reference[name]])
        if code == 0:
            assert state == reference[name]
    assert killed >= 2, "the runs finished before they could be killed"

    serve(http_server, V2)
    final = run_kankei(config, "run", timeout=60)
    assert final.returncode == 0, final.stderr
    assert adoption_state(db) == reference["v2"]
    assert query(db, "SELECT count(*) FROM runs WHERE status = 'running'") == [(0,)]
    assert_consistent(db, tmp_path / "snapshots")
