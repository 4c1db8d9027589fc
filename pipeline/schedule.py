"""``kankei schedule``: run the cycle on the ``[schedule]`` cron, in the foreground.

APScheduler 3.x, one blocking scheduler with one job:

* ``max_instances=1``: a cycle never overlaps the previous one;
* ``coalesce=True``: run times missed while the process could not run (a
  suspended laptop, a long cycle) are run once, not once per missed time;
* ``misfire_grace_time=None``: a missed run is still run however late it is
  noticed. APScheduler's default (1 second) would silently skip the day's run
  after a suspend, since the wait for the next run time does not count the time
  the machine slept; like anacron, a late run is better than none;
* the wait between checks is capped at :data:`MAX_WAIT` seconds, so after a
  resume the missed run starts within a minute instead of whenever the
  (suspended) monotonic clock says.

Each cycle takes the run lock (pipeline/lock.py); a cycle that finds it taken
(a manual ``kankei run`` in progress) logs and skips, and the scheduler goes on.
SIGTERM and SIGINT let the running cycle finish, then the process exits 0. The
config is read once at start: restart the service after editing it.

``[schedule] cron`` is a standard crontab line, weekdays included (0 or 7 = Sunday;
see :func:`crontab_day_of_week`). One difference remains: when both day-of-month and
day-of-week are restricted, APScheduler requires both to match, where cron accepts either.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.schedulers.base import STATE_STOPPED, SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from scraper.errors import ConfigError

from .config import Config, ScheduleConfig
from .cycle import run_cycle
from .lock import LockHeld, run_lock
from .notify import after_run

log = logging.getLogger(__name__)

JOB_ID = "kankei-cycle"
MAX_WAIT = 60.0
MISFIRE_GRACE_TIME: int | None = None  # see the module docstring
DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


# --- the trigger ----------------------------------------------------------------------------


def timezone_of(schedule: ScheduleConfig, where: str = "config") -> ZoneInfo:
    try:
        return ZoneInfo(schedule.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}: schedule.timezone {schedule.timezone!r} is not a known time zone "
                          "(e.g. \"Asia/Tokyo\")") from None


def crontab_day_of_week(field: str) -> str:
    """Translate a crontab day-of-week field (0 or 7 = Sunday) into APScheduler's day names.

    APScheduler 3 numbers weekdays from Monday = 0 (its ``from_crontab`` keeps that
    historical mismatch), so ``1-5`` would mean Tuesday–Saturday. Numbers, names,
    ranges, lists and steps are expanded to an explicit list of names instead.
    """
    if field == "*":
        return "*"
    days: set[int] = set()
    for part in field.lower().split(","):
        spec, slash, step_text = part.partition("/")
        if slash and not (step_text.isdigit() and int(step_text) >= 1):
            raise ValueError(f"bad step in day of week {part!r}")
        step = int(step_text) if slash else 1
        if spec == "*":
            low, high = 0, 6
        elif "-" in spec:
            first, last = spec.split("-", 1)
            low, high = _day_number(first), _day_number(last)
        else:
            low = _day_number(spec)
            high = 6 if slash else low
        if low > high:
            raise ValueError(f"day-of-week range {spec!r} runs backwards")
        days.update(d % 7 for d in range(low, high + 1, step))
    return ",".join(DAY_NAMES[d] for d in sorted(days))


def _day_number(text: str) -> int:
    """0–7 as written (7 is Sunday too), or sun–sat as 0–6."""
    if text.isdigit() and 0 <= int(text) <= 7:
        return int(text)
    if text in DAY_NAMES:
        return DAY_NAMES.index(text)
    raise ValueError(f"{text!r} is not a day of the week (0-7 or sun-sat)")


def build_trigger(config: Config, *, jitter: bool = True) -> CronTrigger:
    """The CronTrigger for ``config.schedule`` (a standard 5-field crontab line), or ConfigError."""
    where = str(config.path) if config.path else "config"
    schedule = config.schedule
    if schedule is None:
        raise ConfigError(f"{where}: [schedule] is missing; kankei schedule needs e.g. "
                          "[schedule] cron = \"0 6 * * *\", timezone = \"Asia/Tokyo\"")
    tz = timezone_of(schedule, where)
    fields = schedule.cron.split()
    if len(fields) != 5:
        raise ConfigError(f"{where}: schedule.cron must have 5 fields (minute hour day month weekday), "
                          f"got {schedule.cron!r}")
    minute, hour, day, month, weekday = fields
    try:
        return CronTrigger(minute=minute, hour=hour, day=day, month=month,
                           day_of_week=crontab_day_of_week(weekday), timezone=tz,
                           jitter=(schedule.jitter or None) if jitter else None)
    except ValueError as e:
        raise ConfigError(f"{where}: schedule.cron {schedule.cron!r} is not valid: {e}") from None


def next_run_time(config: Config, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the schedule fires next after ``now`` (without jitter), in the schedule's time zone."""
    trigger = build_trigger(config, jitter=False)
    now = now or dt.datetime.now(trigger.timezone)
    return trigger.get_next_fire_time(None, now)


def describe_time(when: dt.datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S %Z (UTC%z)") if when else "never"


# --- one scheduled cycle -------------------------------------------------------------------


def scheduled_cycle(config: Config) -> str:
    """One cycle under the run lock, then notifications. Never raises; returns what happened."""
    try:
        with run_lock(config):
            result = run_cycle(config)
            for source in result.sources:  # a failure was already logged as an error by the cycle
                log.info("%s", source.line())
            log.info("run %d finished: %s", result.run_id, "ok" if result.ok else "a source failed")
            after_run(config, result)
            return "ok" if result.ok else "failed"
    except LockHeld as e:
        log.warning("cycle skipped: %s", e)
        return "skipped"
    except Exception as e:  # keep the scheduler alive: the next cycle may well work
        log.error("cycle failed: %s: %s", type(e).__name__, " ".join(str(e).split()))
        return "error"


# --- the scheduler ------------------------------------------------------------------------


class _Scheduler(BlockingScheduler):
    """A BlockingScheduler that re-checks the wall clock at least every MAX_WAIT seconds."""

    def _process_jobs(self) -> float | None:
        wait = super()._process_jobs()
        return MAX_WAIT if wait is None else min(wait, MAX_WAIT)


def build_scheduler(config: Config, *, run_now: bool = False) -> BlockingScheduler:
    """A scheduler with the cycle job added (not started)."""
    trigger = build_trigger(config)
    scheduler = _Scheduler(timezone=trigger.timezone)

    def job() -> None:
        scheduled_cycle(config)
        if scheduler.state == STATE_STOPPED:
            return  # shutting down after this cycle
        next_job = scheduler.get_job(JOB_ID)
        if next_job is not None and next_job.next_run_time is not None:
            log.info("next run at %s", describe_time(next_job.next_run_time))

    options: dict[str, Any] = {}
    if run_now:
        options["next_run_time"] = dt.datetime.now(trigger.timezone)
    scheduler.add_job(job, trigger, id=JOB_ID, name="kankei cycle", max_instances=1, coalesce=True,
                      misfire_grace_time=MISFIRE_GRACE_TIME, replace_existing=True, **options)
    return scheduler


def run_scheduler(config: Config, *, run_now: bool = False) -> int:
    """Run the scheduler in the foreground until SIGTERM/SIGINT; return the exit status (0)."""
    scheduler = build_scheduler(config, run_now=run_now)
    stopping = threading.Event()
    finished = threading.Event()

    def stop() -> None:
        # shutdown(wait=True) waits for the running cycle; retry while start() is still on its way.
        while not finished.is_set():
            try:
                scheduler.shutdown(wait=True)
                return
            except SchedulerNotRunningError:
                finished.wait(0.05)

    def on_signal(signum: int, frame: object) -> None:
        name = signal.Signals(signum).name
        if stopping.is_set():
            log.info("%s again: still waiting for the running cycle to finish", name)
            return
        stopping.set()
        log.info("%s received: finishing the running cycle, then exiting", name)
        stopper = threading.Thread(target=stop, name="kankei-stop", daemon=True)
        stoppers.append(stopper)
        stopper.start()

    stoppers: list[threading.Thread] = []
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        schedule = config.schedule
        assert schedule is not None
        jitter = f", jitter up to {schedule.jitter} s" if schedule.jitter else ""

        def on_start(event: object) -> None:  # the job's first run time is known once started
            job = scheduler.get_job(JOB_ID)
            log.info("scheduler started: cron %r in %s%s", schedule.cron, schedule.timezone, jitter)
            log.info("%s at %s", "first run (--now)" if run_now else "next run",
                     describe_time(job.next_run_time if job else None))

        scheduler.add_listener(on_start, EVENT_SCHEDULER_STARTED)
        if not stopping.is_set():
            scheduler.start()
    finally:
        finished.set()
        for stopper in stoppers:
            stopper.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("scheduler stopped")
    return 0
