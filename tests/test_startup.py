"""A ``kankei run`` whose page answers 304 loads only what that path uses.

Modules load where their job starts: the CLI imports a command's module when the command
runs; the cycle imports :mod:`pipeline.apply` (the entities, the comparison, the stored state)
when a body arrives and :mod:`pipeline.documents` when there are documents to follow; the parser
registry imports a parser when a body needs parsing; notifications build their text when there is
a message; and db/schema.py loads its set-up (sqlite-utils) only when a database's schema version
is not current.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from pipeline.cli import cli
from tests.http_server import LoopbackServer, Reply

from .helpers import fixture_bytes, write_config

PAGE = "/kankeijinkou/discription/index.html"
# Needed only for a changed body, a report, a notification, Datasette or a schema set-up.
NOT_ON_THE_UNCHANGED_PATH = ("lxml", "bs4", "apprise", "feedgen", "jinja2", "datasette", "sqlite_utils",
                             "pipeline.apply", "pipeline.documents", "scraper.model", "scraper.compare", "db.store",
                             "pipeline.report.messages", "pipeline.format", "pipeline.notify", "db.documents",
                             "zoneinfo", "difflib")


def modules_of_a_fresh_run(config: Path, out: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``kankei run`` in a new Python process; return it and the modules it had loaded at exit."""
    code = ("import atexit, json, sys\n"
            f"atexit.register(lambda: open({str(out)!r}, 'w').write(json.dumps(sorted(sys.modules))))\n"
            "from pipeline.cli import cli\n"
            "cli()\n")
    proc = subprocess.run([sys.executable, "-c", code, "--config", str(config), "run"],
                          capture_output=True, text=True, timeout=60)
    return proc, set(json.loads(out.read_text()))


def test_an_unchanged_run_imports_no_parser_report_or_sqlite_utils(http_server: LoopbackServer,
                                                                      tmp_path: Path) -> None:
    config = write_config(tmp_path, http_server.url(PAGE))
    http_server.route("/robots.txt", Reply(200, body="User-agent: *\nAllow: /\n", content_type="text/plain"))
    http_server.route(PAGE, Reply(200, body=fixture_bytes("model_projects_table.html"), content_type="text/html",
                                  headers={"ETag": '"v1"'}), Reply(304, headers={"ETag": '"v1"'}))
    first = CliRunner().invoke(cli, ["--config", str(config), "run"])
    assert first.exit_code == 0 and "fetched" in first.output, first.output

    proc, loaded = modules_of_a_fresh_run(config, tmp_path / "modules.json")
    assert proc.returncode == 0 and "unchanged (304 Not Modified)" in proc.stdout, proc.stdout + proc.stderr
    assert http_server.requests_to(PAGE)[-1].headers.get("If-None-Match") == '"v1"'
    assert {"requests", "sqlite3", "pipeline.cycle"} <= loaded  # the check sees what was loaded
    assert sorted(set(NOT_ON_THE_UNCHANGED_PATH) & loaded) == []
    assert "scraper.decode" not in loaded and not any(name.startswith("scraper.parsers.") for name in loaded)
    assert "scraper.lgcode" not in loaded and "db.views" not in loaded  # the code list: parsing and set-up only


def test_a_changed_body_loads_the_parser(http_server: LoopbackServer, tmp_path: Path) -> None:
    """The same check on a run that parses: what the 304 run leaves out is loaded when needed."""
    config = write_config(tmp_path, http_server.url(PAGE))
    http_server.route("/robots.txt", Reply(200, body="User-agent: *\nAllow: /\n", content_type="text/plain"))
    http_server.route(PAGE, Reply(200, body=fixture_bytes("model_projects_table.html"), content_type="text/html"))
    proc, loaded = modules_of_a_fresh_run(config, tmp_path / "modules.json")
    assert proc.returncode == 0 and "initial load" in proc.stdout, proc.stdout + proc.stderr
    assert {"scraper.parsers.model_projects", "scraper.decode", "sqlite_utils", "pipeline.apply", "scraper.model",
            "db.store"} <= loaded
