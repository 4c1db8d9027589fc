"""Fault injection: ``kankei run`` against a real loopback server that misbehaves.

Every case drives the real CLI (``pipeline.cli.cli``) with a config.toml in tmp_path:
a good baseline run loads the table fixture, then the fault, then a normal run.
For each fault we check the documented exit code, one clear line naming the source
and the cause, ``PRAGMA integrity_check``, that the stored state (adoptions, years,
partners, categories, changes, the source's last good snapshot) is unchanged, that
no change was recorded, and that the next run is normal again (a 304, exit 0).
"""

from __future__ import annotations

import base64
import ctypes
import gzip
import os
import random
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from db import schema
from pipeline.cli import cli
from tests.helpers import write_config
from tests.http_server import LoopbackServer, RecordedRequest, Reply, unused_port

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
SOURCE = "model-projects"
PAGE_PATH = "/kankeijinkou/discription/index.html"
PAGE = (FIXTURES / "model_projects_table.html").read_bytes()
HTML_UTF8 = "text/html; charset=utf-8"
ETAG = '"v1"'
MAX_BYTES = 100_000
TIMEOUT = 0.2  # seconds: http.timeout of every run here
RETRY_AFTER = "0.3"  # seconds: what the busy server asks for
STATE_TABLES = ("fiscal_years", "adoptions", "partners", "categories", "changes", "pages")

EXIT_OK, EXIT_SOURCE_FAILED, EXIT_USAGE = 0, 1, 2


def good_reply(request: RecordedRequest) -> Reply:
    """The page as the ministry serves it: 200 with an ETag, 304 to a matching conditional GET."""
    if request.headers.get("If-None-Match") == ETAG:
        return Reply(304, headers={"ETag": ETAG})
    return Reply(200, body=PAGE, content_type=HTML_UTF8, headers={"ETag": ETAG})


@dataclass
class Site:
    """A config.toml in ``tmp`` whose one source is ``server``'s page."""

    tmp: Path
    server: LoopbackServer
    runner: CliRunner = field(default_factory=CliRunner)
    extra: dict[str, Any] = field(default_factory=dict)  # whatever a fault's arrange() wants its check() to see

    @property
    def url(self) -> str:
        return self.server.url(PAGE_PATH)

    @property
    def config(self) -> Path:
        return self.tmp / "config.toml"

    @property
    def database(self) -> Path:
        return self.tmp / "data" / "kankei.db"

    def write_config(self, url: str | None = None) -> Path:
        return write_config(self.tmp, url or self.url, timeout=TIMEOUT, retries=1, max_bytes=MAX_BYTES, backoff=0.05)

    def run(self, url: str | None = None) -> Result:
        self.write_config(url)
        return self.runner.invoke(cli, ["--config", str(self.config), "run"], catch_exceptions=False)

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(self.database)
        try:
            return [tuple(row) for row in conn.execute(sql, args)]
        finally:
            conn.close()

    def state(self) -> dict[str, list[tuple[Any, ...]]]:
        """Everything a fault must leave alone, table by table (and the source's last good snapshot)."""
        dump = {table: sorted(self.query(f"SELECT * FROM {table}"), key=repr) for table in STATE_TABLES}
        dump["last_good"] = self.query(
            "SELECT last_snapshot_id, last_success_run FROM source_state WHERE source = ?", SOURCE
        )
        return dump

    def integrity(self) -> str:
        return self.query("PRAGMA integrity_check")[0][0]

    def changes_count(self) -> int:
        return self.query("SELECT count(*) FROM changes")[0][0]

    def failures(self) -> int:
        return self.query("SELECT consecutive_failures FROM source_state WHERE source = ?", SOURCE)[0][0]

    def baseline(self) -> None:
        self.server.route(PAGE_PATH, good_reply)
        result = self.run()
        assert result.exit_code == EXIT_OK, result.output
        assert result.stdout.startswith(f"{SOURCE}: fetched, initial load (99 adoption_added")
        assert self.query("SELECT count(*) FROM adoptions") == [(99,)]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The storage (data/, snapshots/) after the good baseline run, made once per module for the tests to copy."""
    directory = tmp_path_factory.mktemp("faults-baseline")
    with LoopbackServer() as server:
        Site(directory, server).baseline()
    return directory


@pytest.fixture
def site(tmp_path: Path, http_server: LoopbackServer, baseline: Path) -> Site:
    """A copy of the baseline's storage, its page now ``http_server``'s: as if the baseline run had fetched it
    from there (the snapshot's URL is the only place a run stores the source's URL)."""
    for folder in ("data", "snapshots"):
        shutil.copytree(baseline / folder, tmp_path / folder)
    s = Site(tmp_path, http_server)
    conn = sqlite3.connect(s.database)
    try:
        with conn:
            assert conn.execute("UPDATE snapshots SET url = ?", (s.url,)).rowcount == 1
    finally:
        conn.close()
    s.write_config()
    http_server.route(PAGE_PATH, good_reply)
    return s


def assert_next_run_normal(site: Site, before: dict[str, list[tuple[Any, ...]]]) -> None:
    """After the fault: the real page again, a conditional GET answered 304, nothing recorded."""
    site.server.route(PAGE_PATH, good_reply)
    site.server.clear_requests()
    result = site.run()
    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout == f"{SOURCE}: unchanged (304 Not Modified)\n"
    assert site.server.count(PAGE_PATH) == 1
    assert site.server.count("/robots.txt") == 1  # once per host per run
    assert site.integrity() == "ok"
    after = site.state()
    # The 304 made a compact snapshot row confirming the last good body, which the state still reflects.
    last_good = before["last_good"][0][0]
    assert site.query("SELECT http_status, same_as, sha256 FROM snapshots ORDER BY id DESC LIMIT 1") == \
        [(304, last_good, None)]
    assert after["last_good"][0][0] == last_good and after["last_good"][0][1] > before["last_good"][0][1]
    assert {k: v for k, v in after.items() if k != "last_good"} == {
        k: v for k, v in before.items() if k != "last_good"
    }
    assert site.failures() == 0


# ----------------------------------------------------------------- the faults


@dataclass(frozen=True)
class Fault:
    """A misbehaviour to inject before the second run, and what the failure line must say."""

    id: str
    arrange: Callable[[Site, Callable[[], LoopbackServer]], str | None]  # returns a URL override or None
    cause: str  # regex the line must match after "model-projects: failed: "
    check: Callable[[Site, dict[str, Any]], None] | None = None


def serve(*replies: Reply | Callable[[RecordedRequest], Reply]) -> Callable[[Site, Any], None]:
    def arrange(site: Site, _factory: Any) -> None:
        site.server.route(PAGE_PATH, *replies)

    return arrange


def refused(site: Site, _factory: Any) -> str:
    return f"http://127.0.0.1:{unused_port()}{PAGE_PATH}"


def redirect_elsewhere(site: Site, factory: Callable[[], LoopbackServer]) -> None:
    other = factory()
    other.route(PAGE_PATH, Reply(200, body=PAGE, content_type=HTML_UTF8))
    site.extra["other"] = other
    site.server.route(PAGE_PATH, Reply(302, headers={"Location": other.url(PAGE_PATH, host="localhost")}))


def other_host_never_contacted(site: Site, extra: dict[str, Any]) -> None:
    assert extra["other"].count() == 0


def two_attempts(site: Site, extra: dict[str, Any]) -> None:
    assert site.server.count(PAGE_PATH) == 2


def one_attempt(site: Site, extra: dict[str, Any]) -> None:
    assert site.server.count(PAGE_PATH) == 1


def retry_after_honoured(site: Site, extra: dict[str, Any]) -> None:
    first, second = site.server.requests_to(PAGE_PATH)
    assert second.received_at - first.received_at >= float(RETRY_AFTER) - 0.01


def redirect_with(location: str) -> Callable[[Site, Callable[[], LoopbackServer]], None]:
    """A redirect to ``location`` (``{port}``: another server's port) that must not reach that server."""

    def arrange(site: Site, factory: Callable[[], LoopbackServer]) -> None:
        other = factory()
        other.route(PAGE_PATH, Reply(200, body=PAGE, content_type=HTML_UTF8))
        site.extra["other"] = other
        site.server.route(PAGE_PATH, Reply(302, headers={"Location": location.format(port=other.port)}))

    return arrange


def crawl_delay(seconds: int) -> Callable[[Site, Any], None]:
    def arrange(site: Site, _factory: Any) -> None:
        site.server.route("/robots.txt", Reply(200, body=f"User-agent: *\nCrawl-delay: {seconds}\n",
                                               content_type="text/plain"))
        site.server.route(PAGE_PATH, good_reply)
        site.extra["started"] = time.monotonic()

    return arrange


def page_never_requested(site: Site, extra: dict[str, Any]) -> None:
    assert site.server.count(PAGE_PATH) == 0
    assert time.monotonic() - extra["started"] < 5
    site.server.unroute("/robots.txt")


def within_deadlines(site: Site, extra: dict[str, Any]) -> None:
    """Two attempts of TIMEOUT each and a short backoff: far less than the header trickle would take."""
    first, second = site.server.requests_to(PAGE_PATH)
    assert second.received_at - first.received_at < 1.5


def listed_twice() -> bytes:
    """The page with a second 石狩市 row in 令和2年度, its heading raised to 全26団体 to match."""
    text = PAGE.decode("utf-8")
    start = text.index("<tr>", text.index("<tbody>"))
    end = text.index("</tr>", start) + len("</tr>")
    row = text[start:end]
    assert "石狩市" in row
    text = text[:end] + row.replace("地域農業ファン", "地域農業ファン(再掲)") + text[end:]
    return text.replace("令和2年度モデル事業採択団体(全25団体)", "令和2年度モデル事業採択団体(全26団体)").encode("utf-8")


def bad_bytes() -> bytes:
    """The UTF-8 page with two bytes that are invalid in UTF-8 inside its text."""
    at = PAGE.index("石狩市".encode())
    return PAGE[:at] + b"\xff\xfe" + PAGE[at:]


def huge_page() -> bytes:
    return PAGE.replace(b"</body>", b"<p>" + "関係人口".encode() * 20_000 + b"</p></body>")


FAULTS = [
    Fault("503-retry-after-persistent",
          serve(Reply(503, body="busy", headers={"Retry-After": RETRY_AFTER})),
          r"HTTP 503 Service Unavailable after 2 attempts$",
          lambda s, e: (two_attempts(s, e), retry_after_honoured(s, e))),
    Fault("429-retry-after-persistent",
          serve(Reply(429, body="slow down", headers={"Retry-After": RETRY_AFTER})),
          r"HTTP 429 Too Many Requests after 2 attempts$",
          lambda s, e: (two_attempts(s, e), retry_after_honoured(s, e))),
    Fault("500-permanent", serve(Reply(500, body="oops")),
          r"HTTP 500 Internal Server Error after 2 attempts$", two_attempts),
    Fault("connection-refused", refused, r"connection refused after 2 attempts$"),
    Fault("read-timeout", serve(Reply(200, body=PAGE, content_type=HTML_UTF8, delay=5)),
          r"read timed out after 0.2s \(total deadline\) after 2 attempts$", two_attempts),
    Fault("stall-mid-body", serve(Reply(200, body=PAGE, content_type=HTML_UTF8, stall_after=4000, stall=5)),
          r"read timed out after 0.2s \(total deadline\) after 2 attempts$", two_attempts),
    Fault("headers-trickled", serve(Reply(200, body=PAGE, content_type=HTML_UTF8, header_trickle=0.02)),
          r"read timed out after 0.2s \(total deadline\) after 2 attempts$",
          lambda s, e: (two_attempts(s, e), within_deadlines(s, e))),
    Fault("truncated-body", serve(Reply(200, body=PAGE[:5000], content_type=HTML_UTF8, content_length=len(PAGE))),
          rf"body truncated \(5000 of {len(PAGE)} bytes\) after 2 attempts$", two_attempts),
    Fault("over-max-bytes-declared", serve(Reply(200, body=huge_page(), content_type=HTML_UTF8)),
          rf"body too large \(Content-Length {len(huge_page())} > max_bytes {MAX_BYTES}\)$", one_attempt),
    Fault("over-max-bytes-streamed",
          serve(Reply(200, body=huge_page(), content_type=HTML_UTF8, send_content_length=False)),
          rf"body too large \(over max_bytes {MAX_BYTES}\)$", one_attempt),
    Fault("redirect-to-other-host", redirect_elsewhere,
          r"redirect to localhost refused \(not in allowed_hosts\)$", other_host_never_contacted),
    Fault("redirect-with-backslash", redirect_with("http://localhost:{port}\\@127.0.0.1" + PAGE_PATH),
          r"redirect refused \(backslash in Location\)$", other_host_never_contacted),
    Fault("redirect-with-userinfo", redirect_with("http://localhost:{port}@127.0.0.1:{port}" + PAGE_PATH),
          r"redirect refused \(user name or password in Location\)$", other_host_never_contacted),
    Fault("crawl-delay-too-long", crawl_delay(100_000_000),
          r"robots.txt asks for a Crawl-delay of 100000000s between requests, over the 60s kankei waits at most$",
          page_never_requested),
    Fault("gzip-stream-truncated",
          serve(Reply(200, body=gzip.compress(PAGE)[:4000], content_type=HTML_UTF8,
                      headers={"Content-Encoding": "gzip"})),
          r"body truncated \(gzip stream ends early, after 4000 bytes\) after 2 attempts$", two_attempts),
    Fault("not-html", serve(Reply(200, body=b"%PDF-1.4\n" + PAGE, content_type="application/pdf")),
          r"Content-Type application/pdf is not a web page \(text/html or application/xhtml\+xml\)$", one_attempt),
    Fault("body-listed-twice",
          serve(Reply(200, body=listed_twice(), content_type=HTML_UTF8)),
          r"令和2年度 \(FY2020\): 石狩市 \(北海道\) is listed twice$"),
    Fault("empty-200", serve(Reply(200, body=b"", content_type=HTML_UTF8)), r"empty body$", one_attempt),
    Fault("error-page-200", serve(Reply(200, body=(FIXTURES / "error_page.html").read_bytes(), content_type="text/html")),
          r"no fiscal-year heading .* found"),
    Fault("invalid-bytes-for-charset", serve(Reply(200, body=bad_bytes(), content_type=HTML_UTF8)),
          rf"cannot decode as utf-8 \(HTTP Content-Type charset\): invalid bytes ff fe .* at byte offset "
          rf"{PAGE.index('石狩市'.encode())}$"),
    Fault("year-sections-without-table",
          serve(Reply(200, body=(FIXTURES / "model_projects_no_table.html").read_bytes(), content_type=HTML_UTF8)),
          r"年度 \(FY20\d\d, stated 全\d+団体\): neither a 採択団体/事業概要 table nor type headings"),
    Fault("count-mismatch",
          serve(Reply(200, body=(FIXTURES / "model_projects_count_mismatch.html").read_bytes(), content_type=HTML_UTF8)),
          r"令和元年度 \(FY2019\): .*7団体 but 6 bodies are listed"),
]


@pytest.mark.parametrize("fault", FAULTS, ids=[f.id for f in FAULTS])
def test_fault_fails_cleanly_and_next_run_is_normal(
    fault: Fault, site: Site, http_server_factory: Callable[[], LoopbackServer]
) -> None:
    before = site.state()
    changes_before = site.changes_count()
    url = fault.arrange(site, http_server_factory)

    result = site.run(url)

    assert result.exit_code == EXIT_SOURCE_FAILED, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    prefix = f"{SOURCE}: failed: {url or site.url}: "
    assert lines[0].startswith(prefix), lines[0]
    assert re.search(fault.cause, lines[0][len(prefix):]), lines[0]
    if fault.check is not None:
        fault.check(site, site.extra)
    assert site.integrity() == "ok"
    assert site.state() == before
    assert site.changes_count() == changes_before
    assert site.failures() == 1
    last_run = site.query("SELECT status, summary FROM runs ORDER BY id DESC LIMIT 1")[0]
    assert last_run[0] == "failed" and '"error"' in last_run[1]

    assert_next_run_normal(site, before)


@pytest.mark.parametrize("status", [503, 429])
def test_retry_after_then_success(status: int, site: Site) -> None:
    """503/429 with Retry-After: the fetcher waits as told, then the page is fetched; nothing changed."""
    before = site.state()
    site.server.route(
        PAGE_PATH,
        Reply(status, body="later", headers={"Retry-After": RETRY_AFTER}),
        Reply(200, body=PAGE, content_type=HTML_UTF8, headers={"ETag": '"v2"'}),
    )
    started = time.monotonic()
    result = site.run()
    elapsed = time.monotonic() - started

    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout == f"{SOURCE}: fetched, no changes\n"
    assert elapsed >= float(RETRY_AFTER) - 0.01
    retry_after_honoured(site, {})
    assert site.integrity() == "ok"
    after = site.state()
    assert {k: v for k, v in after.items() if k != "last_good"} == {
        k: v for k, v in before.items() if k != "last_good"
    }
    assert site.failures() == 0

    # A normal next run: the new ETag is sent and answered with 304.
    site.server.route(PAGE_PATH, lambda r: Reply(304) if r.headers.get("If-None-Match") == '"v2"' else Reply(500))
    site.server.clear_requests()
    result = site.run()
    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout == f"{SOURCE}: unchanged (304 Not Modified)\n"
    assert site.state()["changes"] == before["changes"]


# ------------------------------------------------------- a read-only database

PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER = 1, 2, 3


def _drop_file_capabilities() -> None:
    """In the child, before exec: drop the capabilities that let root ignore file permission bits.

    Dropped from the bounding set, they are absent from the exec'd process, so root is
    held to the mode bits of the files it owns like any other user.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def _can_drop_capabilities() -> bool:
    probe = subprocess.run([sys.executable, "-c", "pass"], preexec_fn=_drop_file_capabilities, capture_output=True)
    return probe.returncode == 0


def test_read_only_database(site: Site) -> None:
    """The database file is read-only: one clear line, exit 2, nothing fetched or written.

    Tests run as root in CI, and root ignores permission bits; so the run is a real
    ``kankei run`` process whose capabilities to override file permissions are
    dropped (prctl PR_CAPBSET_DROP before exec), which makes the 0444 mode bind.
    """
    is_root = os.geteuid() == 0
    if is_root and not sys.platform.startswith("linux"):
        pytest.skip("running as root on a system without Linux capabilities: root ignores file modes")
    if is_root and not _can_drop_capabilities():
        pytest.skip("running as root without CAP_SETPCAP: cannot make root honour a read-only file mode")
    before = site.state()
    db_bytes = site.database.read_bytes()
    site.write_config()
    os.chmod(site.database, 0o444)
    try:
        proc = subprocess.run(
            [sys.executable, "-c", "from pipeline.cli import cli; cli()", "--config", str(site.config), "run"],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
            preexec_fn=_drop_file_capabilities if is_root else None,
        )
    finally:
        os.chmod(site.database, 0o644)

    assert proc.returncode == EXIT_USAGE, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("kankei:")]
    assert len(errors) == 1, proc.stderr
    assert str(site.database) in errors[0]
    assert re.search(r"read-?only", errors[0]), errors[0]
    assert proc.stdout == ""
    assert site.server.count(PAGE_PATH) == 0  # nothing fetched that could not be recorded
    assert site.database.read_bytes() == db_bytes
    assert site.integrity() == "ok"
    assert site.state() == before
    assert_next_run_normal(site, before)


# ------------------------------------------------------- robots.txt: once per host per run


def test_robots_txt_is_fetched_once_per_host_per_run(site: Site) -> None:
    """Two sources on one host: one robots.txt request per run, and its rules apply to both."""
    site.server.route("/robots.txt", Reply(200, body="User-agent: *\nDisallow: /private/\n", content_type="text/plain"))
    second = f"""
[[sources]]
name = "private"
url = "{site.server.url('/private/page.html')}"
parser = "text"
"""
    for run in (1, 2):
        site.server.clear_requests()
        write_config(site.tmp, site.url, timeout=TIMEOUT, retries=1, max_bytes=MAX_BYTES, backoff=0.05, extra=second)
        result = site.runner.invoke(cli, ["--config", str(site.config), "run"], catch_exceptions=False)
        assert result.exit_code == EXIT_SOURCE_FAILED, result.output
        assert result.stdout.splitlines() == [
            f"{SOURCE}: unchanged (304 Not Modified)",
            f"private: failed: {site.server.url('/private/page.html')}: disallowed by robots.txt",
        ]
        assert site.server.count("/robots.txt") == 1, run
        assert site.server.count("/private/page.html") == 0
    assert site.query("SELECT count(*) FROM meta WHERE key = 'robots_cache'") == [(0,)]


# ------------------------------------------------------- broken storage


def changed_page(extra_bytes: int = 0) -> bytes:
    """The page with a new comment (a new body, the same content); ``extra_bytes`` of incompressible text."""
    filler = base64.b64encode(random.Random(11).randbytes(extra_bytes * 3 // 4)).decode() if extra_bytes else ""
    return PAGE.replace(b"</body>", f"<!-- v2 {filler} --></body>".encode())


def serve_changed(site: Site, body: bytes) -> None:
    site.server.route(PAGE_PATH, lambda r: Reply(304) if r.headers.get("If-None-Match") == '"v2"' else
                      Reply(200, body=body, content_type=HTML_UTF8, headers={"ETag": '"v2"'}))


def kankei_process(site: Site, preexec: Callable[[], None] | None = None) -> subprocess.CompletedProcess[str]:
    """``kankei run`` as its own process (for limits and capabilities that must not touch pytest's)."""
    site.write_config()
    return subprocess.run(
        [sys.executable, "-c", "from pipeline.cli import cli; cli()", "--config", str(site.config), "run"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, preexec_fn=preexec,
    )


def assert_failure_recorded_and_run_closed(site: Site) -> None:
    assert site.integrity() == "ok"
    status, finished, summary = site.query("SELECT status, finished_at, summary FROM runs ORDER BY id DESC LIMIT 1")[0]
    assert status == "failed" and finished is not None and '"error"' in summary
    assert site.failures() == 1


def assert_next_run_stores_the_changed_page(site: Site, before: dict[str, list[tuple[Any, ...]]]) -> None:
    result = site.run()
    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout == f"{SOURCE}: fetched, no changes\n"
    assert site.failures() == 0 and site.integrity() == "ok"
    assert {k: v for k, v in site.state().items() if k != "last_good"} == {
        k: v for k, v in before.items() if k != "last_good"}
    path = site.query("SELECT path FROM snapshots ORDER BY id DESC LIMIT 1")[0][0]
    assert gzip.decompress((site.tmp / "snapshots" / path).read_bytes()) == changed_page(site.extra.get("bytes", 0))


def test_read_only_snapshot_store(site: Site) -> None:
    """The snapshot folder cannot be written: the source fails naming the file and the cause, the run is
    closed with the failure counted, and the next run (folder writable again) stores the page."""
    is_root = os.geteuid() == 0
    if is_root and not _can_drop_capabilities():
        pytest.skip("running as root without CAP_SETPCAP: cannot make root honour a read-only folder")
    before = site.state()
    serve_changed(site, changed_page())
    folders = [site.tmp / "snapshots", *(p for p in (site.tmp / "snapshots").iterdir() if p.is_dir())]
    for folder in folders:
        os.chmod(folder, 0o555)
    try:
        proc = kankei_process(site, _drop_file_capabilities if is_root else None)
    finally:
        for folder in folders:
            os.chmod(folder, 0o755)

    assert proc.returncode == EXIT_SOURCE_FAILED, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert re.fullmatch(rf"{SOURCE}: failed: cannot store the snapshot {re.escape(str(site.tmp / 'snapshots'))}/"
                        r"[0-9a-f]{2}(/[0-9a-f]{64}\.gz)?: Permission denied\n", proc.stdout), proc.stdout
    assert_failure_recorded_and_run_closed(site)
    assert site.state() == before
    assert_next_run_stores_the_changed_page(site, before)


def limit_file_size(limit: int) -> Callable[[], None]:
    """In the child: no file may grow past ``limit`` bytes (writes beyond fail with EFBIG, as on a full disk)."""

    def preexec() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return preexec


def test_disk_full_while_storing_the_snapshot(site: Site) -> None:
    """No room for the snapshot file, room for the small database writes: one line naming the file,
    the failure recorded and the run closed; with room again the next run stores the page."""
    site.extra["bytes"] = 60_000
    body = changed_page(site.extra["bytes"])
    assert len(gzip.compress(body)) > 48_000
    before = site.state()
    serve_changed(site, body)
    proc = kankei_process(site, limit_file_size(48_000))

    assert proc.returncode == EXIT_SOURCE_FAILED, proc.stderr
    assert "Traceback" not in proc.stderr and "rollback" not in proc.stderr, proc.stderr
    assert re.fullmatch(rf"{SOURCE}: failed: cannot store the snapshot {re.escape(str(site.tmp / 'snapshots'))}/"
                        r"[0-9a-f]{2}/[0-9a-f]{64}\.gz: File too large\n", proc.stdout), proc.stdout
    assert not list((site.tmp / "snapshots").rglob(".tmp-*"))  # no partial file left
    assert_failure_recorded_and_run_closed(site)
    assert site.state() == before
    assert_next_run_stores_the_changed_page(site, before)


@pytest.mark.parametrize("limit,first", [(0, "the lock file"), (4096, "the database"), (30_000, "the database")])
def test_disk_full_anywhere_gives_one_line_and_the_next_run_completes(site: Site, limit: int, first: str) -> None:
    """Whatever the first write that finds no room (lock file, database, snapshot): one line naming the
    file and the cause, nothing damaged, and the next run with room again completes."""
    site.extra["bytes"] = 60_000
    before = site.state()
    serve_changed(site, changed_page(site.extra["bytes"]))
    proc = kankei_process(site, limit_file_size(limit))

    assert proc.returncode in (EXIT_SOURCE_FAILED, EXIT_USAGE), (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr and "rollback" not in proc.stderr, proc.stderr
    lines = proc.stdout.splitlines() if proc.returncode == EXIT_SOURCE_FAILED else \
        [line for line in proc.stderr.splitlines() if line.startswith("kankei:")]
    assert len(lines) == 1, (proc.stdout, proc.stderr)
    assert f"cannot write {first} {site.tmp}" in lines[0] and re.search(r"File too large|disk is full|disk I/O error", lines[0]), lines[0]
    assert site.integrity() == "ok"
    assert site.state() == before
    assert_next_run_stores_the_changed_page(site, before)


def test_a_damaged_snapshot_is_repaired_when_its_body_arrives_again(site: Site) -> None:
    """The stored file of the current body is truncated; the same body fetched again writes it anew."""
    path = site.tmp / "snapshots" / site.query("SELECT path FROM snapshots ORDER BY id DESC LIMIT 1")[0][0]
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    site.server.route(PAGE_PATH, Reply(200, body=PAGE, content_type=HTML_UTF8, headers={"ETag": '"v1b"'}))
    result = site.run()
    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout == f"{SOURCE}: fetched, no changes\n"
    assert path.read_bytes() == whole
    check = site.runner.invoke(cli, ["--config", str(site.config), "rebuild", "--check"])
    assert check.exit_code == EXIT_OK, check.output


def test_a_transaction_sqlite_rolled_back_itself_raises_the_real_error(tmp_path: Path) -> None:
    """A write that finds no room makes SQLite roll back by itself: the error raised is that write's,
    not "cannot rollback - no transaction is active"."""
    script = f"""
import resource, sqlite3
from db.connection import transaction
conn = sqlite3.connect({str(tmp_path / 'x.db')!r}, isolation_level=None)
conn.execute("PRAGMA journal_mode=WAL")
conn.execute("CREATE TABLE t(x)")
resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))
try:
    with transaction(conn):
        conn.execute("INSERT INTO t VALUES (randomblob(5000000))")
except sqlite3.Error as e:
    print(e)
with transaction(conn):  # the connection is usable again
    conn.execute("INSERT INTO t VALUES (1)")
print(conn.execute("SELECT count(*) FROM t").fetchone()[0])
"""
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["disk I/O error", "1"]


def test_one_sources_database_error_fails_it_alone_and_the_run_goes_on(tmp_path: Path,
                                                                         http_server: LoopbackServer) -> None:
    """An error of the database while storing one source (here a trigger refusing its row) fails that
    source with one line; the next source is still fetched and stored, and the run is closed."""
    http_server.route("/notes.html", Reply(200, body="<html><body><p>関係人口</p></body></html>",
                                           content_type=HTML_UTF8))
    http_server.route(PAGE_PATH, good_reply)
    notes = http_server.url("/notes.html")
    extra = f'\n[[sources]]\nname = "{SOURCE}"\nurl = "{http_server.url(PAGE_PATH)}"\nparser = "model_projects"\n'
    config = write_config(tmp_path, notes, parser="text", extra=extra, timeout=TIMEOUT)
    config.write_text(config.read_text().replace('name = "model-projects"', 'name = "notes"', 1))
    runner = CliRunner()
    database = tmp_path / "data" / "kankei.db"
    conn = schema.connect(database)
    conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON pages BEGIN SELECT RAISE(ABORT, 'pages refused'); END")
    conn.close()

    result = runner.invoke(cli, ["--config", str(config), "run"], catch_exceptions=False)
    assert result.exit_code == EXIT_SOURCE_FAILED, result.output
    first, second = result.stdout.splitlines()
    assert first == f"notes: failed: cannot write the database {database}: pages refused"
    assert second.startswith(f"{SOURCE}: fetched, initial load (99 adoption_added")
    conn = sqlite3.connect(database)
    assert conn.execute("SELECT status, finished_at IS NOT NULL FROM runs").fetchall() == [("failed", 1)]
    assert conn.execute("SELECT source, consecutive_failures FROM source_state ORDER BY source").fetchall() == [
        (SOURCE, 0), ("notes", 1)]
    assert conn.execute("SELECT count(*) FROM pages").fetchone() == (0,)
    with conn:
        conn.execute("DROP TRIGGER refuse")
    conn.close()
    result = runner.invoke(cli, ["--config", str(config), "run"], catch_exceptions=False)
    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout.splitlines()[0] == "notes: fetched, initial load (1 text_changed)"
