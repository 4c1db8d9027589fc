"""Hostile databases, paths, pages and exposure: each ends in a clear one-line error or a safe default."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.notify import MAX_BODY_CHARS, fit_body
from pipeline.serve import SQL_TIME_LIMIT_MS, database_name, is_loopback, make_datasette
from tests.helpers import spawn_serve, write_config, write_report_config
from tests.http_server import LoopbackServer, Reply, unused_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("command", [["report"], ["report", "--format", "html"], ["serve"], ["status"], ["run"]])
def test_a_database_replaced_by_garbage_gives_one_line(tmp_path: Path, command: list[str]) -> None:
    config = write_config(tmp_path, "http://127.0.0.1:1/x")
    database = tmp_path / "data" / "kankei.db"
    database.parent.mkdir()
    garbage = b"this is not a database\n" * 500
    database.write_bytes(garbage)
    result = CliRunner().invoke(cli, ["--config", str(config), *command])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.stderr == f"kankei: cannot {'write the database' if command == ['run'] else 'read'} {database}: " \
                            "file is not a database\n"
    assert result.stdout == ""
    assert database.read_bytes() == garbage


# ------------------------------------------------------------------ kankei serve


@pytest.fixture(scope="module")
def odd_db(pristine_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database under a path with spaces, Japanese, #, ? and %."""
    folder = tmp_path_factory.mktemp("serve-path") / "データ ベース #2?x=1"
    folder.mkdir()
    database = folder / "関係 人口 #1?a=%41 50%.db"
    shutil.copyfile(pristine_demo / "kankei.db", database)
    return database


def get(ds, path: str) -> tuple[int, Any]:
    async def fetch() -> tuple[int, Any]:
        response = await ds.client.get(path)
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, response.text

    return asyncio.run(fetch())


def test_serve_opens_a_path_with_spaces_japanese_hash_question_mark_and_percent(odd_db: Path) -> None:
    before = sorted(p.name for p in odd_db.parent.iterdir())
    ds = make_datasette(odd_db)
    route = ds.urls.database(database_name(odd_db))
    status, rows = get(ds, f"{route}/multi_year_bodies.json?_shape=array")
    assert status == 200, rows
    assert any(r["municipality"] == "邑南町" and r["years"] == 3 for r in rows)
    status, rows = get(ds, f"{route}/adoptions.json?_shape=array&_size=max")
    conn = sqlite3.connect(odd_db)
    assert len(rows) == conn.execute("SELECT count(*) FROM adoptions").fetchone()[0] > 0
    conn.close()
    assert set(before) <= {p.name for p in odd_db.parent.iterdir()} <= set(before) | {
        odd_db.name + "-wal", odd_db.name + "-shm"}  # no new, empty database file beside it
    assert not any(p.name.startswith("関係 人口 ") and p != odd_db and not p.name.endswith(("-wal", "-shm"))
                   for p in odd_db.parent.iterdir())


def test_serve_command_prints_a_url_that_reaches_the_real_database(odd_db: Path, tmp_path: Path) -> None:
    config = write_report_config(tmp_path, database=odd_db)
    port = unused_port()
    proc = spawn_serve(config, port)
    try:
        first, second = proc.stdout.readline(), proc.stdout.readline()
        url = first.split(" at ", 1)[1].split()[0]
        assert url.startswith(f"http://127.0.0.1:{port}/") and " " not in url and "#" not in url, first
        assert second.startswith("Reachable from this machine only: ") and "arbitrary SQL on" in second, second
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(f"{url}/multi_year_bodies.json?_shape=array", timeout=5) as response:
                    rows = json.loads(response.read())
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        assert any(r["municipality"] == "邑南町" for r in rows)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_no_query_builds_a_huge_value_and_the_time_limit_holds(odd_db: Path) -> None:
    assert make_datasette(odd_db).setting("sql_time_limit_ms") == SQL_TIME_LIMIT_MS == 1000  # kankei's limit
    # The endless query meets a shorter limit of the same kind: 0.2 s of CPU, not 1 s.
    ds = make_datasette(odd_db, settings={"sql_time_limit_ms": 200})
    route = ds.urls.database(database_name(odd_db))
    started = time.monotonic()
    status, body = get(ds, f"{route}.json?sql=select+length(randomblob(20000000)||randomblob(20000000))")
    assert status == 400 and "too big" in json.dumps(body), body
    assert time.monotonic() - started < 5
    started = time.monotonic()
    status, body = get(ds, f"{route}.json?sql=with+recursive+c(x)+as+(select+1+union+all+select+x%2B1+from+c)"
                           "+select+count(*)+from+c")
    assert status == 400 and "too long" in json.dumps(body), body
    assert time.monotonic() - started < 5


def test_an_exposed_datasette_refuses_arbitrary_sql_but_keeps_canned_queries_and_search(odd_db: Path) -> None:
    ds = make_datasette(odd_db, allow_sql=False)
    route = ds.urls.database(database_name(odd_db))
    status, _ = get(ds, f"{route}.json?sql=select+1")
    assert status == 403
    status, rows = get(ds, f"{route}/multi_year_bodies.json?_shape=array")
    assert status == 200 and rows
    status, rows = get(ds, f"{route}/search.json?q=%E8%BE%B2%E6%A5%AD&_shape=array")
    assert status == 200 and rows
    status, rows = get(ds, f"{route}/adoptions.json?_search=%E9%96%A2%E4%BF%82%E4%BA%BA%E5%8F%A3&_shape=array")
    assert status == 200 and rows


@pytest.mark.parametrize("host,loopback", [("127.0.0.1", True), ("127.0.0.2", True), ("::1", True),
                                           ("localhost", True), ("0.0.0.0", False), ("::", False),
                                           ("192.168.1.5", False), ("example.org", False)])
def test_only_loopback_addresses_count_as_local(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


# ------------------------------------------------------ what is printed, logged and sent

PAGE = (Path(__file__).parent / "fixtures" / "model_projects_table.html").read_bytes()
PAGE_PATH = "/kankeijinkou/discription/index.html"
ESCAPES = "\x1b]0;PWNED\x07\x1b[2J\x1b[32mALL SOURCES OK\x9b1m\r"


def kankei(*args: str) -> subprocess.CompletedProcess[str]:
    """The real ``kankei`` in its own process: its logging is set up as in production."""
    return subprocess.run([sys.executable, "-c", "from pipeline.cli import cli; cli()", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def invoke(*args: str) -> subprocess.CompletedProcess[str]:
    """``kankei`` in this process (for commands whose logging does not matter), shaped like :func:`kankei`."""
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return subprocess.CompletedProcess(list(args), result.exit_code, result.stdout, result.stderr)


def has_control(text: str) -> bool:
    return any((ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F for c in text)


def test_verbose_logs_never_show_notify_tokens(tmp_path: Path, http_server: LoopbackServer,
                                               http_server_factory) -> None:
    receiver = http_server_factory()
    receiver.route("/S3CRETPATHTOKEN/hook", Reply(200, body="ok"))
    http_server.route(PAGE_PATH, Reply(200, body=PAGE, content_type="text/html; charset=utf-8"))
    hook = f"json://hookuser:PA55W0RD@127.0.0.1:{receiver.port}/S3CRETPATHTOKEN/hook?token=QUERYT0KEN"
    config = write_config(tmp_path, http_server.url(PAGE_PATH), extra=f'[notify]\nurls = ["{hook}"]\n')
    proc = kankei("-v", "--config", str(config), "run")
    assert proc.returncode == 0, proc.stderr
    assert receiver.count("/S3CRETPATHTOKEN/hook") == 1  # the message was sent, through the secret path
    posts = [line for line in proc.stderr.splitlines() if '"POST ' in line]  # urllib3's debug line
    assert len(posts) == 1 and "***" in posts[0], proc.stderr
    for secret in ("S3CRETPATHTOKEN", "PA55W0RD", "QUERYT0KEN"):
        assert secret not in proc.stderr and secret not in proc.stdout


def test_a_hostile_reason_phrase_and_page_text_never_reach_a_terminal_or_a_message(
        tmp_path: Path, http_server: LoopbackServer, http_server_factory) -> None:
    receiver = http_server_factory()
    receiver.route("/hook", Reply(200, body="ok"))
    page = f"<html><head><title>頁{ESCAPES}</title></head><body><p>関係人口{ESCAPES}</p></body></html>"
    http_server.route("/page", Reply(200, body="<html><body><p>関係人口</p></body></html>",
                                     content_type="text/html; charset=utf-8"),
                      Reply(200, body=page, content_type="text/html; charset=utf-8"),
                      Reply(503, reason=f"Busy{ESCAPES}"))
    config = write_config(tmp_path, http_server.url("/page"), parser="text",
                          extra=f'[notify]\nurls = ["json://127.0.0.1:{receiver.port}/hook"]\nfailure_threshold = 1\n')

    invoke("--config", str(config), "run")  # the initial load
    first = kankei("-v", "--config", str(config), "run")  # the page's text: a change, a message with the text
    second = kankei("-v", "--config", str(config), "run")  # the reason phrase: a failure, an alert
    report = invoke("--config", str(config), "report", "--run", "2")
    report_json = invoke("--config", str(config), "report", "--run", "2", "--format", "json")
    status = invoke("--config", str(config), "status")
    status_json = invoke("--config", str(config), "status", "--json")

    assert (first.returncode, second.returncode) == (0, 1), (first.stderr, second.stderr)
    assert "HTTP 503 Busy]0;PWNED[2J[32mALL SOURCES OK1m" in second.stdout  # the text is kept, the control characters not
    assert "ALL SOURCES OK" in report.stdout and "Busy" in status.stdout
    for proc in (first, second, report, report_json, status, status_json):
        assert not has_control(proc.stdout) and not has_control(proc.stderr), (proc.args, proc.stdout, proc.stderr)
    bodies = [r.body.decode("utf-8") for r in receiver.requests_to("/hook")][1:]
    assert len(bodies) == 2 and "ALL SOURCES OK" in bodies[0] and "Busy" in bodies[1]
    for body in bodies:
        message = json.loads(body)
        assert not has_control(message["title"] + message["message"].replace("\n", ""))
    conn = sqlite3.connect(tmp_path / "data" / "kankei.db")
    stored = conn.execute("SELECT title, text FROM pages").fetchone()
    last_error = conn.execute("SELECT last_error FROM source_state").fetchone()[0]
    conn.close()
    assert ESCAPES.strip() in stored[1] and "\x1b" in stored[0]  # stored as the page had it
    assert not has_control(last_error)


def test_source_url_credentials_are_kept_out_of_the_database_output_and_reports(
        tmp_path: Path, http_server: LoopbackServer) -> None:
    http_server.route(PAGE_PATH, Reply(200, body=PAGE, content_type="text/html; charset=utf-8"),
                      Reply(404, body="gone"))
    url = http_server.url(PAGE_PATH).replace("http://", "http://reader:S3CRETPASS@")
    config = write_config(tmp_path, url)
    outputs = [kankei("-v", "--config", str(config), "run"), kankei("-v", "--config", str(config), "run")]
    assert [p.returncode for p in outputs] == [0, 1], outputs[1].stderr
    assert http_server.requests_to(PAGE_PATH)[0].headers["Authorization"].startswith("Basic ")
    for fmt in ("markdown", "html", "json", "atom"):
        outputs.append(invoke("--config", str(config), "report", "--since", "7d", "--format", fmt))
    outputs += [invoke("--config", str(config), "status"), invoke("--config", str(config), "status", "--json")]
    for proc in outputs:
        assert proc.returncode in (0, 1), proc.stderr
        assert "S3CRETPASS" not in proc.stdout + proc.stderr, (proc.args, proc.stdout, proc.stderr)
    conn = sqlite3.connect(tmp_path / "data" / "kankei.db")
    dump = "\n".join(conn.iterdump())
    conn.close()
    assert "S3CRETPASS" not in dump and http_server.url(PAGE_PATH) in dump


# ------------------------------------------------------------------ notification size


def test_a_long_notification_is_cut_with_a_pointer_to_the_report() -> None:
    body = "".join(f"- change {n}: 石狩市 summary edited\n" for n in range(5_000))
    cut = fit_body(body, 42)
    assert len(cut) <= MAX_BODY_CHARS < len(body)
    assert cut.endswith(f"… cut at {MAX_BODY_CHARS:,} characters. The whole report: `kankei report --run 42`\n")
    kept = cut.split("\n\n… cut at")[0]
    assert body.startswith(kept) and kept.endswith("edited")  # cut at a line end
    assert fit_body("short\n", 42) == "short\n"


def test_a_run_with_thousands_of_changes_sends_a_bounded_message(tmp_path: Path, http_server: LoopbackServer,
                                                                 http_server_factory) -> None:
    receiver = http_server_factory()
    receiver.route("/hook", Reply(200, body="ok"))
    lines = "".join(f"<p>関係人口の取組 {n}: 地域と継続的なつながりを持つ</p>" for n in range(3_000))
    http_server.route("/page", Reply(200, body=f"<html><body>{lines}</body></html>",
                                     content_type="text/html; charset=utf-8"),
                      Reply(200, body=f"<html><body>{lines.replace('取組', '事業')}</body></html>",
                            content_type="text/html; charset=utf-8"))
    config = write_config(tmp_path, http_server.url("/page"), parser="text",
                          extra=f'[notify]\nurls = ["json://127.0.0.1:{receiver.port}/hook"]\n')
    for _ in range(2):
        result = CliRunner().invoke(cli, ["--config", str(config), "run"])
        assert result.exit_code == 0, result.output
    full = CliRunner().invoke(cli, ["--config", str(config), "report", "--run", "2"]).stdout
    message = json.loads(receiver.requests_to("/hook")[-1].body)["message"]
    assert len(full) > MAX_BODY_CHARS >= len(message)
    assert message.rstrip().endswith("`kankei report --run 2`")
