"""The mass-removal guard in a real run: refused, kept, then confirmed, and a rebuild agrees."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from pipeline.cli import cli
from tests.http_server import LoopbackServer, Reply

from .helpers import fixture_text, write_config

PAGE = "/kankeijinkou/discription/index.html"
FULL = fixture_text("model_projects_table.html")
# 令和2年度 gone from the page: a whole year (and its 25 bodies) would be removed.
SECTION = re.compile(r'<h3[^>]*>令和2年度モデル事業採択団体.*?(?=<h3[^>]*>令和元年度)', re.S)
WITHOUT_2020 = SECTION.sub("", FULL, count=1)


def serve(server: LoopbackServer, html: str, etag: str) -> None:
    server.route(PAGE, Reply(200, body=html.encode("utf-8"), content_type="text/html; charset=utf-8",
                             headers={"ETag": etag}))


def kankei(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--config", str(config), *args])
    return result.exit_code, result.output


def state(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT fiscal_year, prefecture, municipality FROM adoptions ORDER BY 1, 2, 3").fetchall()


def test_a_removed_year_is_refused_until_confirmed(http_server: LoopbackServer, tmp_path: Path) -> None:
    assert WITHOUT_2020 != FULL and "令和元年度モデル事業採択団体" in WITHOUT_2020
    config = write_config(tmp_path, http_server.url(PAGE))
    db = tmp_path / "data" / "kankei.db"
    serve(http_server, FULL, '"v1"')
    assert kankei(config, "run")[0] == 0
    before = state(db)
    assert len(before) == 99

    serve(http_server, WITHOUT_2020, '"v2"')
    for _ in range(2):  # refused again on the next run: the refused body never becomes the validator
        code, out = kankei(config, "run")
        assert code == 1, out
        assert "refused: the page would remove the whole of 令和2年度 (FY2020, 25 bodies)" in out
        assert "--accept-removals" in out and len(out.strip().splitlines()) == 1
        assert state(db) == before
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM changes WHERE kind LIKE '%removed'").fetchone()[0] == 0

    code, out = kankei(config, "run", "--accept-removals")
    assert code == 0, out
    assert "1 year_removed" in out and "25 adoption_removed" in out
    assert len(state(db)) == 74
    with sqlite3.connect(db) as conn:
        summary = json.loads(conn.execute("SELECT summary FROM runs ORDER BY id DESC").fetchone()[0])
    assert summary["model-projects"]["accepted_removals"] == "the page would remove the whole of 令和2年度 (FY2020, 25 bodies)"

    code, out = kankei(config, "rebuild", "--check")  # the replay refuses and accepts as the runs did
    assert code == 0, out
