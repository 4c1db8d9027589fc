"""kankei benchmarks: figures against their targets, measured on one loopback site.

Run: ``uv run python benchmarks/run.py`` (``--quick`` for a smoke run). Every figure is
printed on its own line as ``name: value (target …) PASS|MISS``; a line starting with ``#``
is a figure kept for the record, without a target. This is not a test: nothing here runs
under pytest. Timings of two programs are compared within one run, alternated round by
round, so that a noisy machine slows both alike.

1, 2. start-up: a fresh ``kankei run`` process whose one page answers 304, vs a fresh
   process doing one bare ``requests`` GET of the page, and vs urlwatch 2.29 (installed in
   a venv of its own in the user cache folder) watching the same page; the same with
   three pages, for the record;
3. requests and body bytes of an unchanged cycle of three pages, from the server's log;
4. decoding and parsing the reference page (``pipeline/samples/v1_baseline.html``);
5. ``kankei rebuild`` of 1,000 distinct snapshots vs the sum of their parses;
6. bytes added to the snapshot store and the database by 100 unchanged runs and by one
   changed run;
7. peak memory (max RSS) of a cycle.

Everything is served by this script on 127.0.0.1; nothing touches the internet (except
installing urlwatch from the package index when it is not in the cache yet).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SAMPLES = ROOT / "pipeline" / "samples"
MODEL_PATH = "/kankeijinkou/discription/index.html"
USER_AGENT = "kankei-bench/0.1 (+benchmarks/run.py)"
URLWATCH_VERSION = "2.29"


# --------------------------------------------------------------------------- output


@dataclass
class Figure:
    name: str
    value: str
    target: str
    ok: bool | None  # None: not measurable here (printed as MISS with the reason)

    def line(self) -> str:
        verdict = "PASS" if self.ok else "MISS"
        return f"{self.name}: {self.value} (target {self.target}) {verdict}"


FIGURES: list[Figure] = []


def report(name: str, value: str, target: str, ok: bool | None) -> None:
    figure = Figure(name, value, target, ok)
    FIGURES.append(figure)
    print(figure.line(), flush=True)


def note(text: str) -> None:
    print(f"  # {text}", flush=True)


# --------------------------------------------------------------------------- the site


class Site:
    """A threaded HTTP/1.1 server on 127.0.0.1: pages with ETag/Last-Modified (304 on a
    matching If-None-Match or If-Modified-Since), a robots.txt, and a log of every
    request with the body bytes it was sent."""

    def __init__(self) -> None:
        self.pages: dict[str, bytes] = {}
        self.etags: dict[str, str] = {}
        self.modified: dict[str, str] = {}
        self.log: list[tuple[str, int, int]] = []  # (path, status, body bytes)
        self.lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                path = self.path.split("?", 1)[0]
                if path == "/robots.txt":
                    self.reply(200, b"User-agent: *\nAllow: /\n", "text/plain", path)
                    return
                body = site.pages.get(path)
                if body is None:
                    self.reply(404, b"not found", "text/plain", path)
                    return
                etag, modified = site.etags[path], site.modified[path]
                if self.headers.get("If-None-Match") == etag or (
                    self.headers.get("If-None-Match") is None and self.headers.get("If-Modified-Since") == modified
                ):
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", modified)
                    self.end_headers()
                    site.record(path, 304, 0)
                    return
                # Like www.soumu.go.jp: Shift_JIS bytes, no charset in the header.
                self.reply(200, body, "text/html", path, {"ETag": etag, "Last-Modified": modified})

            def reply(self, status: int, body: bytes, ctype: str, path: str,
                      headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
                site.record(path, status, len(body))

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def serve(self, path: str, body: bytes, version: int = 1) -> None:
        self.pages[path] = body
        self.etags[path] = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        self.modified[path] = formatdate(1_600_000_000 + version * 86_400, usegmt=True)

    def record(self, path: str, status: int, size: int) -> None:
        with self.lock:
            self.log.append((path, status, size))

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def mark(self) -> int:
        with self.lock:
            return len(self.log)

    def since(self, mark: int) -> list[tuple[str, int, int]]:
        with self.lock:
            return list(self.log[mark:])

    def __enter__(self) -> Site:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


# The benchmark site: the model-project page and two other pages watched as text.
SITE_PAGES = [
    ("model-projects", MODEL_PATH, "model_projects", "v1_baseline.html"),
    ("model-list", "/kankeijinkou/model_list.html", "text", "v2_new_year.html"),
    ("portal-news", "/kankeijinkou/news/index.html", "text", "v3_edited.html"),
]


def write_config(directory: Path, site: Site, pages: list[tuple[str, str, str, str]] = SITE_PAGES) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    sources = "".join(
        f'\n[[sources]]\nname = "{name}"\nurl = "{site.url(path)}"\nparser = "{parser}"\n'
        for name, path, parser, _ in pages
    )
    config = directory / "config.toml"
    config.write_text(
        textwrap.dedent(f"""\
            [storage]
            database = "data/kankei.db"
            snapshots = "snapshots"

            [http]
            user_agent = "{USER_AGENT}"
            timeout = 30
            retries = 0
            min_interval = 0
            allowed_hosts = ["127.0.0.1"]
            respect_robots = true
            """) + sources,
        encoding="utf-8",
    )
    return config


def kankei_command() -> list[str]:
    script = Path(sys.executable).parent / "kankei"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from pipeline.cli import cli; sys.argv[0] = 'kankei'; cli()"]


def python_env() -> dict[str, str]:
    """The environment for the processes timed: this one, with Python's default bytecode cache
    (a user's installed program imports compiled modules, not sources compiled afresh every run)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_process(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> tuple[float, int, int, str]:
    """Run ``cmd``; return (wall seconds, exit code, max RSS in KiB, output)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env or python_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, proc.returncode, usage.ru_maxrss, out.decode("utf-8", "replace")


def kankei_run(config: Path) -> tuple[float, int, int, str]:
    return run_process([*kankei_command(), "--config", str(config), "run"], cwd=config.parent)


def median(values: list[float]) -> float:
    return statistics.median(values)


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


# ------------------------------------------------------------- 1-3. start-up, requests

BARE_GET = """\
import sys
import requests

for url in sys.argv[2:]:
    response = requests.get(url, headers={"User-Agent": sys.argv[1]}, timeout=30)
    response.raise_for_status()
    response.content
"""

# The least an unchanged run of this design does, for scale: the card's click CLI, the TOML config,
# a SQLite file in WAL mode with a run row opened and closed, robots.txt read, one conditional GET.
FLOOR = """\
import sqlite3
import sys
import tomllib
from urllib.robotparser import RobotFileParser

import click
import requests


@click.command()
@click.argument("config")
@click.argument("etag")
@click.argument("urls", nargs=-1)
def run(config: str, etag: str, urls: tuple[str, ...]) -> None:
    tomllib.loads(open(config, encoding="utf-8").read())
    conn = sqlite3.connect(config + ".floor.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE IF NOT EXISTS runs(id INTEGER PRIMARY KEY, status TEXT)")
    conn.execute("BEGIN IMMEDIATE")
    run_id = conn.execute("INSERT INTO runs(status) VALUES ('running')").lastrowid
    conn.execute("COMMIT")
    session = requests.Session()
    robots = RobotFileParser()
    robots.parse(session.get(urls[0].rsplit("/", 1)[0] + "/robots.txt", timeout=30).text.splitlines())
    for url in urls:
        response = session.get(url, headers={"If-None-Match": etag}, timeout=30)
        click.echo(f"{url}: {response.status_code}")
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE runs SET status = 'ok' WHERE id = ?", (run_id,))
    conn.execute("COMMIT")
    conn.close()


run()
"""


class Urlwatch:
    """urlwatch 2.29 watching ``pages`` of the site, with its own config and cache in ``directory``."""

    def __init__(self, python: Path, site: Site, directory: Path, pages: list[tuple[str, str, str, str]]) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        urls = directory / "urls.yaml"
        urls.write_text("\n---\n".join(f"name: {name}\nurl: {site.url(path)}\n" for name, path, _, _ in pages) + "\n",
                        encoding="utf-8")
        self.env = dict(python_env(), HOME=str(directory), XDG_CONFIG_HOME=str(directory / "config"),
                        XDG_CACHE_HOME=str(directory / "cache"),
                        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
        self.command = [str(python.parent / "urlwatch"), "--urls", str(urls),
                        "--config", str(directory / "urlwatch.yaml"), "--hooks", str(directory / "hooks.py"),
                        "--cache", str(directory / "cache.db")]
        self.directory = directory

    def run(self) -> float:
        elapsed, code, _, out = run_process(self.command, cwd=self.directory, env=self.env)
        if code != 0:
            raise RuntimeError(f"urlwatch failed (exit {code}): {out.strip()[-200:]}")
        return elapsed


@dataclass
class Startup:
    kankei: float  # medians, seconds
    bare: float
    floor: float
    urlwatch: float | None
    cycles: list[list[tuple[str, int, int]]]  # the server's log of each unchanged kankei run


def measure_startup(site: Site, work: Path, pages: list[tuple[str, str, str, str]], rounds: int,
                    urlwatch: Path | None) -> Startup:
    """Unchanged ``kankei run``, bare GET and urlwatch processes over ``pages``, alternated, ``rounds`` each."""
    for _, path, _, name in pages:
        site.serve(path, sample(name))
    directory = work / f"startup-{len(pages)}"
    config = write_config(directory, site, pages)
    _, code, _, out = kankei_run(config)
    if code != 0:
        raise RuntimeError(f"first kankei run failed (exit {code}): {out.strip()[:200]}")
    bare = directory / "bare_get.py"
    bare.write_text(BARE_GET, encoding="utf-8")
    floor = directory / "floor.py"
    floor.write_text(FLOOR, encoding="utf-8")
    urls = [site.url(path) for _, path, _, _ in pages]
    floor_command = [sys.executable, str(floor), str(config), site.etags[pages[0][1]], *urls[:1]]
    run_process([sys.executable, str(bare), USER_AGENT, *urls])  # warm-up, as the first runs of the others
    run_process(floor_command)
    watcher = Urlwatch(urlwatch, site, directory / "urlwatch", pages) if urlwatch else None
    if watcher:
        watcher.run()  # stores the pages: later runs are unchanged
    kankei_times, bare_times, floor_times, urlwatch_times, cycles = [], [], [], [], []
    for _ in range(rounds):
        mark = site.mark()
        elapsed, code, _, out = kankei_run(config)
        if code != 0 or out.count("unchanged") != len(pages):
            raise RuntimeError(f"unchanged kankei run failed (exit {code}): {out.strip()[:200]}")
        kankei_times.append(elapsed)
        cycles.append(site.since(mark))
        elapsed, code, _, out = run_process([sys.executable, str(bare), USER_AGENT, *urls])
        if code != 0:
            raise RuntimeError(f"bare GET failed: {out}")
        bare_times.append(elapsed)
        elapsed, code, _, out = run_process(floor_command)
        if code != 0 or "304" not in out:
            raise RuntimeError(f"floor program failed: {out}")
        floor_times.append(elapsed)
        if watcher:
            urlwatch_times.append(watcher.run())
    return Startup(median(kankei_times), median(bare_times), median(floor_times),
                   median(urlwatch_times) if watcher else None, cycles)


def bench_startup(site: Site, work: Path, rounds: int, with_urlwatch: bool) -> None:
    """Figures 1-3, from the same unchanged runs."""
    python, how = urlwatch_python() if with_urlwatch else (None, "skipped (--skip-urlwatch)")
    one = measure_startup(site, work, SITE_PAGES[:1], rounds, python)
    three = measure_startup(site, work, SITE_PAGES, rounds, python)
    report(f"1. unchanged kankei run vs a bare requests GET, one page (fresh processes, medians of {rounds})",
           f"{one.kankei / one.bare:.2f}× ({one.kankei * 1000:.0f} ms vs {one.bare * 1000:.0f} ms)",
           "≤ 1.3×", one.kankei / one.bare <= 1.3)
    note(f"1 with three pages: {three.kankei / three.bare:.2f}× "
         f"({three.kankei * 1000:.0f} ms vs {three.bare * 1000:.0f} ms; no target)")
    note(f"1 for scale: the floor (click, a TOML config, a SQLite run row, robots.txt, one conditional GET; "
         f"benchmarks/run.py FLOOR) is {one.floor / one.bare:.2f}× the bare GET ({one.floor * 1000:.0f} ms); "
         f"kankei's own share is {1000 * (one.kankei - one.floor):.0f} ms")
    if one.urlwatch is None or three.urlwatch is None:
        report("2. unchanged kankei run vs urlwatch 2.29, one page", how, "≤ 1.0×", None)
    else:
        report(f"2. unchanged kankei run vs urlwatch 2.29, one page (fresh processes, medians of {rounds})",
               f"{one.kankei / one.urlwatch:.2f}× ({one.kankei * 1000:.0f} ms vs {one.urlwatch * 1000:.0f} ms; "
               f"urlwatch {how})", "≤ 1.0×", one.kankei / one.urlwatch <= 1.0)
        note(f"2 with three pages: {three.kankei / three.urlwatch:.2f}× "
             f"({three.kankei * 1000:.0f} ms vs {three.urlwatch * 1000:.0f} ms; no target)")
    worst = max(three.cycles, key=len)
    to_pages = [status for path, status, _ in worst if path != "/robots.txt"]
    robots = len(worst) - len(to_pages)
    report("3a. requests per unchanged cycle, three pages on one host",
           f"{len(worst)}: {len(to_pages)} to pages (statuses {sorted(set(to_pages))}), {robots} to robots.txt",
           "one conditional request per page (304) plus at most one robots.txt per host",
           to_pages == [304] * len(SITE_PAGES) and robots <= 1)
    body = max(sum(size for path, _, size in c if path != "/robots.txt") for c in three.cycles)
    report("3b. page body bytes per unchanged cycle, three pages", f"{body} B", "0 B", body == 0)


def urlwatch_python() -> tuple[Path | None, str]:
    """The python of a venv with urlwatch 2.29 (created once, in the user cache folder)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kankei-benchmarks"
    venv = cache / f"urlwatch-{URLWATCH_VERSION}"
    python = venv / "bin" / "python"
    if python.exists() and (venv / ".complete").exists():
        return python, "cached"
    shutil.rmtree(venv, ignore_errors=True)
    cache.mkdir(parents=True, exist_ok=True)
    uv = shutil.which("uv")
    try:
        if uv:
            subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True,
                           capture_output=True, timeout=300)
            subprocess.run([uv, "pip", "install", "--quiet", "--python", str(python), f"urlwatch=={URLWATCH_VERSION}"],
                           check=True, capture_output=True, timeout=600)
        else:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300)
            subprocess.run([str(python), "-m", "pip", "install", "--quiet", f"urlwatch=={URLWATCH_VERSION}"],
                           check=True, capture_output=True, timeout=600)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as e:
        detail = getattr(e, "stderr", b"") or b""
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        last = (detail.strip().splitlines() or [str(e)])[-1]
        return None, f"could not install urlwatch {URLWATCH_VERSION}: {last[:160]}"
    (venv / ".complete").write_text("ok\n")
    return python, "installed"


# ------------------------------------------------------------------------- 4. parse


def bench_parse(reps: int) -> None:
    from scraper.parsers import decode_and_parse

    body = sample("v1_baseline.html")
    encoding, page, error = decode_and_parse(body, "text/html", "model_projects")
    assert error is None and sum(y.parsed_total for y in page.years) == 99, error
    times = [timed(lambda: decode_and_parse(body, "text/html", "model_projects")) for _ in range(reps)]
    p = median(times)
    report(f"4. decode and parse of the reference page (v1_baseline.html, {len(body)} B cp932, median of {reps})",
           f"{p * 1000:.2f} ms", "≤ 25 ms", p <= 0.025)


# ----------------------------------------------------------------------- 5. rebuild


def variant(body: bytes, n: int) -> bytes:
    """The model page with 石狩市's first summary paragraph edited: distinct content for each n."""
    marker = "収穫体験".encode("cp932")
    assert body.count(marker) == 1
    return body.replace(marker, f"収穫体験(第{n}版)".encode("cp932"))


def bench_rebuild(site: Site, work: Path, size: int, repeats: int) -> None:
    from pipeline.config import load_config
    from pipeline.cycle import run_cycle
    from pipeline.rebuild import rebuild
    from scraper.fetch import Fetcher
    from scraper.parsers import decode_and_parse

    base = sample("v1_baseline.html")
    config = load_config(write_config(work / "rebuild", site, SITE_PAGES[:1]))
    fetcher = Fetcher(user_agent=USER_AGENT, timeout=30, retries=0, min_interval=0, allowed_hosts=["127.0.0.1"],
                      respect_robots=False)
    started = time.perf_counter()
    for n in range(1, size + 1):
        site.serve(MODEL_PATH, variant(base, n), n)
        result = run_cycle(config, fetcher)
        assert result.ok and result.sources[0].status == "fetched", result.sources[0].line()
    fetcher.close()
    note(f"stored {size} distinct snapshots by real runs in {time.perf_counter() - started:.1f} s")

    bodies = [variant(base, n) for n in range(1, size + 1)]
    rebuilds, sums = [], []
    for _ in range(repeats):  # alternated: a slow spell of the machine hits both alike
        started = time.perf_counter()
        result = rebuild(config)
        rebuilds.append(time.perf_counter() - started)
        assert result.snapshots == size and not result.failures and not result.differences, result.lines()
        sums.append(sum(timed(lambda b=b: decode_and_parse(b, "text/html; charset=cp932", "model_projects"))
                        for b in bodies))
    elapsed, parses = min(rebuilds), min(sums)  # best of N: the machine's noise only ever adds time
    report(f"5. rebuild of {size} snapshots vs the sum of their parses (one process, best of {repeats})",
           f"{elapsed / parses:.2f}× ({elapsed:.2f} s vs {parses:.2f} s; {elapsed / size * 1000:.2f} ms per snapshot)",
           "≤ 2×", elapsed / parses <= 2)


# ----------------------------------------------------------------------- 6. storage


def store_size(config_dir: Path) -> tuple[int, int, int]:
    """(database bytes incl. WAL after a checkpoint, snapshot bytes, snapshot files)."""
    database = config_dir / "data" / "kankei.db"
    conn = sqlite3.connect(database)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    db_bytes = sum(p.stat().st_size for p in database.parent.glob("kankei.db*") if p.is_file()
                   and not p.name.endswith(".lock"))
    files = [p for p in (config_dir / "snapshots").rglob("*") if p.is_file()]
    return db_bytes, sum(p.stat().st_size for p in files), len(files)


def bench_storage(site: Site, work: Path, runs: int) -> None:
    from click.testing import CliRunner

    from pipeline.cli import cli

    for _, path, _, name in SITE_PAGES:
        site.serve(path, sample(name))
    directory = work / "storage"
    config = write_config(directory, site)
    runner = CliRunner()

    def run() -> str:
        result = runner.invoke(cli, ["--config", str(config), "run"])
        if result.exit_code != 0:
            raise RuntimeError(f"kankei run failed: {result.output}")
        return result.stdout

    run()
    db0, snap0, files0 = store_size(directory)
    for _ in range(runs):
        assert run().count("unchanged") == len(SITE_PAGES)
    db1, snap1, files1 = store_size(directory)
    per_run = (db1 - db0) / runs
    report(f"6a. storage added by {runs} unchanged runs",
           f"{files1 - files0} snapshot files, {snap1 - snap0} B of snapshots, {db1 - db0} B of database "
           f"= {per_run:.0f} B per run ({per_run / len(SITE_PAGES):.0f} B per page checked)",
           "no new snapshot files, a few hundred bytes per run (≤ 500 B for 3 pages)",
           files1 == files0 and snap1 == snap0 and per_run <= 500)
    changed = variant(sample("v1_baseline.html"), 1)
    site.serve(MODEL_PATH, changed, 2)
    out = run()
    assert "model-projects: fetched, 1 change (1 adoption_changed)" in out, out
    db2, snap2, files2 = store_size(directory)
    page = len(changed)
    report("6b. storage added by one changed run (one 事業概要 edited)",
           f"{files2 - files1} snapshot file ({snap2 - snap1} B gzip of a {page} B page), {db2 - db1} B of database",
           "1 new snapshot file, smaller than the page", files2 - files1 == 1 and snap2 - snap1 < page)


# ------------------------------------------------------------------------ 7. memory


PEAK_WRAPPER = """\
import atexit, sys

def peak():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                sys.stderr.write("KANKEI_PEAK_KIB " + line.split()[1] + "\\n")

atexit.register(peak)
from pipeline.cli import cli
sys.argv[0] = "kankei"
cli()
"""


def peak_rss_run(config: Path) -> tuple[int, int, str]:
    """``kankei run`` reporting its own peak RSS (VmHWM, KiB): the rusage of a child started by fork
    would also count this (large) benchmark process, whose memory the child held before exec."""
    _, code, maxrss, out = run_process([sys.executable, "-c", PEAK_WRAPPER, "--config", str(config), "run"],
                                       cwd=config.parent)
    for line in out.splitlines():
        if line.startswith("KANKEI_PEAK_KIB "):
            return code, int(line.split()[1]), out
    return code, maxrss, out


def bench_memory(site: Site, work: Path) -> None:
    for _, path, _, name in SITE_PAGES:
        site.serve(path, sample(name))
    config = write_config(work / "memory", site)
    code, first_kib, out = peak_rss_run(config)
    if code != 0:
        report("7. peak memory of a cycle", f"kankei run failed: {out.strip()[:200]}", "≤ 100 MiB", False)
        return
    _, unchanged_kib, _ = peak_rss_run(config)
    report("7. peak memory (max RSS) of a cycle",
           f"{first_kib / 1024:.1f} MiB first run (3 pages parsed, 99 bodies stored), "
           f"{unchanged_kib / 1024:.1f} MiB unchanged run",
           "≤ 100 MiB", max(first_kib, unchanged_kib) <= 100 * 1024)


# -------------------------------------------------------------------------- main


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    return (f"{os.cpu_count()} CPUs ({model or 'unknown CPU'}), Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


DOCUMENT_PAGE = "/kankeijinkou/documents/index.html"
DOCUMENT_FILES = ["h30_saitaku.pdf", "r01_saitaku.pdf", "r02_saitaku.pdf", "r02_seika.pdf", "r03_besshi.pdf"]


def bench_documents(site: Site, work: Path) -> None:
    """Figure 8: an unchanged cycle of a page with five linked documents; figure 9: PDF text extraction."""
    from pipeline.config import load_config
    from pipeline.cycle import run_cycle
    from pipeline.demo import with_document_links
    from scraper.documents import extract_text

    links = {"": [(f"/main_content/{name}", f"資料{n} [PDFファイル/5KB]") for n, name in enumerate(DOCUMENT_FILES)]}
    site.serve(DOCUMENT_PAGE, with_document_links(sample("v1_baseline.html"), links))
    for name in DOCUMENT_FILES:
        site.serve(f"/main_content/{name}", (ROOT / "pipeline" / "samples" / "documents" / name).read_bytes())
    config = load_config(write_config(work / "documents", site, [("model-projects", DOCUMENT_PAGE, "model_projects",
                                                                    "")]))
    first = run_cycle(config)
    files = sorted(config.snapshots.rglob("*.gz"))
    mark = site.mark()
    second = run_cycle(config)
    log = [entry for entry in site.since(mark) if entry[0] != "/robots.txt"]
    statuses = sorted(status for _, status, _ in log)
    body = sum(size for _, _, size in log)
    new_files = len(set(config.snapshots.rglob("*.gz")) - set(files))
    report("8. unchanged cycle, one page with 5 linked documents",
           f"{len(log)} requests (statuses {statuses}), {body} B of bodies, {new_files} new files",
           "one conditional request per page and per document (304), 0 B, no new file",
           first.ok and second.ok and statuses == [304] * 6 and body == 0 and new_files == 0)

    spec = importlib.util.spec_from_file_location("make_documents", ROOT / "scripts" / "make_documents.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)  # type: ignore[union-attr]
    lines = [line for page in make.list_2019() for line in page]
    pdf = make.pdf_bytes([lines[n % len(lines):] + lines[:n % len(lines)] for n in range(20)])
    seconds = min(timed(lambda: extract_text(pdf, "application/pdf", "x.pdf", 10**8)) for _ in range(3))
    read = extract_text(pdf, "application/pdf", "x.pdf", 10**8)
    note(f"9. text extraction (pdfminer.six) of a {read.pages}-page Japanese PDF ({len(pdf):,} B, "
         f"{len(read.text or ''):,} characters): {seconds * 1000:.0f} ms, best of 3 (no target)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, a rebuild of 100 snapshots (smoke run)")
    parser.add_argument("--skip-urlwatch", action="store_true", help="do not install or run urlwatch")
    parser.add_argument("--only", metavar="N,N", help="run only these figures, e.g. --only 4,5 (1-3 go together)")
    args = parser.parse_args()
    only = {int(n) for n in args.only.split(",")} if args.only else set(range(1, 10))

    print(f"kankei benchmarks, {time.strftime('%Y-%m-%d %H:%M %Z')}; {machine()}", flush=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kankei-bench-") as tmp, Site() as site:
        work = Path(tmp)
        if only & {1, 2, 3}:
            bench_startup(site, work, 3 if args.quick else 9, not args.skip_urlwatch)
        if 4 in only:
            bench_parse(30 if args.quick else 200)
        if 5 in only:
            bench_rebuild(site, work, 100 if args.quick else 1000, 2 if args.quick else 3)
        if 6 in only:
            bench_storage(site, work, 20 if args.quick else 100)
        if 7 in only:
            bench_memory(site, work)
        if only & {8, 9}:
            bench_documents(site, work)
    missed = [f for f in FIGURES if not f.ok]
    print(f"{len(FIGURES) - len(missed)} of {len(FIGURES)} targets met in {time.perf_counter() - started:.0f} s",
          flush=True)
    return 0 if not missed else 1


if __name__ == "__main__":
    sys.exit(main())
