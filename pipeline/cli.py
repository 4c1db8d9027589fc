"""The ``kankei`` command line."""

from __future__ import annotations

import functools
import logging
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from scraper.errors import ConfigError, printable, public_url

from .config import Config, load_config

EXIT_OK, EXIT_SOURCE_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_LOCKED = 3  # another kankei run/schedule cycle/rebuild holds the run lock (pipeline/lock.py)


def fail(message: str, code: int) -> NoReturn:
    """Print ``kankei: <message>`` on stderr and exit with ``code``: every command's one-line error."""
    echo(f"kankei: {message}", err=True)
    sys.exit(code)


def echo(text: str, **kwargs: Any) -> None:
    """``click.echo`` without control characters: nothing a server or a page sent can drive the terminal."""
    click.echo(printable(text), **kwargs)


class SafeLogs(logging.Filter):
    """On every log handler: each line without control characters and without the secrets of notify URLs."""

    secrets: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = printable(message)
        if self.secrets:
            from .notify import redact

            clean = redact(clean, self.secrets)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


SAFE_LOGS = SafeLogs()


def config_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """Accept ``--config`` after the command too: ``kankei run --config PATH``."""

    @click.option("--config", "command_config", metavar="PATH", default=None,
                  help="Config file (overrides the group option).")
    @click.pass_context
    @functools.wraps(f)
    def wrapper(ctx: click.Context, command_config: str | None, **kwargs: Any) -> Any:
        if command_config:
            ctx.obj["config_path"] = command_config
        return ctx.invoke(f, **kwargs)

    return wrapper


def get_config() -> Config:
    """Load the config chosen by --config / $KANKEI_CONFIG / ./config.toml, or exit 2."""
    ctx = click.get_current_context()
    try:
        config = load_config(ctx.obj.get("config_path"))
    except ConfigError as e:
        fail(f"configuration error: {e}", EXIT_USAGE)
    if config.notify.urls:
        from .notify import secret_parts

        SafeLogs.secrets = secret_parts(config.notify.urls)
    return config


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", metavar="PATH", envvar="KANKEI_CONFIG", default=None,
              help="Config file. Default: $KANKEI_CONFIG, else ./config.toml.")
@click.option("-v", "--verbose", is_flag=True, help="Log every step.")
@click.option("-q", "--quiet", is_flag=True, help="Log errors only.")
@click.version_option(package_name="kankei")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: bool, quiet: bool) -> None:
    """kankei: track the MIC 関係人口 portal's model-project adoptions (モデル事業採択団体).

    Fetches the ministry's pages politely, keeps every distinct page as a raw
    snapshot, parses the adopted bodies of every fiscal year into SQLite and records
    entity-level changes.
    """
    ctx.ensure_object(dict)
    ctx.obj["config_path"] = config_path
    ctx.obj["quiet"], ctx.obj["verbose"] = quiet, verbose
    level = logging.DEBUG if verbose else logging.ERROR if quiet else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for handler in logging.getLogger().handlers:
        if SAFE_LOGS not in handler.filters:
            handler.addFilter(SAFE_LOGS)


@cli.command()
@config_option
@click.option("--accept-removals", is_flag=True,
              help="Store pages that would remove a whole fiscal year or more than a fifth of a "
                   "year's bodies (refused otherwise); the run records the confirmation.")
def run(accept_removals: bool) -> None:
    """Fetch every configured source once and record what changed.

    Prints one line per source: fetched (with the counts of changes), unchanged
    or failed. With -q (kankei -q run) only sources with changes are printed and
    failures go to stderr, so cron mails only when there is something to read.
    A page that would remove a whole year, or more than a fifth of a year's
    bodies, fails its source until checked and run with --accept-removals.
    After a page, the documents it links to are fetched (conditional GET each)
    and cross-checked; a document that cannot be fetched or read is a warning
    and a status (see `kankei status`), never the source's failure. Sends
    [notify] messages (changes, failure alerts, recoveries) afterwards.

    Exit status: 0 every source ok, 1 a source failed, 2 usage or configuration
    error or a database that cannot be written (e.g. read-only), 3 another kankei
    run holds the lock (nothing was written).
    """
    from .cycle import run_cycle
    from .lock import LockFileError, LockHeld, run_lock

    config = get_config()
    check_notify_urls(config)
    quiet = click.get_current_context().obj.get("quiet", False)
    try:
        with run_lock(config):
            result = run_cycle(config, accept_removals=accept_removals)
            for source in result.sources:
                if not quiet or source.changes:
                    echo(source.line())
            if config.notify.urls:  # notifications load when there is somewhere to send them
                from .notify import after_run

                after_run(config, result)
    except LockHeld as e:
        fail(str(e), EXIT_LOCKED)
    except LockFileError as e:
        fail(str(e), EXIT_USAGE)
    except sqlite3.Error as e:  # e.g. a read-only database file or a full disk: one line, not a traceback
        fail(f"cannot write the database {config.database}: {e}", EXIT_USAGE)
    except OSError as e:  # e.g. the database's folder cannot be created
        fail(f"cannot write {e.filename or config.database}: {e.strerror or e}", EXIT_USAGE)
    sys.exit(EXIT_OK if result.ok else EXIT_SOURCE_FAILED)


def check_notify_urls(config: Config) -> None:
    """Exit 2 with a one-line message when a [notify] URL is unusable (checked before any run)."""
    if not config.notify.urls:
        return
    from .notify import check_urls

    try:
        check_urls(config)
    except ConfigError as e:
        fail(f"configuration error: {e}", EXIT_USAGE)


@cli.command()
@config_option
@click.option("--now", "run_now", is_flag=True, help="Also run one cycle at once, at start.")
def schedule(run_now: bool) -> None:
    """Run the cycle on the [schedule] cron, in the foreground, until stopped.

    Uses [schedule] cron (5 crontab fields, e.g. "0 6 * * *"), timezone (e.g.
    "Asia/Tokyo") and jitter (seconds, optional). Cycles never overlap; runs
    missed while the machine slept run once on wake-up. A cycle that finds
    another kankei run holding the lock is skipped. Logs one line per event
    (INFO by default here) including when the next run is due.

    SIGTERM or SIGINT (Ctrl-C) lets a running cycle finish, then exits 0.
    Exit status 2: no or invalid [schedule] section.
    """
    from .schedule import build_trigger, run_scheduler

    config = get_config()
    check_notify_urls(config)
    try:
        build_trigger(config)
    except ConfigError as e:
        fail(f"configuration error: {e}", EXIT_USAGE)
    obj = click.get_current_context().obj
    if not obj.get("quiet") and not obj.get("verbose"):
        logging.getLogger("pipeline").setLevel(logging.INFO)  # a service logs what it does
    sys.exit(run_scheduler(config, run_now=run_now))


@cli.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(as_json: bool) -> None:
    """Show the last run, each source's last successful fetch, consecutive
    failures and last error, the last change, and the next scheduled run.

    Each source also lists its linked documents that could not be fetched or
    read (no_text, encrypted, corrupt, too_large, failed), with the reason.

    Read-only: safe while a run is in progress; a database that does not exist
    yet shows "no runs yet". Exit status 0, or 2 on a configuration error.
    """
    from .status import collect, render_json, render_text

    config = get_config()
    try:
        data = collect(config)
    except sqlite3.DatabaseError as e:
        fail(f"cannot read {config.database}: {e}", EXIT_USAGE)
    echo(render_json(data) if as_json else render_text(data, config.notify.failure_threshold))


@cli.command()
@config_option
@click.option("--check", is_flag=True, help="Build and compare only; leave the database as it is.")
def rebuild(check: bool) -> None:
    """Re-derive every parsed table, version and change from the snapshot archive.

    Replays every stored snapshot in fetch order with the current parsers into a
    new file (<database>.rebuild-<pid>.tmp), keeping the run log and the snapshot
    rows as they were, then replaces the database's content with it in one
    transaction (readers such as Datasette see the old or the new database, never
    a mixture). Prints what was replayed and every table that differs from the
    previous database. A snapshot file that is missing or no longer matches its
    hash stops the rebuild with an error naming it; a failed or interrupted rebuild
    leaves the database untouched.

    Exit status: 0 rebuilt (with --check: identical), 1 rebuild failed (with
    --check: differences found), 2 usage or configuration error or no database
    yet, 3 another kankei run holds the lock.
    """
    from .lock import LockFileError, LockHeld
    from .rebuild import NoDatabase, RebuildError, rebuild as do_rebuild

    config = get_config()
    try:
        result = do_rebuild(config, check=check)
    except (NoDatabase, LockFileError) as e:
        fail(str(e), EXIT_USAGE)
    except LockHeld as e:
        fail(str(e), EXIT_LOCKED)
    except RebuildError as e:
        fail(f"rebuild failed, {config.database} was not changed: {e}", EXIT_SOURCE_FAILED)
    for line in result.lines():
        echo(line)
    sys.exit(EXIT_SOURCE_FAILED if check and result.differences else EXIT_OK)


@cli.command()
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=Path("kankei-demo"),
              show_default=True, help="Folder for the demo database and snapshots (recreated each time).")
def demo(directory: Path) -> None:
    """Run the pipeline offline on bundled sample pages served on 127.0.0.1.

    Five cycles: the captured page (FY2018–FY2020) and the PDFs it links to into
    an empty database, the same page again (304s), a page with a new 令和3年度
    (fictional demo data), an edited 事業概要 and a removed body, then a replaced
    令和2年度 adoption list PDF that leaves out a body (a changed document and a
    discrepancy). A feed source reads a sample of the ministry's news.rdf from the
    first run: its announcement of 令和3年度 leads the portal page, and the year is
    shown as pending until run 3. Prints the changes of each run.
    """
    from .demo import run_demo

    try:
        results = run_demo(directory, echo=click.echo)
    except FileExistsError as e:
        fail(str(e), EXIT_USAGE)
    db = directory / "kankei.db"
    click.echo(f"\nDatabase: {db}  ({sum(len(r.changes) for r in results)} changes in {len(results)} runs)")
    conf = directory / "config.toml"
    click.echo(f"Explore it in Datasette:  uv run kankei --config {conf} serve")
    click.echo(f"Read the change report:   uv run kankei --config {conf} report --since 7d --format html "
               f"-o {directory / 'report.html'}")
    click.echo(f"In Japanese (日本語):     uv run kankei --config {conf} report --lang ja")
    click.echo(f"Or query it directly:     sqlite3 {db} 'SELECT kind, fiscal_year, name, field FROM changes WHERE run_id > 1'")
    sys.exit(EXIT_OK if all(r.ok for r in results) else EXIT_SOURCE_FAILED)


@cli.command("report")
@config_option
@click.option("--run", "run_id", type=int, metavar="N", help="Report run N only.")
@click.option("--since", metavar="DATE",
              help="Report every run started at or after DATE, read in [report] timezone (default Asia/Tokyo): "
                   "2026-03-01 (midnight there), 2026-03-01T06:00, 2026-03-01T06:00Z (UTC), or 7d (days ago).")
@click.option("--format", "fmt", type=click.Choice(["markdown", "html", "json", "atom"]), default="markdown",
              show_default=True, help="Markdown for terminals and email, a self-contained HTML page, JSON, or an Atom feed.")
@click.option("--lang", type=click.Choice(["en", "ja"]), default=None,
              help="Wording of Markdown, HTML and Atom: English or Japanese (日本語). Default: [report] language, else en.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Write the report to FILE (UTF-8) instead of stdout.")
def report_command(run_id: int | None, since: str | None, fmt: str, lang: str | None, output: Path | None) -> None:
    """Report what changed: new fiscal years, added, removed and changed bodies.

    Default range: the latest run that found changes (Atom: the latest 20 runs
    with changes, one entry each). The first load of a source is summarised
    (N fiscal years, M bodies); JSON lists everything. HTML links each change to the
    ministry page and to the stored snapshot (relative to FILE with -o, else a
    file:// URL). Times are shown in [report] timezone (default Asia/Tokyo); JSON
    keeps them in UTC. The database is opened read-only.

    Exit status: 0 ok (also when nothing changed in range), 2 bad options, unknown
    run, missing database or configuration error.
    """
    from db.connection import connect_readonly

    from .report.render import render
    from .report.select import ATOM_DEFAULT_RUNS, ReportRangeError, select_changes

    config = get_config()
    if not config.database.exists():
        fail(f"no database at {config.database}; run `kankei run` first", EXIT_USAGE)
    try:
        conn = connect_readonly(config.database)
        try:
            data = select_changes(conn, run=run_id, since=since, latest=ATOM_DEFAULT_RUNS if fmt == "atom" else 1,
                                  snapshots_root=config.snapshots, tz=config.report.timezone)
        finally:
            conn.close()
    except ReportRangeError as e:
        fail(str(e), EXIT_USAGE)
    except sqlite3.DatabaseError as e:
        fail(f"cannot read {config.database}: {e}", EXIT_USAGE)
    text = render(data, fmt, output, lang=lang or config.report.language, tz=config.report.timezone)
    if fmt in ("markdown", "json"):  # HTML and Atom escape what they show; their own tests check it
        text = printable(text)
    if output is not None:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as e:
            fail(f"cannot write {output}: {e.strerror or e}", EXIT_USAGE)
    else:
        click.echo(text, nl=False)
    sys.exit(EXIT_OK)


@cli.command("export")
@config_option
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True,
              help="CSV (UTF-8 with a BOM, for Excel) or an xlsx workbook.")
@click.option("--table", type=click.Choice(["adoptions", "changes"]), default=None,
              help="adoptions (採択団体) or changes (変更履歴, the real changes). Default: adoptions for CSV, "
                   "both sheets for xlsx.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Write to FILE. CSV goes to stdout without it; xlsx needs it.")
def export_command(fmt: str, table: str | None, output: Path | None) -> None:
    """Export the adopted bodies or the changes with Japanese headers, for Excel.

    The rows are the Datasette views 採択団体 (in 全国地方公共団体コード order) and
    変更履歴 (real changes, newest first, without each source's initial load). The
    last row is the 出典 line. The database is opened read-only.

    Exit status: 0 ok, 2 bad options, missing database or configuration error.
    """
    from db.connection import connect_readonly

    from .export import export
    from .serve import attribution

    config = get_config()
    if not config.database.exists():
        fail(f"no database at {config.database}; run `kankei run` first", EXIT_USAGE)
    if fmt == "xlsx" and output is None:
        fail("--format xlsx needs -o FILE", EXIT_USAGE)
    tables = [table] if table else (["adoptions", "changes"] if fmt == "xlsx" else ["adoptions"])
    source_url = next((public_url(s.url) for s in config.sources if s.parser == "model_projects"), None)
    try:
        conn = connect_readonly(config.database)
        try:
            payload = export(conn, fmt, tables, attribution(source_url), output)
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        fail(f"cannot read {config.database}: {e}", EXIT_USAGE)
    except OSError as e:
        fail(f"cannot write {output}: {e.strerror or e}", EXIT_USAGE)
    if payload is not None:
        click.echo(payload, nl=False)  # bytes: written as they are (the BOM included)
    sys.exit(EXIT_OK)


@cli.command("serve")
@config_option
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True, help="Port to listen on.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 exposes it to your network).")
@click.option("--allow-sql", is_flag=True, help="Allow arbitrary SQL on an address other than loopback.")
def serve_command(port: int, host: str, allow_sql: bool) -> None:
    """Browse the database in Datasette, with metadata, facets and canned queries.

    Serves the configured database live (a running `kankei run` may write at the
    same time). The front page leads with the adopted bodies, the recent real
    changes, a search and the map; /dashboard has the maps and charts. Japanese
    views: 採択団体 and 変更履歴. Canned queries: recent_changes,
    multi_year_bodies, adoptions_per_prefecture_year, body_history,
    open_discrepancies, pending_years, search_documents and search (any length,
    e.g. 農業). Needs no network access. Stop with Ctrl-C.

    Arbitrary SQL is allowed on a loopback address only, unless --allow-sql is
    given; canned queries, table pages and search always work. No query may build
    a value over 10 MB, and each stops after 1 s. The start prints what is exposed.
    """
    from .serve import serve

    config = get_config()
    if not config.database.exists():
        fail(f"no database at {config.database}; run `kankei run` first", EXIT_USAGE)
    source_url = next((public_url(s.url) for s in config.sources if s.parser == "model_projects"), None)
    try:
        serve(config.database, host=host, port=port, source_url=source_url, echo=click.echo,
              allow_sql=True if allow_sql else None)
    except sqlite3.DatabaseError as e:
        fail(f"cannot read {config.database}: {e}", EXIT_USAGE)
