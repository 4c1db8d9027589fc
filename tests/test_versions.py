"""Versions (adoption_versions, fiscal_year_versions, category_versions) and the views."""

from __future__ import annotations

import copy
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from db import runs, schema, store, versions
from db.connection import transaction
from pipeline.cli import cli
from pipeline.config import Source
from pipeline.apply import apply_parsed
from scraper.compare import compare_model_projects
from scraper.model import Adoption, Category, Partner
from scraper.parsers.model_projects import parse_model_projects
from tests.http_server import LoopbackServer, Reply

from .helpers import fixture_bytes, fixture_text, write_config

PAGE = "/kankeijinkou/discription/index.html"
VERSION_TABLES = versions.VERSION_TABLES
SOURCE = Source(name="model-projects", url="http://127.0.0.1/x.html", parser="model_projects")


@pytest.fixture(scope="module")
def demo_db(pristine_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's database after its four runs (read-only use)."""
    directory = tmp_path_factory.mktemp("demo") / "demo"
    shutil.copytree(pristine_demo, directory)
    return directory / "kankei.db"


def connect(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    return conn


def dump_versions(db: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(db)
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() for t in VERSION_TABLES}
    finally:
        conn.close()


def test_demo_versions_record_the_edit_the_removal_and_the_new_total(demo_db: Path) -> None:
    conn = connect(demo_db)
    ishikari = conn.execute(
        "SELECT summary, removed, valid_from_run, valid_to_run FROM adoption_versions WHERE name = '石狩市' ORDER BY id"
    ).fetchall()
    assert [tuple(r)[1:] for r in ishikari] == [(0, 1, 4), (0, 4, None)]
    assert "加工体験" not in ishikari[0]["summary"] and "加工体験" in ishikari[1]["summary"]

    obuse = conn.execute(
        "SELECT fiscal_year, removed, valid_from_run, valid_to_run, summary FROM adoption_versions"
        " WHERE name = '小布施町' ORDER BY id").fetchall()
    assert [tuple(r)[:4] for r in obuse] == [(2021, 0, 3, 4), (2021, 1, 4, None)]
    assert obuse[1]["summary"] == obuse[0]["summary"]  # a removal keeps the last content seen

    fy2021 = conn.execute("SELECT label, stated_total, removed, valid_from_run, valid_to_run FROM fiscal_year_versions"
                          " WHERE fiscal_year = 2021 ORDER BY id").fetchall()
    assert [tuple(r) for r in fy2021] == [("令和3年度", 3, 0, 3, 4), ("令和3年度", 2, 0, 4, None)]

    # One version per body loaded, plus 石狩市's edit and 小布施町's removal; nothing for the 304.
    assert conn.execute("SELECT COUNT(*) FROM adoption_versions").fetchone()[0] == 99 + 3 + 2
    assert conn.execute("SELECT COUNT(*) FROM adoption_versions WHERE valid_from_run = 2").fetchone()[0] == 0
    assert tuple(conn.execute("SELECT COUNT(*), MIN(valid_from_run) FROM category_versions").fetchone()) == (7, 1)
    # At most one open version per body, and the open ones are exactly the stored state.
    open_ = conn.execute("SELECT fiscal_year, prefecture, municipality, name, summary FROM adoption_versions"
                         " WHERE valid_to_run IS NULL AND removed = 0 ORDER BY 1, 2, 3").fetchall()
    stored = conn.execute("SELECT fiscal_year, prefecture, municipality, name, summary FROM adoptions"
                          " ORDER BY 1, 2, 3").fetchall()
    assert [tuple(r) for r in open_] == [tuple(r) for r in stored]


def test_as_of_a_run_and_as_of_a_date(demo_db: Path, tmp_path: Path) -> None:
    conn = connect(demo_db)
    original = conn.execute("SELECT old_value FROM changes WHERE kind = 'adoption_changed' AND name = '石狩市'"
                            ).fetchone()[0]
    by_run = {run: {(r["fiscal_year"], r["name"], r["removed"]): r
                    for r in versions.as_of(conn, "adoption_versions", run)}
              for run in (1, 2, 3, 4)}
    assert by_run[1][(2020, "石狩市", 0)]["summary"] == original
    assert by_run[4][(2020, "石狩市", 0)]["summary"] != original
    assert len(by_run[1]) == len(by_run[2]) == 99  # the 304 run changed nothing
    assert len(by_run[3]) == 102 and len(by_run[4]) == 102  # 小布施町 is there as a removal
    assert (2021, "小布施町", 0) in by_run[3] and (2021, "小布施町", 0) not in by_run[4]
    assert (2021, "小布施町", 1) in by_run[4]  # "as of run 4" returns the removal
    years = {r["fiscal_year"]: r["stated_total"] for r in versions.as_of(conn, "fiscal_year_versions", 3)}
    assert years == {2018: 30, 2019: 44, 2020: 25, 2021: 3}
    with pytest.raises(ValueError):
        versions.as_of(conn, "adoptions", 1)
    conn.close()

    # The documented date query, on a copy whose runs happened on four different days.
    copy_db = tmp_path / "copy.db"
    src = sqlite3.connect(demo_db)
    dst = sqlite3.connect(copy_db)
    src.backup(dst)
    src.close()
    dst.executemany("UPDATE runs SET started_at = ? WHERE id = ?",
                    [(f"2024-0{n}-01T06:00:00Z", n) for n in (1, 2, 3, 4)])
    dst.commit()

    def on(date: str, place: str) -> list[tuple]:
        return [(r[0], r[1]) for r in dst.execute(
            f"SELECT summary, removed FROM ({versions.ON_DATE_SQL})", {"date": date, "place": place})]

    assert on("2024-01-01", "石狩市") == [(original, 0)]  # the run at 06:00 that day counts
    assert on("2024-03-31", "石狩市") == [(original, 0)]
    assert on("2024-04-01", "石狩市")[0][0] != original
    assert on("2023-12-31", "石狩市") == []  # before the first run
    assert [r[1] for r in on("2024-03-15", "小布施町")] == [0]
    assert [r[1] for r in on("2024-05-01", "小布施町")] == [1]
    dst.close()


def test_views_current_adoptions_and_changes_detail(demo_db: Path) -> None:
    conn = connect(demo_db)
    assert conn.execute("SELECT COUNT(*) FROM current_adoptions").fetchone()[0] == \
        conn.execute("SELECT COUNT(*) FROM adoptions").fetchone()[0] == 101
    nagashima = conn.execute("SELECT fiscal_year_label, partners FROM current_adoptions WHERE name = '長島町'").fetchone()
    assert tuple(nagashima) == ("令和3年度", "熊本県天草市")
    tosa = conn.execute("SELECT partners FROM current_adoptions WHERE name = '土佐町'").fetchone()[0]
    assert tosa == "須崎市、四万十町"  # in the page's order
    assert conn.execute("SELECT COUNT(*) FROM current_adoptions WHERE name = '小布施町'").fetchone()[0] == 0

    rows = conn.execute("SELECT * FROM changes_detail ORDER BY id").fetchall()
    assert len(rows) == conn.execute("SELECT COUNT(*) FROM changes").fetchone()[0] == 123
    removal = next(r for r in rows if r["kind"] == "adoption_removed")
    run4 = conn.execute("SELECT started_at, finished_at FROM runs WHERE id = 4").fetchone()
    snap4 = conn.execute("SELECT url, sha256, path, fetched_at FROM snapshots WHERE run_id = 4").fetchone()
    assert (removal["run_started_at"], removal["run_finished_at"]) == tuple(run4)
    assert (removal["snapshot_url"], removal["snapshot_sha256"], removal["snapshot_path"],
            removal["snapshot_fetched_at"]) == tuple(snap4)
    assert all(r["snapshot_sha256"] for r in rows)


def test_identical_and_form_only_runs_write_no_versions(http_server: LoopbackServer, tmp_path: Path) -> None:
    config = write_config(tmp_path, http_server.url(PAGE))
    db = tmp_path / "data" / "kankei.db"
    for n, fixture in enumerate(["model_projects_table.html", "model_projects_table.html",
                                 "model_projects_form_only.html", "model_projects_dl.html"]):
        http_server.route(PAGE, Reply(200, body=fixture_bytes(fixture), content_type="text/html"))
        result = CliRunner().invoke(cli, ["--config", str(config), "run"])
        assert result.exit_code == 0, result.output
        if n == 0:
            first = dump_versions(db)
            assert len(first["adoption_versions"]) == 99
        else:
            assert "no changes" in result.output
            assert dump_versions(db) == first, fixture


def test_removal_and_return_open_and_close_versions(tmp_path: Path) -> None:
    conn = schema.connect(tmp_path / "k.db")
    full = parse_model_projects(fixture_text("model_projects_table.html"))
    smaller = copy.deepcopy(full)
    gone_year = smaller.years.pop()  # a whole fiscal year disappears
    gone_body = smaller.years[0].adoptions.pop(0)  # and one body of another year
    gone_cat = smaller.categories.pop()
    pages = [full, smaller, full, full]
    for page in pages:
        run_id = runs.start_run(conn)
        with transaction(conn):
            apply_parsed(conn, SOURCE, page, run_id, accept_removals=True)

    def history(sql: str, *args: object) -> list[tuple]:
        return [tuple(r) for r in conn.execute(sql + " ORDER BY id", args)]

    assert history("SELECT removed, valid_from_run, valid_to_run FROM fiscal_year_versions WHERE fiscal_year = ?",
                   gone_year.fiscal_year) == [(0, 1, 2), (1, 2, 3), (0, 3, None)]
    for a in (gone_body, gone_year.adoptions[0]):
        assert history("SELECT removed, valid_from_run, valid_to_run FROM adoption_versions"
                       " WHERE fiscal_year = ? AND prefecture = ? AND municipality = ?",
                       *a.identity) == [(0, 1, 2), (1, 2, 3), (0, 3, None)]
    assert history("SELECT removed, valid_from_run, valid_to_run FROM category_versions WHERE name = ?",
                   gone_cat.name) == [(0, 1, 2), (1, 2, 3), (0, 3, None)]
    removed_in_2 = {r["name"] for r in versions.as_of(conn, "adoption_versions", 2) if r["removed"]}
    assert removed_in_2 == {gone_body.name} | {a.name for a in gone_year.adoptions}
    # The fourth run (identical) wrote nothing; no identity has two open versions.
    assert conn.execute("SELECT COUNT(*) FROM adoption_versions WHERE valid_from_run = 4").fetchone()[0] == 0
    assert conn.execute("SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM adoption_versions WHERE valid_to_run IS NULL"
                        " GROUP BY fiscal_year, prefecture, municipality)").fetchone()[0] == 1
    conn.close()


def test_an_edit_and_its_revert_in_one_run_leave_one_version(tmp_path: Path) -> None:
    """A version replaced within the run that opened it is dropped, never a zero-length version."""
    conn = schema.connect(tmp_path / "k.db")
    page = parse_model_projects(fixture_text("model_projects_table.html"))
    run1 = runs.start_run(conn)
    with transaction(conn):
        apply_parsed(conn, SOURCE, page, run1, accept_removals=True)
    edited = copy.deepcopy(page)
    edited.years[0].adoptions[0].summary = "全く別の概要"
    run2 = runs.start_run(conn)
    with transaction(conn):
        apply_parsed(conn, SOURCE, edited, run2, accept_removals=True)
        apply_parsed(conn, SOURCE, page, run2, accept_removals=True)
    identity = page.years[0].adoptions[0].identity
    rows = conn.execute("SELECT valid_from_run, valid_to_run FROM adoption_versions"
                        " WHERE fiscal_year = ? AND prefecture = ? AND municipality = ? ORDER BY id", identity).fetchall()
    # Run 1's version was closed by run 2 and the same content reopened at run 2.
    assert [tuple(r) for r in rows] == [(run1, run2), (run2, None)]
    assert conn.execute("SELECT COUNT(*) FROM adoption_versions WHERE valid_from_run = valid_to_run").fetchone()[0] == 0
    conn.close()


def test_the_stored_state_equals_each_applied_page(tmp_path: Path) -> None:
    """After every apply, through form-only revisions, edits, removals and returns, the stored state
    equals the page in content: a second apply of the same page finds nothing to do."""
    conn = schema.connect(tmp_path / "k.db")
    table = parse_model_projects(fixture_text("model_projects_table.html"))
    edited = copy.deepcopy(table)
    year = edited.years[0]
    year.label = year.label.replace("2", "\uff12")  # form only: kept as stored
    first, second = year.adoptions[0], year.adoptions[1]
    first.summary = "別の概要"
    second.partners = [Partner("須崎市", "高知県", "須崎市", None), *second.partners]
    year.adoptions.insert(1, Adoption(year.fiscal_year, "架空町", "北海道", "架空町", None, first.category, "新しい団体"))
    year.adoptions.append(year.adoptions.pop(0))  # the page lists a body elsewhere: identity, not position
    edited.categories = [Category(edited.categories[0].name, "定義の変更"), *edited.categories[1:],
                         Category("新類型", "新しい類型")]
    smaller = copy.deepcopy(edited)
    smaller.years.pop()
    smaller.years[0].adoptions.pop()
    smaller.categories.pop(0)
    pages = [table, parse_model_projects(fixture_text("model_projects_form_only.html")),
             parse_model_projects(fixture_text("model_projects_dl.html")), edited, smaller, edited, table]
    for page in pages:
        run_id = runs.start_run(conn)
        with transaction(conn):
            apply_parsed(conn, SOURCE, page, run_id, accept_removals=True)
        assert compare_model_projects(store.load_model_projects(conn), page).changes == []
        with transaction(conn):
            assert apply_parsed(conn, SOURCE, page, run_id, accept_removals=True) == ([], None)
    conn.close()
