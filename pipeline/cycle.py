"""One cycle: fetch every configured source, snapshot, parse, store, detect changes.

This module fetches and keeps the run's books (:mod:`db.runs`); a page that answers 304 ends
here. A body is handed to :mod:`pipeline.apply` and documents to :mod:`pipeline.documents`, each
imported when there is one, so that an unchanged run loads neither.

Each source is handled in its own transaction: a source that fails (fetch, decode,
parse, validation, or an error of the disk or the database) records its failure
where it still can and leaves every stored adoption in place, and the run goes on
with the next source.
"""

from __future__ import annotations

import logging
import sqlite3
from urllib.parse import urlsplit

from db import announcements, runs, schema
from db.connection import transaction
from db.snapshots import SnapshotStore
from scraper.errors import KankeiError, printable, public_url
from scraper.fetch import FEED_TYPES, PAGE_TYPES, Fetcher

from .config import Config, Source
from .results import RunResult, SourceResult

log = logging.getLogger(__name__)

def make_fetcher(config: Config) -> Fetcher:
    h = config.http
    return Fetcher(
        user_agent=h.user_agent,
        timeout=h.timeout,
        retries=h.retries,
        backoff_base=h.backoff,
        min_interval=h.min_interval,
        max_bytes=h.max_bytes,
        allowed_hosts=h.allowed_hosts,
        respect_robots=h.respect_robots,
    )


def run_cycle(config: Config, fetcher: Fetcher | None = None, *, accept_removals: bool = False) -> RunResult:
    """Run every source once and record the run. Never raises for a source's failure.

    ``accept_removals``: store pages the mass-removal guard (:mod:`pipeline.guard`) would refuse.
    """
    conn = schema.connect(config.database)
    snapshots = SnapshotStore(config.snapshots)
    own_fetcher = fetcher is None
    fetcher = fetcher or make_fetcher(config)
    try:
        for interrupted in runs.close_interrupted(conn):  # callers hold the run lock (pipeline/lock.py)
            log.warning("run %d was interrupted before it finished; marked failed", interrupted)
        run_id = runs.start_run(conn)
        results = []
        for source in config.sources:
            before = runs.consecutive_failures(conn, source.name)
            try:
                results.append(run_source(conn, snapshots, fetcher, source, run_id, accept_removals, config=config))
                if source.parser == "feed" and source.follow and results[-1].status != "failed":
                    results += follow_feed(conn, snapshots, fetcher, source, run_id, config)
            except (sqlite3.Error, OSError) as e:  # the disk or the database: this source fails, the run goes on
                results.append(_fail(conn, source, run_id, storage_error(config, e)))
            except Exception as e:  # a bug met on a hostile page: this source fails, the run goes on
                log.debug("%s: unexpected error", source.name, exc_info=True)
                results.append(_fail(conn, source, run_id,
                                     f"{public_url(source.url)}: unexpected {type(e).__name__}: {e}"))
            results[-1].previous_failures = before
        result = RunResult(run_id, results)
        runs.finish_run(conn, run_id, "ok" if result.ok else "failed", result.summary())
        return result
    finally:
        if own_fetcher:
            fetcher.close()
        conn.close()


def follow_feed(conn: sqlite3.Connection, snapshots: SnapshotStore, fetcher: Fetcher, source: Source, run_id: int,
                config: Config) -> list[SourceResult]:
    """A feed with ``follow``: each announcement's page, tracked as a text page with its documents, as
    source ``<feed>:<announcement id>``. Pages on hosts outside ``http.allowed_hosts`` are not requested."""
    results = []
    allowed = {h.lower() for h in config.http.allowed_hosts}
    for announcement_id, link in announcements.followed(conn, source.name):
        if (urlsplit(link).hostname or "").lower() not in allowed:
            continue
        page = Source(name=f"{source.name}:{announcement_id}", url=link, parser="text", documents=True)
        before = runs.consecutive_failures(conn, page.name)
        try:
            results.append(run_source(conn, snapshots, fetcher, page, run_id, config=config))
        except (sqlite3.Error, OSError) as e:
            results.append(_fail(conn, page, run_id, storage_error(config, e)))
        except Exception as e:  # a bug met on a hostile page: this page fails, the run goes on
            log.debug("%s: unexpected error", page.name, exc_info=True)
            results.append(_fail(conn, page, run_id, f"{public_url(link)}: unexpected {type(e).__name__}: {e}"))
        results[-1].previous_failures = before
    return results


def storage_error(config: Config, e: sqlite3.Error | OSError) -> str:
    """One line naming the file and the cause of a database or file-system error."""
    if isinstance(e, sqlite3.Error):
        return f"cannot write the database {config.database}: {e}"
    where = e.filename or "a file"
    return f"cannot write {where}: {e.strerror or e}"


def run_source(conn: sqlite3.Connection, snapshots: SnapshotStore, fetcher: Fetcher, source: Source,
               run_id: int, accept_removals: bool = False, *, config: Config | None = None) -> SourceResult:
    """Fetch, store and compare one source; its errors (KankeiError) fail it with a one-line message.

    With ``config`` and a source that follows documents, its linked documents are then fetched and
    recorded (:func:`follow_documents`), unless the page failed or answered 304 with no document
    stored for it.
    """
    result = _run_page(conn, snapshots, fetcher, source, run_id, accept_removals)
    if (config is not None and source.follows_documents and result.status != "failed"
            and (result.http_status != 304 or runs.links_documents(conn, source.name))):
        follow_documents(conn, snapshots, fetcher, source, run_id, result, config)
    return result


def follow_documents(conn: sqlite3.Connection, snapshots: SnapshotStore, fetcher: Fetcher, source: Source,
                     run_id: int, result: SourceResult, config: Config) -> None:
    """The documents step of a source whose page succeeded: links from the page just stored (or, on a
    304, the stored links), fetched, recorded in one transaction. A problem here is a warning on the
    source's result and never its failure; nothing of it is written then."""
    from . import documents  # the documents' pipeline loads when there are documents to follow
    page = runs.snapshot(conn, result.snapshot_id)
    try:
        if result.http_status == 304:
            links = documents.stored_links(conn, source.name)
        else:
            links = documents.page_links(snapshots.read(page["path"], page["sha256"]), page["encoding"], page["url"],
                                         config.documents.extensions)
        links, warnings = documents.limit_links(links, config.documents.max_per_source, source.name)
        fetches = documents.fetch_documents(conn, snapshots, fetcher, source.name, links, config.http.allowed_hosts,
                                            config.documents.max_bytes)
        with transaction(conn):
            documents.insert_fetched(conn, fetches, source.name, run_id)
            changes = documents.record_documents(conn, source.name, links, fetches, run_id,
                                                 config.documents.max_bytes, page_changed=bool(result.changes),
                                                 detected_at=page["fetched_at"],
                                                 page_snapshot_id=page["same_as"] or page["id"])
    except Exception as e:  # never the page's failure
        log.debug("%s: documents step failed", source.name, exc_info=True)
        warnings = [f"documents not followed this run: {type(e).__name__}: {printable(str(e))}"]
        fetches, changes = {}, []
    for w in warnings:
        log.warning("%s: %s", source.name, w)
    result.warnings += warnings
    result.changes += changes
    result.document_errors = {url: [f.text_status or "failed", f.error or ""] for url, f in fetches.items()
                              if f.outcome in ("failed", "not_fetched")}
    for url, (status, error) in result.document_errors.items():
        if status != "not_fetched":
            log.warning("%s: document %s: %s", source.name, public_url(url), error)


def _run_page(conn: sqlite3.Connection, snapshots: SnapshotStore, fetcher: Fetcher, source: Source,
              run_id: int, accept_removals: bool = False) -> SourceResult:
    """The page itself: fetch, store, compare."""
    previous = runs.last_good_snapshot(conn, source.name)
    url = public_url(source.url)  # what is stored and shown: never a user name or password
    try:
        fetched = fetcher.fetch(
            source.url,
            etag=previous["etag"] if previous else None,
            last_modified=previous["last_modified"] if previous else None,
            accept=FEED_TYPES if source.parser == "feed" else PAGE_TYPES,
        )
    except KankeiError as e:
        return _fail(conn, source, run_id, str(e))

    if fetched.status == 304:
        if previous is None:
            return _fail(conn, source, run_id, f"{url}: 304 Not Modified but no snapshot is stored")
        with transaction(conn):
            # A compact row pointing at the body it confirms, repeating none of it; the state still
            # reflects that body, whose ETag and Last-Modified the next conditional GET sends again.
            snapshot_id = runs.insert_snapshot(
                conn, run_id=run_id, source=source.name, url=url if url != previous["url"] else None,
                fetched_at=fetched.fetched_at, http_status=304, same_as=previous["id"],
                etag=fetched.etag if fetched.etag != previous["etag"] else None,
                last_modified=fetched.last_modified if fetched.last_modified != previous["last_modified"] else None,
            )
            runs.record_success(conn, source.name, run_id, previous["id"], fetched.fetched_at)
        return SourceResult(source.name, "unchanged", message="304 Not Modified", snapshot_id=snapshot_id,
                            http_status=304)

    from .apply import process_body  # a body: the parsers, the comparison and the stored state load here

    try:
        result = process_body(conn, snapshots, source, run_id, fetched, accept_removals)
    except KankeiError as e:  # e.g. the snapshot store cannot be written
        return _fail(conn, source, run_id, str(e))
    result.initial = previous is None and result.status == "fetched"
    return result


def _fail(conn: sqlite3.Connection, source: Source, run_id: int, message: str) -> SourceResult:
    """Record a source's failure (logged only when even that cannot be written: the disk may be full)."""
    message = printable(message)
    log.error("%s: %s", source.name, message)
    failures = _failures_after(conn, source.name)
    try:
        with transaction(conn):
            failures = runs.record_failure(conn, source.name, run_id, message, runs.utcnow())
    except sqlite3.Error as e:
        log.error("%s: the failure could not be recorded: %s", source.name, e)
    return SourceResult(source.name, "failed", message=message, consecutive_failures=failures)


def _failures_after(conn: sqlite3.Connection, source: str) -> int:
    """The failure count the source will have after this failure, as far as it can be read."""
    try:
        return runs.consecutive_failures(conn, source) + 1
    except sqlite3.Error:
        return 1
