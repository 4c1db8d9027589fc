"""Rendering a :class:`ReportData` as Markdown, HTML, JSON or Atom.

Markdown and HTML come from the Jinja2 templates in ``templates/`` (HTML autoescaped,
Markdown through :func:`md`); their wording comes from :mod:`.messages`. This module
prepares what the templates show (groups, summaries, links) and loads Jinja2 and
feedgen only when a report is rendered, so ``kankei run`` never imports them.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import pathname2url
from zoneinfo import ZoneInfo

from . import charts
from ..config import DEFAULT_LANGUAGE, DEFAULT_TIMEZONE, LANGUAGES
from .messages import Messages
from .select import (DISCREPANCY_KINDS, DOCUMENT_KINDS, ReportChange, ReportData, ReportRun, SnapshotRef,
                     group_by_year, split_description)
from .markdown import md, md_fence
from .textdiff import char_diff, compact_diff

FORMATS = ("markdown", "html", "json", "atom")
TAG_PREFIX = "tag:kankei,2026:"
TEMPLATES = Path(__file__).parent / "templates"

SECTIONS = (("adoption_added", "added_title", "added"), ("adoption_removed", "removed_title", "removed"),
            ("adoption_changed", "changed_title", "changed"))

def is_http(url: str | None) -> bool:
    return bool(url) and urlsplit(url).scheme in ("http", "https")


def diff_lines(text: str | None) -> list[tuple[str, str]]:
    """A unified diff's lines as ``(op, line)``: ``'+'`` added, ``'-'`` removed, ``' '`` other."""
    out = []
    for line in (text or "").splitlines():
        if line.startswith("+") and not line.startswith("+++"):
            out.append(("+", line))
        elif line.startswith("-") and not line.startswith("---"):
            out.append(("-", line))
        else:
            out.append((" ", line))
    return out


# --- wording shared by the formats --------------------------------------------------------


def range_title(data: ReportData, t: Messages, tz: str = DEFAULT_TIMEZONE) -> str:
    rng = data.range
    if rng["mode"] == "run":
        return t("range_run", run=rng["run_id"])
    if rng["mode"] == "since":
        return t("range_since", since=Messages(t.lang).time(rng["since"], ZoneInfo(tz)))
    if rng["latest"] == 1:
        return t("range_latest_one_run", run=rng["run_id"]) if rng["run_id"] else t("range_latest_one")
    return t("range_latest_n", n=rng["latest"])


def no_changes_text(data: ReportData, t: Messages, tz: str = DEFAULT_TIMEZONE) -> str:
    rng = data.range
    if rng["mode"] == "run":
        return t("no_changes_run", run=rng["run_id"])
    if rng["mode"] == "since":
        return t("no_changes_since", since=Messages(t.lang).time(rng["since"], ZoneInfo(tz)), n=rng["runs_checked"])
    return t("no_changes_yet")


def year_heading(fy: int | None, label: str | None, items: list[ReportChange], t: Messages) -> str:
    """A fiscal year's heading, saying when the year itself was added or removed."""
    if fy is None:
        return t("other_heading")
    heading = t("year_heading", fy=fy, label=label) if label else t("year_heading_bare", fy=fy)
    added = next((c for c in items if c.kind == "year_added"), None)
    removed = next((c for c in items if c.kind == "year_removed"), None)
    if added:
        heading = t("year_added_heading", heading=heading, n=added.new_value)
    if removed:
        heading = t("year_removed_heading", heading=heading, n=removed.old_value)
    return heading


def initial_summary(changes: list[ReportChange], t: Messages) -> str:
    """One sentence for a source's initial load."""
    years = [c for c in changes if c.kind == "year_added"]
    bodies = sum(1 for c in changes if c.kind == "adoption_added")
    cats = sum(1 for c in changes if c.kind == "category_changed")
    parts = []
    if years:
        listed = t("list_sep").join(t("year_total", label=c.name, n=c.new_value)
                                    for c in sorted(years, key=lambda c: c.fiscal_year or 0))
        parts.append(t("fiscal_years", n=len(years), listed=listed))
    if bodies:
        parts.append(t("bodies", n=bodies))
    if cats:
        parts.append(t("categories", n=cats))
    if documents := sum(1 for c in changes if c.kind == "document_added"):
        parts.append(t("documents", n=documents))
    if announced := sum(1 for c in changes if c.kind == "announcement_added"):
        parts.append(t("announcements", n=announced))
    for c in changes:
        if c.kind == "text_changed":
            parts.append(t("page_text_lines", n=sum(1 for op, _ in diff_lines(c.new_value) if op == "+")))
    return t("list_sep").join(parts) or t("records", n=len(changes))


def run_headline(run: ReportRun, t: Messages) -> str:
    """A short title for a run: what it found (an Atom entry's title)."""
    parts = []
    if announced := sum(1 for c in run.changes if c.kind == "announcement_added"):
        parts.append(t("announcements", n=announced))
    for source in run.initial_load_sources:
        initial = [c for c in run.changes if c.initial_load and c.source == source]
        years = sum(1 for c in initial if c.kind == "year_added")
        bodies = sum(1 for c in initial if c.kind == "adoption_added")
        parts.append(t("initial_headline", source=source, years=years, bodies=bodies) if years or bodies
                     else t("initial_headline_bare", source=source))
    rest = [c for c in run.changes if not c.initial_load]
    for c in rest:
        if c.kind == "year_added":
            parts.append(t("year_added_headline", name=c.name, n=c.new_value))
        elif c.kind == "year_removed":
            parts.append(t("year_removed_headline", name=c.name))
    counts = Counter(c.kind for c in rest)
    bodies_changed = len({(c.fiscal_year, c.name) for c in rest if c.kind == "adoption_changed"})
    for key, n in (("bodies_added", counts["adoption_added"]), ("bodies_removed", counts["adoption_removed"]),
                   ("bodies_changed", bodies_changed), ("totals_changed", counts["total_changed"]),
                   ("categories_changed", counts["category_changed"])):
        if n:
            parts.append(t(key, n=n))
    if counts["text_changed"]:
        parts.append(t("page_text_changed"))
    for key, kind in (("documents_added", "document_added"), ("documents_removed", "document_removed"),
                      ("documents_changed", "document_changed"), ("discrepancies_found", "discrepancy_found"),
                      ("discrepancies_resolved", "discrepancy_resolved")):
        if counts[kind]:
            parts.append(t(key, n=counts[kind]))
    return t("headline", run=run.run_id, parts=t("headline_sep").join(parts))


def announced(data: ReportData, run: ReportRun, c: ReportChange, t: Messages, tz: str) -> tuple[str, str | None]:
    """An announcement's date (in ``tz`` when the feed gave a time) and, when it announces the adoptions of
    a fiscal year (採択) that the portal page did not list after ``run``, the note saying so."""
    value = c.new_value or ""
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        date = (moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)).astimezone(ZoneInfo(tz))
        shown = f"{date:%Y-%m-%d}"
    except ValueError:
        shown = value
    pending = (c.fiscal_year is not None and "採択" in (c.name or "")
               and c.fiscal_year not in data.years_on_page.get(run.run_id, set()))
    return shown, t("pending_note", date=shown) if pending else None


PROBLEM_STATUSES = ("no_text", "encrypted", "corrupt", "too_large", "failed")


def document_changes(run: ReportRun) -> list[ReportChange]:
    """The run's document changes for the Documents section: all of them, except an initial load's
    documents that were read without a problem (those are counted in its summary)."""
    return [c for c in run.changes if c.kind in DOCUMENT_KINDS
            and (not c.initial_load or (c.kind == "document_added" and c.new_value in PROBLEM_STATUSES))]


def discrepancy_text(data: ReportData, c: ReportChange, t: Messages) -> str:
    """One line naming the year, the body and the document of a discrepancy change."""
    year = c.fiscal_year_label or t("year_heading_bare", fy=c.fiscal_year)
    if c.kind == "discrepancy_found":
        return t(c.new_value or "missing_from_document", year=year, name=c.name, document=data.document_name(c.field))
    return t("discrepancy_resolved", year=year, name=c.name, what=t(f"{c.old_value or 'missing_from_document'}_short"))


def run_snapshots(run: ReportRun) -> list[tuple[str | None, SnapshotRef]]:
    """The first snapshot of each source in the run: where its changes were seen."""
    snaps: dict[str | None, SnapshotRef] = {}
    for c in run.changes:
        if c.snapshot and c.kind not in DOCUMENT_KINDS + DISCREPANCY_KINDS:  # their snapshot may be a document
            snaps.setdefault(c.source, c.snapshot)
    return list(snaps.items())


def snapshot_href(data: ReportData, snap: SnapshotRef, output: Path | None) -> str | None:
    """A link to the stored gzip: relative to ``output``'s folder, else an absolute file:// URL."""
    if data.snapshots_root is None:
        return None
    target = (data.snapshots_root / snap.path).resolve()
    if output is not None:
        try:
            return pathname2url(os.path.relpath(target, Path(output).resolve().parent))
        except ValueError:  # another drive (Windows)
            pass
    return target.as_uri()


# --- templates ---------------------------------------------------------------------------


@functools.cache
def _environment(html: bool) -> Any:
    """The Jinja2 environment: autoescaped for HTML; ``None`` shows as nothing."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=html,
        trim_blocks=True,
        keep_trailing_newline=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        finalize=lambda value: "" if value is None else value,
    )
    env.globals.update(
        md=md, md_fence=md_fence, is_http=is_http, diff_lines=diff_lines, char_diff=char_diff,
        compact_diff=compact_diff, group_by_year=group_by_year, split_description=split_description,
        run_snapshots=run_snapshots, year_heading=year_heading, initial_summary=initial_summary,
        SECTIONS=SECTIONS, tile_size=charts.TILE, DOCUMENT_KINDS=DOCUMENT_KINDS,
        DISCREPANCY_KINDS=DISCREPANCY_KINDS, discrepancy_text=discrepancy_text, announced=announced,
        document_changes=document_changes, PROBLEM_STATUSES=PROBLEM_STATUSES,
    )
    return env


def _render(template: str, **context: Any) -> str:
    return _environment(template.endswith(".html.j2")).get_template(template).render(**context)


def _context(data: ReportData, lang: str, tz: str) -> dict[str, Any]:
    """What every template gets: the data, the wording and the reader's clock."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown report language {lang!r}")
    t = Messages(lang)
    zone = ZoneInfo(tz)
    return {"data": data, "lang": lang, "title": t("title", range=range_title(data, t, tz)),
            "no_changes": no_changes_text(data, t, tz), "when": lambda value: t.time(value, zone), "tz": tz}


def render_markdown(data: ReportData, lang: str = DEFAULT_LANGUAGE, tz: str = DEFAULT_TIMEZONE) -> str:
    """Grouped by run, then fiscal year, then kind; plain enough for a terminal or an email."""
    text = _render("report.md.j2", t=Messages(lang), **_context(data, lang, tz))
    return text.rstrip("\n") + "\n"


def diff_html(old: str, new: str) -> str:
    """The new text with character-level ``<del>``/``<ins>`` marks, all text escaped."""
    return str(_environment(True).get_template("diff.html.j2").module.diff(char_diff(old, new)))


def render_html(data: ReportData, output: Path | None = None, snapshot_links: bool = True,
                lang: str = DEFAULT_LANGUAGE, tz: str = DEFAULT_TIMEZONE) -> str:
    """One self-contained page (inline CSS, no network fetches); all scraped text escaped."""
    t = Messages(lang)
    pictures = {"maps": charts.tile_maps(data.adoptions, t), "bars": charts.bar_chart(data.adoptions, t)}
    return _render("report.html.j2", t=t.html(), href=_hrefs(data, output, snapshot_links),
                   charts=pictures if data.adoptions else None, **_context(data, lang, tz))


def html_run(data: ReportData, run: ReportRun, output: Path | None = None, snapshot_links: bool = True,
             heading: bool = True, lang: str = DEFAULT_LANGUAGE, tz: str = DEFAULT_TIMEZONE) -> str:
    """One run's section (also the content of its Atom entry)."""
    return _render("run.html.j2", run=run, t=Messages(lang).html(), heading=heading,
                   href=_hrefs(data, output, snapshot_links), **_context(data, lang, tz)).rstrip("\n")


def _hrefs(data: ReportData, output: Path | None, snapshot_links: bool) -> Any:
    return (lambda snap: snapshot_href(data, snap, output)) if snapshot_links else (lambda snap: None)


def render_json(data: ReportData) -> str:
    """The structure documented in :mod:`pipeline.report`, UTF-8 (not \\u-escaped), indented."""
    return json.dumps(data.to_dict(), ensure_ascii=False, indent=2) + "\n"


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml(text: str) -> str:
    return _XML_INVALID.sub("\ufffd", text)


def _as_datetime(value: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def render_atom(data: ReportData, lang: str = DEFAULT_LANGUAGE, tz: str = DEFAULT_TIMEZONE) -> str:
    """An Atom feed: one entry per run with changes, newest first.

    Ids are stable: the feed is ``tag:kankei,2026:<database_id>``, an entry
    ``tag:kankei,2026:<database_id>/run/<run_id>``; an entry's ``updated`` is its run's
    finish time, so re-rendering gives the same entries. Feed dates stay in UTC; the
    entries' text shows times in ``tz``.
    """
    from feedgen.feed import FeedGenerator

    t = Messages(lang)
    fg = FeedGenerator()
    fg.id(f"{TAG_PREFIX}{data.database_id}")
    fg.title(t("feed_title"))
    fg.subtitle(_xml(t("feed_subtitle", range=range_title(data, t, tz)) if data.runs
                     else no_changes_text(data, t, tz)))
    fg.author({"name": "kankei"})
    fg.generator("kankei")
    fg.language(lang)
    fg.link(href=next((u for u in data.sources.values() if is_http(u)), "https://www.soumu.go.jp/kankeijinkou/"),
            rel="alternate")
    fg.updated(_as_datetime(max((r.updated for r in data.runs), default=data.generated_at)))
    for run in sorted(data.runs, key=lambda r: r.run_id, reverse=True):
        fe = fg.add_entry(order="append")
        fe.id(f"{TAG_PREFIX}{data.database_id}/run/{run.run_id}")
        fe.title(_xml(run_headline(run, t)))
        fe.updated(_as_datetime(run.updated))
        fe.published(_as_datetime(run.started_at))
        fe.content(_xml(html_run(data, run, snapshot_links=False, heading=False, lang=lang, tz=tz)), type="html")
        url = next((c.source_url for c in run.changes if is_http(c.source_url)), None)
        if url:
            fe.link(href=url, rel="alternate")
    return fg.atom_str(pretty=True).decode("utf-8")


def render(data: ReportData, fmt: str, output: Path | None = None, lang: str = DEFAULT_LANGUAGE,
           tz: str = DEFAULT_TIMEZONE) -> str:
    """Render ``data`` in one of :data:`FORMATS`, worded in ``lang``, times shown in ``tz`` (JSON: UTC)."""
    if fmt == "markdown":
        return render_markdown(data, lang, tz)
    if fmt == "html":
        return render_html(data, output, lang=lang, tz=tz)
    if fmt == "json":
        return render_json(data)
    if fmt == "atom":
        return render_atom(data, lang, tz)
    raise ValueError(f"unknown report format {fmt!r}")
