"""``kankei status`` on real databases."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.config import load_config
from pipeline.demo import SamplePageServer
from pipeline.lock import run_lock
from pipeline.status import collect

from .helpers import write_config
from .ops_helpers import V1, V2, query

SCHEDULE = '\n[schedule]\ncron = "0 6 * * 1-5"\ntimezone = "Asia/Tokyo"\njitter = 60\n'


def invoke(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--config", str(config), *args])
    return result.exit_code, result.output


def test_status_before_any_run_says_so_and_creates_nothing(tmp_path: Path) -> None:
    config = write_config(tmp_path, "http://127.0.0.1:9/x")
    code, out = invoke(config, "status")
    assert code == 0
    assert "last run: no runs yet" in out
    assert "  last successful fetch: never" in out and "  consecutive failures: 0" in out
    assert "schedule: not configured" in out
    assert not (tmp_path / "data").exists()
    code, out = invoke(config, "status", "--json")
    data = json.loads(out)
    assert code == 0 and data["last_run"] is None and data["schedule"] is None
    assert data["sources"][0]["name"] == "model-projects" and data["sources"][0]["last_success_at"] is None


def test_status_shows_runs_failures_and_the_last_change(tmp_path: Path) -> None:
    with SamplePageServer() as site:
        site.serve(V1, 1)
        config = write_config(tmp_path, site.url, extra=SCHEDULE)
        assert invoke(config, "run")[0] == 0
        site.serve(V2, 2)
        assert invoke(config, "run")[0] == 0
        good = config.read_text()
        config.write_text(good.replace(site.url, site.url.replace("index.html", "gone.html")))
        assert invoke(config, "run")[0] == 1
        assert invoke(config, "run")[0] == 1
        config.write_text(good)
    db = tmp_path / "data" / "kankei.db"
    last_change = query(db, "SELECT run_id, kind, name FROM changes ORDER BY id DESC LIMIT 1")[0]

    code, out = invoke(config, "status")
    assert code == 0
    assert "last run: #4 failed, started " in out
    assert "last ok run: #2, finished " in out
    assert "  last successful fetch: " in out and "(run 2)" in out
    assert "  consecutive failures: 2\n" in out
    assert "  last error: " in out and "404" in out
    assert "  last change: " in out and f"run 2: {last_change[1]}" in out and last_change[2] in out
    assert "next scheduled run: " in out and "+ up to 60 s jitter" in out and "Asia/Tokyo" in out

    code, out = invoke(config, "status", "--json")
    data = json.loads(out)
    assert data["last_run"]["id"] == 4 and data["last_run"]["status"] == "failed"
    assert data["last_run"]["summary"]["model-projects"]["status"] == "failed"
    source = data["sources"][0]
    assert source["consecutive_failures"] == 2 and source["last_success_run"] == 2
    assert "404" in source["last_error"]
    assert (source["last_change"]["run_id"], source["last_change"]["kind"]) == last_change[:2]
    assert data["last_change"]["source"] == "model-projects"
    assert data["schedule"]["cron"] == "0 6 * * 1-5" and data["schedule"]["next_run"].endswith("+09:00")


def test_next_scheduled_run_follows_cron_and_time_zone(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, "http://127.0.0.1:9/x", extra=SCHEDULE))
    friday_night_utc = dt.datetime(2026, 11, 27, 22, 0, tzinfo=dt.timezone.utc)  # Saturday 07:00 in Tokyo
    assert collect(config, now=friday_night_utc)["schedule"]["next_run"] == "2026-11-30T06:00:00+09:00"
    thursday_utc = dt.datetime(2026, 11, 25, 20, 0, tzinfo=dt.timezone.utc)  # Thursday 05:00 in Tokyo
    assert collect(config, now=thursday_utc)["schedule"]["next_run"] == "2026-11-26T06:00:00+09:00"


def test_status_reads_while_a_run_holds_the_lock(tmp_path: Path) -> None:
    with SamplePageServer() as site:
        site.serve(V1, 1)
        config = write_config(tmp_path, site.url)
        assert invoke(config, "run")[0] == 0
    with run_lock(load_config(config)):
        code, out = invoke(config, "status")
    assert code == 0 and "last run: #1 ok" in out


def test_a_file_that_is_not_a_database_gives_one_line(tmp_path: Path) -> None:
    config = write_config(tmp_path, "http://127.0.0.1:9/x")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "kankei.db").write_bytes(b"this is not sqlite, just some text " * 200)
    code, out = invoke(config, "status")
    assert code == 2
    assert out.count("\n") == 1 and out.startswith("kankei: cannot read ")
