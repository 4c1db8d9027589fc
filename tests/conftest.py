"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipeline.demo import run_demo
from tests.http_server import LoopbackServer


@pytest.fixture(scope="session")
def pristine_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo folder after its five runs, made once for the whole test session: copy it
    (``shutil.copytree``) before anything writes to it."""
    directory = tmp_path_factory.mktemp("pristine") / "demo"
    results = run_demo(directory, echo=lambda line: None)
    assert [r.run_id for r in results] == [1, 2, 3, 4, 5]
    return directory


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
