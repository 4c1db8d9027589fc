"""``kankei schedule``: real APScheduler, real processes, real signals."""

from __future__ import annotations

import datetime as dt
import signal
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.config import load_config
from pipeline.lock import run_lock
from pipeline.schedule import JOB_ID, build_scheduler, build_trigger, crontab_day_of_week
from scraper.errors import ConfigError
from tests.http_server import LoopbackServer

from .helpers import write_config
from .ops_helpers import PAGE, V1, page_requests, query, serve, spawn, wait_until

SCHEDULE = '\n[schedule]\ncron = "0 6 * * *"\ntimezone = "Asia/Tokyo"\n'


def stop(proc, sig: signal.Signals = signal.SIGTERM, timeout: float = 20) -> int:
    proc.send_signal(sig)
    try:
        return proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_schedule_now_records_a_run_within_seconds_and_a_signal_exits_0(
        http_server: LoopbackServer, tmp_path: Path, sig: signal.Signals) -> None:
    serve(http_server, V1)
    config = write_config(tmp_path, http_server.url(PAGE), extra=SCHEDULE)
    db = tmp_path / "data" / "kankei.db"
    log = tmp_path / "schedule.log"
    proc = spawn(config, "schedule", "--now", stderr_path=log)
    try:
        assert wait_until(lambda: query(db, "SELECT status FROM runs WHERE status != 'running'"), timeout=10), \
            log.read_text()
        assert wait_until(lambda: "next run at" in log.read_text(), timeout=5), log.read_text()
    finally:
        code = stop(proc, sig)
    text = log.read_text()
    assert code == 0, text
    assert query(db, "SELECT id, status FROM runs") == [(1, "ok")]
    assert f"{sig.name} received" in text and "scheduler stopped" in text
    # The next run is the cron's: 06:00 in Tokyo.
    next_line = next(line for line in text.splitlines() if "next run at" in line)
    assert " 06:00:00 JST (UTC+0900)" in next_line
    assert all(len(line) < 300 for line in text.splitlines())  # one line per event


def test_schedule_without_now_waits_for_the_cron_and_logs_when(http_server: LoopbackServer, tmp_path: Path) -> None:
    config = write_config(tmp_path, http_server.url(PAGE), extra=SCHEDULE.replace("0 6 * * *", "0 6 1 1 *"))
    log = tmp_path / "schedule.log"
    proc = spawn(config, "schedule", stderr_path=log)
    try:
        assert wait_until(lambda: "next run at" in log.read_text(), timeout=10), log.read_text()
    finally:
        code = stop(proc)
    assert code == 0
    year = dt.datetime.now(ZoneInfo("Asia/Tokyo")).year + 1
    assert f"next run at {year}-01-01 06:00:00 JST" in log.read_text() or \
        f"next run at {year - 1}-01-01 06:00:00 JST" in log.read_text()
    assert http_server.count() == 0 and not (tmp_path / "data" / "kankei.db").exists()


def test_a_signal_during_a_cycle_lets_it_finish_before_exiting(http_server: LoopbackServer, tmp_path: Path) -> None:
    serve(http_server, V1, delay=1.5)
    config = write_config(tmp_path, http_server.url(PAGE), timeout=10, extra=SCHEDULE)
    db = tmp_path / "data" / "kankei.db"
    log = tmp_path / "schedule.log"
    proc = spawn(config, "schedule", "--now", stderr_path=log)
    try:
        assert wait_until(lambda: page_requests(http_server), timeout=10), log.read_text()
        assert query(db, "SELECT status FROM runs") == [("running",)]
    finally:
        code = stop(proc, signal.SIGTERM)
    text = log.read_text()
    assert code == 0, text
    assert query(db, "SELECT status FROM runs") == [("ok",)], "the cycle in progress must complete"
    assert query(db, "SELECT count(*) FROM adoptions")[0][0] > 0
    assert text.index("SIGTERM received") < text.index("run 1 finished")


def test_a_cycle_that_finds_the_lock_taken_is_skipped_and_the_scheduler_goes_on(
        http_server: LoopbackServer, tmp_path: Path) -> None:
    serve(http_server, V1)
    config_path = write_config(tmp_path, http_server.url(PAGE), extra=SCHEDULE)
    log = tmp_path / "schedule.log"
    with run_lock(load_config(config_path)):
        proc = spawn(config_path, "schedule", "--now", stderr_path=log)
        try:
            assert wait_until(lambda: "cycle skipped: another kankei run holds" in log.read_text(), timeout=10), \
                log.read_text()
            assert proc.poll() is None, "a skipped cycle must not end the scheduler"
        finally:
            code = stop(proc)
    assert code == 0, log.read_text()
    assert http_server.count() == 0
    assert query(tmp_path / "data" / "kankei.db", "SELECT count(*) FROM runs") in ([], [(0,)])


def test_a_missed_run_hours_late_still_runs_once(http_server: LoopbackServer, tmp_path: Path) -> None:
    """A laptop that slept through 06:00 runs the cycle when it wakes (APScheduler's default would skip it)."""
    serve(http_server, V1)
    config = load_config(write_config(tmp_path, http_server.url(PAGE), extra=SCHEDULE))
    scheduler = build_scheduler(config)
    tokyo = ZoneInfo("Asia/Tokyo")
    slept_through = dt.datetime.now(tokyo) - dt.timedelta(hours=5)
    scheduler.modify_job(JOB_ID, next_run_time=slept_through)
    thread = threading.Thread(target=scheduler.start, daemon=True)
    thread.start()
    try:
        assert wait_until(lambda: query(config.database, "SELECT status FROM runs WHERE status = 'ok'"), timeout=10)
    finally:
        wait_until(lambda: scheduler.running, timeout=5)
        scheduler.shutdown(wait=True)
        thread.join(timeout=10)
    assert query(config.database, "SELECT count(*) FROM runs") == [(1,)]  # coalesced: once, not per missed day
    job = scheduler.get_job(JOB_ID)
    assert job is None or job.next_run_time > dt.datetime.now(tokyo)


def test_the_job_never_overlaps_coalesces_and_tolerates_lateness(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, "http://127.0.0.1:9/x", extra=SCHEDULE))
    before = dt.datetime.now(ZoneInfo("Asia/Tokyo"))
    scheduler = build_scheduler(config, run_now=True)
    job = scheduler.get_job(JOB_ID)
    assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, None)
    assert before <= job.next_run_time <= before + dt.timedelta(seconds=5)  # --now
    assert not hasattr(build_scheduler(config).get_job(JOB_ID), "next_run_time")  # computed at start


def test_the_trigger_reads_crontab_weekdays_the_crontab_way(tmp_path: Path) -> None:
    assert crontab_day_of_week("1-5") == "mon,tue,wed,thu,fri"
    assert crontab_day_of_week("0") == crontab_day_of_week("7") == "sun"
    assert crontab_day_of_week("*/2") == "sun,tue,thu,sat"
    assert crontab_day_of_week("5-7") == "sun,fri,sat"
    weekdays = SCHEDULE.replace("0 6 * * *", "30 6 * * 1-5") + "jitter = 120\n"
    config = load_config(write_config(tmp_path, "http://127.0.0.1:9/x", extra=weekdays))
    trigger = build_trigger(config, jitter=False)
    saturday = dt.datetime(2026, 11, 28, 12, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert trigger.get_next_fire_time(None, saturday) == dt.datetime(2026, 11, 30, 6, 30, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert build_trigger(config).jitter == 120


@pytest.mark.parametrize(("section", "message"), [
    ("", "[schedule] is missing"),
    ('\n[schedule]\ncron = "0 6 * *"\n', "schedule.cron must have 5 fields"),
    ('\n[schedule]\ncron = "0 25 * * *"\n', "schedule.cron '0 25 * * *' is not valid"),
    ('\n[schedule]\ncron = "0 6 * * 8"\n', "is not valid"),
    ('\n[schedule]\ncron = "0 6 * * *"\ntimezone = "Asia/Tokio"\n', "'Asia/Tokio' is not a known time zone"),
])
def test_a_bad_or_missing_schedule_exits_2_with_one_line(tmp_path: Path, section: str, message: str) -> None:
    config = write_config(tmp_path, "http://127.0.0.1:9/x", extra=section)
    result = CliRunner().invoke(cli, ["--config", str(config), "schedule", "--now"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and message in result.output, result.output
    assert not (tmp_path / "data").exists()
    with pytest.raises(ConfigError):
        build_trigger(load_config(config))
