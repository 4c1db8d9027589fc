"""Notifications through real apprise to a real receiver on 127.0.0.1 (apprise's json:// scheme)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.cycle import run_cycle
from pipeline.demo import SamplePageServer, demo_config
from pipeline.format import change_line
from pipeline.notify import short_report
from tests.http_server import LoopbackServer, Reply, unused_port

from .helpers import write_config
from .ops_helpers import V1, V2, V3, query, received_json


@pytest.fixture
def site() -> Iterator[SamplePageServer]:
    """The ministry's page on 127.0.0.1, with ETag/304 like the real site."""
    with SamplePageServer() as server:
        server.serve(V1, 1)
        yield server


def notify_section(url: str, threshold: int | None = None) -> str:
    extra = f"\nfailure_threshold = {threshold}" if threshold is not None else ""
    return f'\n[notify]\nurls = ["{url}"]{extra}\n'


def hook_url(receiver: LoopbackServer, path: str = "/hook") -> str:
    return f"json://127.0.0.1:{receiver.port}{path}"


def run(config: Path, *options: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--config", str(config), *options, "run"])
    return result.exit_code, result.output


def test_a_change_report_reaches_the_receiver_as_markdown(site: SamplePageServer, http_server: LoopbackServer,
                                                          tmp_path: Path) -> None:
    http_server.route("/hook", Reply(200))
    config = write_config(tmp_path, site.url, extra=notify_section(hook_url(http_server)))

    assert run(config)[0] == 0  # initial load: one short report, not 99 lines
    first = received_json(http_server)
    assert len(first) == 1 and first[0]["type"] == "info"
    assert first[0]["title"] == "kankei: 109 changes in run 1"
    assert "**Initial load of model-projects**: 3 fiscal years" in first[0]["message"]
    assert "99 adopted bodies" in first[0]["message"]

    assert run(config)[0] == 0  # 304, nothing changed: nothing sent
    assert len(received_json(http_server)) == 1

    site.serve(V2, 2)
    code, out = run(config)
    assert code == 0 and "fetched, " in out
    messages = received_json(http_server)
    assert len(messages) == 2
    report = messages[1]
    changes = query(tmp_path / "data" / "kankei.db", "SELECT kind FROM changes WHERE run_id = 3")
    assert report["title"] == f"kankei: {len(changes)} changes in run 3"
    body = report["message"]  # the Markdown of `kankei report --run 3`
    assert body.startswith("# kankei report: run 3\n")
    assert "\n### FY2021 令和3年度 — new fiscal year (全3団体)\n" in body
    assert "\n**Added (3)**\n" in body and "\n- 遠野市 — 岩手県遠野市\n" in body
    assert query(tmp_path / "data" / "kankei.db",
                 "SELECT kind, attempts, sent_at IS NOT NULL, last_error FROM notifications ORDER BY id") == [
        ("changes", 1, 1, None), ("changes", 1, 1, None)]


def test_three_failures_in_a_row_send_one_alert_and_a_recovery_sends_one(
        site: SamplePageServer, http_server: LoopbackServer, tmp_path: Path) -> None:
    http_server.route("/hook", Reply(200))
    broken = site.url.replace("index.html", "missing.html")
    config = write_config(tmp_path, broken, extra=notify_section(hook_url(http_server)))

    for n in range(1, 6):
        code, out = run(config)
        assert code == 1 and "failed: " in out
        alerts = received_json(http_server)
        assert len(alerts) == (0 if n < 3 else 1), f"after failure {n}: {alerts}"
    alert = alerts[0]
    assert alert["type"] == "failure"
    assert alert["title"] == "kankei: model-projects failed 3 times in a row"
    assert "404" in alert["message"] and "run 3" in alert["message"]

    config.write_text(config.read_text().replace(broken, site.url))
    assert run(config)[0] == 0
    messages = received_json(http_server)
    kinds = [m["type"] for m in messages]
    assert kinds == ["failure", "success", "info"]  # the recovery, then the initial load's report
    assert messages[1]["title"] == "kankei: model-projects recovered"
    assert "after 5 failed runs" in messages[1]["message"]

    assert run(config)[0] == 0  # fine again: nothing more
    assert len(received_json(http_server)) == 3


def test_failures_below_the_threshold_then_success_send_nothing(site: SamplePageServer, http_server: LoopbackServer,
                                                               tmp_path: Path) -> None:
    http_server.route("/hook", Reply(200))
    config = write_config(tmp_path, site.url, extra=notify_section(hook_url(http_server), threshold=2))
    assert run(config)[0] == 0
    http_server.clear_requests()
    good = config.read_text()
    site_down = good.replace(site.url, f"http://127.0.0.1:{unused_port()}/x")
    config.write_text(site_down)
    assert run(config)[0] == 1
    config.write_text(good)
    assert run(config)[0] == 0
    assert received_json(http_server) == []


def test_a_receiver_that_fails_never_fails_the_run_and_gets_the_message_next_run(
        site: SamplePageServer, http_server: LoopbackServer, tmp_path: Path) -> None:
    http_server.route("/hook", Reply(500, body=b"down for maintenance"))
    config = write_config(tmp_path, site.url, extra=notify_section(hook_url(http_server)))
    db = tmp_path / "data" / "kankei.db"

    code, out = run(config)
    assert code == 0 and out.startswith("model-projects: fetched, initial load"), out
    assert http_server.count("/hook") == 1
    assert query(db, "SELECT id, status FROM runs") == [(1, "ok")]  # the run is recorded, not rolled back
    assert query(db, "SELECT count(*) FROM adoptions") == [(99,)]
    row = query(db, "SELECT attempts, sent_at, last_error FROM notifications")
    assert len(row) == 1 and row[0][:2] == (1, None) and "error=500" in row[0][2]

    status = CliRunner().invoke(cli, ["--config", str(config), "status"]).output
    assert "notifications waiting to be retried: 1" in status

    http_server.route("/hook", Reply(200))
    assert run(config)[0] == 0  # 304: no new message, but the queued one is retried
    delivered = received_json(http_server)
    assert len(delivered) == 2 and delivered[0] == delivered[1]
    assert delivered[1]["title"] == "kankei: 109 changes in run 1"
    assert query(db, "SELECT attempts, sent_at IS NOT NULL FROM notifications") == [(2, 1)]

    assert run(config)[0] == 0  # delivered once: never again
    assert http_server.count("/hook") == 2


def test_an_unreachable_receiver_is_logged_and_retried(site: SamplePageServer, tmp_path: Path) -> None:
    port = unused_port()
    config = write_config(tmp_path, site.url, extra=notify_section(f"json://127.0.0.1:{port}/hook"))
    code, out = run(config)
    assert code == 0, out
    db = tmp_path / "data" / "kankei.db"
    assert query(db, "SELECT attempts, sent_at FROM notifications") == [(1, None)]
    assert "Connection error" in query(db, "SELECT last_error FROM notifications")[0][0]
    with LoopbackServer() as late:  # another port: the queued message is only for the configured URL
        late.route("/hook", Reply(200))
        config.write_text(config.read_text().replace(f":{port}/", f":{late.port}/"))
        assert run(config)[0] == 0
        assert late.count() == 0  # the old URL's message is not sent to a new URL
    assert query(db, "SELECT attempts FROM notifications") == [(1,)]


def test_an_unusable_notify_url_exits_2_before_anything_is_written(site: SamplePageServer, tmp_path: Path) -> None:
    config = write_config(tmp_path, site.url, extra=notify_section("nosuchservice://token@example"))
    result = CliRunner().invoke(cli, ["--config", str(config), "run"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert "notify.urls[0] is not a URL apprise supports (scheme 'nosuchservice')" in result.output
    assert "token" not in result.output  # apprise URLs carry secrets: never echo them
    assert not (tmp_path / "data").exists() and site.requests == []


def test_quiet_run_prints_nothing_when_nothing_changed(site: SamplePageServer, tmp_path: Path) -> None:
    config = write_config(tmp_path, site.url)
    assert run(config, "-q")[1].startswith("model-projects: fetched, initial load")
    assert run(config, "-q") == (0, "")  # cron mails nothing
    site.serve(V3, 3)
    code, out = run(config, "-q")
    assert code == 0 and out.startswith("model-projects: fetched, ") and "change" in out


def test_the_short_report_lists_each_change_when_the_full_report_is_unavailable(tmp_path: Path) -> None:
    with SamplePageServer() as site:
        config = demo_config(tmp_path, site.url)
        site.serve(V1, 1)
        first = run_cycle(config)
        site.serve(V3, 3)
        second = run_cycle(config)
    assert short_report(first).splitlines()[:5] == [
        "# kankei run 1: 109 changes", "", "## model-projects", "",
        "Initial load: 99 adoption_added, 7 category_changed, 3 year_added."]
    body = short_report(second)
    lines = [line for line in body.splitlines() if line.startswith("- ")]
    assert len(lines) == len(second.changes) > 0
    assert lines[0] == "- " + change_line(second.changes[0]).replace("*", "\\*").replace("_", "\\_")
