"""`kankei demo`: bundled samples served on loopback, five cycles, the expected changes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pipeline.cli import cli


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    """One ``kankei demo`` and its folder, for the tests that read what it made."""
    directory = tmp_path_factory.mktemp("demo") / "demo"
    return CliRunner().invoke(cli, ["demo", "--dir", str(directory)]), directory


def test_demo_records_new_year_edit_removal_document_change_and_discrepancy(demo: tuple[Result, Path]) -> None:
    result, directory = demo
    assert result.exit_code == 0, result.output
    assert "unchanged (304 Not Modified)" in result.output
    conn = sqlite3.connect(directory / "kankei.db")
    R02 = conn.execute("SELECT url FROM documents WHERE url LIKE '%/r02_saitaku.pdf'").fetchone()[0]
    by_run = conn.execute("SELECT run_id, kind, name, field FROM changes WHERE run_id > 1 ORDER BY id").fetchall()
    assert by_run == [
        (3, "year_added", "令和3年度", "stated_total"),
        (3, "adoption_added", "遠野市", None),
        (3, "adoption_added", "小布施町", None),
        (3, "adoption_added", "長島町", None),
        (4, "total_changed", "令和3年度", "stated_total"),
        (4, "adoption_removed", "小布施町", None),
        (4, "adoption_changed", "石狩市", "summary"),
        (5, "document_changed", "令和2年度採択団体一覧", R02),
        (5, "discrepancy_found", "南知多町", R02),
    ]
    page = "role = 'page' AND source = 'model-projects'"
    assert conn.execute(f"SELECT COUNT(*) FROM snapshots WHERE {page}").fetchone()[0] == 5
    assert conn.execute(f"SELECT encoding FROM snapshots WHERE {page} AND http_status = 200").fetchall() == \
        [("cp932",)] * 3
    # the PDFs: four bodies in run 1; later 304s store no row; the replaced list's new body in run 5
    assert conn.execute("SELECT run_id, COUNT(*) FROM snapshots WHERE role = 'document' GROUP BY run_id"
                        ).fetchall() == [(1, 4), (5, 1)]
    assert conn.execute("SELECT kind, name, fiscal_year, resolved_run FROM discrepancies").fetchall() == [
        ("missing_from_document", "南知多町", 2020, None)]
    assert "南知多町: on the page but not in the document" in result.output
    # The feed announced 令和3年度 in run 1; the portal page listed it in run 3: pending until then.
    assert conn.execute("SELECT source, fiscal_year, first_seen_run FROM announcements").fetchall() == [
        ("soumu-news", 2021, 1)]
    runs = result.output.split("== Run ")[1:]
    assert all("pending: FY2021 announced 2021-04-27T08:00:00Z" in runs[n] for n in (0, 1))
    assert all("pending: none" in runs[n] for n in (2, 3, 4))
    report = CliRunner().invoke(cli, ["--config", str(directory / "config.toml"), "report", "--run", "1"]).stdout
    assert "announced on 2021-04-27, not yet on the portal page" in report


def test_demo_refuses_a_foreign_folder(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    result = CliRunner().invoke(cli, ["demo", "--dir", str(tmp_path)])
    assert result.exit_code == 2 and (tmp_path / "precious.txt").exists()


def test_demo_writes_a_config_for_later_commands(demo: tuple[Result, Path]) -> None:
    from pipeline.config import load_config

    result, directory = demo
    assert result.exit_code == 0, result.output
    config = load_config(directory / "config.toml")
    assert config.database == directory / "kankei.db" and config.snapshots == directory / "snapshots"
