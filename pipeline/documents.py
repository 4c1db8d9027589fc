"""Linked documents: after a page's source succeeded, fetch the documents it links to, record
their changes and cross-check each year's adoption list against the page.

A run fetches (:func:`fetch_documents`) and then records (:func:`record_documents`, in one
transaction); a rebuild records the same outcomes, rebuilt from the stored document snapshots
and the run's summary (:func:`pipeline.rebuild`), through the same function.

What a document's fetch gives (:class:`DocumentFetch`):

- ``fetched``: a new body (stored in the snapshot store, a ``snapshots`` row with ``role = 'document'``);
- ``unchanged``: a 304, or a 200 whose bytes hash as the stored body's (no row, no file);
- ``failed``: the fetch failed (``too_large`` over ``[documents] max_bytes``, else ``failed``);
- ``not_fetched``: the link is on a host outside ``http.allowed_hosts``: recorded, never requested.

Problems are the document's own: they are stored in ``documents.text_status``/``error``, listed
in the run summary (``document_errors``) and shown by ``kankei status``; they never fail the page's
source or touch its adoptions.
"""

from __future__ import annotations

import difflib
import logging
import sqlite3
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from db import documents as db_documents
from db import runs, store
from scraper.compare import Change
from scraper.errors import BodyTooLarge, KankeiError, printable, public_url
from scraper.model import DocumentLink
from scraper.normalize import compare_key

log = logging.getLogger(__name__)


@dataclass
class DocumentFetch:
    """What fetching one linked document gave (see the module docstring)."""

    outcome: str  # 'fetched', 'unchanged', 'failed' or 'not_fetched'
    snapshot_id: int | None = None  # 'fetched': its snapshots row
    body: bytes | None = None  # 'fetched'
    sha256: str | None = None
    content_type: str | None = None
    text_status: str | None = None  # 'failed' and 'not_fetched': too_large, failed or not_fetched
    error: str | None = None  # one line
    row: dict[str, object] | None = None  # 'fetched', in a run: the snapshots row to insert


@dataclass
class DocumentsOutcome:
    """What the documents step of one source did in a run."""

    changes: list[Change] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)  # url -> [text_status, message], for the summary


def stored_links(conn: sqlite3.Connection, source: str) -> list[DocumentLink]:
    """The links a page had when it was last stored (for a page that answered 304)."""
    return [DocumentLink(d.url, d.link_text or "", d.size_note, d.fiscal_year)
            for d in db_documents.load(conn, source).values() if not d.removed]


def page_links(body: bytes, encoding: str | None, page_url: str, extensions: list[str]) -> list[DocumentLink]:
    """The document links of a stored page body, decoded with its recorded encoding."""
    from scraper.decode import decode_html
    from scraper.documents import find_documents

    text, _ = decode_html(body, f"text/html; charset={encoding}" if encoding else None)
    return find_documents(text, page_url, extensions)


def limit_links(links: list[DocumentLink], max_per_source: int, source: str) -> tuple[list[DocumentLink], list[str]]:
    """The first ``max_per_source`` links, and a warning when there were more."""
    if len(links) <= max_per_source:
        return links, []
    return links[:max_per_source], [f"{len(links)} document links, only the first {max_per_source} followed "
                                    f"([documents] max_per_source)"]


def fetch_documents(conn: sqlite3.Connection, snapshots, fetcher, source: str, links: list[DocumentLink],
                    allowed_hosts: list[str], max_bytes: int) -> dict[str, DocumentFetch]:
    """Fetch every link (conditional GET against its stored body), writing new bodies to the snapshot
    store; the rows are written by :func:`insert_fetched`. Never raises for a document."""
    allowed = {h.lower() for h in allowed_hosts}
    stored = db_documents.load(conn, source)
    fetches: dict[str, DocumentFetch] = {}
    for link in links:
        host = (urlsplit(link.url).hostname or "").lower()
        if host not in allowed:
            fetches[link.url] = DocumentFetch("not_fetched", text_status="not_fetched",
                                              error=f"host {host} is not in http.allowed_hosts: recorded, not fetched")
            continue
        old = stored.get(link.url)
        etag, last_modified = db_documents.validators(conn, old.snapshot_id if old else None)
        try:
            fetched = fetcher.fetch(link.url, etag=etag, last_modified=last_modified, accept=None, max_bytes=max_bytes)
            if fetched.status == 304 and old is not None and old.snapshot_id is not None:
                fetches[link.url] = DocumentFetch("unchanged")
                continue
            body = fetched.body or b""
            if not body:
                problem = "304 Not Modified but no body is stored" if fetched.status == 304 else "empty body"
                raise KankeiError(f"{public_url(link.url)}: {problem}")
            put = snapshots.put(body)
        except BodyTooLarge as e:
            fetches[link.url] = DocumentFetch("failed", text_status="too_large", error=printable(str(e)))
            continue
        except (KankeiError, OSError) as e:
            fetches[link.url] = DocumentFetch("failed", text_status="failed", error=printable(str(e)))
            continue
        if old is not None and old.sha256 == put.sha256 and old.snapshot_id is not None:
            fetches[link.url] = DocumentFetch("unchanged")  # served again without validators: compared by hash
            continue
        fetches[link.url] = DocumentFetch(
            "fetched", body=body, sha256=put.sha256, content_type=fetched.content_type,
            row={"fetched_at": fetched.fetched_at, "http_status": fetched.status, "etag": fetched.etag,
                 "last_modified": fetched.last_modified, "sha256": put.sha256, "size": put.size, "path": put.path})
    return fetches


def insert_fetched(conn: sqlite3.Connection, fetches: dict[str, DocumentFetch], source: str, run_id: int) -> None:
    """The ``snapshots`` rows of the fetched bodies (inside the caller's transaction)."""
    for url, f in fetches.items():
        if f.outcome == "fetched":
            f.snapshot_id = runs.insert_snapshot(conn, run_id=run_id, source=source, url=url, role="document",
                                                  content_type=f.content_type, **(f.row or {}))


def record_documents(conn: sqlite3.Connection, source: str, links: list[DocumentLink],
                     fetches: dict[str, DocumentFetch], run_id: int, max_bytes: int, *, page_changed: bool,
                     detected_at: str, page_snapshot_id: int | None) -> list[Change]:
    """Compare the links and what their fetches gave with the stored documents; write what changed,
    then cross-check the adoption lists when the page or a document changed. Returns the changes
    (already inserted). A run and a rebuild both call this, inside their transaction.

    Each change names the snapshot it came from: the document's new body, the list document's body
    for a discrepancy, else the page's body (``page_snapshot_id``: the body a 304 confirmed)."""
    changes: list[tuple[Change, int | None]] = []
    stored = db_documents.load(conn, source)
    seen = set()
    for link in links:
        seen.add(link.url)
        change = _record_one(conn, source, link, stored.get(link.url), fetches.get(link.url), run_id, max_bytes)
        if change is not None:
            changes.append((change[0], change[1] or page_snapshot_id))
    for url, old in stored.items():
        if url not in seen and not old.removed:
            db_documents.update(conn, old.id, {"removed": 1, "last_changed_run": run_id})
            db_documents.record_version(conn, old.id, run_id)
            changes.append((Change("document_removed", old.fiscal_year, old.link_text or url, url, old.text_status,
                                   None), page_snapshot_id))
    if page_changed or changes:
        bodies = dict(conn.execute("SELECT url, snapshot_id FROM documents").fetchall())
        changes += [(c, bodies.get(c.field) or page_snapshot_id) for c in update_discrepancies(conn, run_id)]
    for change, snapshot_id in changes:
        store.insert_changes(conn, run_id, source, snapshot_id, [change], detected_at)
    return [c for c, _ in changes]


def _record_one(conn: sqlite3.Connection, source: str, link: DocumentLink, old: db_documents.StoredDocument | None,
                fetch: DocumentFetch | None, run_id: int, max_bytes: int) -> tuple[Change, int | None] | None:
    if fetch is None and old is None:  # never fetched (a rebuilt run from before documents were followed)
        return None
    meta = {"link_text": link.link_text, "size_note": link.size_note, "fiscal_year": link.fiscal_year}
    content: dict[str, object] = {}
    if fetch is None or fetch.outcome == "unchanged":
        content = {"error": None} if old is not None and old.snapshot_id is not None else {}
    elif fetch.outcome == "fetched":
        from scraper.documents import extract_text

        read = extract_text(fetch.body or b"", fetch.content_type, link.url, max_bytes)
        content = {"content_type": fetch.content_type, "sha256": fetch.sha256, "snapshot_id": fetch.snapshot_id,
                   "pages": read.pages, "text_status": read.text_status, "text": read.text,
                   "error": printable(read.detail) if read.detail else None}
    else:  # failed or not fetched: what was stored stays; a document never read takes the status
        content = {"error": fetch.error}
        if old is None or old.snapshot_id is None:
            content["text_status"] = fetch.text_status
    name = link.link_text or link.url
    if old is None or old.removed:
        # a document linked again keeps what was stored of it unless it was fetched anew
        row = {"source": source, "url": link.url, **meta, "text_status": old.text_status if old else "not_fetched",
               **content}
        if old is None:
            document_id = db_documents.insert(conn, row, run_id)
        else:
            document_id = old.id
            db_documents.update(conn, old.id, {**row, "removed": 0, "last_changed_run": run_id})
        db_documents.record_version(conn, document_id, run_id)
        status = row["text_status"]
        return Change("document_added", link.fiscal_year, name, link.url, None, str(status)), fetch and fetch.snapshot_id
    change = None
    if fetch is not None and fetch.outcome == "fetched":
        new_text = content["text"]
        if old.text is not None and new_text is not None and compare_key(old.text) == compare_key(new_text):
            del content["text"]  # a change of form only: the stored wording stays, nothing is recorded
        elif old.text is not None or new_text is not None:
            change = Change("document_changed", link.fiscal_year, name, link.url, None,
                            text_diff(old.text, new_text))  # type: ignore[arg-type]
        elif old.sha256 != fetch.sha256:
            change = Change("document_changed", link.fiscal_year, name, link.url, None,
                            f"binary changed, {len(fetch.body or b'')} bytes")
    db_documents.update(conn, old.id, {**meta, **content, **({"last_changed_run": run_id} if change else {})})
    if change is None:
        return None
    db_documents.record_version(conn, old.id, run_id)
    return change, fetch.snapshot_id if fetch else None


def text_diff(old: str | None, new: str | None) -> str:
    """A unified diff of two document texts, line by line (pages are separated by form feeds)."""
    def lines(text: str | None) -> list[str]:
        return [line for line in (text or "").replace("\f", "\n").splitlines() if line.strip()]
    return "\n".join(difflib.unified_diff(lines(old), lines(new), "before", "after", n=1, lineterm=""))


# --- the cross-check ----------------------------------------------------------------------


def update_discrepancies(conn: sqlite3.Connection, run_id: int) -> list[Change]:
    """Cross-check every readable adoption list against its year on the page; open what is new,
    resolve what is gone. A discrepancy of a document that can no longer be read stays open; one of
    a removed document, or of a document that is no longer a list of a year on the page, is resolved."""
    from .crosscheck import discrepancies, is_adoption_list

    years = {y.fiscal_year: y for y in store.load_model_projects(conn).years}
    found = {}
    readable = db_documents.readable(conn)
    for doc in readable:
        fiscal_year = is_adoption_list(doc.link_text, doc.fiscal_year, doc.text.split("\f")[0])
        if fiscal_year is None or fiscal_year not in years:
            continue
        for d in discrepancies(years[fiscal_year].adoptions, doc.text):
            found.setdefault((doc.id, fiscal_year, d.prefecture, d.municipality, d.kind), (doc, d))
    judged = {doc.id for doc in readable}
    gone = {r[0] for r in conn.execute("SELECT id FROM documents WHERE removed = 1")}
    urls = dict(conn.execute("SELECT id, url FROM documents").fetchall())
    changes = []
    existing = db_documents.open_discrepancies(conn)
    for key, row in existing.items():
        if key not in found and (row["document_id"] in judged or row["document_id"] in gone):
            db_documents.resolve_discrepancy(conn, row["id"], run_id)
            changes.append(Change("discrepancy_resolved", row["fiscal_year"], row["name"], urls[row["document_id"]],
                                  row["kind"], None))
    for key, (doc, d) in found.items():
        if key not in existing:
            db_documents.add_discrepancy(conn, doc.id, key[1], d, run_id)
            changes.append(Change("discrepancy_found", key[1], d.name, doc.url, None, d.kind))
    return changes
