"""``kankei demo``: the whole pipeline offline, on bundled sample pages served on 127.0.0.1.

The samples (``pipeline/samples/``) are the reference content of the ministry's page
in Shift_JIS (cp932) with no charset in the HTTP header, like the real site:

1. ``v1_baseline.html``: the page as captured (FY2018–FY2020), loaded into an empty database;
2. the same page again: the server answers the conditional GET with 304;
3. ``v2_new_year.html``: a new 令和3年度 section (fictional demo data);
4. ``v3_edited.html``: an edited 事業概要 and a removed body;
5. the same page (304), but the ministry replaced the 令和2年度 adoption list PDF with one that
   leaves out a body: a changed document and a discrepancy.

Every page links each year's adoption list and a results report (``samples/documents/``,
made by ``scripts/make_documents.py``), served beside it with ETags: the first run records
them, later runs ask for each with a conditional GET.

A feed source ``soumu-news`` reads ``samples/news.rdf`` (RSS 1.0 in Shift_JIS, like the
ministry's news.rdf) from the first run: its one matching item announces the (fictional)
令和3年度 adoptions, so 令和3年度 is pending, announced but not on the portal page, until run 3
puts it there. (It does not follow the item's page: its 別紙 would be cross-checked against
the portal page from run 3 on, which the feed's own tests do.)
"""

from __future__ import annotations

import hashlib
import shutil
import threading
from collections.abc import Callable
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path

from .config import Config, HttpConfig, Source
from .cycle import run_cycle
from .results import RunResult
from .format import change_line

PAGE_PATH = "/kankeijinkou/discription/index.html"
FEED_PATH = "/news.rdf"
MARKER = ".kankei-demo"

R02_LIST = "/main_content/r02_saitaku.pdf"
# The documents the demo's pages link to: path -> sample file (documents/...).
DOCUMENTS = {
    "/main_content/h30_saitaku.pdf": "h30_saitaku.pdf",
    "/main_content/r01_saitaku.pdf": "r01_saitaku.pdf",
    R02_LIST: "r02_saitaku.pdf",
    "/main_content/r02_seika.pdf": "r02_seika.pdf",
}
# Where the pages link them: after each year's heading, as the ministry does.
LINKS = {
    "令和2年度モデル事業採択団体": [(R02_LIST, "令和2年度採択団体一覧 [PDFファイル/4KB]"),
                                    ("/main_content/r02_seika.pdf", "令和2年度 成果報告書 [PDFファイル/3KB]")],
    "令和元年度モデル事業採択団体": [("/main_content/r01_saitaku.pdf", "令和元年度採択団体一覧 [PDFファイル/6KB]")],
    "平成30年度モデル事業採択団体": [("/main_content/h30_saitaku.pdf", "平成30年度採択団体一覧 [PDFファイル/5KB]")],
}

# (page sample, what the run shows, documents replaced before it: path -> sample file)
STEPS: list[tuple[str, str, dict[str, str]]] = [
    ("v1_baseline.html", "baseline: the ministry's feed announcing 令和3年度, the page as captured and its linked "
                         "PDFs, loaded into an empty database", {}),
    ("v1_baseline.html", "the same page again: conditional GETs, the server answers 304 for the page and each PDF", {}),
    ("v2_new_year.html", "a new fiscal year 令和3年度 appears on the page, announced since run 1 "
                         "(fictional demo data)", {}),
    ("v3_edited.html", "an edited 事業概要 and a removed body", {}),
    ("v3_edited.html", "the same page, but the 令和2年度 adoption list PDF now leaves out 南知多町: "
                       "a changed document and a discrepancy", {R02_LIST: "r02_saitaku_v2.pdf"}),
]


def sample_bytes(name: str) -> bytes:
    return resources.files("pipeline").joinpath("samples", *name.split("/")).read_bytes()


def with_document_links(page: bytes, links: dict[str, list[tuple[str, str]]], encoding: str = "cp932") -> bytes:
    """A sample page with document links added after year headings: ``{heading text: [(href, text)]}``
    (e.g. ``{"令和2年度モデル事業採択団体": [("/main_content/r02.pdf", "令和2年度採択団体一覧 [PDFファイル/4KB]")]}``);
    the heading ``""`` puts links at the top of the content."""
    html = page.decode(encoding)
    for heading, anchors in links.items():
        paragraphs = "".join(f'<p><a href="{href}">{text}</a></p>' for href, text in anchors)
        start = html.index(heading) if heading else html.index("<h3")
        end = html.index("</h3>", start) + len("</h3>") if heading else start
        html = html[:end] + paragraphs + html[end:]
    return html.encode(encoding)


class SamplePageServer:
    """Serves one page at a time on 127.0.0.1 with ETag/Last-Modified and a robots.txt, and the
    files it links to (:meth:`serve_file`, with an ETag each)."""

    def __init__(self) -> None:
        self.body = b""
        self.etag = ""
        self.last_modified = ""
        self.requests: list[str] = []
        self.files: dict[str, tuple[bytes, str, str]] = {}  # path -> body, content type, ETag
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                server.requests.append(self.path)
                if self.path == "/robots.txt":
                    self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
                elif self.path in server.files:
                    body, content_type, etag = server.files[self.path]
                    if self.headers.get("If-None-Match") == etag:
                        self.send_response(304)
                        self.send_header("ETag", etag)
                        self.end_headers()
                    else:
                        self._send(200, body, content_type, etag)
                elif self.path == PAGE_PATH:
                    if self.headers.get("If-None-Match") == server.etag:
                        self.send_response(304)
                        self.send_header("ETag", server.etag)
                        self.end_headers()
                    else:
                        # Like www.soumu.go.jp: Shift_JIS bytes, no charset in the header.
                        self._send(200, server.body, "text/html")
                else:
                    self._send(404, b"not found", "text/plain")

            def _send(self, status: int, body: bytes, content_type: str, etag: str | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                if etag:
                    self.send_header("ETag", etag)
                if status == 200 and self.path == PAGE_PATH:
                    self.send_header("ETag", server.etag)
                    self.send_header("Last-Modified", server.last_modified)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # A short poll: shutdown() returns within 0.05 s (the default 0.5 s delays every demo's end).
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{PAGE_PATH}"

    def serve(self, body: bytes, version: int) -> None:
        self.body = body
        self.etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        self.last_modified = formatdate(1_600_000_000 + version * 86_400, usegmt=True)

    def serve_file(self, path: str, body: bytes, content_type: str) -> None:
        self.files[path] = (body, content_type, '"' + hashlib.sha256(body).hexdigest()[:16] + '"')

    def __enter__(self) -> SamplePageServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def demo_config(directory: Path, url: str, feed_url: str | None = None) -> Config:
    """The demo's configuration: the portal page at ``url``, and the feed at ``feed_url`` when given."""
    feeds = [Source(name="soumu-news", url=feed_url, parser="feed")] if feed_url else []
    return Config(
        path=None,
        database=directory / "kankei.db",
        snapshots=directory / "snapshots",
        http=HttpConfig(user_agent="kankei-demo/0.1 (+offline demo)", timeout=10, retries=1,
                        min_interval=0, allowed_hosts=["127.0.0.1"]),
        sources=[Source(name="model-projects", url=url, parser="model_projects"), *feeds],
    )


def write_demo_config(directory: Path, url: str) -> Path:
    """A config.toml beside the demo database, so ``kankei --config DIR/config.toml report`` etc. work."""
    path = directory / "config.toml"
    path.write_text(
        "# Written by `kankei demo`. The source URL was the demo's loopback server, gone after the demo.\n"
        '[storage]\ndatabase = "kankei.db"\nsnapshots = "snapshots"\n\n'
        '[http]\nuser_agent = "kankei-demo/0.1 (+offline demo)"\nallowed_hosts = ["127.0.0.1"]\n'
        "min_interval = 0\n\n"
        f'[[sources]]\nname = "model-projects"\nurl = "{url}"\nparser = "model_projects"\n\n'
        f'[[sources]]\nname = "soumu-news"\nurl = "{url.replace(PAGE_PATH, FEED_PATH)}"\nparser = "feed"\n',
        encoding="utf-8",
    )
    return path


def prepare_directory(directory: Path) -> None:
    """Create the demo folder, or reset one an earlier demo made (never a foreign folder)."""
    if directory.exists() and any(directory.iterdir()):
        if not (directory / MARKER).exists():
            raise FileExistsError(f"{directory} exists and was not made by kankei demo; choose another --dir")
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MARKER).write_text("made by kankei demo; deleted and recreated by the next demo\n")


def run_demo(directory: Path, echo: Callable[[str], None] = print) -> list[RunResult]:
    prepare_directory(directory)
    results = []
    with SamplePageServer() as server:
        config = demo_config(directory, server.url, server.url.replace(PAGE_PATH, FEED_PATH))
        write_demo_config(directory, server.url)
        for path, name in DOCUMENTS.items():
            server.serve_file(path, sample_bytes(f"documents/{name}"), "application/pdf")
        base = server.url.removesuffix(PAGE_PATH).encode("ascii")
        server.serve_file(FEED_PATH, sample_bytes("news.rdf").replace(b"https://www.soumu.go.jp", base),
                          "application/rss+xml")
        for step, (sample, title, replaced) in enumerate(STEPS, start=1):
            for path, name in replaced.items():
                server.serve_file(path, sample_bytes(f"documents/{name}"), "application/pdf")
            server.serve(with_document_links(sample_bytes(sample), LINKS), step)
            echo(f"\n== Run {step}: {title}")
            result = run_cycle(config)
            results.append(result)
            for source in result.sources:
                echo(source.line())
                if source.initial:
                    continue
                for change in source.changes:
                    echo("   " + change_line(change))
            for line in pending_lines(config):
                echo(line)
    return results


def pending_lines(config: Config) -> list[str]:
    """The years announced as adopted but not on the portal page yet (the leading signal)."""
    from db import announcements, schema

    conn = schema.connect(config.database)
    try:
        pending = [f"pending: FY{r['fiscal_year']} announced {r['announced']} ({r['title']}), "
                   "not yet on the portal page" for r in announcements.pending_years(conn)]
        if not pending and conn.execute("SELECT 1 FROM announcements").fetchone():
            pending = ["pending: none (every year announced as adopted is on the portal page)"]
        return pending
    finally:
        conn.close()
