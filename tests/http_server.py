"""A scriptable HTTP server on 127.0.0.1 for tests (no internet needed).

Typical use, via the ``http_server`` fixture from ``tests/conftest.py``::

    def test_something(http_server):
        http_server.route("/page", Reply(200, body="<html>…</html>", content_type="text/html"))
        http_server.route("/flaky", Reply(503, headers={"Retry-After": "3"}), Reply(200, body=b"ok"))
        url = http_server.url("/page")              # http://127.0.0.1:PORT/page
        other = http_server.url("/page", host="localhost")  # same server, other hostname
        ...
        assert http_server.count("/page") == 1
        assert http_server.requests_to("/page")[0].headers["User-Agent"] == "..."

Or standalone: ``with LoopbackServer() as srv: ...``.

Routing: ``route(path, *replies)`` queues replies for a path; each request takes
the next one and the last one repeats forever. A reply can also be a callable
``(RecordedRequest) -> Reply``. Paths are matched first with their query string,
then without. Unrouted paths get ``404``. Every request is recorded.

A :class:`Reply` can delay the headers, stall or trickle the body, lie about
Content-Length (truncated body) or omit it, and close the connection.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

from requests.structures import CaseInsensitiveDict

__all__ = ["Handler", "LoopbackServer", "RecordedRequest", "Reply", "unused_port"]


@dataclass
class Reply:
    """A scripted response.

    Attributes:
        status: HTTP status code.
        body: response body (str is encoded as UTF-8).
        headers: extra headers (dict or list of pairs, for repeated names).
        content_type: shortcut for a Content-Type header.
        reason: reason phrase (default: the standard one).
        delay: seconds to wait before sending the status line.
        content_length: Content-Length to announce (default ``len(body)``); a
            larger value makes a truncated body (the connection is then closed).
        send_content_length: False omits Content-Length (body ends at close).
        stall_after: send this many body bytes, then pause ``stall`` seconds,
            then send the rest (if the client is still there).
        stall: seconds of the mid-body pause.
        trickle: ``(chunk_bytes, interval_seconds)``: send the body slowly.
        header_trickle: seconds between the bytes of the status line and headers.
        close: close the connection after this response.
    """

    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] | list[tuple[str, str]] = field(default_factory=dict)
    content_type: str | None = None
    reason: str | None = None
    delay: float = 0.0
    content_length: int | None = None
    send_content_length: bool = True
    stall_after: int | None = None
    stall: float = 0.0
    trickle: tuple[int, float] | None = None
    header_trickle: float | None = None
    close: bool = False

    @property
    def body_bytes(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body

    def header_items(self) -> list[tuple[str, str]]:
        items = list(self.headers.items()) if isinstance(self.headers, dict) else list(self.headers)
        if self.content_type is not None:
            items.append(("Content-Type", self.content_type))
        return items


@dataclass
class RecordedRequest:
    """One request the server received."""

    method: str
    path: str  # as sent, including any query string
    headers: CaseInsensitiveDict[str]
    body: bytes
    client: tuple[str, int]
    host: str  # the Host header (tells "127.0.0.1:…" from "localhost:…")
    received_at: float  # time.monotonic()

    @property
    def path_only(self) -> str:
        """The path without query string."""
        return urlsplit(self.path).path


Handler = Callable[[RecordedRequest], Reply]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # never wait for stalled handler threads on shutdown
    allow_reuse_address = True
    owner: LoopbackServer

    def handle_error(self, request: object, client_address: object) -> None:
        """Stay quiet about clients that hang up (the tests make them hang up)."""


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY: the body, written after the headers, leaves at once (with Nagle's algorithm it waited
    # for the client's delayed ACK of the headers, 40 ms, on every reused connection).
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self._handle()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_GET

    def log_message(self, format: str, *args: object) -> None:  # silence stderr noise
        pass

    def _handle(self) -> None:
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        record = RecordedRequest(
            method=self.command,
            path=self.path,
            headers=CaseInsensitiveDict(self.headers.items()),
            body=self.rfile.read(length) if length else b"",
            client=self.client_address[:2],
            host=self.headers.get("Host", ""),
            received_at=time.monotonic(),
        )
        owner._record(record)
        reply = owner._reply_for(record)
        try:
            self._send(reply)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True

    def _send(self, reply: Reply) -> None:
        stop = self.server.owner._stopping
        if reply.delay and stop.wait(reply.delay):
            self.close_connection = True
            return
        body = reply.body_bytes
        announced = len(body) if reply.content_length is None else reply.content_length
        closing = reply.close or not reply.send_content_length or announced != len(body)
        self.send_response(reply.status, reply.reason)
        for name, value in reply.header_items():
            self.send_header(name, value)
        if reply.send_content_length:
            self.send_header("Content-Length", str(announced))
        if closing:
            self.send_header("Connection", "close")
        if reply.header_trickle is not None:
            head, self._headers_buffer = b"".join(self._headers_buffer) + b"\r\n", []
            self._write_slowly(head, (1, reply.header_trickle), stop)
            self.close_connection = True
            return
        self.end_headers()
        if self.command != "HEAD" and reply.status not in (204, 304) and reply.status >= 200:
            self._write_body(body, reply, stop)
        self.wfile.flush()
        if closing:
            self.close_connection = True

    def _write_body(self, body: bytes, reply: Reply, stop: threading.Event) -> None:
        if reply.stall_after is not None:
            self._write_slowly(body[: reply.stall_after], reply.trickle, stop)
            self.wfile.flush()
            if stop.wait(reply.stall):
                return
            body = body[reply.stall_after :]
        self._write_slowly(body, reply.trickle, stop)

    def _write_slowly(self, data: bytes, trickle: tuple[int, float] | None, stop: threading.Event) -> None:
        if trickle is None:
            self.wfile.write(data)
            return
        size, interval = trickle
        for start in range(0, len(data), max(1, size)):
            self.wfile.write(data[start : start + size])
            self.wfile.flush()
            if stop.wait(interval):
                return


class LoopbackServer:
    """ThreadingHTTPServer on 127.0.0.1 (ephemeral port) in a daemon thread.

    Use as a context manager or call :meth:`start` / :meth:`stop`.
    """

    def __init__(self, bind: str = "127.0.0.1") -> None:
        self._bind = bind
        self._lock = threading.Lock()
        self._routes: dict[str, list[Reply | Handler]] = {}
        self._requests: list[RecordedRequest] = []
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.default_reply = Reply(404, body=b"not found", content_type="text/plain")

    # lifecycle ----------------------------------------------------------

    def start(self) -> Self:
        """Bind and start serving; returns self."""
        server = _Server((self._bind, 0), _RequestHandler)
        server.owner = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.005}, name=f"loopback-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, release stalled handlers and close the socket."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # addresses ------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("server not started")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return self.url("")

    def url(self, path: str = "/", host: str | None = None) -> str:
        """Absolute URL for ``path``; ``host="localhost"`` gives a second hostname for the same server."""
        if path and not path.startswith("/"):
            path = "/" + path
        return f"http://{host or self._bind}:{self.port}{path}"

    # routing --------------------------------------------------------------

    def route(self, path: str, *replies: Reply | Handler) -> None:
        """Serve ``replies`` in turn for ``path`` (the last one repeats). Replaces earlier routes."""
        if not replies:
            raise ValueError("route() needs at least one reply")
        with self._lock:
            self._routes[path] = list(replies)

    def route_many(self, routes: dict[str, Reply | Handler | Iterable[Reply | Handler]]) -> None:
        """Set several routes at once: ``{path: reply_or_handler_or_list}``."""
        for path, value in routes.items():
            if isinstance(value, Reply) or callable(value):
                self.route(path, value)
            else:
                self.route(path, *value)

    def unroute(self, path: str) -> None:
        with self._lock:
            self._routes.pop(path, None)

    # recorded requests ----------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of all requests received so far, in order."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """Requests whose path (with or without query) equals ``path``."""
        return [r for r in self.requests if path in (r.path, r.path_only)]

    def count(self, path: str | None = None) -> int:
        """Number of requests received (to ``path`` if given)."""
        return len(self.requests if path is None else self.requests_to(path))

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def wait_for_requests(self, n: int, timeout: float = 5.0) -> bool:
        """Wait until at least ``n`` requests arrived; True on success."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.count() >= n:
                return True
            time.sleep(0.01)
        return self.count() >= n

    # internals ------------------------------------------------------------

    def _record(self, record: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(record)

    def _reply_for(self, record: RecordedRequest) -> Reply:
        with self._lock:
            queue = self._routes.get(record.path) or self._routes.get(record.path_only)
            if not queue:
                item: Reply | Handler = self.default_reply
            elif len(queue) > 1:
                item = queue.pop(0)
            else:
                item = queue[0]
        return item if isinstance(item, Reply) else item(record)


def unused_port(host: str = "127.0.0.1") -> int:
    """A port on ``host`` that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
