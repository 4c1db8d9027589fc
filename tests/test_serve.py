"""``kankei serve``: Datasette with kankei's metadata, canned queries and Japanese search.

Exercised through Datasette's own in-process client on the demo's real database.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from db import schema
from db import search as db_search
from pipeline.cli import cli
from pipeline.cycle import run_cycle
from pipeline.results import RunResult
from pipeline.demo import SamplePageServer, demo_config, sample_bytes
from pipeline.serve import COLUMNS, LICENSE, LICENSE_URL, METADATA_FILE, QUERIES, load_metadata_file, make_datasette
from tests.helpers import spawn_serve, write_report_config
from tests.http_server import unused_port

SEARCH_COLUMNS = ("name", "prefecture", "municipality", "category", "summary")


@pytest.fixture(scope="module")
def demo_db(pristine_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database; run 1's changes are dated 60 days back (for recent_changes)."""
    directory = tmp_path_factory.mktemp("serve") / "demo"
    shutil.copytree(pristine_demo, directory)
    db = directory / "kankei.db"
    conn = schema.connect(db)
    conn.execute("UPDATE changes SET detected_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-60 days') WHERE run_id = 1")
    conn.close()
    return db


@pytest.fixture(scope="module")
def ds(demo_db: Path):
    return make_datasette(demo_db, source_url="https://www.soumu.go.jp/kankeijinkou/discription/index.html")


def get(ds, *paths: str) -> list[Any]:
    """GET each path with the in-process client; JSON paths are decoded."""

    async def fetch() -> list[Any]:
        out = []
        for path in paths:
            response = await ds.client.get(path)
            assert response.status_code == 200, (path, response.status_code, response.text[:500])
            out.append(response.json() if ".json" in path else response.text)
        return out

    return asyncio.run(fetch())


def rows(ds, path: str) -> list[dict[str, Any]]:
    sep = "&" if "?" in path else "?"
    return get(ds, f"{path}{sep}_shape=array&_size=max")[0]


def test_pages_answer(ds) -> None:
    index, database, adoptions, changes, runs = get(
        ds, "/", "/kankei", "/kankei/adoptions", "/kankei/changes", "/kankei/runs")
    assert "kankei: 関係人口 model-project adoptions" in index
    for name in [*QUERIES, "search"]:
        assert f'href="/kankei/{name}"' in database
    assert "石狩市" in adoptions and "小布施町" in changes


def test_metadata_licence_source_and_column_descriptions(ds) -> None:
    index, adoptions = get(ds, "/", "/kankei/adoptions")
    for page in (index, adoptions):
        assert LICENSE in page and LICENSE_URL in page
        assert "https://www.soumu.go.jp/kankeijinkou/discription/index.html" in page
    assert "CC BY 4.0" in index and "総務省" in index
    assert "Local government code" in adoptions  # a column description
    metadata = get(ds, "/-/metadata.json")[0]
    assert metadata["license"] == LICENSE


def test_metadata_comes_from_the_data_file(ds) -> None:
    """Datasette serves pipeline/datasette/metadata.yml, with the source URL and search filled in."""
    assert METADATA_FILE.name == "metadata.yml" and METADATA_FILE.parent.name == "datasette"
    file = load_metadata_file()
    served = get(ds, "/-/metadata.json")[0]
    assert served["title"] == file["title"] and served["license_url"] == file["license_url"]
    assert "{attribution}" in file["description"] and "{source_url}" in file["attribution"]
    assert "{" not in served["description"] and served["attribution"] in served["description"]
    assert "出典：総務省「関係人口ポータルサイト」(https://www.soumu.go.jp/kankeijinkou/discription/index.html)" in (
        served["description"])
    tables = served["databases"]["kankei"]["tables"]
    for name, table in file["tables"].items():
        assert tables[name]["columns"] == table["columns"]
    # A description written once in the file and reused by the version tables and views.
    lg_code = file["tables"]["adoptions"]["columns"]["lg_code"]
    assert all(tables[t]["columns"]["lg_code"] == lg_code for t in ("adoption_versions", "current_adoptions"))
    queries = served["databases"]["kankei"]["queries"]
    assert set(queries) == set(file["queries"]) | {"search"}
    assert queries["search"]["title"] == file["search_query"]["title"] and ":q" in queries["search"]["sql"]


def test_every_column_is_described(demo_db: Path) -> None:
    """The metadata describes exactly the columns the tables and views have."""
    conn = schema.connect(demo_db)
    existing = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    for table in (set(existing) - {db_search.FTS_TABLE}):
        if table.startswith((db_search.FTS_TABLE, db_search.DOCUMENT_FTS_TABLE, db_search.ANNOUNCEMENT_FTS_TABLE,
                             "sqlite_")):
            continue
        columns = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        assert table in COLUMNS, f"{table} has no column descriptions"
        assert set(COLUMNS[table]) == columns, table


def test_default_sorts_and_facets(ds) -> None:
    adoptions, changes = get(ds, "/kankei/adoptions.json", "/kankei/changes.json")
    assert set(adoptions["facet_results"]) == {"fiscal_year", "prefecture", "category"}
    fiscal_year = adoptions["columns"].index("fiscal_year")
    assert adoptions["rows"][0][fiscal_year] == 2021  # newest fiscal year first
    assert {"kind", "fiscal_year"} <= set(changes["facet_results"])
    kinds = {f["value"]: f["count"] for f in changes["facet_results"]["kind"]["results"]}
    assert kinds["adoption_added"] == 102 and kinds["adoption_removed"] == 1
    assert changes["rows"][0][0] == 123  # newest change first


def test_canned_query_multi_year_bodies(ds) -> None:
    result = rows(ds, "/kankei/multi_year_bodies.json")
    onan = [r for r in result if r["municipality"] == "邑南町"]
    assert onan == [{"prefecture": "島根県", "municipality": "邑南町", "lg_code": "324493", "years": 3,
                     "fiscal_years": "2018, 2019, 2020", "names": onan[0]["names"]}]
    assert set(onan[0]["names"].split(",")) == {"邑南町", "島根県邑南町"}
    assert result[0]["years"] == 3 and all(r["years"] >= 2 for r in result)


def test_canned_query_adoptions_per_prefecture_and_year(ds, demo_db: Path) -> None:
    result = rows(ds, "/kankei/adoptions_per_prefecture_year.json")
    conn = schema.connect(demo_db)
    expected = {(r[0], r[1]): r[2] for r in conn.execute(
        "SELECT prefecture, fiscal_year, count(*) FROM adoptions GROUP BY 1, 2")}
    assert {(r["prefecture"], r["fiscal_year"]): r["adoptions"] for r in result} == expected
    assert sum(r["adoptions"] for r in result) == 101
    assert result[0]["prefecture"] == "北海道"  # prefectures in code order


def test_canned_query_recent_changes(ds) -> None:
    recent = rows(ds, "/kankei/recent_changes.json?days=30")
    assert sorted({r["run_id"] for r in recent}) == [3, 4, 5] and len(recent) == 9
    assert len(rows(ds, "/kankei/recent_changes.json?days=90")) == 123
    assert [r["id"] for r in recent] == sorted((r["id"] for r in recent), reverse=True)


def test_canned_query_open_discrepancies(ds) -> None:
    """The demo's fifth run replaced the 令和2年度 list with one that leaves out 南知多町."""
    found = rows(ds, "/kankei/open_discrepancies.json")
    assert [(r["fiscal_year"], r["kind"], r["name"], r["prefecture"], r["document"]) for r in found] == [
        (2020, "missing_from_document", "南知多町", "愛知県", "令和2年度採択団体一覧")]
    assert found[0]["document_url"].endswith("/main_content/r02_saitaku.pdf")


def test_canned_query_search_documents_any_length(ds) -> None:
    """石狩市 is in the 令和2年度 list only; 南知多町 was left out of its latest version; 市 is in every document."""
    found = rows(ds, "/kankei/search_documents.json?q=石狩市")
    assert [(r["link_text"], r["fiscal_year"]) for r in found] == [("令和2年度採択団体一覧", 2020)]
    assert rows(ds, "/kankei/search_documents.json?q=南知多町") == []
    assert len(rows(ds, "/kankei/search_documents.json?q=市")) == 4
    assert rows(ds, "/kankei/search_documents.json?q=") == []


def test_canned_query_body_history(ds) -> None:
    history = rows(ds, "/kankei/body_history.json?name=邑南町")
    assert [(r["kind"], r["fiscal_year"]) for r in history] == [
        ("adoption_added", 2020), ("adoption_added", 2019), ("adoption_added", 2018)]
    ishikari = rows(ds, "/kankei/body_history.json?name=石狩市")
    assert ("adoption_changed", "summary", 4) in {(r["kind"], r["field"], r["run_id"]) for r in ishikari}
    obuse = rows(ds, "/kankei/body_history.json?name=小布施町")
    assert [(r["kind"], r["run_id"]) for r in obuse] == [("adoption_added", 3), ("adoption_removed", 4)]
    assert rows(ds, "/kankei/body_history.json?name=町") == []


def expected_search(demo_db: Path, q: str) -> set[int]:
    """Ground truth: adoptions whose text contains ``q``, by plain Python substring test."""
    conn = schema.connect(demo_db)
    return {r["id"] for r in conn.execute("SELECT * FROM adoptions")
            if any(q in (r[c] or "") for c in SEARCH_COLUMNS) or q in r["prefecture"] + r["municipality"]}


@pytest.mark.parametrize("q", ["関係人口", "農業", "市", "加工体験", "邑南町"])
def test_search_query_finds_japanese_terms_of_any_length(ds, demo_db: Path, q: str) -> None:
    found = {r["id"] for r in rows(ds, f"/kankei/search.json?q={q}")}
    assert found and found == expected_search(demo_db, q)


def test_table_search_box_uses_trigram_index(ds, demo_db: Path) -> None:
    found = {r["id"] for r in rows(ds, "/kankei/adoptions.json?_search=関係人口")}
    assert len(found) > 5 and found == expected_search(demo_db, "関係人口")
    assert 'name="_search"' in get(ds, "/kankei/adoptions")[0]


def test_search_index_follows_edits_and_removals(demo_db: Path) -> None:
    conn = schema.connect(demo_db)
    conn.execute(f"INSERT INTO {db_search.FTS_TABLE}({db_search.FTS_TABLE}, rank) VALUES ('integrity-check', 1)")
    assert [r["name"] for r in db_search.search(conn, "加工体験")] == ["石狩市"]  # edited in run 4
    assert db_search.search(conn, "小布施") == []  # removed in run 4
    assert db_search.search(conn, '"関係') == []  # quotes are harmless


def test_datasette_reads_while_a_run_writes(tmp_path: Path) -> None:
    """Real cycles write (years and bodies added and removed) while Datasette reads: no errors either side."""
    directory = tmp_path / "live"
    paths = ["/kankei/adoptions.json?_search=関係人口", "/kankei/search.json?q=農業", "/kankei/changes.json",
             "/kankei/multi_year_bodies.json", "/kankei/recent_changes.json?days=1", "/kankei/adoptions"]
    with SamplePageServer() as server:
        config = demo_config(directory, server.url)
        server.serve(sample_bytes("v1_baseline.html"), 1)
        assert run_cycle(config).ok
        ds = make_datasette(config.database)
        results: list[RunResult] = []
        errors: list[BaseException] = []

        enough = threading.Event()  # set by the reader once it has read plenty during the writes

        def writer() -> None:
            try:
                i = 0
                while i < 4 or (not enough.is_set() and i < 200) or i % 2:  # end on v1
                    server.serve(sample_bytes("v2_new_year.html" if i % 2 == 0 else "v1_baseline.html"), i + 2)
                    results.append(run_cycle(config, accept_removals=True))  # v1 after v2 removes a year
                    i += 1
            except BaseException as e:  # noqa: BLE001 (reported below)
                errors.append(e)

        async def reader(thread: threading.Thread) -> list[tuple[str, int, str]]:
            seen = []
            while thread.is_alive():
                for path in paths:
                    response = await ds.client.get(path)
                    seen.append((path, response.status_code, response.text[:300]))
                if len(seen) >= 30:
                    enough.set()
            return seen

        thread = threading.Thread(target=writer)
        thread.start()
        seen = asyncio.run(reader(thread))
        thread.join()
    assert not errors
    assert len(results) >= 4 and all(r.ok for r in results)
    assert all(len(r.changes) >= 4 for r in results)  # every cycle really wrote
    failures = [s for s in seen if s[1] != 200 or "locked" in s[2]]
    assert not failures and len(seen) >= 30
    final = rows(ds, "/kankei/adoptions.json?fiscal_year=2021")
    assert final == []  # the last cycle (v1) removed 令和3年度 again, and Datasette sees it


def test_serve_command_needs_a_database(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[storage]\ndatabase = "none.db"\n[http]\nuser_agent = "kankei-test/0.1"\n'
                      'allowed_hosts = ["127.0.0.1"]\n[[sources]]\nname = "m"\n'
                      'url = "http://127.0.0.1/x"\nparser = "model_projects"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["serve", "--config", str(config)])
    assert result.exit_code == 2 and "no database" in result.stderr and not (tmp_path / "none.db").exists()


def test_kankei_serve_answers_over_http(demo_db: Path, tmp_path: Path) -> None:
    """The real command: starts, prints its URL, answers a canned query, stops on terminate."""
    config = write_report_config(tmp_path, database=demo_db)
    port = unused_port()
    proc = spawn_serve(config, port)
    try:
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/kankei" in line
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/kankei/search.json?q=%E8%BE%B2%E6%A5%AD"
                                            "&_shape=array", timeout=5) as response:
                    found = json.loads(response.read())
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        assert len(found) == 4 and all("農業" in (r["summary"] or "") for r in found)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
