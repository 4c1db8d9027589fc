"""Linked documents in the cycle (issue 14), over real HTTP on 127.0.0.1 into a real SQLite file:
discovery, conditional GETs, document changes, the cross-check, bad documents, limits, rebuild."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.config import load_config
from pipeline.cycle import run_cycle
from pipeline.demo import sample_bytes, with_document_links
from tests.http_server import LoopbackServer, RecordedRequest, Reply
from tests.sample_documents import sample

from .helpers import write_config

PAGE = "/kankeijinkou/discription/index.html"
R02 = "/main_content/r02_saitaku.pdf"
LINKS = {
    "平成30年度モデル事業採択団体": [("/main_content/h30_saitaku.pdf", "平成30年度採択団体一覧 [PDFファイル/5KB]")],
    "令和元年度モデル事業採択団体": [("../../main_content/r01_saitaku.pdf", "令和元年度採択団体一覧 [PDFファイル/6KB]")],
    "令和2年度モデル事業採択団体": [(R02, "令和2年度採択団体一覧 [PDFファイル/4KB]"),
                                    ("/main_content/r02_seika.pdf#page=1", "令和2年度成果報告書 (PDF:3KB)"),
                                    ("http://elsewhere.example/list.pdf", "他のサイトの資料 [PDFファイル/1KB]")],
}


def cached(body: bytes, content_type: str):
    """A handler serving ``body`` with an ETag, answering a matching If-None-Match with 304."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'

    def handle(request: RecordedRequest) -> Reply:
        if request.headers.get("If-None-Match") == etag:
            return Reply(304, headers={"ETag": etag})
        return Reply(200, body=body, content_type=content_type, headers={"ETag": etag})
    return handle


def serve(server: LoopbackServer, page: bytes, documents: dict[str, bytes]) -> None:
    server.route("/robots.txt", Reply(200, body="User-agent: *\nAllow: /\n", content_type="text/plain"))
    server.route(PAGE, cached(page, "text/html"))
    for path, body in documents.items():
        server.route(path, cached(body, "application/pdf"))


def page(sample_name: str = "v1_baseline.html", links=LINKS) -> bytes:
    return with_document_links(sample_bytes(sample_name), links)


DOCUMENTS = {"/main_content/h30_saitaku.pdf": sample("h30_saitaku.pdf"),
             "/main_content/r01_saitaku.pdf": sample("r01_saitaku.pdf"),
             R02: sample("r02_saitaku.pdf"),
             "/main_content/r02_seika.pdf": sample("r02_seika.pdf")}


def setup(tmp_path: Path, server: LoopbackServer, extra: str = ""):
    serve(server, page(), DOCUMENTS)
    return load_config(write_config(tmp_path, server.url(PAGE), extra=extra))


def rows(config, sql: str, *args) -> list[tuple]:
    conn = sqlite3.connect(config.database)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def test_documents_are_discovered_fetched_and_read_and_an_unchanged_run_is_one_304_each(
        http_server: LoopbackServer, tmp_path: Path) -> None:
    config = setup(tmp_path, http_server)
    first = run_cycle(config)
    assert first.ok, first.sources[0].line()
    base = http_server.url("/")
    assert rows(config, "SELECT url, link_text, size_note, fiscal_year, text_status, pages, removed FROM documents"
                        " ORDER BY id") == [
        (f"{base}main_content/r02_saitaku.pdf", "令和2年度採択団体一覧", "[PDFファイル/4KB]", 2020, "ok", 1, 0),
        (f"{base}main_content/r02_seika.pdf", "令和2年度成果報告書", "(PDF:3KB)", 2020, "ok", 2, 0),
        ("http://elsewhere.example/list.pdf", "他のサイトの資料", "[PDFファイル/1KB]", 2020, "not_fetched", None, 0),
        (f"{base}main_content/r01_saitaku.pdf", "令和元年度採択団体一覧", "[PDFファイル/6KB]", 2019, "ok", 1, 0),
        (f"{base}main_content/h30_saitaku.pdf", "平成30年度採択団体一覧", "[PDFファイル/5KB]", 2018, "ok", 1, 0),
    ]
    assert "石狩市(北海道)" in rows(config, "SELECT text FROM documents WHERE url LIKE '%r02_saitaku.pdf'")[0][0]
    # the lists agree with the page: nothing to report; the foreign link was never requested
    assert rows(config, "SELECT COUNT(*) FROM discrepancies") == [(0,)]
    assert sorted(r[0] for r in rows(config, "SELECT kind FROM changes WHERE kind LIKE 'document%'")) == \
        ["document_added"] * 5
    files = sorted(p for p in config.snapshots.rglob("*.gz"))
    assert len(files) == 5  # the page and four documents, in the same store

    http_server.clear_requests()
    second = run_cycle(config)
    assert second.ok and second.sources[0].line() == "model-projects: unchanged (304 Not Modified)"
    assert second.changes == []
    paths = [r.path_only for r in http_server.requests if r.path_only != "/robots.txt"]
    assert sorted(paths) == sorted([PAGE, *DOCUMENTS])  # one conditional request per page and per document
    assert all(r.headers.get("If-None-Match") for r in http_server.requests if r.path_only != "/robots.txt")
    assert sorted(config.snapshots.rglob("*.gz")) == files  # no new file
    summary = json.loads(rows(config, "SELECT summary FROM runs WHERE id = 2")[0][0])
    assert summary["model-projects"]["document_errors"] == {
        "http://elsewhere.example/list.pdf": ["not_fetched",
                                              "host elsewhere.example is not in http.allowed_hosts: "
                                              "recorded, not fetched"]}


def test_a_changed_list_gives_document_changed_with_the_diff_and_a_discrepancy_found_then_resolved(
        http_server: LoopbackServer, tmp_path: Path) -> None:
    config = setup(tmp_path, http_server)
    assert run_cycle(config).ok
    http_server.route(R02, cached(sample("r02_saitaku_v2.pdf"), "application/pdf"))
    second = run_cycle(config)
    assert [(c.kind, c.name) for c in second.changes] == [
        ("document_changed", "令和2年度採択団体一覧"), ("discrepancy_found", "南知多町")]
    diff = second.changes[0].new_value
    assert diff.startswith("--- before\n+++ after") and "-" in diff and "南知多町" in diff
    assert rows(config, "SELECT fiscal_year, name, prefecture, kind, first_seen_run, resolved_run FROM discrepancies"
                ) == [(2020, "南知多町", "愛知県", "missing_from_document", 2, None)]
    assert second.sources[0].line().startswith("model-projects: unchanged (304 Not Modified); documents: 2 changes")
    # the adoptions were not touched by the document
    assert rows(config, "SELECT COUNT(*) FROM adoptions WHERE fiscal_year = 2020") == [(25,)]

    http_server.route(R02, cached(sample("r02_saitaku.pdf"), "application/pdf"))
    third = run_cycle(config)
    assert [(c.kind, c.name, c.old_value) for c in third.changes] == [
        ("document_changed", "令和2年度採択団体一覧", None), ("discrepancy_resolved", "南知多町", "missing_from_document")]
    assert rows(config, "SELECT resolved_run FROM discrepancies") == [(3,)]
    assert rows(config, "SELECT COUNT(*) FROM document_versions WHERE url LIKE '%r02_saitaku.pdf'") == [(3,)]


def test_a_removed_link_gives_document_removed_and_the_results_report_is_never_cross_checked(
        http_server: LoopbackServer, tmp_path: Path) -> None:
    config = setup(tmp_path, http_server)
    assert run_cycle(config).ok
    # the results report names towns that were not adopted: had it been compared, they would be discrepancies
    assert rows(config, "SELECT COUNT(*) FROM discrepancies") == [(0,)]
    links = {k: [a for a in v if "seika" not in a[0]] for k, v in LINKS.items()}
    http_server.route(PAGE, cached(page(links=links), "text/html"))
    result = run_cycle(config)
    assert [(c.kind, c.name, c.field.rsplit("/", 1)[-1]) for c in result.changes] == [
        ("document_removed", "令和2年度成果報告書", "r02_seika.pdf")]
    assert rows(config, "SELECT removed, last_changed_run FROM documents WHERE url LIKE '%seika%'") == [(1, 2)]
    # linked again: added again (its unchanged body answers 304), with what was stored of it
    http_server.route(PAGE, cached(page(), "text/html"))
    again = run_cycle(config)
    assert [(c.kind, c.name, c.new_value) for c in again.changes] == [("document_added", "令和2年度成果報告書", "ok")]
    assert rows(config, "SELECT removed, text_status, pages FROM documents WHERE url LIKE '%seika%'") == [(0, "ok", 2)]


def test_bad_documents_get_their_status_and_the_page_still_succeeds(http_server: LoopbackServer,
                                                                     tmp_path: Path) -> None:
    from tests.sample_documents import make  # builders of encrypted and image-only PDFs

    links = {"令和2年度モデル事業採択団体": [
        ("/d/corrupt.pdf", "壊れた一覧"), ("/d/big.pdf", "大きな一覧"), ("/d/missing.pdf", "消えた一覧"),
        ("/d/html.pdf", "エラーページ"), ("/d/locked.pdf", "暗号化された一覧"), ("/d/scan.pdf", "スキャンした一覧")]}
    serve(http_server, page(links=links), {"/d/corrupt.pdf": b"%PDF-1.4\nthis is not a PDF",
                                           "/d/big.pdf": b"%PDF-1.4\n" + b"0" * 50_000,
                                           "/d/locked.pdf": make.pdf_bytes(make.list_2020(), encrypt="secret"),
                                           "/d/scan.pdf": make.image_only_pdf()})
    http_server.route("/d/missing.pdf", Reply(404, body="not found", content_type="text/plain"))
    http_server.route("/d/html.pdf", Reply(200, body="<html>エラー</html>", content_type="text/html"))
    config = load_config(write_config(tmp_path, http_server.url(PAGE),
                                      extra="[documents]\nmax_bytes = 40000\n"))
    result = run_cycle(config)
    assert result.ok and result.sources[0].status == "fetched"
    assert rows(config, "SELECT link_text, text_status, error IS NOT NULL FROM documents ORDER BY id") == [
        ("壊れた一覧", "corrupt", 1), ("大きな一覧", "too_large", 1), ("消えた一覧", "failed", 1),
        ("エラーページ", "corrupt", 1), ("暗号化された一覧", "encrypted", 1), ("スキャンした一覧", "no_text", 0)]
    assert rows(config, "SELECT COUNT(*) FROM adoptions") == [(99,)]
    assert rows(config, "SELECT COUNT(*) FROM discrepancies") == [(0,)]
    report = CliRunner().invoke(cli, ["--config", str(config.path), "report"]).stdout
    assert "- Added: 暗号化された一覧" in report and "no text: encrypted" in report, report
    assert "no text: corrupt" in report and "no text: too\\_large" in report  # Markdown-escaped
    status = CliRunner().invoke(cli, ["--config", str(config.path), "status"])
    assert status.exit_code == 0 and "消えた一覧" in status.output and "too_large" in status.output, status.output


def test_a_link_loop_stops_at_max_per_source_with_a_warning(http_server: LoopbackServer, tmp_path: Path,
                                                           caplog) -> None:
    links = {"": [(f"/many/{n}.pdf", f"資料{n}") for n in range(200)]}
    serve(http_server, page(links=links), {f"/many/{n}.pdf": b"%PDF-1.4 broken" for n in range(200)})
    config = load_config(write_config(tmp_path, http_server.url(PAGE), extra="[documents]\nmax_per_source = 5\n"))
    result = run_cycle(config)
    assert result.ok
    assert rows(config, "SELECT COUNT(*) FROM documents") == [(5,)]
    assert http_server.count() <= 7  # robots.txt, the page, five documents
    assert any("200 document links, only the first 5 followed" in w for w in result.sources[0].warnings)


def test_documents_false_follows_nothing(http_server: LoopbackServer, tmp_path: Path) -> None:
    serve(http_server, page(), DOCUMENTS)
    config = load_config(write_config(tmp_path, http_server.url(PAGE), extra="documents = false\n"))
    assert run_cycle(config).ok
    assert rows(config, "SELECT COUNT(*) FROM documents") == [(0,)]
    assert http_server.count(R02) == 0


def test_rebuild_reproduces_documents_and_discrepancies(http_server: LoopbackServer, tmp_path: Path) -> None:
    config = setup(tmp_path, http_server)
    assert run_cycle(config).ok
    http_server.route(R02, cached(sample("r02_saitaku_v2.pdf"), "application/pdf"))
    assert run_cycle(config).ok
    links = {k: [a for a in v if "seika" not in a[0]] for k, v in LINKS.items()}
    http_server.route(PAGE, cached(page(links=links), "text/html"))
    http_server.route("/main_content/h30_saitaku.pdf", Reply(503, body="busy", content_type="text/plain"))
    assert run_cycle(config).ok
    before = {t: rows(config, f"SELECT * FROM {t} ORDER BY id")
              for t in ("documents", "document_versions", "discrepancies", "changes")}
    assert len(before["discrepancies"]) == 1
    result = CliRunner().invoke(cli, ["--config", str(config.path), "rebuild"])
    assert result.exit_code == 0, result.output
    assert "Identical to the previous database, table by table." in result.output, result.output
    assert {t: rows(config, f"SELECT * FROM {t} ORDER BY id") for t in before} == before
