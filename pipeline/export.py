"""``kankei export``: the adopted bodies and the real changes for Excel users.

The rows and the Japanese headers are the views ``採択団体`` and ``変更履歴`` (:data:`db.views.VIEWS`),
read from a read-only connection (a database made before a view existed gets it as a
temporary view, so nothing is written). CSV is UTF-8 with a BOM (Japanese Excel reads
it without mojibake); xlsx (openpyxl) has one sheet per table. Each ends with the 出典
line of :func:`pipeline.serve.attribution`, the one every Datasette page shows.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from db import views

TABLES = {"adoptions": "採択団体", "changes": "変更履歴"}  # --table name → view
BOM = "\ufeff"


def ensure_readable_views(conn: sqlite3.Connection) -> None:
    """Every view of :data:`db.views.VIEWS` the database lacks, as a temporary view (no write)."""
    existing = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
    for name, select in views.VIEWS.items():
        if name not in existing:
            conn.execute(f'CREATE TEMP VIEW IF NOT EXISTS "{name}" AS {select}')


def read_table(conn: sqlite3.Connection, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The Japanese headers and the rows of ``table`` (``adoptions`` or ``changes``), in the view's order."""
    ensure_readable_views(conn)
    cursor = conn.execute(f'SELECT * FROM "{TABLES[table]}"')
    return [d[0] for d in cursor.description], [tuple(r) for r in cursor]


def csv_text(columns: Sequence[str], rows: Sequence[Sequence[Any]], attribution: str) -> str:
    """CSV with a BOM: the header, the rows, then the 出典 line in the first column."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    writer.writerow([attribution])
    return BOM + out.getvalue()


def write_xlsx(path: Path, tables: dict[str, tuple[list[str], list[tuple[Any, ...]]]], attribution: str) -> None:
    """One sheet per table (named after its view): the header (bold, frozen), the rows, then the 出典 line.

    Numbers stay numbers; an empty string is an empty cell (xlsx has no empty strings).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for name, (columns, rows) in tables.items():
        sheet = book.create_sheet(TABLES[name])
        sheet.append(columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for row in rows:
            sheet.append(list(row))
        sheet.append([attribution])
    book.save(path)


def export(conn: sqlite3.Connection, fmt: str, tables: Sequence[str], attribution: str,
           output: Path | None) -> bytes | None:
    """Write the export to ``output``; CSV without ``output`` is returned as bytes (for stdout)."""
    data = {name: read_table(conn, name) for name in tables}
    if fmt == "xlsx":
        if output is None:
            raise ValueError("xlsx needs an output file (-o FILE)")
        write_xlsx(output, data, attribution)
        return None
    (columns, rows), = data.values()
    payload = csv_text(columns, rows, attribution).encode("utf-8")
    if output is None:
        return payload
    output.write_bytes(payload)
    return None
