"""Config loading: lookup order, relative paths, and errors that name key and file."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.config import load_config
from scraper.errors import ConfigError

from .helpers import write_config


def test_relative_paths_resolve_against_the_config_folder(tmp_path: Path) -> None:
    path = write_config(tmp_path, "http://127.0.0.1:1/x")
    config = load_config(path)
    assert config.database == tmp_path / "data" / "kankei.db"
    assert config.snapshots == tmp_path / "snapshots"


def test_repository_config_is_valid() -> None:
    config = load_config(Path(__file__).parent.parent / "config.toml")
    assert config.sources[0].url == "https://www.soumu.go.jp/kankeijinkou/discription/index.html"
    assert config.schedule is not None and config.schedule.timezone == "Asia/Tokyo"
    assert not config.http.user_agent.startswith("python-requests")


@pytest.mark.parametrize(
    "replace,message",
    [
        (("timeout = 2", 'timeout = "x"'), "http.timeout must be a number"),
        (("retries = 0", "retries = -1"), "http.retries must be at least 0"),
        (('parser = "model_projects"', 'parser = "nope"'), "sources[0].parser must be one of"),
        (('url = "http://127.0.0.1:1/x"', 'url = "http://example.org/x"'), "host example.org is not in http.allowed_hosts"),
        (("[storage]", "[storage]\n[bogus]"), "bogus is not a known section"),
        (('user_agent = "kankei-test/0.1 (+tests)"', 'user_agent = ""'), "http.user_agent"),
    ],
)
def test_invalid_keys_name_key_and_file(tmp_path: Path, replace: tuple[str, str], message: str) -> None:
    path = write_config(tmp_path, "http://127.0.0.1:1/x")
    path.write_text(path.read_text().replace(*replace))
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert message in str(e.value) and str(path) in str(e.value)


def test_cli_config_errors_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(cli, ["--config", str(tmp_path / "none.toml"), "run"])
    assert missing.exit_code == 2 and "config file not found" in missing.output
    bad = tmp_path / "bad.toml"
    bad.write_text("[http\n")
    result = runner.invoke(cli, ["run", "--config", str(bad)])  # accepted after the command too
    assert result.exit_code == 2 and "not valid TOML" in result.output and str(bad) in result.output
    no_sources = tmp_path / "empty.toml"
    no_sources.write_text("[storage]\n")
    result = runner.invoke(cli, ["run"], env={"KANKEI_CONFIG": str(no_sources)})
    assert result.exit_code == 2 and "[[sources]] is missing" in result.output


def test_every_command_has_help() -> None:
    runner = CliRunner()
    top = runner.invoke(cli, ["--help"])
    assert top.exit_code == 0
    for name in cli.commands:
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output, name


@pytest.mark.parametrize(
    "replace,message",
    [
        (("timeout = 2", "timeout = nan"), "http.timeout must be a finite number, got nan"),
        (("timeout = 2", "timeout = inf"), "http.timeout must be a finite number, got inf"),
        (("timeout = 2", "timeout = 0"), "http.timeout must be greater than 0"),
        (("min_interval = 0", "min_interval = -inf"), "http.min_interval must be a finite number"),
        (("min_interval = 0", "min_interval = nan"), "http.min_interval must be a finite number"),
        (("max_bytes = 10000000", "max_bytes = 0"), "http.max_bytes must be greater than 0"),
    ],
)
def test_non_finite_and_non_positive_numbers_are_refused(tmp_path: Path, replace: tuple[str, str], message: str) -> None:
    path = write_config(tmp_path, "http://127.0.0.1:1/x")
    text = path.read_text()
    assert replace[0] in text
    path.write_text(text.replace(*replace))
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert message in str(e.value) and str(path) in str(e.value)


@pytest.mark.parametrize(
    "replace,message",
    [
        (('database = "data/kankei.db"', 'databse = "mydb.db"'),
         "`databse` is not a key of [storage]; did you mean `database`?"),
        (("timeout = 2", "timout = 5"), "`timout` is not a key of [http]; did you mean `timeout`?"),
        (('parser = "model_projects"', 'parser = "model_projects"\nurll = "x"'),
         "`urll` is not a key of [[sources]]; did you mean `url`?"),
        (("[storage]", '[schedule]\ncorn = "0 7 * * *"\n[storage]'),
         "`corn` is not a key of [schedule]; did you mean `cron`?"),
        (("[storage]", "[notify]\nfailure_treshold = 2\n[storage]"),
         "`failure_treshold` is not a key of [notify]; did you mean `failure_threshold`?"),
        (("[storage]", "[notfy]\n[storage]"), "notfy is not a known section; did you mean `notify`?"),
        (("[storage]", "[storage]\nzzz = 1"), "`zzz` is not a key of [storage]"),
        (("retries = 0", 'retries = "3"'), "http.retries must be an integer, got '3'"),
        (("respect_robots = true", 'respect_robots = "yes"'), "http.respect_robots must be true or false"),
    ],
)
def test_unknown_keys_and_wrong_types_are_refused(tmp_path: Path, replace: tuple[str, str], message: str) -> None:
    path = write_config(tmp_path, "http://127.0.0.1:1/x")
    text = path.read_text()
    assert replace[0] in text
    path.write_text(text.replace(*replace, 1))
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert message in str(e.value) and str(path) in str(e.value)


def test_misspelt_key_exits_2_before_anything_is_written(tmp_path: Path) -> None:
    path = write_config(tmp_path, "http://127.0.0.1:1/x")
    path.write_text(path.read_text().replace('database = "data/kankei.db"', 'databse = "mydb.db"'))
    result = CliRunner().invoke(cli, ["--config", str(path), "run"])
    assert result.exit_code == 2
    assert "did you mean `database`?" in result.stderr and result.stderr.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]
