"""The whole cycle through the CLI, against a real loopback server and a real SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from pipeline.cli import cli
from tests.http_server import LoopbackServer, Reply

from .helpers import fixture_bytes, write_config

PAGE = "/kankeijinkou/discription/index.html"


def serve(server: LoopbackServer, fixture: str, etag: str | None = None) -> None:
    headers = {"ETag": etag} if etag else {}
    server.route(PAGE, Reply(200, body=fixture_bytes(fixture), content_type="text/html", headers=headers))


def run(config: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--config", str(config), "run"])
    return result.exit_code, result.output


def dump(db: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(db)
    try:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            for table in ("fiscal_years", "adoptions", "partners", "categories", "changes")
        }
    finally:
        conn.close()


def test_first_run_loads_everything_and_second_records_nothing(http_server: LoopbackServer, tmp_path: Path) -> None:
    serve(http_server, "model_projects_table.html")
    config = write_config(tmp_path, http_server.url(PAGE))
    code, out = run(config)
    assert code == 0, out
    assert out.strip() == "model-projects: fetched, initial load (99 adoption_added, 7 category_changed, 3 year_added)"
    db = tmp_path / "data" / "kankei.db"
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT fiscal_year, stated_total, parsed_total FROM fiscal_years ORDER BY 1").fetchall() == [
        (2018, 30, 30), (2019, 44, 44), (2020, 25, 25)]
    assert conn.execute("SELECT prefecture, lg_code FROM adoptions WHERE name = '石狩市'").fetchone() == ("北海道", "012351")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    before = dump(db)

    code, out = run(config)
    assert code == 0 and out.strip() == "model-projects: fetched, no changes"
    assert dump(db) == before


def test_form_only_revision_and_other_markups_record_nothing(http_server: LoopbackServer, tmp_path: Path) -> None:
    serve(http_server, "model_projects_table.html")
    config = write_config(tmp_path, http_server.url(PAGE))
    assert run(config)[0] == 0
    db = tmp_path / "data" / "kankei.db"
    before = dump(db)
    for fixture in ("model_projects_form_only.html", "model_projects_dl.html", "model_projects_oldstyle_sjis.html"):
        serve(http_server, fixture)
        code, out = run(config)
        assert (code, out.strip()) == (0, "model-projects: fetched, no changes"), fixture
    assert dump(db) == before


def test_304_stores_no_new_snapshot_file(http_server: LoopbackServer, tmp_path: Path) -> None:
    body = fixture_bytes("model_projects_table.html")

    def page(request):
        if request.headers.get("If-None-Match") == '"v1"':
            return Reply(304, headers={"ETag": '"v1"'})
        return Reply(200, body=body, content_type="text/html", headers={"ETag": '"v1"'})

    http_server.route(PAGE, page)
    config = write_config(tmp_path, http_server.url(PAGE))
    assert run(config)[0] == 0
    files = sorted(p for p in (tmp_path / "snapshots").rglob("*") if p.is_file())
    code, out = run(config)
    assert (code, out.strip()) == (0, "model-projects: unchanged (304 Not Modified)")
    assert sorted(p for p in (tmp_path / "snapshots").rglob("*") if p.is_file()) == files
    assert http_server.requests_to(PAGE)[-1].headers["If-None-Match"] == '"v1"'
    # A 304 is a compact row pointing at the body it confirms; the state still reflects that body,
    # so the next conditional GET sends its ETag again.
    assert run(config)[0] == 0
    assert http_server.requests_to(PAGE)[-1].headers["If-None-Match"] == '"v1"'
    conn = sqlite3.connect(tmp_path / "data" / "kankei.db")
    rows = conn.execute("SELECT id, http_status, same_as, etag, last_modified, sha256, size, path, encoding "
                        "FROM snapshots ORDER BY id").fetchall()
    assert [r[1:] for r in rows[1:]] == [(304, 1, None, None, None, None, None, None)] * 2
    assert rows[0][1:3] == (200, None) and rows[0][3] == '"v1"' and rows[0][5]
    assert conn.execute("SELECT last_snapshot_id FROM source_state").fetchone()[0] == 1


def test_vanished_table_exits_1_and_keeps_every_adoption(http_server: LoopbackServer, tmp_path: Path) -> None:
    serve(http_server, "model_projects_table.html")
    config = write_config(tmp_path, http_server.url(PAGE))
    assert run(config)[0] == 0
    db = tmp_path / "data" / "kankei.db"
    before = dump(db)
    for fixture, cause in [
        ("model_projects_no_table.html", "neither a 採択団体/事業概要 table nor type headings"),
        ("error_page.html", "no fiscal-year heading"),
        ("model_projects_count_mismatch.html", "関係創出型 states 7団体 but 6 bodies are listed"),
    ]:
        serve(http_server, fixture)
        code, out = run(config)
        assert code == 1, out
        assert out.startswith("model-projects: failed: ") and cause in out
        assert len(out.strip().splitlines()) == 1
        assert dump(db) == before
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT consecutive_failures FROM source_state").fetchone()[0] == 3
    assert conn.execute("SELECT status FROM runs ORDER BY id DESC").fetchone()[0] == "failed"


def test_edits_are_recorded_field_by_field(http_server: LoopbackServer, tmp_path: Path) -> None:
    html = fixture_bytes("model_projects_table.html").decode("utf-8")
    serve(http_server, "model_projects_table.html")
    config = write_config(tmp_path, http_server.url(PAGE))
    assert run(config)[0] == 0
    edited = html.replace("収穫体験などの", "収穫体験・加工体験などの").replace("【須崎市、四万十町】", "【須崎市】")
    assert edited != html
    http_server.route(PAGE, Reply(200, body=edited.encode("utf-8"), content_type="text/html; charset=utf-8"))
    code, out = run(config)
    assert code == 0 and "2 changes (2 adoption_changed)" in out
    conn = sqlite3.connect(tmp_path / "data" / "kankei.db")
    rows = conn.execute("SELECT name, field, old_value, new_value FROM changes WHERE run_id = 2 ORDER BY name").fetchall()
    assert rows[0][:2] == ("土佐町", "partners") and rows[0][2:] == ("須崎市、四万十町", "須崎市")
    assert rows[1][:2] == ("石狩市", "summary") and "加工体験" in rows[1][3] and "加工体験" not in rows[1][2]
    assert conn.execute("SELECT COUNT(*) FROM partners p JOIN adoptions a ON a.id = p.adoption_id WHERE a.name = '土佐町'").fetchone()[0] == 1
    assert conn.execute("SELECT last_changed_run FROM adoptions WHERE name = '石狩市'").fetchone()[0] == 2
    assert conn.execute("SELECT last_changed_run FROM adoptions WHERE name = '五戸町'").fetchone()[0] == 1


def test_text_source_records_a_diff(http_server: LoopbackServer, tmp_path: Path) -> None:
    page = "<html><head><title>t</title></head><body><nav>menu</nav><main><h1>モデル団体</h1><p>{}</p></main></body></html>"
    http_server.route("/list.html", Reply(200, body=page.format("関係深化型"), content_type="text/html; charset=utf-8"))
    config = write_config(tmp_path, http_server.url("/list.html"), parser="text")
    assert run(config)[0] == 0
    http_server.route("/list.html", Reply(200, body=page.format("関係深化型　").encode(), content_type="text/html; charset=utf-8"))
    assert run(config)[1].strip() == "model-projects: fetched, no changes"
    http_server.route("/list.html", Reply(200, body=page.format("関係創出型"), content_type="text/html; charset=utf-8"))
    code, out = run(config)
    assert code == 0 and "1 text_changed" in out
    conn = sqlite3.connect(tmp_path / "data" / "kankei.db")
    diff = conn.execute("SELECT new_value FROM changes WHERE kind = 'text_changed' ORDER BY id DESC").fetchone()[0]
    assert "-関係深化型" in diff and "+関係創出型" in diff and "menu" not in diff


def test_fetch_failure_exits_1_with_one_line(http_server: LoopbackServer, tmp_path: Path) -> None:
    http_server.route(PAGE, Reply(404))
    config = write_config(tmp_path, http_server.url(PAGE))
    code, out = run(config)
    assert code == 1
    assert out.startswith("model-projects: failed: ") and "404" in out and len(out.strip().splitlines()) == 1
