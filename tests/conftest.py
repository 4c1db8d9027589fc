"""Shared pytest fixtures, and where the test processes keep their bytecode."""

from __future__ import annotations

import fcntl
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Where PYTHONDONTWRITEBYTECODE (or -B) is set, each process of a test run (the xdist workers and
# every `kankei` process a test starts) would compile all it imports anew, the assertion-rewritten
# tests included: seconds of each run. Their bytecode is kept under .pytest_cache/pycache instead
# (sys.pycache_prefix here, PYTHONPYCACHEPREFIX for child processes); nothing is written beside the
# sources. Set before the tests and the modules they import are loaded.
if sys.dont_write_bytecode:
    sys.dont_write_bytecode = False
    sys.pycache_prefix = str(Path(__file__).resolve().parent.parent / ".pytest_cache" / "pycache")
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = sys.pycache_prefix

from pipeline.demo import run_demo
from tests.http_server import LoopbackServer


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto``: one worker more than CPUs. Many tests wait, on a child process, a loopback server or a
    timeout that must fire; an extra worker keeps the CPUs busy meanwhile. PYTEST_XDIST_AUTO_NUM_WORKERS
    still decides when set."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist's own hook reads it
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1  # not on macOS
    return cpus + 1


@pytest.fixture(scope="session")
def pristine_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo folder after its five runs, made once for the whole test session (by the first xdist
    worker that needs it, the others wait for it): copy it (``shutil.copytree``) before anything writes to it."""
    if "PYTEST_XDIST_WORKER" not in os.environ:  # one process
        directory = tmp_path_factory.mktemp("pristine") / "demo"
        make_pristine_demo(directory)
        return directory
    shared = tmp_path_factory.getbasetemp().parent  # the session's folder, above each worker's own
    directory, done = shared / "pristine" / "demo", shared / "pristine.done"
    with open(shared / "pristine.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not done.exists():
            make_pristine_demo(directory)
            done.touch()
    return directory


def make_pristine_demo(directory: Path) -> None:
    results = run_demo(directory, echo=lambda line: None)
    assert [r.run_id for r in results] == [1, 2, 3, 4, 5]


@pytest.fixture
def http_server() -> Iterator[LoopbackServer]:
    """A started :class:`tests.http_server.LoopbackServer` on 127.0.0.1, stopped afterwards."""
    with LoopbackServer() as server:
        yield server


@pytest.fixture
def http_server_factory() -> Iterator[Callable[[], LoopbackServer]]:
    """Call to get additional started loopback servers (e.g. an "other host"); all are stopped afterwards."""
    servers: list[LoopbackServer] = []

    def make() -> LoopbackServer:
        server = LoopbackServer().start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()
