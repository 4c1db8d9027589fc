"""Loading and validating ``config.toml``.

Lookup order: ``--config PATH``, then ``$KANKEI_CONFIG``, then ``./config.toml``.
Relative paths in the file resolve against the folder the file is in. A missing or
invalid key raises :class:`ConfigError` naming the key and the file.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scraper.errors import ConfigError
from scraper.parsers import PARSERS

LANGUAGES = ("en", "ja")  # the reports' languages (pipeline/report/messages.py has a table for each)
DEFAULT_LANGUAGE = "en"
DEFAULT_TIMEZONE = "Asia/Tokyo"  # times are stored in UTC and shown (and --since read) in this zone

DEFAULT_USER_AGENT = "kankei/0.1 (+set http.user_agent to your contact)"
DEFAULT_KEYWORDS = ("関係人口", "モデル事業", "採択")


@dataclass
class HttpConfig:
    user_agent: str = DEFAULT_USER_AGENT
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 1.0
    min_interval: float = 2.0
    max_bytes: int = 10_000_000
    allowed_hosts: list[str] = field(default_factory=lambda: ["www.soumu.go.jp"])
    respect_robots: bool = True


@dataclass
class Source:
    name: str
    url: str
    parser: str
    documents: bool | None = None  # follow linked documents; None: the default (model_projects sources only)
    keywords: list[str] = field(default_factory=lambda: list(DEFAULT_KEYWORDS))  # feed: which items are kept
    follow: bool = False  # feed: fetch each matching item's page as a text page, with its documents

    @property
    def follows_documents(self) -> bool:
        return self.parser == "model_projects" if self.documents is None else self.documents


@dataclass
class DocumentsConfig:
    """[documents]: which linked documents are followed, and how many per source."""

    extensions: list[str] = field(default_factory=lambda: ["pdf", "xlsx", "xls", "docx", "doc", "csv"])
    max_per_source: int = 100
    max_bytes: int = 30_000_000


@dataclass
class ScheduleConfig:
    cron: str = "0 6 * * *"
    timezone: str = "Asia/Tokyo"
    jitter: int = 0


@dataclass
class NotifyConfig:
    urls: list[str] = field(default_factory=list)
    failure_threshold: int = 3


@dataclass
class Config:
    path: Path | None
    database: Path
    snapshots: Path
    http: HttpConfig
    sources: list[Source]
    schedule: ScheduleConfig | None = None
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    report: ReportConfig = field(default_factory=lambda: ReportConfig())  # [report], see the end of this file
    documents: DocumentsConfig = field(default_factory=DocumentsConfig)

    @property
    def lock_path(self) -> Path:
        return self.database.with_name(self.database.name + ".lock")


KNOWN_KEYS: dict[str, tuple[str, ...]] = {
    "storage": ("database", "snapshots"),
    "http": ("user_agent", "timeout", "retries", "backoff", "min_interval", "max_bytes", "allowed_hosts", "respect_robots"),
    "sources": ("name", "url", "parser", "documents", "keywords", "follow"),
    "schedule": ("cron", "timezone", "jitter"),
    "notify": ("urls", "failure_threshold"),
    "report": ("language", "timezone"),
    "documents": ("extensions", "max_per_source", "max_bytes"),
}
KNOWN_SECTIONS = set(KNOWN_KEYS)


def find_config(explicit: str | os.PathLike[str] | None) -> Path:
    """The config file to use: explicit, else $KANKEI_CONFIG, else ./config.toml."""
    if explicit:
        path = Path(explicit)
    elif os.environ.get("KANKEI_CONFIG"):
        path = Path(os.environ["KANKEI_CONFIG"])
    else:
        path = Path("config.toml")
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    return path


def load_config(explicit: str | os.PathLike[str] | None = None) -> Config:
    path = find_config(explicit)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from e
    return config_from_dict(data, path)


def config_from_dict(data: dict[str, Any], path: Path | None) -> Config:
    where = str(path) if path else "config"
    base = path.resolve().parent if path else Path.cwd()

    def fail(key: str, problem: str) -> ConfigError:
        return ConfigError(f"{where}: {key} {problem}")

    unknown = sorted(set(data) - KNOWN_SECTIONS)
    if unknown:
        raise ConfigError(f"{where}: {unknown[0]} is not a known section{_did_you_mean(unknown[0], KNOWN_KEYS)}"
                          f" (known: {', '.join(sorted(KNOWN_SECTIONS))})")
    for section, keys in KNOWN_KEYS.items():
        tables = data.get(section)
        tables = tables if isinstance(tables, list) else [tables] if isinstance(tables, dict) else []
        label = "[[sources]]" if section == "sources" else f"[{section}]"
        for table in tables:
            for key in (k for k in (table if isinstance(table, dict) else {}) if k not in keys):
                raise ConfigError(f"{where}: `{key}` is not a key of {label}{_did_you_mean(key, keys)}")

    storage = _table(data, "storage", fail)
    database = base / _str(storage, "storage.database", "data/kankei.db", fail)
    snapshots = base / _str(storage, "storage.snapshots", "snapshots", fail)

    h = _table(data, "http", fail)
    defaults = HttpConfig()
    http = HttpConfig(
        user_agent=_str(h, "http.user_agent", defaults.user_agent, fail),
        timeout=_number(h, "http.timeout", defaults.timeout, fail),
        retries=int(_number(h, "http.retries", defaults.retries, fail, integer=True, minimum=0)),
        backoff=_number(h, "http.backoff", defaults.backoff, fail, minimum=0),
        min_interval=_number(h, "http.min_interval", defaults.min_interval, fail, minimum=0),
        max_bytes=int(_number(h, "http.max_bytes", defaults.max_bytes, fail, integer=True)),
        allowed_hosts=_str_list(h, "http.allowed_hosts", defaults.allowed_hosts, fail),
        respect_robots=_bool(h, "http.respect_robots", True, fail),
    )
    if not http.user_agent.strip():
        raise fail("http.user_agent", "must not be empty")
    if not http.user_agent.isascii():
        raise fail("http.user_agent", "must be ASCII (it is sent as an HTTP header)")
    if http.user_agent.lower().startswith("python-requests"):
        raise fail("http.user_agent", "must identify kankei, not the HTTP library's default")

    raw_sources = data.get("sources")
    if raw_sources is None:
        raise fail("[[sources]]", "is missing: configure at least one source")
    if not isinstance(raw_sources, list) or not raw_sources:
        raise fail("[[sources]]", "must be a non-empty array of tables")
    sources: list[Source] = []
    for n, s in enumerate(raw_sources):
        key = f"sources[{n}]"
        if not isinstance(s, dict):
            raise fail(key, "must be a table")
        for k in ("name", "url", "parser"):
            if k not in s:
                raise fail(f"{key}.{k}", "is missing")
        name = _str(s, f"{key}.name", None, fail)
        url = _str(s, f"{key}.url", None, fail)
        parser = _str(s, f"{key}.parser", None, fail)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise fail(f"{key}.url", f"must be an http(s) URL, got {url!r}")
        if parts.hostname not in http.allowed_hosts:
            raise fail(f"{key}.url", f"host {parts.hostname} is not in http.allowed_hosts")
        if parser not in PARSERS:
            raise fail(f"{key}.parser", f"must be one of {', '.join(sorted(PARSERS))}, got {parser!r}")
        if any(other.name == name for other in sources):
            raise fail(f"{key}.name", f"{name!r} is used twice")
        documents = _bool(s, f"{key}.documents", None, fail) if "documents" in s else None
        if parser != "feed" and ("keywords" in s or "follow" in s):
            raise fail(f"{key}.{'keywords' if 'keywords' in s else 'follow'}", 'applies only to parser = "feed"')
        keywords = _str_list(s, f"{key}.keywords", list(DEFAULT_KEYWORDS), fail)
        follow = _bool(s, f"{key}.follow", False, fail)
        if ":" in name:
            raise fail(f"{key}.name", f"must not contain ':' (it names a feed's followed pages), got {name!r}")
        sources.append(Source(name=name, url=url, parser=parser, documents=documents, keywords=keywords,
                              follow=follow))
    if sum(1 for s in sources if s.parser == "model_projects") > 1:
        raise fail("[[sources]]", "may have at most one source with parser = \"model_projects\"")

    schedule = None
    if "schedule" in data:
        sc = _table(data, "schedule", fail)
        schedule = ScheduleConfig(
            cron=_str(sc, "schedule.cron", ScheduleConfig.cron, fail),
            timezone=_str(sc, "schedule.timezone", ScheduleConfig.timezone, fail),
            jitter=int(_number(sc, "schedule.jitter", 0, fail, integer=True, minimum=0)),
        )
    nt = _table(data, "notify", fail)
    notify = NotifyConfig(
        urls=_str_list(nt, "notify.urls", [], fail),
        failure_threshold=int(_number(nt, "notify.failure_threshold", 3, fail, integer=True)),
    )
    dc = _table(data, "documents", fail)
    documents_config = DocumentsConfig(
        extensions=_str_list(dc, "documents.extensions", DocumentsConfig().extensions, fail),
        max_per_source=int(_number(dc, "documents.max_per_source", 100, fail, integer=True)),
        max_bytes=int(_number(dc, "documents.max_bytes", 30_000_000, fail, integer=True)),
    )
    return Config(path=path, database=database, snapshots=snapshots, http=http, sources=sources,
                  schedule=schedule, notify=notify, report=report_config(data, fail), documents=documents_config)


def _did_you_mean(key: str, known) -> str:
    """'; did you mean `database`?' for the nearest known key, or ''."""
    import difflib  # on the error path only

    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


def _table(data: dict[str, Any], key: str, fail) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise fail(f"[{key}]", "must be a table")
    return value


def _str(d: dict[str, Any], key: str, default: str | None, fail) -> str:
    value = d.get(key.rsplit(".", 1)[-1], default)
    if not isinstance(value, str) or (default is None and not value):
        raise fail(key, f"must be a non-empty string, got {value!r}")
    return value


def _number(d: dict[str, Any], key: str, default: float, fail, integer: bool = False, minimum: float | None = None) -> float:
    value = d.get(key.rsplit(".", 1)[-1], default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)):
        raise fail(key, f"must be {'an integer' if integer else 'a number'}, got {value!r}")
    if not math.isfinite(value):
        raise fail(key, f"must be a finite number, got {value!r}")
    low = 0 if minimum is not None else 1e-9
    if minimum is None and value <= 0:
        raise fail(key, f"must be greater than 0, got {value!r}")
    if minimum is not None and value < low:
        raise fail(key, f"must be at least {minimum}, got {value!r}")
    return value


def _bool(d: dict[str, Any], key: str, default: bool, fail) -> bool:
    value = d.get(key.rsplit(".", 1)[-1], default)
    if not isinstance(value, bool):
        raise fail(key, f"must be true or false, got {value!r}")
    return value


def _str_list(d: dict[str, Any], key: str, default: list[str], fail) -> list[str]:
    value = d.get(key.rsplit(".", 1)[-1], default)
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise fail(key, f"must be a list of strings, got {value!r}")
    return list(value)


# --- [report]: the reports' language and clock (kankei report, notifications) -------------------------------


@dataclass
class ReportConfig:
    language: str = DEFAULT_LANGUAGE  # en or ja: the wording of Markdown, HTML and Atom reports
    timezone: str = DEFAULT_TIMEZONE  # Asia/Tokyo: times shown in reports, and --since read, in this IANA zone


def report_config(data: dict[str, Any], fail) -> ReportConfig:
    """The [report] section: every key known, the language one of the reports' languages, the zone real
    (looked up only when it is not the default: the time zone database is read when it is needed)."""
    section = _table(data, "report", fail)  # unknown keys are refused with the others'
    report = ReportConfig(language=_str(section, "report.language", ReportConfig.language, fail),
                          timezone=_str(section, "report.timezone", ReportConfig.timezone, fail))
    if report.language not in LANGUAGES:
        raise fail("report.language", f"must be one of {', '.join(LANGUAGES)}, got {report.language!r}")
    if report.timezone == DEFAULT_TIMEZONE:
        return report
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(report.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise fail("report.timezone",
                   f"must be an IANA time zone such as Asia/Tokyo or UTC, got {report.timezone!r}") from None
    return report
