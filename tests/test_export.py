"""``kankei export`` and Datasette's ``.csvbom``: Japanese headers, a BOM, the 出典 line, and rows equal
to the views they come from (re-read with the csv module and with openpyxl)."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from db import schema
from pipeline.cli import cli
from pipeline.serve import attribution, make_datasette
from tests.helpers import write_report_config

SOURCE_URL = "http://127.0.0.1/kankeijinkou/discription/index.html"
VIEWS = {"adoptions": "採択団体", "changes": "変更履歴"}


@pytest.fixture(scope="module")
def demo(pristine_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo database and a config naming it (its model-projects source at SOURCE_URL)."""
    directory = tmp_path_factory.mktemp("export") / "demo"
    shutil.copytree(pristine_demo, directory)
    db = directory / "kankei.db"
    return db, write_report_config(directory, database=db, url=SOURCE_URL)


def view(db: Path, name: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    conn = schema.connect(db)
    try:
        cursor = conn.execute(f'SELECT * FROM "{name}"')
        return [d[0] for d in cursor.description], [tuple(r) for r in cursor]
    finally:
        conn.close()


def as_csv(rows: list[tuple[Any, ...]]) -> list[list[str]]:
    return [["" if v is None else str(v) for v in row] for row in rows]


def export(config: Path, *args: str) -> Any:
    result = CliRunner().invoke(cli, ["export", "--config", str(config), *args])
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.parametrize("table", ["adoptions", "changes"])
def test_csv_has_a_bom_and_equals_the_view(demo: tuple[Path, Path], tmp_path: Path, table: str) -> None:
    db, config = demo
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    out = tmp_path / f"{table}.csv"
    export(config, "--table", table, "-o", str(out))
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    *body, credit = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    columns, rows = view(db, VIEWS[table])
    assert body[0] == columns and body[1:] == as_csv(rows) and len(rows) > 5
    assert credit == [attribution(SOURCE_URL)] and credit[0].startswith("出典：総務省「関係人口ポータルサイト」")
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before  # read-only


def test_csv_to_stdout_defaults_to_the_adopted_bodies(demo: tuple[Path, Path]) -> None:
    db, config = demo
    result = export(config)
    assert result.stdout_bytes.startswith(b"\xef\xbb\xbf\xe5\xb9\xb4\xe5\xba\xa6,")  # BOM, 年度
    assert len(list(csv.reader(io.StringIO(result.stdout_bytes.decode("utf-8-sig"))))) == len(view(db, "採択団体")[1]) + 2


def test_xlsx_has_both_tables_as_sheets_equal_to_the_views(demo: tuple[Path, Path], tmp_path: Path) -> None:
    from openpyxl import load_workbook

    db, config = demo
    out = tmp_path / "kankei.xlsx"
    export(config, "--format", "xlsx", "-o", str(out))
    book = load_workbook(out, read_only=True)
    assert book.sheetnames == ["採択団体", "変更履歴"]
    for name in book.sheetnames:
        *body, credit = [tuple(row) for row in book[name].iter_rows(values_only=True)]
        columns, rows = view(db, name)
        # An empty string is an empty cell in xlsx: it reads back as None.
        assert list(body[0]) == columns and body[1:] == [tuple(None if v == "" else v for v in r) for r in rows]
        assert credit[0] == attribution(SOURCE_URL)


def test_xlsx_needs_an_output_file(demo: tuple[Path, Path]) -> None:
    result = CliRunner().invoke(cli, ["export", "--config", str(demo[1]), "--format", "xlsx"])
    assert result.exit_code == 2 and "-o FILE" in result.stderr


def test_export_reads_a_database_made_before_the_views_without_writing(demo: tuple[Path, Path], tmp_path: Path) -> None:
    """An older database lacks 採択団体 and 変更履歴: export makes them temporary views, and writes nothing."""
    db, config = demo
    old = tmp_path / "old.db"
    shutil.copy(db, old)
    conn = schema.connect(old)
    for name in ("採択団体", "変更履歴", "prefectures"):
        conn.execute(f'DROP VIEW "{name}"')
    conn.close()
    before = hashlib.sha256(old.read_bytes()).hexdigest()
    config_old = tmp_path / "old.toml"
    config_old.write_text(config.read_text(encoding="utf-8").replace(db.as_posix(), old.as_posix()), encoding="utf-8")
    out = tmp_path / "old.csv"
    export(config_old, "-o", str(out))
    assert list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))[1:-1] == as_csv(view(db, "採択団体")[1])
    assert hashlib.sha256(old.read_bytes()).hexdigest() == before


def test_datasette_csv_with_bom_equals_the_view(demo: tuple[Path, Path]) -> None:
    from datasette.utils import tilde_encode

    db, _ = demo
    ds = make_datasette(db, source_url=SOURCE_URL)

    async def fetch(path: str) -> Any:
        return await ds.client.get(path)

    page = asyncio.run(fetch(f"/kankei/{tilde_encode('採択団体')}"))
    assert ".csvbom" in page.text  # offered beside json and CSV
    response = asyncio.run(fetch(f"/kankei/{tilde_encode('採択団体')}.csvbom?_size=max"))
    assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")
    assert "attachment" in response.headers["content-disposition"]
    *body, credit = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    columns, rows = view(db, "採択団体")
    assert body[0] == columns and body[1:] == as_csv(rows) and credit == [attribution(SOURCE_URL)]
