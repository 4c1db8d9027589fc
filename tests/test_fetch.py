"""Tests for scraper.fetch.Fetcher against real loopback HTTP servers."""

from __future__ import annotations

import gzip
import logging
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
import zlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from scraper.errors import BodyTooLarge, FetchError, RedirectRefused, RobotsDisallowed
from scraper.fetch import Fetcher, FetchResult, parse_retry_after
from tests.http_server import LoopbackServer, Reply, unused_port

UA = "kankei-test/0.1 (+https://example.invalid/bot)"
HTML = "<html><body>関係人口</body></html>".encode()


class SleepRecorder:
    """A fake ``sleep`` that records the requested durations and returns at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def make_fetcher(sleep: SleepRecorder | None = None, **overrides: object) -> Fetcher:
    """A Fetcher with test-friendly defaults (no robots, no interval, short timeout)."""
    options: dict[str, object] = {
        "user_agent": UA,
        "timeout": 2.0,
        "retries": 2,
        "min_interval": 0.0,
        "respect_robots": False,
        "backoff_base": 1.0,
        "sleep": sleep if sleep is not None else SleepRecorder(),
    }
    options.update(overrides)
    return Fetcher(**options)  # type: ignore[arg-type]


# --------------------------------------------------------------------- basics


def test_user_agent_and_result_fields(http_server: LoopbackServer) -> None:
    http_server.route(
        "/page",
        Reply(200, body=HTML, content_type="text/html; charset=utf-8",
              headers={"ETag": '"v1"', "Last-Modified": "Wed, 21 Oct 2026 07:28:00 GMT"}),
    )
    with make_fetcher() as fetcher:
        result = fetcher.fetch(http_server.url("/page"))
    assert isinstance(result, FetchResult)
    assert result.status == 200
    assert result.body == HTML
    assert result.url == result.final_url == http_server.url("/page")
    assert result.content_type == "text/html; charset=utf-8"
    assert result.etag == '"v1"'
    assert result.last_modified == "Wed, 21 Oct 2026 07:28:00 GMT"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", result.fetched_at)
    assert result.requests_made == 1
    (request,) = http_server.requests_to("/page")
    assert request.headers["User-Agent"] == UA
    assert "If-None-Match" not in request.headers
    assert fetcher.stats["requests"] == 1
    assert fetcher.stats["bytes"] == len(HTML)
    assert fetcher.stats["robots_requests"] == 0


def test_conditional_get_304(http_server: LoopbackServer) -> None:
    http_server.route("/page", Reply(304, headers={"ETag": '"v1"'}))
    lm = "Wed, 21 Oct 2026 07:28:00 GMT"
    with make_fetcher() as fetcher:
        result = fetcher.fetch(http_server.url("/page"), etag='"v1"', last_modified=lm)
    assert result.status == 304
    assert result.body is None
    assert result.etag == '"v1"'
    (request,) = http_server.requests_to("/page")
    assert request.headers["If-None-Match"] == '"v1"'
    assert request.headers["If-Modified-Since"] == lm


# -------------------------------------------------------------------- retries


def test_503_with_retry_after_then_200(http_server: LoopbackServer) -> None:
    http_server.route("/page", Reply(503, headers={"Retry-After": "7"}), Reply(200, body=HTML))
    sleep = SleepRecorder()
    with make_fetcher(sleep) as fetcher:
        result = fetcher.fetch(http_server.url("/page"))
    assert result.body == HTML
    assert result.requests_made == 2
    assert sleep.calls == [7.0]
    assert http_server.count("/page") == 2


def test_retry_after_http_date_and_cap(http_server: LoopbackServer) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    http_server.route(
        "/page",
        Reply(429, headers={"Retry-After": when}),
        Reply(503, headers={"Retry-After": "3600"}),
        Reply(200, body=HTML),
    )
    sleep = SleepRecorder()
    with make_fetcher(sleep, retry_after_cap=60.0) as fetcher:
        result = fetcher.fetch(http_server.url("/page"))
    assert result.status == 200
    assert len(sleep.calls) == 2
    assert 25 <= sleep.calls[0] <= 31
    assert sleep.calls[1] == 60.0


def test_429_retried_with_backoff(http_server: LoopbackServer) -> None:
    http_server.route("/page", Reply(429), Reply(200, body=HTML))
    sleep = SleepRecorder()
    with make_fetcher(sleep, backoff_base=0.5) as fetcher:
        result = fetcher.fetch(http_server.url("/page"))
    assert result.status == 200
    assert result.requests_made == 2
    (delay,) = sleep.calls
    assert 0.5 <= delay <= 1.0  # backoff_base * 2**0 + jitter in [0, backoff_base]


def test_permanent_500_fails_after_all_attempts(http_server: LoopbackServer) -> None:
    http_server.route("/page", Reply(500))
    sleep = SleepRecorder()
    url = http_server.url("/page")
    with make_fetcher(sleep, retries=3) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch(url)
    assert http_server.count("/page") == 4
    err = info.value
    assert str(err) == f"{url}: HTTP 500 Internal Server Error after 4 attempts"
    assert err.url == url
    assert err.status == 500
    assert len(sleep.calls) == 3
    for attempt, delay in enumerate(sleep.calls):  # exponential backoff with jitter
        assert 2**attempt <= delay <= 2**attempt + 1


def test_404_not_retried(http_server: LoopbackServer) -> None:
    url = http_server.url("/missing")
    sleep = SleepRecorder()
    with make_fetcher(sleep, retries=3) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch(url)
    assert http_server.count("/missing") == 1
    assert info.value.status == 404
    assert str(info.value) == f"{url}: HTTP 404 Not Found"
    assert sleep.calls == []


def test_403_not_retried(http_server: LoopbackServer) -> None:
    http_server.route("/page", Reply(403))
    with make_fetcher(retries=3) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch(http_server.url("/page"))
    assert http_server.count("/page") == 1
    assert info.value.status == 403


def test_connection_refused() -> None:
    url = f"http://127.0.0.1:{unused_port()}/page"
    sleep = SleepRecorder()
    with make_fetcher(sleep, retries=1) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch(url)
    message = str(info.value)
    assert message == f"{url}: connection refused after 2 attempts"
    assert "\n" not in message
    assert info.value.status is None
    assert len(sleep.calls) == 1


# ------------------------------------------------------------ slow / broken


def test_read_timeout(http_server: LoopbackServer) -> None:
    http_server.route("/slow", Reply(200, body=HTML, delay=3.0))
    started = time.monotonic()
    with make_fetcher(timeout=0.2, retries=0) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch(http_server.url("/slow"))
    assert time.monotonic() - started < 1.5
    assert "read timed out after 0.2s" in str(info.value)


def test_stall_mid_body_is_retried(http_server: LoopbackServer) -> None:
    body = b"x" * 1000
    http_server.route("/page", Reply(200, body=body, stall_after=100, stall=5.0), Reply(200, body=body))
    started = time.monotonic()
    with make_fetcher(timeout=0.2, retries=1) as fetcher:
        result = fetcher.fetch(http_server.url("/page"))
    assert time.monotonic() - started < 2.0
    assert result.body == body
    assert result.requests_made == 2


def test_stall_mid_body_fails_within_timeout(http_server: LoopbackServer) -> None:
    http_server.route("/page", Reply(200, body=b"x" * 1000, stall_after=100, stall=5.0))
    started = time.monotonic()
    with make_fetcher(timeout=0.2, retries=0) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch(http_server.url("/page"))
    assert time.monotonic() - started < 1.5
    assert "timed out" in str(info.value)


def test_trickling_body_hits_total_deadline(http_server: LoopbackServer) -> None:
    # 1 byte every 50 ms never trips a per-read timeout; the total deadline must.
    http_server.route("/page", Reply(200, body=b"y" * 200, trickle=(1, 0.05)))
    started = time.monotonic()
    with make_fetcher(timeout=0.2, retries=0) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch(http_server.url("/page"))
    assert time.monotonic() - started < 1.5
    assert "read timed out after 0.2s (total deadline)" in str(info.value)


def test_truncated_body_is_retried(http_server: LoopbackServer) -> None:
    body = b"z" * 5000
    http_server.route("/page", Reply(200, body=body[:1200], content_length=5000), Reply(200, body=body))
    with make_fetcher(retries=1) as fetcher:
        result = fetcher.fetch(http_server.url("/page"))
    assert result.body == body
    assert result.requests_made == 2


def test_truncated_body_never_returned(http_server: LoopbackServer) -> None:
    http_server.route("/page", Reply(200, body=b"z" * 1200, content_length=5000))
    url = http_server.url("/page")
    with make_fetcher(retries=1) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch(url)
    assert str(info.value) == f"{url}: body truncated (1200 of 5000 bytes) after 2 attempts"
    assert http_server.count("/page") == 2


def test_content_length_over_max_bytes_refused_early(http_server: LoopbackServer) -> None:
    http_server.route("/big", Reply(200, body=b"b" * 5000))
    with make_fetcher(max_bytes=1000, retries=3) as fetcher, pytest.raises(BodyTooLarge) as info:
        fetcher.fetch(http_server.url("/big"))
    assert http_server.count("/big") == 1  # not retried
    assert "Content-Length 5000 > max_bytes 1000" in str(info.value)
    assert fetcher.stats["bytes"] == 0


def test_streamed_body_over_max_bytes_refused(http_server: LoopbackServer) -> None:
    http_server.route("/big", Reply(200, body=b"b" * 200_000, send_content_length=False))
    with make_fetcher(max_bytes=100_000, retries=3) as fetcher, pytest.raises(BodyTooLarge):
        fetcher.fetch(http_server.url("/big"))
    assert http_server.count("/big") == 1


def test_gzip_is_decoded_and_decoded_size_counts(http_server: LoopbackServer) -> None:
    data = ("<p>関係人口</p>" * 10_000).encode("utf-8")
    packed = gzip.compress(data)
    assert len(packed) < 10_000 < len(data)
    http_server.route("/gz", Reply(200, body=packed, headers={"Content-Encoding": "gzip"}))
    with make_fetcher() as fetcher:
        assert fetcher.fetch(http_server.url("/gz")).body == data
    with make_fetcher(max_bytes=len(data) - 1) as fetcher, pytest.raises(BodyTooLarge):
        fetcher.fetch(http_server.url("/gz"))


def test_truncated_gzip_stream_is_a_truncated_body(http_server: LoopbackServer) -> None:
    """Content-Length matches the bytes sent, but the gzip stream inside them ends early."""
    data = ("<p>関係人口</p>" * 2_000).encode("utf-8")
    cut = gzip.compress(data)[:-20]
    http_server.route("/gz", Reply(200, body=cut, headers={"Content-Encoding": "gzip"}))
    url = http_server.url("/gz")
    with make_fetcher(retries=1) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch(url)
    assert str(info.value) == f"{url}: body truncated (gzip stream ends early, after {len(cut)} bytes) after 2 attempts"


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS], ids=["zlib", "raw"])
def test_deflate_with_and_without_zlib_wrapper(http_server: LoopbackServer, wbits: int) -> None:
    data = ("<p>関係人口</p>" * 2_000).encode("utf-8")
    packer = zlib.compressobj(wbits=wbits)
    packed = packer.compress(data) + packer.flush()
    http_server.route("/d", Reply(200, body=packed, headers={"Content-Encoding": "deflate"}))
    http_server.route("/cut", Reply(200, body=packed[: len(packed) // 2], headers={"Content-Encoding": "deflate"}))
    with make_fetcher(retries=0) as fetcher:
        assert fetcher.fetch(http_server.url("/d")).body == data
        with pytest.raises(FetchError, match="deflate stream ends early"):
            fetcher.fetch(http_server.url("/cut"))


def test_two_gzip_members_and_garbage_after_the_stream(http_server: LoopbackServer) -> None:
    http_server.route("/two", Reply(200, body=gzip.compress(b"<p>one</p>") + gzip.compress(b"<p>two</p>"),
                                    headers={"Content-Encoding": "gzip"}))
    http_server.route("/junk", Reply(200, body=gzip.compress(b"<p>one</p>") + b"junk",
                                     headers={"Content-Encoding": "gzip"}))
    with make_fetcher(retries=0) as fetcher:
        assert fetcher.fetch(http_server.url("/two")).body == b"<p>one</p><p>two</p>"
        with pytest.raises(FetchError, match="content decoding failed"):
            fetcher.fetch(http_server.url("/junk"))


def test_unsupported_content_encoding_is_refused(http_server: LoopbackServer) -> None:
    http_server.route("/br", Reply(200, body=b"\x0b\x02\x80", headers={"Content-Encoding": "br"}))
    with make_fetcher(retries=2) as fetcher, pytest.raises(FetchError, match="unsupported Content-Encoding 'br'"):
        fetcher.fetch(http_server.url("/br"))
    assert http_server.count("/br") == 1
    assert http_server.requests_to("/br")[0].headers["Accept-Encoding"] == "gzip, deflate"


def test_headers_trickled_hit_the_total_deadline(http_server: LoopbackServer) -> None:
    http_server.route("/page", Reply(200, body=HTML, header_trickle=0.05))
    started = time.monotonic()
    with make_fetcher(timeout=0.2, retries=0) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch(http_server.url("/page"))
    assert time.monotonic() - started < 1.0
    assert "read timed out after 0.2s (total deadline)" in str(info.value)


@pytest.mark.parametrize("ctype,ok", [("text/html; charset=utf-8", True), ("application/xhtml+xml", True),
                                      ("TEXT/HTML", True), (None, True), ("application/pdf", False),
                                      ("text/plain", False), ("image/png", False), ("", False)])
def test_a_page_must_be_html(http_server: LoopbackServer, ctype: str | None, ok: bool) -> None:
    http_server.route("/p", Reply(200, body=HTML, content_type=ctype))
    url = http_server.url("/p")
    with make_fetcher(retries=2) as fetcher:
        if ok:
            assert fetcher.fetch(url).body == HTML
        else:
            with pytest.raises(FetchError) as info:
                fetcher.fetch(url)
            assert str(info.value) == (f"{url}: Content-Type {ctype or '(empty)'} is not a web page "
                                       "(text/html or application/xhtml+xml)")
            assert http_server.count("/p") == 1


def test_crawl_delay_over_the_cap_fails_the_host(http_server: LoopbackServer, caplog: pytest.LogCaptureFixture) -> None:
    http_server.route("/robots.txt", robots("User-agent: *\nCrawl-delay: 61\n"))
    http_server.route("/page", Reply(200, body=HTML))
    sleep = SleepRecorder()
    with caplog.at_level(logging.ERROR, logger="scraper.fetch"), \
            make_fetcher(sleep, respect_robots=True) as fetcher:
        for _ in range(2):
            with pytest.raises(RobotsDisallowed, match="Crawl-delay of 61s .* over the 60s"):
                fetcher.fetch(http_server.url("/page"))
    assert http_server.count("/page") == 0 and http_server.count("/robots.txt") == 1
    assert sleep.calls == []
    assert any("Crawl-delay of 61s" in r.getMessage() for r in caplog.records)


def test_crawl_delay_at_the_cap_is_honoured(http_server: LoopbackServer) -> None:
    http_server.route("/robots.txt", robots("User-agent: *\nCrawl-delay: 60\n"))
    http_server.route("/page", Reply(200, body=HTML))
    sleep = SleepRecorder()
    with make_fetcher(sleep, respect_robots=True) as fetcher:
        fetcher.fetch(http_server.url("/page"))
    assert len(sleep.calls) == 1 and 59 <= sleep.calls[0] <= 60


# ------------------------------------------------------------------ redirects


def test_redirect_within_host_followed(http_server: LoopbackServer) -> None:
    http_server.route("/old", Reply(301, headers={"Location": "/new"}))
    http_server.route("/new", Reply(200, body=HTML))
    with make_fetcher() as fetcher:
        result = fetcher.fetch(http_server.url("/old"))
    assert result.url == http_server.url("/old")
    assert result.final_url == http_server.url("/new")
    assert result.body == HTML
    assert result.requests_made == 2
    assert http_server.requests_to("/new")[0].headers["User-Agent"] == UA


def test_redirect_to_foreign_host_refused(http_server: LoopbackServer, http_server_factory) -> None:
    other = http_server_factory()
    http_server.route("/old", Reply(302, headers={"Location": other.url("/elsewhere", host="localhost")}))
    url = http_server.url("/old")
    with make_fetcher(respect_robots=True) as fetcher, pytest.raises(RedirectRefused) as info:
        fetcher.fetch(url)
    assert str(info.value) == f"{url}: redirect to localhost refused (not in allowed_hosts)"
    assert info.value.status == 302
    assert other.count() == 0  # not even robots.txt


def test_redirect_to_allowed_other_host_followed(http_server: LoopbackServer, http_server_factory) -> None:
    other = http_server_factory()
    other.route("/elsewhere", Reply(200, body=HTML))
    http_server.route("/old", Reply(302, headers={"Location": other.url("/elsewhere", host="localhost")}))
    with make_fetcher(allowed_hosts=["127.0.0.1", "LOCALHOST"]) as fetcher:
        result = fetcher.fetch(http_server.url("/old"))
    assert result.final_url == other.url("/elsewhere", host="localhost")
    assert other.count("/elsewhere") == 1


def test_initial_host_must_be_allowed(http_server: LoopbackServer) -> None:
    with make_fetcher(allowed_hosts=["www.soumu.go.jp"]) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch(http_server.url("/page"))
    assert "not in allowed_hosts" in str(info.value)
    assert http_server.count() == 0


def test_too_many_redirects(http_server: LoopbackServer) -> None:
    http_server.route("/loop", Reply(302, headers={"Location": "/loop"}))
    with make_fetcher() as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch(http_server.url("/loop"))
    assert "too many redirects" in str(info.value)
    assert http_server.count("/loop") == 6  # the original request plus 5 redirects


@pytest.mark.parametrize("location,problem", [
    ("http://localhost:{port}\\@127.0.0.1/x", "backslash in Location"),
    ("http://127.0.0.1:{port}\\@localhost/x", "backslash in Location"),
    ("http://user:pw@127.0.0.1:{port}/x", "user name or password in Location"),
    ("http://localhost:{port}@127.0.0.1/x", "user name or password in Location"),
    ("http://127.0.0.1:{port}/x\x01", "control character in URL"),
    ("http://127.0.0.1 :{port}/x", "space in the host part of the URL"),
])
def test_ambiguous_redirects_refused(http_server: LoopbackServer, http_server_factory, location: str,
                                     problem: str) -> None:
    other = http_server_factory()
    other.route("/x", Reply(200, body=HTML))
    http_server.route("/start", Reply(302, headers={"Location": location.format(port=other.port)}))
    with make_fetcher(allowed_hosts=["127.0.0.1"]) as fetcher, pytest.raises(RedirectRefused) as info:
        fetcher.fetch(http_server.url("/start"))
    assert f"redirect refused ({problem})" in str(info.value)
    assert other.count() == 0


def test_credentials_of_a_source_url_are_used_but_never_shown(http_server: LoopbackServer,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    http_server.route("/p", Reply(200, body=HTML))
    http_server.route("/gone", Reply(503))
    url = http_server.url("/p").replace("http://", "http://reader:S3CRET@")
    with caplog.at_level(logging.DEBUG), make_fetcher(retries=1) as fetcher:
        result = fetcher.fetch(url)
        with pytest.raises(FetchError) as info:
            fetcher.fetch(url.replace("/p", "/gone"))
    assert http_server.requests_to("/p")[0].headers["Authorization"] == "Basic cmVhZGVyOlMzQ1JFVA=="
    assert result.url == result.final_url == http_server.url("/p")
    assert str(info.value).startswith(http_server.url("/gone") + ": HTTP 503")
    assert info.value.url == http_server.url("/gone")
    assert "S3CRET" not in caplog.text and caplog.text


# --------------------------------------------------------------------- robots


def robots(text: str) -> Reply:
    return Reply(200, body=text, content_type="text/plain")


def test_robots_disallow(http_server: LoopbackServer) -> None:
    http_server.route("/robots.txt", robots("User-agent: *\nDisallow: /private/\n"))
    http_server.route("/private/page", Reply(200, body=HTML))
    http_server.route("/public", Reply(200, body=HTML))
    url = http_server.url("/private/page")
    with make_fetcher(respect_robots=True) as fetcher:
        with pytest.raises(RobotsDisallowed) as info:
            fetcher.fetch(url)
        assert fetcher.fetch(http_server.url("/public")).status == 200
    assert str(info.value) == f"{url}: disallowed by robots.txt"
    assert http_server.count("/private/page") == 0
    assert http_server.requests_to("/robots.txt")[0].headers["User-Agent"] == UA


def test_robots_rules_for_our_agent(http_server: LoopbackServer) -> None:
    http_server.route("/robots.txt", robots("User-agent: kankei-test\nDisallow: /\n\nUser-agent: *\nDisallow:\n"))
    with make_fetcher(respect_robots=True) as fetcher, pytest.raises(RobotsDisallowed):
        fetcher.fetch(http_server.url("/page"))


def test_robots_fetched_once_per_host(http_server: LoopbackServer) -> None:
    http_server.route("/robots.txt", robots("User-agent: *\nDisallow: /private/\n"))
    http_server.route("/a", Reply(200, body=HTML))
    http_server.route("/b", Reply(200, body=HTML))
    with make_fetcher(respect_robots=True) as fetcher:
        first = fetcher.fetch(http_server.url("/a"))
        fetcher.fetch(http_server.url("/b"))
    assert http_server.count("/robots.txt") == 1
    assert fetcher.stats["robots_requests"] == 1
    assert fetcher.stats["requests"] == 2
    assert first.requests_made == 1  # robots not counted


def test_robots_skipped_when_not_respected(http_server: LoopbackServer) -> None:
    http_server.route("/robots.txt", robots("User-agent: *\nDisallow: /\n"))
    http_server.route("/page", Reply(200, body=HTML))
    with make_fetcher(respect_robots=False) as fetcher:
        assert fetcher.fetch(http_server.url("/page")).status == 200
    assert http_server.count("/robots.txt") == 0


def test_robots_404_allows_all(http_server: LoopbackServer) -> None:
    http_server.route("/page", Reply(200, body=HTML))
    with make_fetcher(respect_robots=True) as fetcher:
        assert fetcher.fetch(http_server.url("/page")).status == 200
    assert http_server.count("/robots.txt") == 1


def test_robots_5xx_allows_all_with_warning(http_server: LoopbackServer, caplog: pytest.LogCaptureFixture) -> None:
    http_server.route("/robots.txt", Reply(503))
    http_server.route("/page", Reply(200, body=HTML))
    with caplog.at_level(logging.WARNING, logger="scraper.fetch"), make_fetcher(respect_robots=True) as fetcher:
        assert fetcher.fetch(http_server.url("/page")).status == 200
    assert http_server.count("/robots.txt") == 1  # robots is not retried
    assert any("robots.txt" in r.getMessage() and "allow-all" in r.getMessage() for r in caplog.records)


def test_robots_timeout_allows_all(http_server: LoopbackServer, caplog: pytest.LogCaptureFixture) -> None:
    http_server.route("/robots.txt", Reply(200, body="User-agent: *\nDisallow: /\n", delay=3.0))
    http_server.route("/page", Reply(200, body=HTML))
    with caplog.at_level(logging.WARNING, logger="scraper.fetch"), make_fetcher(
        respect_robots=True, timeout=0.2
    ) as fetcher:
        assert fetcher.fetch(http_server.url("/page")).status == 200
    assert any("allow-all" in r.getMessage() for r in caplog.records)


def test_crawl_delay_honoured(http_server: LoopbackServer) -> None:
    http_server.route("/robots.txt", robots("User-agent: *\nCrawl-delay: 5\n"))
    http_server.route("/page", Reply(200, body=HTML))
    sleep = SleepRecorder()
    with make_fetcher(sleep, respect_robots=True, min_interval=1.0) as fetcher:
        fetcher.fetch(http_server.url("/page"))
    # One wait between the robots request and the page; time barely moved, so ~5 s.
    assert len(sleep.calls) == 1
    assert 4.5 <= sleep.calls[0] <= 5.0


def test_min_interval_between_fetches(http_server: LoopbackServer) -> None:
    http_server.route("/page", Reply(200, body=HTML))
    sleep = SleepRecorder()
    with make_fetcher(sleep, min_interval=3.0) as fetcher:
        fetcher.fetch(http_server.url("/page"))
        assert sleep.calls == []
        fetcher.fetch(http_server.url("/page"))
    assert len(sleep.calls) == 1
    assert 2.5 <= sleep.calls[0] <= 3.0


def test_min_interval_applies_to_retries(http_server: LoopbackServer) -> None:
    http_server.route("/page", Reply(503, headers={"Retry-After": "0"}), Reply(200, body=HTML))
    sleep = SleepRecorder()
    with make_fetcher(sleep, min_interval=3.0) as fetcher:
        fetcher.fetch(http_server.url("/page"))
    assert sleep.calls[0] == 0.0  # the Retry-After wait
    assert 2.5 <= sleep.calls[1] <= 3.0  # the per-host interval


def test_min_interval_is_per_host(http_server: LoopbackServer) -> None:
    http_server.route("/page", Reply(200, body=HTML))
    sleep = SleepRecorder()
    with make_fetcher(sleep, min_interval=3.0, allowed_hosts=["127.0.0.1", "localhost"]) as fetcher:
        fetcher.fetch(http_server.url("/page"))
        fetcher.fetch(http_server.url("/page", host="localhost"))
    assert sleep.calls == []


# ---------------------------------------------------------------------- misc


def test_unsupported_scheme_rejected() -> None:
    with make_fetcher() as fetcher, pytest.raises(FetchError, match="unsupported URL scheme"):
        fetcher.fetch("ftp://example.invalid/file")


def test_user_agent_required() -> None:
    with pytest.raises(ValueError):
        Fetcher(user_agent=" ")


def test_parse_retry_after() -> None:
    now = datetime(2026, 11, 27, 22, 40, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after("Fri, 27 Nov 2026 22:41:30 GMT", now) == 90.0
    assert parse_retry_after("Fri, 27 Nov 2026 22:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("-5", now) is None
    assert parse_retry_after(None, now) is None


def test_robots_checked_for_redirect_target(http_server: LoopbackServer) -> None:
    http_server.route("/robots.txt", robots("User-agent: *\nDisallow: /private/\n"))
    http_server.route("/old", Reply(301, headers={"Location": "/private/new"}))
    url = http_server.url("/old")
    with make_fetcher(respect_robots=True) as fetcher, pytest.raises(RobotsDisallowed) as info:
        fetcher.fetch(url)
    assert str(info.value) == f"{url}: disallowed by robots.txt (at {http_server.url('/private/new')})"
    assert http_server.count("/private/new") == 0


def test_min_interval_includes_robots_request(http_server: LoopbackServer) -> None:
    http_server.route("/page", Reply(200, body=HTML))
    sleep = SleepRecorder()
    with make_fetcher(sleep, respect_robots=True, min_interval=3.0) as fetcher:
        fetcher.fetch(http_server.url("/page"))
    assert http_server.count("/robots.txt") == 1
    assert len(sleep.calls) == 1
    assert 2.5 <= sleep.calls[0] <= 3.0


def test_https_goes_through_the_deadline_connections(http_server: LoopbackServer) -> None:
    """An https URL on a server that answers in plain HTTP: a clean TLS or connection error, within the deadline."""
    http_server.route("/p", Reply(200, body=HTML))
    url = http_server.url("/p").replace("http://", "https://")
    started = time.monotonic()
    with make_fetcher(retries=0, timeout=0.5) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch(url)
    assert time.monotonic() - started < 2
    assert re.search(r"TLS error|connection error", str(info.value)), str(info.value)


@pytest.fixture
def tls_trickle_server(tmp_path, monkeypatch: pytest.MonkeyPatch):
    """An HTTPS server on 127.0.0.1 (a self-signed certificate the client is told to trust, made with the
    openssl command): ``/ok`` answers at once, any other path gets its response headers trickled."""
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    # An EC key: made in milliseconds (an RSA key took half a second of CPU).
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                try:
                    tls = context.wrap_socket(conn, server_side=True)
                    if tls.recv(65536).startswith(b"GET /ok "):
                        tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                                    b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(HTML), HTML))
                        continue
                    for byte in b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Slow: " + b"y" * 200:
                        if stop.wait(0.05):
                            break
                        tls.sendall(bytes([byte]))
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{listener.getsockname()[1]}/page"
    stop.set()
    listener.close()
    thread.join(timeout=5)


def test_https_headers_trickled_hit_the_total_deadline(tls_trickle_server: str) -> None:
    with make_fetcher(timeout=5, retries=0) as fetcher:  # a generous deadline for the answer that must arrive
        assert fetcher.fetch(tls_trickle_server.replace("/page", "/ok")).body == HTML
    started = time.monotonic()
    with make_fetcher(timeout=0.2, retries=0) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch(tls_trickle_server)
    assert time.monotonic() - started < 2
    assert "read timed out after 0.2s (total deadline)" in str(info.value)
