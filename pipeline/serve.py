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

import yaml  # PyYAML, a dependency of Datasette

from db import schema
from db import search as db_search
from db import views

PORTAL_URL = "https://www.soumu.go.jp/kankeijinkou/"
DEFAULT_SOURCE_URL = "https://www.soumu.go.jp/kankeijinkou/discription/index.html"
DATASETTE_DIR = Path(__file__).parent / "datasette"
METADATA_FILE = DATASETTE_DIR / "metadata.yml"
TEMPLATES_DIR = DATASETTE_DIR / "templates"
STATIC_DIR = DATASETTE_DIR / "static"
STATIC_ROUTE = "kankei-static"  # /kankei-static/kankei.css: the pages' own CSS, served locally


def load_metadata_file(path: Path = METADATA_FILE) -> dict[str, Any]:
    """The metadata data file (``pipeline/datasette/metadata.yml``) as plain dicts."""
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


_FILE = load_metadata_file()
LICENSE: str = _FILE["license"]
LICENSE_URL: str = _FILE["license_url"]
COLUMNS: dict[str, dict[str, str]] = {name: t["columns"] for name, t in _FILE["tables"].items() if "columns" in t}
TABLES: dict[str, dict[str, Any]] = {name: {k: v for k, v in t.items() if k != "columns"}
                                     for name, t in _FILE["tables"].items()}
QUERIES: dict[str, dict[str, Any]] = _FILE["queries"]


def attribution(source_url: str | None = None) -> str:
    """The 出典 line (metadata.yml ``attribution``) for the source URL: every page's footer and every export."""
    return _FILE["attribution"].replace("{source_url}", source_url or DEFAULT_SOURCE_URL)


def database_name(database: Path | str) -> str:
    """The name Datasette gives the database (its file name without extension)."""
    return Path(database).stem


def build_metadata(database: Path | str, source_url: str | None = None, fts: bool = True) -> dict[str, Any]:
    """Datasette metadata for a kankei database: the data file, with the database's name,
    the source URL, the search query's SQL and the full-text settings filled in."""
    url = source_url or DEFAULT_SOURCE_URL
    file = copy.deepcopy(_FILE)
    tables = file["tables"]
    queries = file["queries"]
    queries["search"] = {**file["search_query"],
                         "sql": db_search.SEARCH_SQL if fts else db_search.SEARCH_SQL_NO_FTS}
    if fts:
        tables["adoptions"]["fts_table"] = db_search.FTS_TABLE
        tables["adoptions"]["fts_pk"] = "id"
        tables[db_search.FTS_TABLE] = {"hidden": True}
    credit = {"source": file["source"], "source_url": url, "license": file["license"],
              "license_url": file["license_url"]}
    for query in queries.values():  # canned-query pages show the licence and source too
        query.update(credit)
    return {
        "title": file["title"],
        "description": file["description"].replace("{attribution}", attribution(url)),
        "attribution": attribution(url),
        **credit,
        "extra_css_urls": [f"/{STATIC_ROUTE}/kankei.css"],
        "databases": {database_name(database): {**file["database"], "tables": tables, "queries": queries}},
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

    _register_plugins()
    conn = schema.connect(database)
    try:
        views.ensure_views(conn)  # a database made before a view was added gains it
        fts = db_search.has_fts(conn)
    finally:
        conn.close()
    metadata = build_metadata(database, source_url, fts=fts)
    settings = {"sql_time_limit_ms": SQL_TIME_LIMIT_MS, **(settings or {})}
    if not allow_sql:
        settings["default_allow_sql"] = False
    ds = Datasette(files=[], metadata=metadata, settings=settings, template_dir=str(TEMPLATES_DIR),
                   static_mounts=[(STATIC_ROUTE, str(STATIC_DIR))])
    ds.remove_database("_memory")  # only the kankei database is served
    ds.add_database(ReadOnlyFile(ds, str(database), is_mutable=True), name=database_name(database))
    return ds


def _register_plugins() -> None:
    """Register (once) the plugin that sets SQLite's length limit on every Datasette connection,
    and the one for kankei's pages (:mod:`pipeline.datasette.plugin`)."""
    from datasette.plugins import pm

    from . import serve_limits
    from .datasette import plugin

    if not pm.is_registered(serve_limits):
        pm.register(serve_limits, name="kankei-limits")
    if not pm.is_registered(plugin):
        pm.register(plugin, name="kankei-pages")


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
    echo(f"Map and charts (ダッシュボード): http://{shown}:{port}{ds.urls.path('/dashboard')}")
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on", workers=1)
