"""One run at a time: the OS-level lock beside the database, with real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import EXIT_LOCKED, cli
from pipeline.config import load_config
from pipeline.lock import LockHeld, file_lock, run_lock
from tests.http_server import LoopbackServer

from .helpers import write_config
from .ops_helpers import V1, page_requests, query, run_kankei, serve, spawn, wait_until


def test_two_concurrent_runs_one_completes_the_other_exits_3_and_writes_nothing(
        http_server: LoopbackServer, tmp_path: Path) -> None:
    serve(http_server, V1, delay=1.5)  # a slow source: the first run holds the lock for a while
    config = write_config(tmp_path, http_server.url("/kankeijinkou/discription/index.html"), timeout=10)
    db = tmp_path / "data" / "kankei.db"

    first = spawn(config, "run")
    try:
        assert wait_until(lambda: page_requests(http_server), timeout=15), "the first run never fetched"
        second = run_kankei(config, "run")
        assert first.poll() is None, "the second run should not have waited for the first"
        assert second.returncode == EXIT_LOCKED
        assert second.stdout == ""
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1, second.stderr
        assert lines[0].startswith("kankei: another kankei run holds ")
        assert f"pid {first.pid} since " in lines[0] and str(config.parent / "data" / "kankei.db.lock") in lines[0]
        # The second run wrote nothing: only the first run's row, still in progress, and one page request.
        assert query(db, "SELECT id, status FROM runs") == [(1, "running")]
        assert len(page_requests(http_server)) == 1
        out, err = first.communicate(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, err
    assert out.startswith("model-projects: fetched, initial load")
    assert query(db, "SELECT id, status FROM runs") == [(1, "ok")]
    assert query(db, "SELECT count(*) FROM snapshots") == [(1,)]


def test_a_held_lock_makes_run_exit_3_before_touching_the_database(http_server: LoopbackServer,
                                                                   tmp_path: Path) -> None:
    serve(http_server, V1)
    config_path = write_config(tmp_path, http_server.url("/kankeijinkou/discription/index.html"))
    config = load_config(config_path)
    with run_lock(config):
        result = CliRunner().invoke(cli, ["--config", str(config_path), "run"])
    assert result.exit_code == EXIT_LOCKED
    assert "another kankei run holds" in result.output and f"pid {os.getpid()}" in result.output
    assert not config.database.exists(), "a locked-out run must not even create the database"
    assert http_server.count() == 0
    # Released: the same run now works, and the lock is free again afterwards.
    result = CliRunner().invoke(cli, ["--config", str(config_path), "run"])
    assert result.exit_code == 0, result.output
    with run_lock(config):
        pass


def test_lock_is_exclusive_within_one_process_and_says_who_holds_it(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "x.db.lock"
    with file_lock(path):
        with pytest.raises(LockHeld) as caught:
            with file_lock(path):
                pass
        message = str(caught.value)
        assert "\n" not in message and f"pid {os.getpid()} since 20" in message
    with file_lock(path):  # released on exit
        pass
    assert path.exists()


def test_the_kernel_releases_the_lock_of_a_killed_process(tmp_path: Path) -> None:
    path = tmp_path / "kankei.db.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\nfrom pipeline.lock import file_lock\n"
         f"with file_lock({str(path)!r}):\n    print('held', flush=True)\n    time.sleep(60)\n"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(LockHeld, match=f"pid {holder.pid} "):
            with file_lock(path):
                pass
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    finally:
        if holder.poll() is None:
            holder.kill()
    with file_lock(path):  # no stale lock after SIGKILL
        pass
