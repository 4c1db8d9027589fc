"""A polite, defensive HTTP fetcher for government web pages.

:class:`Fetcher` wraps one :class:`requests.Session` and adds what a well-behaved
scraper needs:

* a fixed User-Agent (never the library default);
* a total wall-clock deadline per request covering connect, headers and body,
  so a server that stalls or trickles anything fails within about ``timeout``;
* retries with exponential backoff and jitter for transient failures
  (connection errors, timeouts, truncated bodies, HTTP 429/500/502/503/504),
  honouring ``Retry-After``;
* conditional GET (``If-None-Match`` / ``If-Modified-Since``);
* robots.txt, fetched once per origin by a Fetcher, including ``Crawl-delay``
  (capped: a host asking for more than :data:`MAX_CRAWL_DELAY` fails instead);
* a minimum interval between requests to the same host;
* manually followed redirects restricted to an allowlist of hosts, checked on
  the host urllib3 will connect to (backslashes, userinfo and URLs read two ways
  are refused);
* pages must be HTML (``text/html`` or ``application/xhtml+xml``; a response
  without Content-Type is left to decoding); a fetch may name other accepted types
  (``accept``: :data:`FEED_TYPES` for feeds, None for documents, which take any type) and
  its own size cap (``max_bytes``: documents have their own);
* a body size cap, never returning a partial body (a short body, or a gzip or
  deflate stream that ends early, is a truncated body).

All waiting goes through the injected ``sleep`` callable so tests can run fast.
A Fetcher is not thread-safe: use one per thread.
"""

from __future__ import annotations

import logging
import random
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Self
from urllib.parse import urldefrag, urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import requests
import urllib3.connection
import urllib3.connectionpool
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.util import parse_url

from scraper.errors import BodyTooLarge, FetchError, RedirectRefused, RobotsDisallowed, public_url

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
ROBOTS_MAX_BYTES = 512 * 1024
MAX_CRAWL_DELAY = 60.0  # seconds: a robots.txt asking for more fails the host's sources (never a silent sleep)
CHUNK_SIZE = 64 * 1024
DEFAULT_ACCEPT = "text/html,application/xhtml+xml;q=0.9"
PAGE_TYPES = ("text/html", "application/xhtml+xml")  # what a tracked page may be
FEED_TYPES = ("application/rss+xml", "application/rdf+xml", "application/atom+xml", "application/xml", "text/xml",
              "text/plain", "text/html")  # what a feed may be served as (servers label feeds loosely)


@dataclass
class FetchResult:
    """Outcome of a successful :meth:`Fetcher.fetch`."""

    url: str  # the URL requested, without user name or password
    final_url: str  # after (allowed) redirects
    status: int  # 200 (or another 2xx) or 304
    body: bytes | None  # None on 304
    content_type: str | None  # raw Content-Type header
    etag: str | None
    last_modified: str | None
    fetched_at: str  # UTC ISO-8601, seconds precision, e.g. "2026-11-27T22:40:01Z"
    requests_made: int  # HTTP requests for this fetch incl. retries/redirects (not robots)


@dataclass
class _Response:
    """A fully received HTTP response (body only read for 2xx)."""

    url: str
    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes | None


class _Retryable(Exception):
    """An attempt failed in a way worth retrying."""

    def __init__(self, cause: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(cause)
        self.cause = cause
        self.status = status
        self.retry_after = retry_after


class _Counter:
    """Counts HTTP requests made on behalf of one fetch."""

    def __init__(self) -> None:
        self.n = 0
        self.limit = 0  # the size cap of this fetch's bodies


class Fetcher:
    """Polite HTTP GET fetcher; see the module docstring for the behaviour.

    ``stats`` counts ``requests`` (page requests, incl. retries and redirects),
    ``robots_requests``, ``bytes`` (decoded body bytes received, pages and
    robots.txt, including failed attempts) and ``retries``.
    """

    def __init__(
        self,
        *,
        user_agent: str,
        timeout: float = 30.0,
        retries: int = 3,
        min_interval: float = 2.0,
        max_bytes: int = 10_000_000,
        allowed_hosts: list[str] | None = None,
        respect_robots: bool = True,
        backoff_base: float = 1.0,
        retry_after_cap: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not user_agent or not user_agent.strip():
            raise ValueError("user_agent must be a non-empty string")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.user_agent = user_agent.strip()
        self.timeout = float(timeout)
        self.retries = max(0, int(retries))
        self.min_interval = max(0.0, float(min_interval))
        self.max_bytes = int(max_bytes)
        self.allowed_hosts = {_norm_host(h) for h in allowed_hosts} if allowed_hosts else None
        self.respect_robots = respect_robots
        self.backoff_base = max(0.0, float(backoff_base))
        self.retry_after_cap = max(0.0, float(retry_after_cap))
        self._sleep = sleep
        self._session = requests.Session()
        self._session.mount("http://", _DeadlineAdapter())
        self._session.mount("https://", _DeadlineAdapter())
        self._session.headers["User-Agent"] = self.user_agent
        self._session.headers["Accept"] = DEFAULT_ACCEPT
        self._session.headers["Accept-Language"] = "ja,en;q=0.5"
        self._session.headers["Accept-Encoding"] = "gzip, deflate"  # the encodings _Decoder checks for completeness
        self._robots: dict[str, RobotFileParser | None] = {}  # origin -> parser (None: allow all)
        self._host_interval: dict[str, float] = {}  # host -> interval raised by robots
        self._host_refused: dict[str, str] = {}  # host -> why robots.txt makes it unusable (Crawl-delay too long)
        self._last_request: dict[str, float] = {}  # host -> time.monotonic() of last request
        self.stats: dict[str, int] = {"requests": 0, "bytes": 0, "robots_requests": 0, "retries": 0}

    # ------------------------------------------------------------------ public

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
              accept: tuple[str, ...] | None = PAGE_TYPES, max_bytes: int | None = None) -> FetchResult:
        """GET ``url`` politely; raise :class:`FetchError` (or a subclass) on failure.

        ``accept``: the media types a 2xx answer may have (default: web pages; None: any);
        ``max_bytes``: this fetch's size cap (default: the Fetcher's).
        """
        url = _validate_url(url)
        allowed = self.allowed_hosts or {_host(url)}
        if _host(url) not in allowed:
            raise FetchError(url, f"host {_host(url)} not in allowed_hosts")
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        if accept is not None and accept != PAGE_TYPES:
            headers["Accept"] = ",".join(accept) + ",*/*;q=0.1"
        elif accept is None:
            headers["Accept"] = "*/*"
        counter = _Counter()
        counter.limit = self.max_bytes if max_bytes is None else int(max_bytes)
        current = url
        for hop in range(MAX_REDIRECTS + 1):
            self._check_robots(url, current)
            resp = self._get_with_retries(url, current, headers, counter)
            if resp.status not in REDIRECT_STATUSES:
                _check_page_type(url, current, resp, accept)
                return self._result(url, resp, counter)
            if hop == MAX_REDIRECTS:
                break
            current = _redirect_target(url, resp, allowed)
            log.debug("%s: HTTP %d redirect to %s", public_url(resp.url), resp.status, current)
        raise FetchError(url, f"too many redirects (more than {MAX_REDIRECTS})")

    def close(self) -> None:
        """Close the underlying HTTP session."""
        self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------- page logic

    def _result(self, url: str, resp: _Response, counter: _Counter) -> FetchResult:
        """Build the public result from the final response."""
        return FetchResult(
            url=public_url(url),
            final_url=public_url(resp.url),
            status=resp.status,
            body=None if resp.status == 304 else resp.body,
            content_type=resp.headers.get("Content-Type"),
            etag=resp.headers.get("ETag"),
            last_modified=resp.headers.get("Last-Modified"),
            fetched_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            requests_made=counter.n,
        )

    def _get_with_retries(self, url: str, current: str, headers: dict[str, str], counter: _Counter) -> _Response:
        """Request ``current`` with retries; errors are reported against ``url``."""
        attempts = self.retries + 1
        last: _Retryable | None = None
        for attempt in range(attempts):
            try:
                return self._attempt(url, current, headers, counter)
            except _Retryable as exc:
                last = exc
                if attempt + 1 >= attempts:
                    break
                delay = self._retry_delay(attempt, exc.retry_after)
                self.stats["retries"] += 1
                log.warning("%s: %s; retry %d/%d in %.1fs", public_url(current), exc.cause, attempt + 1, self.retries,
                            delay)
                self._sleep(delay)
        assert last is not None
        cause = last.cause + (f" after {attempts} attempts" if attempts > 1 else "")
        raise FetchError(url, cause + _at(url, current), last.status)

    def _attempt(self, url: str, current: str, headers: dict[str, str], counter: _Counter) -> _Response:
        """One HTTP request for a page; classify the status."""
        counter.n += 1
        self.stats["requests"] += 1
        resp = self._send(url, current, headers, limit=counter.limit)
        status = resp.status
        if status in RETRY_STATUSES:
            retry_after = parse_retry_after(resp.headers.get("Retry-After"))
            raise _Retryable(_status_text(resp), status, retry_after)
        if 200 <= status < 300 or status == 304 or status in REDIRECT_STATUSES:
            return resp
        raise FetchError(url, _status_text(resp) + _at(url, current), status)

    def _retry_delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number ``attempt + 1``."""
        if retry_after is not None:
            return min(retry_after, self.retry_after_cap)
        return self.backoff_base * 2**attempt + random.uniform(0, self.backoff_base)

    # ----------------------------------------------------------------- robots

    def _check_robots(self, url: str, current: str) -> None:
        """Raise RobotsDisallowed if robots.txt forbids ``current``."""
        if not self.respect_robots:
            return
        origin = _origin(current)
        if origin not in self._robots:
            self._robots[origin] = self._load_robots(origin)
        parser = self._robots[origin]
        refused = self._host_refused.get(_host(origin))
        if refused:
            raise RobotsDisallowed(url, refused + _at(url, current))
        if parser is not None and not parser.can_fetch(self.user_agent, current):
            raise RobotsDisallowed(url, "disallowed by robots.txt" + _at(url, current))

    def _load_robots(self, origin: str) -> RobotFileParser | None:
        """Fetch and parse ``origin``/robots.txt; None means allow all."""
        robots_url = origin + "/robots.txt"
        try:
            resp = self._fetch_robots(robots_url)
        except (FetchError, _Retryable) as exc:
            log.warning("%s: unavailable (%s); assuming allow-all", robots_url, exc.cause)
            return None
        if resp.status >= 500:
            log.warning("%s: %s; assuming allow-all", robots_url, _status_text(resp))
            return None
        if not 200 <= resp.status < 300 or resp.body is None:
            log.info("%s: %s; no restrictions", robots_url, _status_text(resp))
            return None
        text = resp.body.decode("utf-8", errors="replace").lstrip("\ufeff")
        return self._robots_parser(origin, text)

    def _robots_parser(self, origin: str, text: str) -> RobotFileParser:
        """Parse a robots.txt of ``origin`` and apply its crawl delay."""
        parser = RobotFileParser(origin + "/robots.txt")
        parser.parse(text.splitlines())
        self._apply_crawl_delay(_host(origin), parser)
        return parser

    def _fetch_robots(self, robots_url: str) -> _Response:
        """GET robots.txt once (no retries), following allowed redirects."""
        allowed = self.allowed_hosts or {_host(robots_url)}
        current = robots_url
        for _ in range(MAX_REDIRECTS + 1):
            self.stats["robots_requests"] += 1
            resp = self._send(robots_url, current, {}, limit=ROBOTS_MAX_BYTES)
            if resp.status not in REDIRECT_STATUSES:
                return resp
            current = _redirect_target(robots_url, resp, allowed)
        raise FetchError(robots_url, "too many redirects")

    def _apply_crawl_delay(self, host: str, parser: RobotFileParser) -> None:
        """Raise the request interval for ``host`` to honour Crawl-delay / Request-rate."""
        delay = float(parser.crawl_delay(self.user_agent) or 0)
        rate = parser.request_rate(self.user_agent)
        if rate and rate.requests > 0:
            delay = max(delay, rate.seconds / rate.requests)
        if delay > MAX_CRAWL_DELAY:
            self._host_refused[host] = (f"robots.txt asks for a Crawl-delay of {delay:.0f}s between requests, "
                                        f"over the {MAX_CRAWL_DELAY:g}s kankei waits at most")
            log.error("%s: %s", host, self._host_refused[host])
        elif delay > 0:
            log.info("%s: robots.txt crawl delay %.1fs", host, delay)
            self._host_interval[host] = max(self._host_interval.get(host, 0.0), delay)

    # -------------------------------------------------------------- transport

    def _interval(self, host: str) -> float:
        """Minimum seconds between two requests to ``host``."""
        return max(self.min_interval, self._host_interval.get(host, 0.0))

    def _throttle(self, host: str) -> None:
        """Wait (via ``sleep``) until ``host`` may be contacted again."""
        last = self._last_request.get(host)
        if last is not None:
            wait = last + self._interval(host) - time.monotonic()
            if wait > 0:
                log.debug("%s: waiting %.2fs between requests", host, wait)
                self._sleep(wait)
        self._last_request[host] = time.monotonic()

    def _send(self, url: str, current: str, headers: dict[str, str], *, limit: int) -> _Response:
        """Throttle, GET ``current`` once without redirects, read the body of 2xx responses.

        Raises _Retryable for transient transport failures and FetchError
        (reported against ``url``) for permanent ones.
        """
        host = _host(current)
        self._throttle(host)
        deadline = _Deadline(self.timeout)
        try:
            with deadline:
                try:  # the read timeout is longer than the deadline, which ends every slow read
                    raw = self._session.get(
                        current,
                        headers=headers,
                        timeout=(self.timeout, self.timeout + 1),
                        allow_redirects=False,
                        stream=True,
                    )
                except requests.RequestException as exc:
                    error = self._transport_error(url, current, exc)
                    if deadline.expired and "timed out" not in error.cause:
                        raise _Retryable(f"read timed out after {self.timeout:g}s (total deadline)") from exc
                    raise error from exc
                try:
                    body = None
                    if 200 <= raw.status_code < 300:
                        deadline.watch(_socket_of(raw))
                        body = self._read_body(url, current, raw, deadline, limit)
                    return _Response(current, raw.status_code, raw.reason or "", raw.headers, body)
                finally:
                    raw.close()
        finally:
            self._last_request[host] = time.monotonic()

    def _read_body(self, url: str, current: str, raw: requests.Response, deadline: _Deadline, limit: int) -> bytes:
        """Stream and decode the body within the total deadline, size cap and length checks."""
        length = _content_length(raw.headers)
        if length is not None and length > limit:
            raise BodyTooLarge(
                url, f"body too large (Content-Length {length} > max_bytes {limit})" + _at(url, current), raw.status_code
            )
        encoding = raw.headers.get("Content-Encoding", "identity").strip().lower()
        try:
            decoder = _Decoder(encoding)
        except ValueError:
            raise FetchError(url, f"unsupported Content-Encoding {encoding!r}" + _at(url, current),
                             raw.status_code) from None
        expired = _Retryable(f"read timed out after {self.timeout:g}s (total deadline)")
        chunks: list[bytes] = []
        received = decoded = 0  # bytes on the wire, bytes of the body
        try:
            for chunk in raw.raw.stream(CHUNK_SIZE, decode_content=False):
                received += len(chunk)
                data = decoder.feed(chunk, limit + 1 - decoded)
                decoded += len(data)
                self.stats["bytes"] += len(data)
                if decoded > limit:
                    raise BodyTooLarge(
                        url, f"body too large (over max_bytes {limit})" + _at(url, current), raw.status_code
                    )
                chunks.append(data)
                if deadline.expired:
                    raise expired
        except zlib.error as exc:
            raise _Retryable(f"content decoding failed ({encoding}): {exc}") from exc
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            if deadline.expired:
                raise expired from exc
            error = self._transport_error(url, current, exc)
            if length is not None and received < length and not error.cause.startswith("body"):
                raise _Retryable(f"body truncated ({received} of {length} bytes)") from exc
            raise error from exc
        if deadline.expired:
            raise expired
        if length is not None and received < length:
            raise _Retryable(f"body truncated ({received} of {length} bytes)")
        if not decoder.complete:
            raise _Retryable(f"body truncated ({encoding} stream ends early, after {received} bytes)")
        return b"".join(chunks)

    def _transport_error(self, url: str, current: str, exc: BaseException) -> _Retryable | FetchError:
        """Map a requests/urllib3 exception to a retryable or permanent error."""
        cause, retryable = describe_transport_error(exc, self.timeout)
        if retryable:
            return _Retryable(cause)
        return FetchError(url, cause + _at(url, current))


_active = threading.local()  # .deadline: the _Deadline of the request this thread is making


class _Deadline:
    """A wall-clock deadline on one request: connect, headers and body.

    While it is active (``with deadline:``), every socket the request uses is
    registered (by :class:`_DeadlineAdapter`'s connections). When the deadline
    passes, those sockets are shut down, which wakes a reader blocked in ``recv``;
    ``expired`` then tells the reader why the read ended.
    """

    def __init__(self, seconds: float) -> None:
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._done = False
        self.expired = False
        self._timer = threading.Timer(max(0.0, seconds), self._fire)
        self._timer.daemon = True

    def __enter__(self) -> Self:
        _active.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self._done = True
        self._timer.cancel()
        _active.deadline = None

    def watch(self, sock: socket.socket | None) -> None:
        """Shut ``sock`` down when the deadline passes (at once if it has passed)."""
        if sock is None:
            return
        with self._lock:
            if self.expired:
                _shutdown(sock)
            elif not self._done:
                self._sockets.append(sock)

    def _fire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            for sock in self._sockets:
                _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    try:  # the plain-socket method: safe on SSLSocket from another thread
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass


def _watch_active(sock: socket.socket | None) -> None:
    deadline = getattr(_active, "deadline", None)
    if deadline is not None and isinstance(sock, socket.socket):
        deadline.watch(sock)


class _Watched:
    """Mixin for urllib3 connections: registers the socket with the active deadline when it connects
    and before reading a response (a kept-alive connection is reused by later requests)."""

    sock: socket.socket | None

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()  # type: ignore[misc]
        _watch_active(sock)
        return sock

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        _watch_active(self.sock)
        return super().getresponse(*args, **kwargs)  # type: ignore[misc]


class _WatchedConnection(_Watched, urllib3.connection.HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, urllib3.connection.HTTPSConnection):
    pass


class _WatchedPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _WatchedConnection


class _WatchedHTTPSPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


WATCHED_POOLS = {"http": _WatchedPool, "https": _WatchedHTTPSPool}


class _DeadlineAdapter(HTTPAdapter):
    """requests' adapter whose connections take part in :class:`_Deadline` (connect, headers, body),
    directly or through an HTTP proxy (a SOCKS proxy keeps its own connections: the body is still covered)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(WATCHED_POOLS)

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = dict(WATCHED_POOLS)
        return manager


class _Decoder:
    """Decodes a gzip or deflate body chunk by chunk and knows whether the stream was complete."""

    def __init__(self, encoding: str) -> None:
        if encoding in ("", "identity"):
            self._obj = None
        elif encoding in ("gzip", "x-gzip"):
            self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._obj = zlib.decompressobj()  # zlib-wrapped; raw deflate is tried on the first error
        else:
            raise ValueError(encoding)
        self._gzip = encoding in ("gzip", "x-gzip")
        self._started = False

    @property
    def complete(self) -> bool:
        return self._obj is None or self._obj.eof or not self._started

    def feed(self, data: bytes, max_length: int) -> bytes:
        """Decoded bytes of ``data`` (at most about ``max_length``: more means too large anyway)."""
        if self._obj is None:
            return data
        out = b""
        while data:
            first = not self._started
            self._started = True
            try:
                out += self._obj.decompress(data, max(1, max_length - len(out)))
            except zlib.error:
                if not (first and not self._gzip):
                    raise
                self._obj = zlib.decompressobj(-zlib.MAX_WBITS)  # deflate sent without its zlib wrapper
                continue
            if len(out) >= max_length:
                return out
            data = self._obj.unconsumed_tail
            if self._obj.eof:
                rest = self._obj.unused_data + data
                if self._gzip and rest.startswith(b"\x1f\x8b"):  # another gzip member follows
                    self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    data = rest
                    continue
                if rest.strip(b"\0"):
                    raise zlib.error("data after the end of the compressed stream")
                break
        return out


# ------------------------------------------------------------------- helpers


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Parse a Retry-After header (delta-seconds or HTTP-date) into seconds, or None."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def describe_transport_error(exc: BaseException, timeout: float) -> tuple[str, bool]:
    """Return (short cause, retryable) for a requests/urllib3/socket exception."""
    chain = list(_exception_chain(exc))

    def has(*types: type[BaseException]) -> bool:
        return any(isinstance(e, types) for e in chain)

    if has(ssl.SSLCertVerificationError) or isinstance(exc, requests.exceptions.SSLError):
        return f"TLS error: {_short(exc)}", False
    if has(requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema):
        return f"invalid URL: {_short(exc)}", False
    if has(ConnectionRefusedError):
        return "connection refused", True
    if has(socket.gaierror, urllib3.exceptions.NameResolutionError):
        return "DNS lookup failed", True
    # urllib3's NewConnectionError subclasses ConnectTimeoutError: exclude it.
    if has(requests.exceptions.ConnectTimeout) or any(
        isinstance(e, urllib3.exceptions.ConnectTimeoutError)
        and not isinstance(e, urllib3.exceptions.NewConnectionError)
        for e in chain
    ):
        return f"connect timed out after {timeout:g}s", True
    if has(requests.exceptions.ReadTimeout, urllib3.exceptions.ReadTimeoutError, TimeoutError):
        return f"read timed out after {timeout:g}s", True
    for e in chain:
        if isinstance(e, urllib3.exceptions.IncompleteRead):
            return f"body truncated ({e.partial} of {e.partial + e.expected} bytes)", True
    if has(ConnectionResetError):
        return "connection reset by peer", True
    if has(requests.exceptions.ContentDecodingError):
        return f"content decoding failed: {_short(exc)}", True
    if has(requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError,
           urllib3.exceptions.ProtocolError) or any(
        isinstance(e, OSError) and not isinstance(e, requests.RequestException) for e in chain
    ):
        return f"connection error: {_short(exc)}", True
    return f"{type(exc).__name__}: {_short(exc)}", False


def _exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """Yield ``exc`` and everything it wraps (causes, contexts, urllib3 reasons, args)."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        nested = [e.__cause__, e.__context__, getattr(e, "reason", None), *e.args]
        stack.extend(n for n in nested if isinstance(n, BaseException))


def _short(exc: BaseException, limit: int = 200) -> str:
    """One-line, length-limited str(exc)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _socket_of(raw: requests.Response) -> socket.socket | None:
    """Best-effort access to the socket under a streaming requests response."""
    resp = raw.raw
    conn = getattr(resp, "connection", None) or getattr(resp, "_connection", None)
    sock = getattr(conn, "sock", None)
    if sock is None:  # fall back to http.client internals
        fp = getattr(getattr(resp, "_fp", None), "fp", None)
        sock = getattr(getattr(fp, "raw", None), "_sock", None)
    return sock if isinstance(sock, socket.socket) else None


def _validate_url(url: str) -> str:
    """Strip whitespace and fragment; require an http(s) URL with a host read alike by every parser."""
    url = urldefrag(url.strip())[0]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError(url, f"unsupported URL scheme {parts.scheme or '(none)'!r}")
    if not parts.hostname:
        raise FetchError(url, "URL has no host")
    problem = _ambiguity(url)
    if problem:
        raise FetchError(url, f"URL refused: {problem}")
    return url


def _ambiguity(url: str) -> str | None:
    """Why ``url``'s host could be read two ways (None when it cannot).

    The host checked against allowed_hosts must be the one urllib3 connects to:
    backslashes, control characters, spaces in the host part, and a host that urllib3 and
    urllib.parse read differently are refused.
    """
    if "\\" in url:
        return "backslash in URL"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        return "control character in URL"
    if " " in urlsplit(url).netloc:
        return "space in the host part of the URL"
    try:
        connects_to = _norm_host((parse_url(url).host or "").strip("[]"))
    except ValueError as e:
        return f"cannot be parsed ({e})"
    if connects_to != _host(url):
        return f"host read as {_host(url) or '(none)'} and as {connects_to or '(none)'}"
    return None


def _redirect_target(url: str, resp: _Response, allowed: set[str]) -> str:
    """Resolve the Location of a redirect response and check the host it connects to is allowed."""
    location = resp.headers.get("Location")
    if not location:
        raise FetchError(url, f"HTTP {resp.status} redirect without Location" + _at(url, resp.url), resp.status)
    try:  # requests decodes headers as latin-1; undo that for UTF-8 Locations
        location = location.encode("latin-1").decode("utf-8")
    except UnicodeError:
        pass
    if "\\" in location:
        raise RedirectRefused(url, "redirect refused (backslash in Location)", resp.status)
    target = urldefrag(urljoin(resp.url, location.strip()))[0]
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RedirectRefused(url, f"redirect to unsupported URL {public_url(target)!r} refused", resp.status)
    if "@" in parts.netloc:
        raise RedirectRefused(url, "redirect refused (user name or password in Location)", resp.status)
    problem = _ambiguity(target)
    if problem:
        raise RedirectRefused(url, f"redirect refused ({problem})", resp.status)
    host = _host(target)
    if host not in allowed:
        raise RedirectRefused(url, f"redirect to {host} refused (not in allowed_hosts)", resp.status)
    return target


def _check_page_type(url: str, current: str, resp: _Response, accept: tuple[str, ...] | None = PAGE_TYPES) -> None:
    """A 2xx page must be one of ``accept`` (HTML by default; None: anything); no Content-Type at all is
    left to decoding to judge."""
    if accept is None or resp.status == 304 or not 200 <= resp.status < 300:
        return
    ctype = resp.headers.get("Content-Type")
    if ctype is None:
        return
    mime = ctype.split(";", 1)[0].strip().lower()
    if mime not in accept:
        shown = " ".join(ctype.split())[:100] or "(empty)"
        what = ("a web page (text/html or application/xhtml+xml)" if accept == PAGE_TYPES
                else f"one of {', '.join(accept)}")
        raise FetchError(url, f"Content-Type {shown} is not {what}" + _at(url, current), resp.status)


def _status_text(resp: _Response) -> str:
    return f"HTTP {resp.status} {resp.reason}".strip()


def _at(url: str, current: str) -> str:
    """Suffix naming the redirect hop when it differs from the requested URL."""
    return "" if current == url else f" (at {public_url(current)})"


def _content_length(headers: Mapping[str, str]) -> int | None:
    value = (headers.get("Content-Length") or "").split(",")[0].strip()
    return int(value) if value.isdigit() else None


def _norm_host(host: str) -> str:
    return host.strip().lower().rstrip(".")


def _host(url: str) -> str:
    return _norm_host(urlsplit(url).hostname or "")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2].lower()}"
