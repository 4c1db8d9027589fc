"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.http_server import LoopbackServer


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
