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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml  # PyYAML, a dependency of Datasette

from db import schema
from db import search as db_search

PORTAL_URL = "https://www.soumu.go.jp/kankeijinkou/"
DEFAULT_SOURCE_URL = "https://www.soumu.go.jp/kankeijinkou/discription/index.html"
METADATA_FILE = Path(__file__).parent / "datasette" / "metadata.yml"


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
    return {
        "title": file["title"],
        "description": file["description"].replace("{source_url}", url),
        "source": file["source"],
        "source_url": url,
        "license": file["license"],
        "license_url": file["license_url"],
        "databases": {database_name(database): {**file["database"], "tables": tables, "queries": queries}},
    }


def make_datasette(database: Path | str, source_url: str | None = None, settings: dict[str, Any] | None = None):
    """A Datasette instance on the (existing) database, mutable, with kankei's metadata.

    Opens the database once with :func:`db.schema.connect` first, so the schema and the
    search index exist (an older database gains them).
    """
    from datasette.app import Datasette

    conn = schema.connect(database)
    try:
        fts = db_search.has_fts(conn)
    finally:
        conn.close()
    metadata = build_metadata(database, source_url, fts=fts)
    return Datasette(files=[str(database)], metadata=metadata, settings=settings or {})


def serve(database: Path, host: str = "127.0.0.1", port: int = 8001, source_url: str | None = None,
          echo: Callable[[str], None] = print) -> None:
    """Run Datasette on ``database`` until interrupted (no network access needed)."""
    import asyncio

    import uvicorn

    ds = make_datasette(database, source_url)
    asyncio.run(ds.invoke_startup())
    echo(f"Serving {database} at http://{host}:{port}/{database_name(database)}  (Ctrl-C to stop)")
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on", workers=1)
