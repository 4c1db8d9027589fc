"""The ``kankei`` command line."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from scraper.errors import ConfigError

from .config import Config, load_config

EXIT_OK, EXIT_SOURCE_FAILED, EXIT_USAGE = 0, 1, 2


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
        return load_config(ctx.obj.get("config_path"))
    except ConfigError as e:
        click.echo(f"kankei: configuration error: {e}", err=True)
        ctx.exit(EXIT_USAGE)
        raise AssertionError("unreachable")


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
    level = logging.DEBUG if verbose else logging.ERROR if quiet else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)


@cli.command()
@config_option
def run() -> None:
    """Fetch every configured source once and record what changed.

    Prints one line per source: fetched (with the counts of changes), unchanged
    or failed.

    Exit status: 0 every source ok, 1 a source failed, 2 usage or configuration error.
    """
    from .cycle import run_cycle

    config = get_config()
    result = run_cycle(config)
    for source in result.sources:
        click.echo(source.line())
    sys.exit(EXIT_OK if result.ok else EXIT_SOURCE_FAILED)


@cli.command()
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=Path("kankei-demo"),
              show_default=True, help="Folder for the demo database and snapshots (recreated each time).")
def demo(directory: Path) -> None:
    """Run the pipeline offline on bundled sample pages served on 127.0.0.1.

    Four cycles: the captured page (FY2018–FY2020) into an empty database, the
    same page again (a 304), a page with a new 令和3年度 (fictional demo data), then
    an edited 事業概要 and a removed body. Prints the changes of each run.
    """
    from .demo import run_demo

    try:
        results = run_demo(directory, echo=click.echo)
    except FileExistsError as e:
        click.echo(f"kankei: {e}", err=True)
        sys.exit(EXIT_USAGE)
    db = directory / "kankei.db"
    click.echo(f"\nDatabase: {db}  ({sum(len(r.changes) for r in results)} changes in {len(results)} runs)")
    click.echo(f"Explore it in Datasette:  uvx datasette {db}   (or: pip install datasette && datasette {db})")
    click.echo(f"Or query it directly:     sqlite3 {db} 'SELECT kind, fiscal_year, name, field FROM changes WHERE run_id > 1'")
    sys.exit(EXIT_OK if all(r.ok for r in results) else EXIT_SOURCE_FAILED)
