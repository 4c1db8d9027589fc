"""A fetched body: store it, parse it, compare it with the stored state and write what changed.

:mod:`pipeline.cycle` hands a body here when a page answered with one (a 304 never comes here),
and :mod:`pipeline.rebuild` replays stored bodies through :func:`apply_parsed`. This module, with
the parsers, the comparison and the stored state it loads, is what an unchanged run never imports.
"""

from __future__ import annotations

import logging
import sqlite3

from db import announcements, runs, store
from db.connection import transaction
from db.snapshots import SnapshotStore
from scraper.compare import Change, compare_model_projects, compare_text
from scraper.errors import public_url
from scraper.fetch import FetchResult
from scraper.model import FeedPage, ModelProjectsPage, TextPage
from scraper.parsers import decode_and_parse

from .config import Source
from .guard import RemovalsRefused, refused_removals
from .results import SourceResult

log = logging.getLogger(__name__)


def process_body(conn: sqlite3.Connection, snapshots: SnapshotStore, source: Source, run_id: int,
                 fetched: FetchResult, accept_removals: bool = False) -> SourceResult:
    """Store a fetched body, parse it and record what changed, in one transaction."""
    url = public_url(source.url)
    body = fetched.body or b""
    stored = snapshots.put(body) if body else None
    encoding, parsed, error = decode_and_parse(body, fetched.content_type, source.parser, parser_options(source))
    if error is not None:
        error = f"{url}: {error}"

    with transaction(conn):
        snapshot_id = None
        if stored is not None:
            snapshot_id = runs.insert_snapshot(
                conn, run_id=run_id, source=source.name, url=url, fetched_at=fetched.fetched_at,
                http_status=fetched.status, etag=fetched.etag, last_modified=fetched.last_modified,
                sha256=stored.sha256, size=stored.size, path=stored.path, encoding=encoding,
                **({"content_type": fetched.content_type} if source.parser == "feed" else {}),
            )
        if error is None and parsed is not None:
            try:
                changes, accepted = apply_parsed(conn, source, parsed, run_id, accept_removals)
            except RemovalsRefused as e:  # the snapshot row stays: its body is kept, its page is not applied
                error = f"{url}: {e}"
        if error is not None or parsed is None:
            failures = runs.record_failure(conn, source.name, run_id, error or "no content", fetched.fetched_at)
            log.error("%s: %s", source.name, error)
            return SourceResult(source.name, "failed", message=error or "no content", snapshot_id=snapshot_id,
                                http_status=fetched.status, consecutive_failures=failures)
        store.insert_changes(conn, run_id, source.name, snapshot_id, changes, fetched.fetched_at)
        runs.record_success(conn, source.name, run_id, snapshot_id, fetched.fetched_at)
    warnings = parsed.warnings if isinstance(parsed, ModelProjectsPage) else []
    for w in warnings:
        log.warning("%s: %s", source.name, w)
    if accepted:
        log.warning("%s: stored as confirmed with --accept-removals: %s", source.name, accepted)
    return SourceResult(source.name, "fetched", changes=changes, snapshot_id=snapshot_id,
                        http_status=fetched.status, warnings=warnings, accepted_removals=accepted)


def parser_options(source: Source) -> dict[str, object]:
    """What a bytes parser is given besides the body (:data:`scraper.parsers.BYTES_PARSERS`)."""
    return {"keywords": source.keywords} if source.parser == "feed" else {}


def apply_parsed(conn: sqlite3.Connection, source: Source, parsed: ModelProjectsPage | TextPage | FeedPage,
                 run_id: int, accept_removals: bool = False) -> tuple[list[Change], str | None]:
    """Load the stored state, compare ``parsed`` with it, write what changed.

    Returns the changes and, for a page the mass-removal guard refuses but ``accept_removals``
    lets through, the guard's reason. Raises :class:`RemovalsRefused` (writing nothing) otherwise.
    """
    if isinstance(parsed, ModelProjectsPage):
        stored = store.load_model_projects(conn)
        reason = refused_removals(stored, parsed)
        if reason and not accept_removals:
            raise RemovalsRefused(reason)
        comparison = compare_model_projects(stored, parsed)
        if comparison.changes:
            store.write_model_projects(conn, comparison, run_id)
        return comparison.changes, reason
    if isinstance(parsed, FeedPage):
        # Only items that match a keyword are kept; an item the feed no longer lists is not a removal.
        known = announcements.known_keys(conn, source.name)
        changes = []
        for item in parsed.items:
            if item.matched and item.item_key not in known:
                known.add(item.item_key)
                announcements.insert(conn, source.name, item, run_id)
                changes.append(Change("announcement_added", item.fiscal_year, item.title, item.link, None,
                                      item.published_utc or item.published))
        return changes, None
    changes = compare_text(source.name, store.load_page_text(conn, source.name), parsed.text)
    if changes:
        store.save_page(conn, source.name, public_url(source.url), parsed.title, parsed.text, run_id)
    return changes, None
