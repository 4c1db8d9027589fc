"""``kankei serve``: Datasette on the live database, with metadata and canned queries.

The database is served mutable (read-only connections, ``mode=ro``), never
``immutable``: ``kankei run`` may write while Datasette reads. The database is in WAL
mode, so readers see the last committed state and never block the writer, and the
writer never blocks readers.

Search: the adoptions table's search box (``?_search=``) uses the trigram FTS index
(:mod:`db.search`) and needs three or more characters; the ``search`` canned query
works for any length (関係人口, 農業, 市).
"""

from __future__ import annotations

import copy
import ipaddress
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from db import schema
from db import search as db_search

PORTAL_URL = "https://www.soumu.go.jp/kankeijinkou/"
DEFAULT_SOURCE_URL = "https://www.soumu.go.jp/kankeijinkou/discription/index.html"
LICENSE = "Government of Japan Standard Terms of Use (Version 2.0), compatible with CC BY 4.0"
LICENSE_URL = "https://www.soumu.go.jp/menu_kyotsuu/policy/tyosaku.html"

COLUMNS: dict[str, dict[str, str]] = {
    "meta": {
        "key": "Setting name: schema_version, database_id (random UUID identifying this database in reports and feeds), …",
        "value": "Setting value",
    },
    "runs": {
        "id": "Run number, increasing",
        "started_at": "When the run started (UTC, ISO 8601)",
        "finished_at": "When the run finished (UTC); empty while running or if it was interrupted",
        "status": "ok: every source succeeded; failed: at least one source failed; running",
        "summary": ("JSON: per source, its status (fetched, unchanged, failed), alone when there is nothing more "
                    "to say, else {status, changes (counts by kind), error}"),
    },
    "snapshots": {
        "id": "Snapshot number",
        "run_id": "The run that fetched it",
        "source": "Configured source name, e.g. model-projects",
        "url": "The page fetched; on a 304 row only when it differs from the confirmed body's",
        "fetched_at": "When it was fetched (UTC)",
        "http_status": "200, or 304 when the server said the page is unchanged (the stored body is reused)",
        "same_as": "For a 304: the snapshot whose body it confirms (its other columns are then empty)",
        "etag": ("ETag header, sent back as If-None-Match next time; on a 304 row only when it differs "
                 "from the confirmed body's"),
        "last_modified": ("Last-Modified header, sent back as If-Modified-Since next time; on a 304 row only "
                          "when it differs from the confirmed body's"),
        "sha256": "SHA-256 of the raw body (as served, before decoding); empty for a 304",
        "size": "Body size in bytes (uncompressed); empty for a 304",
        "path": "The gzip file of the raw body, relative to the snapshot folder; empty for a 304",
        "encoding": "Character encoding the body was decoded with (e.g. cp932 for Shift_JIS); empty for a 304",
    },
    "fiscal_years": {
        "fiscal_year": "Gregorian year the fiscal year starts in (令和2年度 → 2020)",
        "label": "The year as the page writes it, e.g. 令和2年度",
        "stated_total": "The total the page states (全N団体)",
        "parsed_total": "The number of bodies parsed from the page for this year",
    },
    "adoptions": {
        "id": "Row id",
        "fiscal_year": "Fiscal year of adoption (Gregorian start year)",
        "name": "The adopted body as the page writes it, e.g. 石狩市 or 島根県邑南町",
        "prefecture": "Prefecture (都道府県)",
        "municipality": "Municipality (市区町村); empty for a prefecture-led project",
        "lg_code": "Local government code (全国地方公共団体コード, 6 digits with check digit)",
        "category": "Project type as written, e.g. 関係深化型(ゆかり型); empty in years listed as a table",
        "summary": "Project summary (事業概要)",
        "first_seen_run": "The run that first recorded this adoption",
        "last_changed_run": "The run that last changed it",
    },
    "partners": {
        "adoption_id": "The adoption this body partners",
        "name": "Partner body as written, e.g. 須崎市",
        "prefecture": "Partner's prefecture",
        "municipality": "Partner's municipality; empty for a prefecture",
        "lg_code": "Partner's local government code",
    },
    "categories": {
        "name": "Project type (類型) as the page writes it",
        "definition": "The page's definition of the type",
    },
    "changes": {
        "id": "Change number, increasing",
        "run_id": "The run that detected it",
        "detected_at": "When it was detected (UTC; the fetch time)",
        "kind": ("year_added, year_removed, adoption_added, adoption_removed, adoption_changed, total_changed, "
                 "category_changed or text_changed"),
        "fiscal_year": "Fiscal year concerned (empty for categories and page text)",
        "name": "Body name; for year and total changes the year label; for categories the type; for page text the source",
        "field": "For adoption_changed: name, lg_code, category, summary or partners; stated_total, definition, text",
        "old_value": "Value before (for adoption_removed a description: place / category / 連携: partners, then the summary)",
        "new_value": ("Value after (for adoption_added a description; for year_added the stated total; "
                      "for text_changed a unified diff)"),
        "source": "Configured source name",
        "snapshot_id": "The snapshot the change was detected in",
    },
    "pages": {
        "source": "Configured source name (parser text)",
        "url": "Page URL",
        "title": "Page title",
        "text": "The page's main text",
        "updated_run": "The run that last changed the text",
    },
    "source_state": {
        "source": "Configured source name",
        "last_run": "The last run that tried this source",
        "last_success_run": "The last run in which it succeeded",
        "last_success_at": "When it last succeeded (UTC)",
        "last_snapshot_id": "The snapshot whose body the stored state reflects (never a 304 row)",
        "consecutive_failures": "Failures since the last success",
        "last_error": "The last error message",
        "last_error_at": "When the last error happened (UTC)",
    },
    "notifications": {
        "id": "Notification id",
        "created_at": "When it was queued (UTC)",
        "run_id": "The run it reports on",
        "kind": "changes (a change report), failure (a source reached failure_threshold) or recovery",
        "source": "The source a failure or recovery is about",
        "target": "SHA-256 of the apprise URL it goes to (never the URL: URLs can hold tokens)",
        "title": "Message title",
        "body": "Message body (Markdown)",
        "attempts": "Delivery attempts so far",
        "sent_at": "When it was delivered (UTC); NULL while pending",
        "last_error": "Why the last attempt failed",
    },
}

TABLES: dict[str, dict[str, Any]] = {
    "runs": {"description": "One row per `kankei run` (scheduled or manual).", "sort_desc": "id",
             "facets": ["status"], "label_column": "started_at"},
    "snapshots": {"description": ("Every fetch that got a response: the raw page is kept gzip-compressed, "
                                  "content-addressed by SHA-256; a 304 points at the body it confirms (same_as)."),
                  "sort_desc": "id", "facets": ["source", "http_status"]},
    "fiscal_years": {"description": "The fiscal years on the page with their stated totals.", "sort_desc": "fiscal_year",
                     "label_column": "label"},
    "adoptions": {"description": ("Adopted bodies (モデル事業採択団体), one row per body and fiscal year: the current "
                                  "state of the page. The search box needs 3+ characters; for 1–2 character terms "
                                  "(農業) use the search query."),
                  "sort_desc": "fiscal_year", "facets": ["fiscal_year", "prefecture", "category"],
                  "label_column": "name"},
    "partners": {"description": "Bodies an adopted body works with (連携団体).", "facets": ["prefecture"]},
    "categories": {"description": "Project types (類型) and their definitions."},
    "changes": {"description": ("Every change detected, run by run. The first run of the database records the "
                                "initial load (everything added)."),
                "sort_desc": "id", "facets": ["kind", "fiscal_year", "run_id"]},
    "pages": {"description": "Main text of pages tracked with the text parser."},
    "source_state": {"description": "Per source: last success, failures in a row, last error."},
    "notifications": {"description": "Change reports and alerts sent through apprise, with delivery attempts.",
                      "sort_desc": "id", "facets": ["kind"]},
    "meta": {"description": "Database settings: schema version and database id."},
}

_VERSION_COLUMNS = {
    "removed": "1: the entity had been removed from the page (the row keeps its last content); 0: listed",
    "valid_from_run": "The run that stored this state (inclusive)",
    "valid_to_run": "The run that replaced it (exclusive); empty while current",
}

# The version tables and views of db/versions.py.
COLUMNS.update({
    "adoption_versions": {
        "id": "Version number",
        **{k: COLUMNS["adoptions"][k] for k in ("fiscal_year", "prefecture", "municipality", "name", "lg_code",
                                                  "category", "summary")},
        "partners": "Partner bodies as written, joined with 、",
        **_VERSION_COLUMNS,
    },
    "fiscal_year_versions": {
        "id": "Version number",
        **{k: COLUMNS["fiscal_years"][k] for k in ("fiscal_year", "label", "stated_total")},
        **_VERSION_COLUMNS,
    },
    "category_versions": {
        "id": "Version number",
        **COLUMNS["categories"],
        **_VERSION_COLUMNS,
    },
    "current_adoptions": {
        **{k: COLUMNS["adoptions"][k] for k in ("fiscal_year", "name", "prefecture", "municipality", "lg_code",
                                                  "category", "summary", "first_seen_run", "last_changed_run")},
        "fiscal_year_label": COLUMNS["fiscal_years"]["label"],
        "partners": "Partner bodies as written, joined with 、",
        "adoption_id": "Row id in adoptions",
    },
    "changes_detail": {
        **{k: COLUMNS["changes"][k] for k in ("id", "run_id", "detected_at", "kind", "fiscal_year", "name", "field",
                                                "old_value", "new_value", "source", "snapshot_id")},
        "run_started_at": COLUMNS["runs"]["started_at"],
        "run_finished_at": COLUMNS["runs"]["finished_at"],
        "snapshot_url": "The page fetched (the snapshot is always a body, never a 304)",
        "snapshot_sha256": "SHA-256 of the snapshot's raw body",
        "snapshot_path": "The gzip file of the snapshot's raw body, relative to the snapshot folder",
        "snapshot_fetched_at": COLUMNS["snapshots"]["fetched_at"],
    },
})

TABLES.update({
    "adoption_versions": {"description": ("Every distinct stored state of every adoption, valid from one run until "
                                          "the run that replaced it; removals are versions with removed = 1."),
                          "sort_desc": "id", "facets": ["fiscal_year", "prefecture", "removed"]},
    "fiscal_year_versions": {"description": "Every distinct label and stated total of every fiscal year.",
                             "sort_desc": "id", "facets": ["fiscal_year", "removed"]},
    "category_versions": {"description": "Every distinct definition of every project type.", "sort_desc": "id"},
    "current_adoptions": {"description": "The current state, one row per adopted body, with its year's label "
                                         "and partners.",
                          "facets": ["fiscal_year", "prefecture", "category"]},
    "changes_detail": {"description": "Every change with its run's times and the snapshot it was detected in.",
                       "facets": ["kind", "fiscal_year"]},
})

QUERIES: dict[str, dict[str, Any]] = {
    "recent_changes": {
        "title": "Changes in the last N days",
        "description": "Every change detected in the last :days days (e.g. 30), newest first.",
        "sql": """SELECT c.id, c.run_id, c.detected_at, c.kind, c.fiscal_year, c.name, c.field,
       c.old_value, c.new_value, c.source
FROM changes c
WHERE c.detected_at >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now',
                                '-' || coalesce(abs(cast(nullif(trim(:days), '') AS INTEGER)), 30) || ' days')
ORDER BY c.id DESC""",
    },
    "multi_year_bodies": {
        "title": "Bodies adopted in more than one fiscal year",
        "description": "Places (prefecture + municipality) adopted in two or more fiscal years.",
        "sql": """SELECT a.prefecture, a.municipality, max(a.lg_code) AS lg_code,
       count(DISTINCT a.fiscal_year) AS years,
       (SELECT group_concat(fiscal_year, ', ') FROM (
            SELECT DISTINCT b.fiscal_year FROM adoptions b
            WHERE b.prefecture = a.prefecture AND b.municipality = a.municipality
            ORDER BY b.fiscal_year)) AS fiscal_years,
       group_concat(DISTINCT a.name) AS names
FROM adoptions a
GROUP BY a.prefecture, a.municipality
HAVING count(DISTINCT a.fiscal_year) > 1
ORDER BY years DESC, min(a.lg_code), a.prefecture, a.municipality""",
    },
    "adoptions_per_prefecture_year": {
        "title": "Adoptions per prefecture and fiscal year",
        "description": "How many bodies of each prefecture were adopted in each fiscal year.",
        "sql": """SELECT a.prefecture, a.fiscal_year, count(*) AS adoptions
FROM adoptions a
GROUP BY a.prefecture, a.fiscal_year
ORDER BY min(substr(a.lg_code, 1, 2)) IS NULL, min(substr(a.lg_code, 1, 2)), a.prefecture, a.fiscal_year""",
    },
    "body_history": {
        "title": "A body's full history",
        "description": ("Every change recorded for a body, by name (e.g. 石狩市; 邑南町 also finds "
                        "島根県邑南町), including renames, oldest first."),
        "sql": """SELECT c.id, c.run_id, r.started_at AS run_started_at, c.kind, c.fiscal_year, c.name, c.field,
       c.old_value, c.new_value, c.source
FROM changes c JOIN runs r ON r.id = c.run_id
WHERE c.kind IN ('adoption_added', 'adoption_removed', 'adoption_changed')
  AND (c.name = trim(:name)
       OR (c.field = 'name' AND trim(:name) IN (c.old_value, c.new_value))
       -- 邑南町 also finds 島根県邑南町 (and the other way round)
       OR (substr(c.name, -length(trim(:name))) = trim(:name)
           AND substr(c.name, length(c.name) - length(trim(:name)), 1) IN ('都', '道', '府', '県'))
       OR (substr(trim(:name), -length(c.name)) = c.name
           AND substr(trim(:name), length(trim(:name)) - length(c.name), 1) IN ('都', '道', '府', '県')))
ORDER BY c.id""",
    },
}


def database_name(database: Path | str) -> str:
    """The name Datasette gives the database (its file name without extension)."""
    return Path(database).stem


def build_metadata(database: Path | str, source_url: str | None = None, fts: bool = True) -> dict[str, Any]:
    """Datasette metadata for a kankei database: title, licence, columns, sorts, facets, queries."""
    url = source_url or DEFAULT_SOURCE_URL
    tables: dict[str, dict[str, Any]] = {}
    for name, table in TABLES.items():
        entry = copy.deepcopy(table)
        if name in COLUMNS:
            entry["columns"] = dict(COLUMNS[name])
        tables[name] = entry
    queries = copy.deepcopy(QUERIES)
    queries["search"] = {
        "title": "Search adoptions (any length)",
        "description": ("Adoptions whose name, place, category or summary contains :q, e.g. 関係人口 or 農業. "
                        "One term or phrase; three or more characters use the trigram full-text index."),
        "sql": db_search.SEARCH_SQL if fts else db_search.SEARCH_SQL_NO_FTS,
    }
    if fts:
        tables["adoptions"]["fts_table"] = db_search.FTS_TABLE
        tables["adoptions"]["fts_pk"] = "id"
        tables[db_search.FTS_TABLE] = {"hidden": True}
    description = (
        "Adopted bodies of the 関係人口 (relationship population) model projects of the Ministry of Internal "
        "Affairs and Communications (総務省), per fiscal year, with every change detected by kankei. "
        f"出典：総務省「関係人口ポータルサイト」({url})を加工して作成. "
        "The ministry's content is published under the Government of Japan Standard Terms of Use (Version 2.0), "
        "compatible with CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/): attribute the ministry as the "
        "source and say that the data was processed. Not published or endorsed by the ministry."
    )
    return {
        "title": "kankei: 関係人口 model-project adoptions",
        "description": description,
        "source": "総務省 関係人口ポータルサイト (Ministry of Internal Affairs and Communications)",
        "source_url": url,
        "license": LICENSE,
        "license_url": LICENSE_URL,
        "databases": {
            database_name(database): {
                "description": "Scraped with kankei; see the changes table for what changed when.",
                "tables": tables,
                "queries": queries,
            }
        },
    }


SQL_TIME_LIMIT_MS = 1000  # Datasette's own limit per query, stated here so it stays in force


def is_loopback(host: str) -> bool:
    """True when ``host`` listens on this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def make_datasette(database: Path | str, source_url: str | None = None, settings: dict[str, Any] | None = None,
                   *, allow_sql: bool = True):
    """A Datasette instance on the (existing) database, mutable, with kankei's metadata.

    Opens the database once with :func:`db.schema.connect` first, so the schema and the
    search index exist (an older database gains them). Every connection Datasette opens
    has SQLite's length limit (:data:`LENGTH_LIMIT`), so no query can build a value so big
    that it runs past the time limit; ``allow_sql=False`` turns arbitrary SQL off (canned
    queries, table pages and search still work).
    """
    from datasette.app import Datasette
    from datasette.database import Database

    class ReadOnlyFile(Database):
        """Opens the file by a percent-encoded ``file:`` URI: a path with ``#``, ``?`` or ``%`` stays whole."""

        def connect(self, write: bool = False) -> sqlite3.Connection:
            uri = Path(self.path).resolve().as_uri() + ("" if write else "?mode=ro")
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self._all_file_connections.append(conn)
            return conn

    _register_limits()
    conn = schema.connect(database)
    try:
        fts = db_search.has_fts(conn)
    finally:
        conn.close()
    metadata = build_metadata(database, source_url, fts=fts)
    settings = {"sql_time_limit_ms": SQL_TIME_LIMIT_MS, **(settings or {})}
    if not allow_sql:
        settings["default_allow_sql"] = False
    ds = Datasette(files=[], metadata=metadata, settings=settings)
    ds.remove_database("_memory")  # only the kankei database is served
    ds.add_database(ReadOnlyFile(ds, str(database), is_mutable=True), name=database_name(database))
    return ds


def _register_limits() -> None:
    """Register (once) the plugin that sets SQLite's length limit on every Datasette connection."""
    from datasette.plugins import pm

    from . import serve_limits

    if not pm.is_registered(serve_limits):
        pm.register(serve_limits, name="kankei-limits")


def serve(database: Path, host: str = "127.0.0.1", port: int = 8001, source_url: str | None = None,
          echo: Callable[[str], None] = print, allow_sql: bool | None = None) -> None:
    """Run Datasette on ``database`` until interrupted (no network access needed).

    ``allow_sql`` None: arbitrary SQL on a loopback address only.
    """
    import asyncio

    import uvicorn

    from . import serve_limits

    local = is_loopback(host)
    allow_sql = local if allow_sql is None else allow_sql
    ds = make_datasette(database, source_url, allow_sql=allow_sql)
    asyncio.run(ds.invoke_startup())
    shown = f"[{host}]" if ":" in host else host
    echo(f"Serving {database} at http://{shown}:{port}{ds.urls.database(database_name(database))}  (Ctrl-C to stop)")
    echo(("Exposed to the network" if not local else "Reachable from this machine only")
         + ": read-only tables, canned queries and search; arbitrary SQL "
         + (f"on (values up to {serve_limits.LENGTH_LIMIT:,} bytes, {SQL_TIME_LIMIT_MS} ms per query)" if allow_sql
            else "off (--allow-sql turns it on)"))
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on", workers=1)
