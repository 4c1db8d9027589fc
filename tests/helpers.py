"""Shared helpers for tests: fixture pages and small config files."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from scraper.decode import decode_html

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = Path(__file__).parent.parent / "pipeline" / "samples"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_text(name: str) -> str:
    text, _ = decode_html(fixture_bytes(name), None)
    return text


def write_config(tmp_path: Path, url: str, *, parser: str = "model_projects", extra: str = "",
                 timeout: float = 2, retries: int = 0, max_bytes: int = 10_000_000, backoff: float = 1) -> Path:
    """A config.toml for a loopback source, with storage under tmp_path."""
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[storage]
database = "data/kankei.db"
snapshots = "snapshots"

[http]
user_agent = "kankei-test/0.1 (+tests)"
timeout = {timeout}
retries = {retries}
backoff = {backoff}
min_interval = 0
max_bytes = {max_bytes}
allowed_hosts = ["127.0.0.1"]
respect_robots = true

[[sources]]
name = "model-projects"
url = "{url}"
parser = "{parser}"
{extra}
""",
        encoding="utf-8",
    )
    return path


def write_report_config(directory: Path, report_section: str = "", *, database: str | Path = "kankei.db",
                        url: str = "http://127.0.0.1/kankeijinkou/discription/index.html") -> Path:
    """A config for read commands (report, serve, export) on an existing database: by default the
    ``kankei.db`` of a copied demo folder (relative to ``directory``), or any ``database`` path."""
    path = directory / "report.toml"
    path.write_text(
        f'[storage]\ndatabase = "{Path(database).as_posix()}"\nsnapshots = "snapshots"\n'
        '[http]\nuser_agent = "kankei-test/0.1"\nallowed_hosts = ["127.0.0.1"]\n'
        f'[[sources]]\nname = "model-projects"\nurl = "{url}"\n'
        f'parser = "model_projects"\n{report_section}',
        encoding="utf-8",
    )
    return path


def copy_demo(pristine_demo: Path, directory: Path) -> Path:
    """A copy of the session's demo folder at ``directory``, with :func:`write_report_config`'s config."""
    shutil.copytree(pristine_demo, directory)
    return write_report_config(directory)


def screenshot_script() -> Any:
    """``scripts/report_screenshots.py`` as a module; the test is skipped where Chromium is missing."""
    import importlib.util

    import pytest

    path = Path(__file__).resolve().parent.parent / "scripts" / "report_screenshots.py"
    spec = importlib.util.spec_from_file_location("report_screenshots", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)  # type: ignore[union-attr]
    if script.browser() is None:
        pytest.skip("no Chromium on PATH (apt-get install chromium fonts-noto-cjk)")
    return script


def spawn_serve(config: Path, port: int) -> subprocess.Popen[str]:
    """A real ``kankei serve`` process on 127.0.0.1:``port``, its output in pipes; the caller stops it."""
    return subprocess.Popen(
        [sys.executable, "-c", "from pipeline.cli import cli; cli()", "serve", "--config", str(config),
         "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
