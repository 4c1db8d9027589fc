"""``kankei status``: the last run, each source's health, the last change and the next scheduled run.

Reads the database read-only (never creates it, never takes the run lock), so it
is safe to call while a run is writing.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

from db.connection import connect_readonly
from scraper.errors import ConfigError, public_url

from .config import Config


def _row(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> dict[str, Any] | None:
    try:
        row = conn.execute(sql, params).fetchone()
    except sqlite3.OperationalError:  # a table an older or newer kankei did not create
        return None
    return dict(row) if row else None


def collect(config: Config, now: dt.datetime | None = None) -> dict[str, Any]:
    """Everything ``kankei status`` shows, as plain JSON-ready data."""
    out: dict[str, Any] = {"database": str(config.database), "last_run": None, "last_ok_run": None,
                           "sources": [], "last_change": None, "pending_notifications": 0, "pending_years": [],
                           "schedule": None}
    if config.schedule is not None:
        from .schedule import next_run_time

        try:
            when = next_run_time(config, now)
            out["schedule"] = {"cron": config.schedule.cron, "timezone": config.schedule.timezone,
                               "jitter": config.schedule.jitter,
                               "next_run": when.isoformat() if when else None}
        except ConfigError as e:
            out["schedule"] = {"cron": config.schedule.cron, "timezone": config.schedule.timezone,
                               "error": str(e)}
    conn = connect_readonly(config.database) if Path(config.database).is_file() else None
    states: dict[str, dict[str, Any]] = {}
    if conn is not None:
        try:
            out["last_run"] = _row(conn, "SELECT id, started_at, finished_at, status, summary FROM runs "
                                         "ORDER BY id DESC LIMIT 1")
            if out["last_run"] and out["last_run"]["summary"]:
                out["last_run"]["summary"] = json.loads(out["last_run"]["summary"])
            ok = _row(conn, "SELECT id, finished_at FROM runs WHERE status = 'ok' ORDER BY id DESC LIMIT 1")
            out["last_ok_run"] = ok
            try:
                states = {r["source"]: dict(r) for r in conn.execute("SELECT * FROM source_state")}
            except sqlite3.OperationalError:
                states = {}
            out["last_change"] = _row(conn, "SELECT run_id, detected_at, kind, fiscal_year, name, field, source "
                                            "FROM changes ORDER BY id DESC LIMIT 1")
            out["pending_years"] = _pending_years(conn)
            from .notify import pending_count

            out["pending_notifications"] = pending_count(conn)
            for source in config.sources:
                state = states.get(source.name, {})
                out["sources"].append({
                    "name": source.name,
                    "url": public_url(source.url),
                    "last_success_at": state.get("last_success_at"),
                    "last_success_run": state.get("last_success_run"),
                    "consecutive_failures": state.get("consecutive_failures", 0),
                    "last_error": state.get("last_error") if state.get("consecutive_failures") else None,
                    "last_error_at": state.get("last_error_at") if state.get("consecutive_failures") else None,
                    "last_change": _row(conn, "SELECT run_id, detected_at, kind, fiscal_year, name, field "
                                              "FROM changes WHERE source = ? ORDER BY id DESC LIMIT 1",
                                        (source.name,)),
                    "document_problems": _document_problems(conn, source.name),
                })
        finally:
            conn.close()
    else:
        out["sources"] = [{"name": s.name, "url": public_url(s.url), "last_success_at": None, "last_success_run": None,
                           "consecutive_failures": 0, "last_error": None, "last_error_at": None,
                           "last_change": None, "document_problems": []} for s in config.sources]
    return out


def _pending_years(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Years a feed announced as adopted that the portal page does not list yet (none before feeds)."""
    from db.announcements import PENDING_SQL

    try:
        return [dict(r) for r in conn.execute(PENDING_SQL)]
    except sqlite3.OperationalError:  # a database from before feeds
        return []


def _document_problems(conn: sqlite3.Connection, source: str) -> list[dict[str, Any]]:
    """The source's current documents that could not be fetched or read (none on a database without documents)."""
    try:
        rows = conn.execute(
            "SELECT url, link_text, text_status, error FROM documents WHERE source = ? AND removed = 0"
            " AND text_status != 'not_fetched' AND (error IS NOT NULL"
            " OR text_status IN ('no_text', 'encrypted', 'corrupt', 'too_large', 'failed')) ORDER BY id", (source,))
        return [dict(r) for r in rows]
    except sqlite3.OperationalError:  # a database from before documents
        return []


def _change_text(change: dict[str, Any] | None) -> str:
    if not change:
        return "none"
    where = f"FY{change['fiscal_year']} " if change.get("fiscal_year") else ""
    field = f" ({change['field']})" if change.get("field") else ""
    return f"{change['detected_at']} run {change['run_id']}: {change['kind']} {where}{change.get('name') or ''}{field}".rstrip()


def render_text(data: dict[str, Any], threshold: int) -> str:
    """The human-readable status, one fact per line."""
    lines = [f"database: {data['database']}"]
    run = data["last_run"]
    if run is None:
        lines.append("last run: no runs yet")
    else:
        state = run["status"]
        if state == "running":
            state = "running (in progress, or killed: the next run marks it failed)"
        finished = f", finished {run['finished_at']}" if run["finished_at"] else ""
        lines.append(f"last run: #{run['id']} {state}, started {run['started_at']}{finished}")
        ok = data["last_ok_run"]
        if ok and ok["id"] != run["id"]:
            lines.append(f"last ok run: #{ok['id']}, finished {ok['finished_at']}")
    for s in data["sources"]:
        lines.append(f"source {s['name']}:")
        success = f"{s['last_success_at']} (run {s['last_success_run']})" if s["last_success_at"] else "never"
        lines.append(f"  last successful fetch: {success}")
        failures = s["consecutive_failures"]
        alert = " (alert threshold reached)" if failures >= threshold else ""
        lines.append(f"  consecutive failures: {failures}{alert}")
        if s["last_error"]:
            lines.append(f"  last error: {s['last_error_at']}: {s['last_error']}")
        lines.append(f"  last change: {_change_text(s['last_change'])}")
        for d in s.get("document_problems", []):
            error = f": {d['error']}" if d["error"] else ""
            lines.append(f"  document problem: {d['link_text'] or d['url']} ({d['text_status']}) {d['url']}{error}")
    for p in data.get("pending_years", []):
        lines.append(f"pending year: FY{p['fiscal_year']} announced {p['announced']} by {p['source']} "
                     f"({p['title']}), not yet on the portal page")
    if data["pending_notifications"]:
        lines.append(f"notifications waiting to be retried: {data['pending_notifications']}")
    sched = data["schedule"]
    if sched is None:
        lines.append("schedule: not configured (no [schedule] section)")
    elif "error" in sched:
        lines.append(f"schedule: invalid: {sched['error']}")
    else:
        jitter = f" + up to {sched['jitter']} s jitter" if sched["jitter"] else ""
        lines.append(f"next scheduled run: {sched['next_run'] or 'never'}{jitter} "
                     f"(cron {sched['cron']!r}, {sched['timezone']}; runs while `kankei schedule` is running)")
    return "\n".join(lines)


def render_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
