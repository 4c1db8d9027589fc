"""Notifications after a run, through apprise (email, Slack, Discord, Teams, ntfy, webhooks…).

:func:`after_run` is called by ``kankei run`` and by each ``kankei schedule`` cycle,
after the run is recorded and outside any transaction. It sends:

* the Markdown change report when the run found changes;
* one alert when a source reaches ``notify.failure_threshold`` consecutive
  failures (exactly at the threshold, so no repeats while it keeps failing);
* one recovery message when a source that had reached the threshold succeeds.

Every message is first queued in the ``notifications`` table (see db/schema.py), one
row per configured URL, then sent. A send that fails is logged and stays queued; the next
run retries it (up to :data:`MAX_ATTEMPTS` times). Nothing here ever raises into
the run or changes its exit status. The table stores a hash of the URL, never the
URL itself (apprise URLs carry tokens and passwords).
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from db import runs, schema
from db.connection import transaction
from scraper.errors import ConfigError, printable

from .config import Config
from .results import RunResult

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10  # a queued message is dropped (and logged) after this many failed sends
REPORT_LINES = 200  # longer change lists are cut in the message; the database has them all
MAX_BODY_CHARS = 20_000  # a longer message body is cut, with a line pointing at `kankei report --run N`

NOTIFY_TYPES = {"changes": "info", "failure": "failure", "recovery": "success"}  # apprise.NotifyType values


@dataclass(frozen=True)
class Message:
    kind: str  # 'changes', 'failure' or 'recovery'
    title: str
    body: str  # Markdown
    source: str | None = None


@dataclass
class Delivery:
    sent: int = 0
    failed: int = 0
    dropped: int = 0


def secret_parts(urls: list[str]) -> list[str]:
    """The parts of notify URLs that may be tokens or passwords, longest first (for :func:`redact`).

    Apprise URLs carry secrets in the user name and password, the path segments, the query
    values and, for services such as Discord or Slack, the host part (a token, not a name).
    """
    from urllib.parse import parse_qsl, unquote, urlsplit

    parts: set[str] = set()
    for url in urls:
        parts.add(url)
        try:
            split = urlsplit(url)
            password, username = split.password, split.username
        except ValueError:
            continue
        parts.update(p for p in (username, password) if p and len(p) >= 3)
        host, _, port = split.netloc.rpartition("@")[2].rpartition(":")
        host = host if port.isdigit() else split.netloc.rpartition("@")[2]
        if len(host) >= 5 and "." not in host and ":" not in host:  # a token where a host name would be
            parts.add(unquote(host))
        parts.update(unquote(seg) for seg in split.path.split("/") if len(seg) >= 5)
        parts.update(v for _, v in parse_qsl(split.query) if len(v) >= 5)
        if len(split.path) > 1:
            parts.add(split.path)
    return sorted((p for p in parts if p), key=len, reverse=True)


def redact(text: str, secrets: list[str]) -> str:
    """``text`` with every one of ``secrets`` replaced by ``***``."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "***")
    return text


def target_id(url: str) -> str:
    """A stable, secret-free identifier for an apprise URL."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


@contextmanager
def _apprise_logs_captured() -> Iterator[Any]:
    """Capture apprise's own log lines (they may name hosts) so we log one line of our own."""
    import apprise  # imported when needed: it takes a third of a second

    logger = logging.getLogger("apprise")
    propagate = logger.propagate
    logger.propagate = False
    try:
        with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:
            yield captured
    finally:
        logger.propagate = propagate


def check_urls(config: Config) -> None:
    """Raise ConfigError naming the first ``notify.urls`` entry apprise cannot use (no network)."""
    if not config.notify.urls:
        return  # no apprise import (a third of a second) on every run without notifications
    import apprise

    for n, url in enumerate(config.notify.urls):
        with _apprise_logs_captured():
            ok = apprise.Apprise().add(url)
        if not ok:
            scheme = url.split("://", 1)[0] if "://" in url else ""
            where = str(config.path) if config.path else "config"
            raise ConfigError(
                f"{where}: notify.urls[{n}] is not a URL apprise supports"
                + (f" (scheme {scheme!r})" if scheme else " (expected scheme://…)")
            )


# --- what to say ------------------------------------------------------------------------


def plan(conn: sqlite3.Connection, config: Config, result: RunResult) -> list[Message]:
    """The messages a finished run calls for."""
    messages: list[Message] = []
    threshold = config.notify.failure_threshold
    for s in result.sources:
        if s.status == "failed" and s.consecutive_failures == threshold:
            messages.append(Message(
                "failure", f"kankei: {s.source} failed {threshold} time{'s' if threshold != 1 else ''} in a row",
                f"**{s.source}** has failed {s.consecutive_failures} runs in a row (run {result.run_id}).\n\n"
                f"Last error: `{s.message}`\n\n"
                "The stored data is unchanged. kankei keeps trying and sends one message when it recovers.",
                s.source))
        elif s.status != "failed" and s.previous_failures >= threshold:
            messages.append(Message(
                "recovery", f"kankei: {s.source} recovered",
                f"**{s.source}** works again after {s.previous_failures} failed runs "
                f"(run {result.run_id}: {s.status}).",
                s.source))
    if result.changes:
        messages.append(Message("changes", change_title(result),
                                fit_body(change_report(conn, config, result), result.run_id)))
    return messages


def fit_body(body: str, run_id: int, limit: int = MAX_BODY_CHARS) -> str:
    """``body`` cut to at most ``limit`` characters at a line end, ending with where the rest is."""
    if len(body) <= limit:
        return body
    tail = f"\n\n… cut at {limit:,} characters. The whole report: `kankei report --run {run_id}`\n"
    head = body[: limit - len(tail)]
    head = head[: head.rfind("\n")] if "\n" in head else head
    return head.rstrip() + tail


def change_title(result: RunResult) -> str:
    n = len(result.changes)
    return f"kankei: {n} change{'s' if n != 1 else ''} in run {result.run_id}"


def change_report(conn: sqlite3.Connection, config: Config, result: RunResult) -> str:
    """The Markdown change report of the run: ``kankei report --run N``'s, or a short list if that fails."""
    try:
        from .report.render import render_markdown
        from .report.select import select_changes

        data = select_changes(conn, run=result.run_id, snapshots_root=config.snapshots)
        return render_markdown(data, config.report.language, config.report.timezone)
    except Exception as e:  # never lose the message because of the renderer
        log.warning("change report renderer failed, sending the short form: %s: %s", type(e).__name__, e)
        return short_report(result)


def short_report(result: RunResult) -> str:
    """A plain list of the run's changes (the fallback when the full report cannot be rendered)."""
    from .format import change_line
    from .report.markdown import md

    lines = [f"# kankei run {result.run_id}: {len(result.changes)} changes", ""]
    for s in result.sources:
        lines.append(f"## {s.source}")
        lines.append("")
        if s.status == "failed":
            lines += [f"Failed: `{s.message}`", ""]
            continue
        if not s.changes:
            lines += [f"{s.status}, no changes", ""]
            continue
        if s.initial:
            counts = Counter(c.kind for c in s.changes)
            detail = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
            lines += [f"Initial load: {detail}.", ""]
            continue
        shown = s.changes[:REPORT_LINES]
        lines += [f"- {md(change_line(c))}" for c in shown]
        if len(s.changes) > len(shown):
            lines.append(f"- … and {len(s.changes) - len(shown)} more (see the `changes` table)")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# --- queue and delivery -----------------------------------------------------------------


def enqueue(conn: sqlite3.Connection, config: Config, run_id: int | None, messages: list[Message]) -> None:
    now = runs.utcnow()
    with transaction(conn):
        for m in messages:
            for url in config.notify.urls:
                conn.execute(
                    """INSERT INTO notifications(created_at, run_id, kind, source, target, title, body)
                       VALUES (?, ?, ?, ?, ?, ?, ?)""",
                    (now, run_id, m.kind, m.source, target_id(url), m.title, m.body),
                )


def send(url: str, title: str, body: str, kind: str) -> str | None:
    """Send one message to one apprise URL. None on success, else a one-line reason."""
    import apprise

    sender = apprise.Apprise()
    with _apprise_logs_captured() as captured:
        if not sender.add(url):
            return "not a URL apprise supports"
        ok = sender.notify(title=printable(title), body=printable(body), body_format=apprise.NotifyFormat.MARKDOWN,
                           notify_type=NOTIFY_TYPES.get(kind, "info"))
    if ok:
        return None
    lines = [line.strip() for line in captured.getvalue().splitlines() if line.strip()]
    return lines[-1] if lines else "apprise reported a failure"


def deliver_pending(conn: sqlite3.Connection, config: Config) -> Delivery:
    """Send every queued message whose URL is still configured; record each outcome."""
    urls = {target_id(u): u for u in config.notify.urls}
    outcome = Delivery()
    rows = conn.execute(
        "SELECT * FROM notifications WHERE sent_at IS NULL AND attempts < ? ORDER BY id", (MAX_ATTEMPTS,)
    ).fetchall()
    for row in rows:
        url = urls.get(row["target"])
        if url is None:
            continue  # that URL was removed from the config: keep the row, never send it elsewhere
        try:
            error = send(url, row["title"], row["body"], row["kind"])
        except Exception as e:  # apprise plugins are third-party code: never let one break the run
            error = f"{type(e).__name__}: {e}"
        error = redact(printable(" ".join(error.split())), secret_parts(config.notify.urls)) if error else None
        with transaction(conn):
            conn.execute(
                "UPDATE notifications SET attempts = attempts + 1, sent_at = ?, last_error = ? WHERE id = ?",
                (runs.utcnow() if error is None else None, error, row["id"]),
            )
        if error is None:
            outcome.sent += 1
            log.info("notification %d (%s) sent to target %s", row["id"], row["kind"], row["target"])
        elif row["attempts"] + 1 >= MAX_ATTEMPTS:
            outcome.dropped += 1
            log.error("notification %d (%s) to target %s failed %d times, giving up: %s",
                      row["id"], row["kind"], row["target"], MAX_ATTEMPTS, error)
        else:
            outcome.failed += 1
            log.error("notification %d (%s) to target %s failed, will retry next run: %s",
                      row["id"], row["kind"], row["target"], error)
    return outcome


def after_run(config: Config, result: RunResult | None) -> Delivery:
    """Queue what ``result`` calls for and send everything queued. Never raises.

    ``result`` may be None to only retry what earlier runs queued.
    """
    if not config.notify.urls:
        return Delivery()
    try:
        conn = schema.connect(config.database)
    except Exception as e:
        log.error("notifications not sent: cannot open %s: %s", config.database, e)
        return Delivery()
    try:
        messages = plan(conn, config, result) if result is not None else []
        if messages:
            enqueue(conn, config, result.run_id if result else None, messages)
        return deliver_pending(conn, config)
    except Exception as e:
        log.error("notifications not sent: %s: %s", type(e).__name__, " ".join(str(e).split()))
        return Delivery()
    finally:
        conn.close()


def pending_count(conn: sqlite3.Connection) -> int:
    """Queued messages not yet sent (0 when the table does not exist yet)."""
    try:
        row = conn.execute(
            "SELECT count(*) FROM notifications WHERE sent_at IS NULL AND attempts < ?", (MAX_ATTEMPTS,)
        ).fetchone()
    except sqlite3.OperationalError:
        return 0
    return int(row[0])

