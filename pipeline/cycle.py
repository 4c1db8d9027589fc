"""One cycle: fetch every configured source, snapshot, parse, store, detect changes.

Each source is handled in its own transaction: a source that fails (fetch, decode,
parse or validation) records its failure and leaves every stored adoption in place.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from db import schema, store
from db.snapshots import SnapshotStore
from scraper.compare import Change, compare_model_projects, compare_text
from scraper.errors import KankeiError
from scraper.fetch import Fetcher, FetchResult
from scraper.model import ModelProjectsPage, TextPage
from scraper.parsers import decode_and_parse

from .config import Config, Source

log = logging.getLogger(__name__)

ROBOTS_CACHE_KEY = "robots_cache"  # meta key: robots.txt files kept between runs (at most 24 hours)


@dataclass
class SourceResult:
    source: str
    status: str  # 'fetched', 'unchanged' or 'failed'
    changes: list[Change] = field(default_factory=list)
    message: str = ""
    snapshot_id: int | None = None
    http_status: int | None = None
    consecutive_failures: int = 0
    warnings: list[str] = field(default_factory=list)
    initial: bool = False  # the first successful load of this source into the database
    previous_failures: int = 0  # consecutive failures before this run (for recovery notices)

    @property
    def counts(self) -> Counter[str]:
        return Counter(c.kind for c in self.changes)

    def line(self) -> str:
        """The one line ``kankei run`` prints for this source."""
        if self.status == "failed":
            return f"{self.source}: failed: {self.message}"
        if self.status == "unchanged":
            return f"{self.source}: unchanged ({self.message})"
        if not self.changes:
            return f"{self.source}: fetched, no changes"
        if self.initial:
            detail = ", ".join(f"{n} {kind}" for kind, n in sorted(self.counts.items()))
            return f"{self.source}: fetched, initial load ({detail})"
        detail = ", ".join(f"{n} {kind}" for kind, n in sorted(self.counts.items()))
        plural = "s" if len(self.changes) != 1 else ""
        return f"{self.source}: fetched, {len(self.changes)} change{plural} ({detail})"


@dataclass
class RunResult:
    run_id: int
    sources: list[SourceResult]

    @property
    def ok(self) -> bool:
        return all(s.status != "failed" for s in self.sources)

    @property
    def changes(self) -> list[Change]:
        return [c for s in self.sources for c in s.changes]

    def summary(self) -> dict[str, Any]:
        """``runs.summary``: per source its status, as a bare string when that is all there is to say
        (``"unchanged"``; ``"fetched"`` with no change), else ``{"status", "changes", "error"}``."""
        out: dict[str, Any] = {}
        for s in self.sources:
            entry: dict[str, Any] = {"status": s.status}
            if s.changes:
                entry["changes"] = dict(s.counts)
            if s.status == "failed":
                entry["error"] = s.message
            out[s.source] = entry if len(entry) > 1 else s.status
        return out


def make_fetcher(config: Config) -> Fetcher:
    h = config.http
    return Fetcher(
        user_agent=h.user_agent,
        timeout=h.timeout,
        retries=h.retries,
        min_interval=h.min_interval,
        max_bytes=h.max_bytes,
        allowed_hosts=h.allowed_hosts,
        respect_robots=h.respect_robots,
    )


def run_cycle(config: Config, fetcher: Fetcher | None = None) -> RunResult:
    """Run every source once and record the run. Never raises for a source's failure."""
    conn = schema.connect(config.database)
    snapshots = SnapshotStore(config.snapshots)
    own_fetcher = fetcher is None
    fetcher = fetcher or make_fetcher(config)
    try:
        close_interrupted_runs(conn)
        use_robots_cache(conn, fetcher)
        run_id = store.start_run(conn)
        results = []
        for source in config.sources:
            before = previous_failures(conn, source.name)
            results.append(run_source(conn, snapshots, fetcher, source, run_id))
            results[-1].previous_failures = before
        result = RunResult(run_id, results)
        store.finish_run(conn, run_id, "ok" if result.ok else "failed", result.summary())
        save_robots_cache(conn, fetcher)
        return result
    finally:
        if own_fetcher:
            fetcher.close()
        conn.close()


def _robots_cache(conn: sqlite3.Connection) -> dict[str, Any]:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (ROBOTS_CACHE_KEY,)).fetchone()
    try:
        cache = json.loads(row[0]) if row and row[0] else {}
    except ValueError:
        return {}
    return cache if isinstance(cache, dict) else {}


def use_robots_cache(conn: sqlite3.Connection, fetcher: Fetcher) -> None:
    """Give the fetcher the robots.txt files earlier runs fetched (it ignores those over 24 hours old),
    so an unchanged cycle is one conditional request per page."""
    fetcher.use_robots_cache(_robots_cache(conn))


def save_robots_cache(conn: sqlite3.Connection, fetcher: Fetcher) -> None:
    """Keep the robots.txt files this run fetched for the next runs (written only when one was fetched)."""
    fresh = fetcher.robots_cache()
    if not fresh:
        return
    with store.transaction(conn):
        cache = _robots_cache(conn)
        if all(cache.get(origin) == entry for origin, entry in fresh.items()):
            return
        cache.update(fresh)
        conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (ROBOTS_CACHE_KEY, json.dumps(cache, ensure_ascii=False, separators=(",", ":"))),
        )


def close_interrupted_runs(conn: sqlite3.Connection) -> None:
    """Mark runs left 'running' by a killed process as 'failed' (finished_at stays empty).

    Callers hold the run lock (pipeline/lock.py), so no other run can be in progress.
    """
    with store.transaction(conn):
        ids = [r[0] for r in conn.execute("SELECT id FROM runs WHERE status = 'running'")]
        conn.execute("UPDATE runs SET status = 'failed' WHERE status = 'running'")
    for run_id in ids:
        log.warning("run %d was interrupted before it finished; marked failed", run_id)


def previous_failures(conn: sqlite3.Connection, source: str) -> int:
    row = conn.execute("SELECT consecutive_failures FROM source_state WHERE source = ?", (source,)).fetchone()
    return int(row[0]) if row else 0


def run_source(conn: sqlite3.Connection, snapshots: SnapshotStore, fetcher: Fetcher, source: Source,
               run_id: int) -> SourceResult:
    previous = store.last_good_snapshot(conn, source.name)
    try:
        fetched = fetcher.fetch(
            source.url,
            etag=previous["etag"] if previous else None,
            last_modified=previous["last_modified"] if previous else None,
        )
    except KankeiError as e:
        return _fail(conn, source, run_id, str(e))

    if fetched.status == 304:
        if previous is None:
            return _fail(conn, source, run_id, f"{source.url}: 304 Not Modified but no snapshot is stored")
        with store.transaction(conn):
            # A compact row pointing at the body it confirms, repeating none of it; the state still
            # reflects that body, whose ETag and Last-Modified the next conditional GET sends again.
            snapshot_id = store.insert_snapshot(
                conn, run_id=run_id, source=source.name, url=source.url if source.url != previous["url"] else None,
                fetched_at=fetched.fetched_at, http_status=304, same_as=previous["id"],
                etag=fetched.etag if fetched.etag != previous["etag"] else None,
                last_modified=fetched.last_modified if fetched.last_modified != previous["last_modified"] else None,
            )
            store.record_success(conn, source.name, run_id, previous["id"], fetched.fetched_at)
        return SourceResult(source.name, "unchanged", message="304 Not Modified", snapshot_id=snapshot_id,
                            http_status=304)

    result = process_body(conn, snapshots, source, run_id, fetched)
    result.initial = previous is None and result.status == "fetched"
    return result


def process_body(conn: sqlite3.Connection, snapshots: SnapshotStore, source: Source, run_id: int,
                 fetched: FetchResult) -> SourceResult:
    """Store a fetched body, parse it and record what changed, in one transaction."""
    body = fetched.body or b""
    stored = snapshots.put(body) if body else None
    encoding, parsed, error = decode_and_parse(body, fetched.content_type, source.parser)
    if error is not None:
        error = f"{source.url}: {error}"

    with store.transaction(conn):
        snapshot_id = None
        if stored is not None:
            snapshot_id = store.insert_snapshot(
                conn, run_id=run_id, source=source.name, url=source.url, fetched_at=fetched.fetched_at,
                http_status=fetched.status, etag=fetched.etag, last_modified=fetched.last_modified,
                sha256=stored.sha256, size=stored.size, path=stored.path, encoding=encoding,
            )
        if error is not None or parsed is None:
            failures = store.record_failure(conn, source.name, run_id, error or "no content", fetched.fetched_at)
            log.error("%s: %s", source.name, error)
            return SourceResult(source.name, "failed", message=error or "no content", snapshot_id=snapshot_id,
                                http_status=fetched.status, consecutive_failures=failures)
        changes = apply_parsed(conn, source, parsed, run_id)
        store.insert_changes(conn, run_id, source.name, snapshot_id, changes, fetched.fetched_at)
        store.record_success(conn, source.name, run_id, snapshot_id, fetched.fetched_at)
    warnings = parsed.warnings if isinstance(parsed, ModelProjectsPage) else []
    for w in warnings:
        log.warning("%s: %s", source.name, w)
    return SourceResult(source.name, "fetched", changes=changes, snapshot_id=snapshot_id,
                        http_status=fetched.status, warnings=warnings)


def apply_parsed(conn: sqlite3.Connection, source: Source, parsed: ModelProjectsPage | TextPage,
                 run_id: int) -> list[Change]:
    """Load the stored state, compare ``parsed`` with it, write what changed; return the changes."""
    if isinstance(parsed, ModelProjectsPage):
        comparison = compare_model_projects(store.load_model_projects(conn), parsed)
        if comparison.changes:
            store.write_model_projects(conn, comparison, run_id)
        return comparison.changes
    changes = compare_text(source.name, store.load_page_text(conn, source.name), parsed.text)
    if changes:
        store.save_page(conn, source.name, source.url, parsed.title, parsed.text, run_id)
    return changes


def _fail(conn: sqlite3.Connection, source: Source, run_id: int, message: str) -> SourceResult:
    log.error("%s: %s", source.name, message)
    with store.transaction(conn):
        failures = store.record_failure(conn, source.name, run_id, message, store.utcnow())
    return SourceResult(source.name, "failed", message=message, consecutive_failures=failures)
