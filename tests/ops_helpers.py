"""Helpers for the operations tests (lock, schedule, notify, status, crash): real processes, real files."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from db.snapshots import SnapshotStore
from pipeline.demo import PAGE_PATH, sample_bytes
from tests.http_server import LoopbackServer, RecordedRequest, Reply

PAGE = PAGE_PATH
V1, V2, V3 = (sample_bytes(n) for n in ("v1_baseline.html", "v2_new_year.html", "v3_edited.html"))
_OVERVIEW_END = "<h2 class=\"ttl-lv2\">モデル事業採択団体</h2>".encode("cp932")
_PARAGRAPH = ("<p>" + "地方圏は、人口減少・高齢化により、地域づくりの担い手不足という課題に直面しています。" * 4
              + "</p>\n").encode("cp932")


def padded(page: bytes, paragraphs: int) -> bytes:
    """``page`` with ``paragraphs`` extra prose paragraphs before the adoptions: same parse, slower to process."""
    assert _OVERVIEW_END in page
    return page.replace(_OVERVIEW_END, _PARAGRAPH * paragraphs + _OVERVIEW_END, 1)


def kankei(config: Path, *args: str) -> list[str]:
    """The command line of a real ``kankei`` process."""
    return [sys.executable, "-c", "from pipeline.cli import cli; cli()", "--config", str(config), *args]


def spawn(config: Path, *args: str, stderr_path: Path | None = None) -> subprocess.Popen[str]:
    """Start a real ``kankei`` process; its stderr goes to ``stderr_path`` (readable while it runs) or a pipe."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if stderr_path is None:
        return subprocess.Popen(kankei(config, *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=env)
    with open(stderr_path, "w") as err:
        return subprocess.Popen(kankei(config, *args), stdout=subprocess.PIPE, stderr=err, text=True, env=env)


def run_kankei(config: Path, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(kankei(config, *args), capture_output=True, text=True, timeout=timeout)


def serve(server: LoopbackServer, body: bytes, **reply: object) -> None:
    """Serve ``body`` (Shift_JIS HTML) at PAGE, plus a permissive robots.txt."""
    server.route("/robots.txt", Reply(200, body=b"User-agent: *\nAllow: /\n", content_type="text/plain"))
    server.route(PAGE, Reply(200, body=body, content_type="text/html", **reply))  # type: ignore[arg-type]


def wait_until(predicate: Callable[[], object], timeout: float = 10.0, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def page_requests(server: LoopbackServer) -> list[RecordedRequest]:
    return server.requests_to(PAGE)


def query(db: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple]:
    """Rows of ``sql`` ([] when the database does not exist yet)."""
    if not db.exists():
        return []
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError as e:
        if "no such table" in str(e):
            return []
        raise
    finally:
        conn.close()


def adoption_state(db: Path) -> tuple:
    """The stored adoptions in content (no ids or run numbers), comparable across databases."""
    return (
        tuple(query(db, "SELECT fiscal_year, label, stated_total FROM fiscal_years ORDER BY 1")),
        tuple(query(db, """SELECT fiscal_year, prefecture, municipality, name, lg_code, category, summary
                           FROM adoptions ORDER BY 1, 2, 3""")),
        tuple(query(db, """SELECT a.fiscal_year, a.prefecture, a.municipality, p.name FROM partners p
                           JOIN adoptions a ON a.id = p.adoption_id ORDER BY 1, 2, 3, 4""")),
    )


def assert_consistent(db: Path, snapshots: Path) -> None:
    """integrity_check ok, foreign keys hold, every body row's file exists and matches its hash, and every
    304 row points at a body row."""
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "PRAGMA foreign_key_check") == []
    assert query(db, "SELECT count(*) FROM snapshots s JOIN snapshots b ON b.id = s.same_as "
                     "WHERE s.http_status != 304 OR b.same_as IS NOT NULL") == [(0,)]
    store = SnapshotStore(snapshots)
    for path, sha in query(db, "SELECT path, sha256 FROM snapshots WHERE same_as IS NULL"):
        store.read(path, sha)  # raises when the file is missing or does not match


def received_json(server: LoopbackServer, path: str = "/hook") -> list[dict]:
    """The apprise json:// payloads a loopback receiver got, in order."""
    return [json.loads(r.body) for r in server.requests_to(path)]
