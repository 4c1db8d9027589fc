"""A polite, defensive HTTP fetcher for government web pages.

:class:`Fetcher` wraps one :class:`requests.Session` and adds what a well-behaved
scraper needs:

* a fixed User-Agent (never the library default);
* connect/read timeouts plus a total wall-clock deadline per request, so a
  server that stalls or trickles the body fails within about ``timeout``;
* retries with exponential backoff and jitter for transient failures
  (connection errors, timeouts, truncated bodies, HTTP 429/500/502/503/504),
  honouring ``Retry-After``;
* conditional GET (``If-None-Match`` / ``If-Modified-Since``);
* robots.txt (cached per origin) including ``Crawl-delay``;
* a minimum interval between requests to the same host;
* manually followed redirects restricted to an allowlist of hosts;
* a body size cap, never returning a partial body.

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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Self
from urllib.parse import urldefrag, urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import requests
import urllib3.exceptions

from scraper.errors import BodyTooLarge, FetchError, RedirectRefused, RobotsDisallowed

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
ROBOTS_MAX_BYTES = 512 * 1024
ROBOTS_MAX_AGE = 24 * 3600  # RFC 9309 §2.4: a cached robots.txt is used for at most 24 hours
CHUNK_SIZE = 64 * 1024
DEFAULT_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@dataclass
class FetchResult:
    """Outcome of a successful :meth:`Fetcher.fetch`."""

    url: str  # the URL requested
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
        self._session.headers["User-Agent"] = self.user_agent
        self._session.headers["Accept"] = DEFAULT_ACCEPT
        self._session.headers["Accept-Language"] = "ja,en;q=0.5"
        self._robots: dict[str, RobotFileParser | None] = {}  # origin -> parser (None: allow all)
        self._robots_fetched: dict[str, dict[str, object]] = {}  # origin -> {"fetched_at", "text"} (see robots_cache)
        self._host_interval: dict[str, float] = {}  # host -> interval raised by robots
        self._last_request: dict[str, float] = {}  # host -> time.monotonic() of last request
        self.stats: dict[str, int] = {"requests": 0, "bytes": 0, "robots_requests": 0, "retries": 0}

    # ------------------------------------------------------------------ public

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """GET ``url`` politely; raise :class:`FetchError` (or a subclass) on failure."""
        url = _validate_url(url)
        allowed = self.allowed_hosts or {_host(url)}
        if _host(url) not in allowed:
            raise FetchError(url, f"host {_host(url)} not in allowed_hosts")
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        counter = _Counter()
        current = url
        for hop in range(MAX_REDIRECTS + 1):
            self._check_robots(url, current)
            resp = self._get_with_retries(url, current, headers, counter)
            if resp.status not in REDIRECT_STATUSES:
                return self._result(url, resp, counter)
            if hop == MAX_REDIRECTS:
                break
            current = _redirect_target(url, resp, allowed)
            log.debug("%s: HTTP %d redirect to %s", resp.url, resp.status, current)
        raise FetchError(url, f"too many redirects (more than {MAX_REDIRECTS})")

    def robots_cache(self) -> dict[str, dict[str, object]]:
        """The robots.txt files fetched by this fetcher, to keep for the next one (see :meth:`use_robots_cache`).

        ``{origin: {"fetched_at": unix time, "text": robots.txt or None (no robots.txt: allow all)}}``;
        a robots.txt that could not be fetched (5xx, network) is not included.
        """
        return dict(self._robots_fetched)

    def use_robots_cache(self, cache: dict[str, dict[str, object]], max_age: float = ROBOTS_MAX_AGE) -> None:
        """Use robots.txt files fetched earlier (by :meth:`robots_cache`) that are younger than ``max_age``.

        Lets a run that starts a new process skip re-fetching robots.txt: an unchanged
        cycle is then one conditional request per page.
        """
        now = time.time()
        for origin, entry in cache.items():
            try:
                age = now - float(entry["fetched_at"])  # type: ignore[arg-type]
            except (KeyError, TypeError, ValueError):
                continue
            text = entry.get("text")
            if not 0 <= age < max_age or origin in self._robots or not (text is None or isinstance(text, str)):
                continue
            self._robots[origin] = self._robots_parser(origin, text) if text is not None else None

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
            url=url,
            final_url=resp.url,
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
                log.warning("%s: %s; retry %d/%d in %.1fs", current, exc.cause, attempt + 1, self.retries, delay)
                self._sleep(delay)
        assert last is not None
        cause = last.cause + (f" after {attempts} attempts" if attempts > 1 else "")
        raise FetchError(url, cause + _at(url, current), last.status)

    def _attempt(self, url: str, current: str, headers: dict[str, str], counter: _Counter) -> _Response:
        """One HTTP request for a page; classify the status."""
        counter.n += 1
        self.stats["requests"] += 1
        resp = self._send(url, current, headers, limit=self.max_bytes)
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
            self._robots_fetched[origin] = {"fetched_at": time.time(), "text": None}
            return None
        text = resp.body.decode("utf-8", errors="replace").lstrip("\ufeff")
        self._robots_fetched[origin] = {"fetched_at": time.time(), "text": text}
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
        if delay > 0:
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
        started = time.monotonic()
        try:
            try:
                raw = self._session.get(
                    current,
                    headers=headers,
                    timeout=(self.timeout, self.timeout),
                    allow_redirects=False,
                    stream=True,
                )
            except requests.RequestException as exc:
                raise self._transport_error(url, current, exc) from exc
            try:
                body = None
                if 200 <= raw.status_code < 300:
                    body = self._read_body(url, current, raw, started, limit)
                return _Response(current, raw.status_code, raw.reason or "", raw.headers, body)
            finally:
                raw.close()
        finally:
            self._last_request[host] = time.monotonic()

    def _read_body(self, url: str, current: str, raw: requests.Response, started: float, limit: int) -> bytes:
        """Stream the body within the total deadline, size cap and length check."""
        length = _content_length(raw.headers)
        encoded = raw.headers.get("Content-Encoding", "identity").strip().lower() not in ("", "identity")
        if length is not None and length > limit:
            raise BodyTooLarge(
                url, f"body too large (Content-Length {length} > max_bytes {limit})" + _at(url, current), raw.status_code
            )
        deadline = started + self.timeout
        chunks: list[bytes] = []
        received = 0
        watchdog = _Watchdog(raw, deadline - time.monotonic())
        try:
            with watchdog:
                for chunk in raw.iter_content(CHUNK_SIZE):
                    received += len(chunk)
                    self.stats["bytes"] += len(chunk)
                    if received > limit:
                        raise BodyTooLarge(
                            url, f"body too large (over max_bytes {limit})" + _at(url, current), raw.status_code
                        )
                    chunks.append(chunk)
                    if time.monotonic() > deadline:
                        break
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            if watchdog.expired or time.monotonic() > deadline:
                raise _Retryable(f"read timed out after {self.timeout:g}s (total deadline)") from exc
            error = self._transport_error(url, current, exc)
            if length is not None and not encoded and received < length and not error.cause.startswith("body"):
                raise _Retryable(f"body truncated ({received} of {length} bytes)") from exc
            raise error from exc
        if watchdog.expired or time.monotonic() > deadline:
            raise _Retryable(f"read timed out after {self.timeout:g}s (total deadline)")
        if length is not None and not encoded and received < length:
            raise _Retryable(f"body truncated ({received} of {length} bytes)")
        return b"".join(chunks)

    def _transport_error(self, url: str, current: str, exc: BaseException) -> _Retryable | FetchError:
        """Map a requests/urllib3 exception to a retryable or permanent error."""
        cause, retryable = describe_transport_error(exc, self.timeout)
        if retryable:
            return _Retryable(cause)
        return FetchError(url, cause + _at(url, current))


class _Watchdog:
    """Enforces a wall-clock deadline on a streaming body read.

    When the deadline passes, the socket is shut down, which wakes a reader
    blocked in ``recv``; ``expired`` then tells the reader why the read ended.
    """

    def __init__(self, raw: requests.Response, seconds: float) -> None:
        self._sock = _socket_of(raw)
        self._lock = threading.Lock()
        self._done = False
        self.expired = False
        self._timer = threading.Timer(max(0.0, seconds), self._fire)
        self._timer.daemon = True

    def __enter__(self) -> Self:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self._done = True
        self._timer.cancel()

    def _fire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            if self._sock is not None:
                try:  # the plain-socket method: safe on SSLSocket from another thread
                    socket.socket.shutdown(self._sock, socket.SHUT_RDWR)
                except OSError:
                    pass


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
    """Strip whitespace and fragment; require an http(s) URL with a host."""
    url = urldefrag(url.strip())[0]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError(url, f"unsupported URL scheme {parts.scheme or '(none)'!r}")
    if not parts.hostname:
        raise FetchError(url, "URL has no host")
    return url


def _redirect_target(url: str, resp: _Response, allowed: set[str]) -> str:
    """Resolve the Location of a redirect response and check its host is allowed."""
    location = resp.headers.get("Location")
    if not location:
        raise FetchError(url, f"HTTP {resp.status} redirect without Location" + _at(url, resp.url), resp.status)
    try:  # requests decodes headers as latin-1; undo that for UTF-8 Locations
        location = location.encode("latin-1").decode("utf-8")
    except UnicodeError:
        pass
    target = urldefrag(urljoin(resp.url, location.strip()))[0]
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RedirectRefused(url, f"redirect to unsupported URL {target!r} refused", resp.status)
    host = _norm_host(parts.hostname)
    if host not in allowed:
        raise RedirectRefused(url, f"redirect to {host} refused (not in allowed_hosts)", resp.status)
    return target


def _status_text(resp: _Response) -> str:
    return f"HTTP {resp.status} {resp.reason}".strip()


def _at(url: str, current: str) -> str:
    """Suffix naming the redirect hop when it differs from the requested URL."""
    return "" if current == url else f" (at {current})"


def _content_length(headers: Mapping[str, str]) -> int | None:
    value = (headers.get("Content-Length") or "").split(",")[0].strip()
    return int(value) if value.isdigit() else None


def _norm_host(host: str) -> str:
    return host.strip().lower().rstrip(".")


def _host(url: str) -> str:
    return _norm_host(urlsplit(url).hostname or "")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.lower()}"
