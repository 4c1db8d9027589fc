"""The Datasette plugin behind kankei's pages (registered by :func:`pipeline.serve.make_datasette`).

- ``render_cell``: an edit's new value as the same character diff as the HTML report
  (:func:`pipeline.report.render.diff_html`: the text is escaped, then ``<ins>``/``<del>``
  go in); a body's name with links to its history (the ``body_history`` query) and to the
  ministry page; the 事業概要 wide enough to read; change kinds in Japanese.
- ``register_output_renderer``: ``.csvbom``, the page's rows as CSV with a BOM for Japanese
  Excel, ending with the 出典 line (:func:`pipeline.export.csv_text`, as ``kankei export``);
  add ``_size=max`` for up to 1,000 rows, or use ``kankei export`` for everything.
- ``extra_template_vars``: the 出典 footer on every page, and for the index, database and
  dashboard pages the overview: bodies per fiscal year, the latest real changes and the
  tile-grid maps and bars of :mod:`pipeline.report.charts`.

Every fragment is rendered by a template in ``templates/kankei/``; nothing here writes markup.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from datasette import hookimpl
from markupsafe import Markup

from pipeline.export import csv_text
from pipeline.report import charts
from pipeline.report.messages import Messages
from pipeline.report.render import _environment, diff_html
from pipeline.report.select import adoption_counts

DIFF_KINDS = ("adoption_changed", "category_changed")
DIFF_FIELDS = ("name", "category", "summary", "partners", "definition")  # text edits; not codes or totals
BODY_TABLES = ("採択団体", "変更履歴")
OVERVIEW_TEMPLATES = ("index.html", "database.html", "pages/dashboard.html")
LATEST_CHANGES = 5


def _get(row: Any, *names: str) -> Any:
    """The first of ``names`` the row has (English or Japanese column names), else None."""
    keys = row.keys()
    return next((row[n] for n in names if n in keys), None)


async def _fragment(datasette: Any, template: str, **context: Any) -> Markup:
    return Markup(await datasette.render_template(f"kankei/{template}", context))


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    if column in ("new_value", "変更後") and isinstance(value, str):
        old = _get(row, "old_value", "変更前")
        if (_get(row, "kind", "種類") in DIFF_KINDS and _get(row, "field", "項目") in DIFF_FIELDS
                and isinstance(old, str)):
            return _fragment(datasette, "diff.html", diff=Markup(diff_html(old, value)))
        return None
    if column in ("summary", "事業概要") and isinstance(value, str):
        return _fragment(datasette, "summary.html", value=value)
    if column == "種類" and table == "変更履歴":
        return _fragment(datasette, "kind.html", kind=value)
    if column == "項目" and table == "変更履歴" and value:
        return Messages("ja").field(value)  # summary → 事業概要 (the report's field names)
    if column == "団体名" and table in BODY_TABLES and isinstance(value, str):
        kind = _get(row, "種類")
        if kind is not None and not kind.startswith("adoption_"):
            return None
        return _fragment(datasette, "body.html", name=value, history=history_url(datasette, database, value),
                         source_url=datasette.metadata("source_url"))
    return None


def history_url(datasette: Any, database: str, name: str) -> str:
    """The ``body_history`` canned query for one body."""
    return datasette.urls.query(database, "body_history") + "?" + urlencode({"name": name})


@hookimpl
def register_output_renderer(datasette: Any) -> dict[str, Any]:
    return {"extension": "csvbom", "render": csv_with_bom}


def csv_with_bom(datasette: Any, columns: list[str], rows: list[Any], table: str | None, query_name: str | None,
                 database: str) -> Any:
    from datasette.utils.asgi import Response

    name = table or query_name or database
    return Response(csv_text(columns, [tuple(r) for r in rows], datasette.metadata("attribution")),
                    content_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f"attachment; filename*=UTF-8''{quote(name)}.csv"})


@hookimpl
def extra_template_vars(template: str, database: str | None, datasette: Any) -> Any:
    async def variables() -> dict[str, Any]:
        found: dict[str, Any] = {"kankei_credit": {
            "attribution": datasette.metadata("attribution"), "source_url": datasette.metadata("source_url"),
            "license": datasette.metadata("license"), "license_url": datasette.metadata("license_url")}}
        if template in OVERVIEW_TEMPLATES:
            found["kankei"] = await overview(datasette, full=template.startswith("pages/"))
        return found

    return variables


async def overview(datasette: Any, full: bool = False) -> dict[str, Any]:
    """What the front pages show: the kankei database's bodies per year, latest real changes and pictures."""
    db = datasette.get_database()
    counts = await db.execute_fn(adoption_counts)
    years = (await db.execute(
        'SELECT 年度, 年度表記, count(*) AS n FROM "採択団体" GROUP BY 年度, 年度表記 ORDER BY 年度 DESC')).rows
    latest = await db.execute(f'SELECT * FROM "変更履歴" LIMIT {LATEST_CHANGES}')
    changes = []
    for row in latest.rows:
        cells = {c: (await _cell(datasette, row, c, db.name)) for c in ("種類", "団体名", "項目", "変更後")}
        changes.append({"row": dict(row), "cells": cells})
    t = Messages("ja")
    maps = charts.tile_maps(counts, t)
    macros = _environment(True).get_template("charts.html.j2").make_module({"t": t.html()})
    return {
        "database": db.name,
        "total": sum(n for _, _, n in years),
        "years": [dict(r) for r in years],
        "changes": changes,
        "tiles": maps[0].tiles,
        "maps": [Markup(macros.tile_map(m)) for m in (maps if full else maps[:1])],
        "bars": Markup(macros.bar_chart(charts.bar_chart(counts, t), t("bars_heading"))) if full else None,
    }


async def _cell(datasette: Any, row: Any, column: str, database: str) -> Any:
    """A 変更履歴 cell as its table page shows it."""
    rendered = render_cell(row, row[column], column, "変更履歴", database, datasette)
    if isinstance(rendered, str) or rendered is None:
        return rendered or ("" if row[column] is None else row[column])
    return await rendered
