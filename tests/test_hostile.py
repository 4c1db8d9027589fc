"""Hostile databases, paths, pages and exposure: each ends in a clear one-line error or a safe default."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from tests.helpers import write_config


@pytest.mark.parametrize("command", [["report"], ["report", "--format", "html"], ["serve"], ["status"], ["run"]])
def test_a_database_replaced_by_garbage_gives_one_line(tmp_path: Path, command: list[str]) -> None:
    config = write_config(tmp_path, "http://127.0.0.1:1/x")
    database = tmp_path / "data" / "kankei.db"
    database.parent.mkdir()
    garbage = b"this is not a database\n" * 500
    database.write_bytes(garbage)
    result = CliRunner().invoke(cli, ["--config", str(config), *command])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.stderr == f"kankei: cannot {'write the database' if command == ['run'] else 'read'} {database}: " \
                            "file is not a database\n"
    assert result.stdout == ""
    assert database.read_bytes() == garbage
