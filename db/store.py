"""The stored state of the pages: adoptions, categories and partners, text pages, and the changes found.

Loaded and written when a fetched body is applied (:mod:`pipeline.apply`); a run's own bookkeeping
is :mod:`db.runs`. Every write happens inside :func:`db.connection.transaction`."""

from __future__ import annotations

import sqlite3

from scraper.compare import Change, Comparison
from scraper.model import Adoption, Category, FiscalYear, ModelProjectsPage, Partner
from scraper.normalize import compare_key

from . import versions


# --- model-project state ---------------------------------------------------------------


def load_model_projects(conn: sqlite3.Connection) -> ModelProjectsPage:
    """The stored current state, in the parser's own shape."""
    cur = conn.cursor()
    cur.row_factory = None
    partners: dict[int, list[Partner]] = {}
    for adoption_id, name, prefecture, municipality, lg_code in cur.execute(
            "SELECT adoption_id, name, prefecture, municipality, lg_code FROM partners ORDER BY rowid"):
        partners.setdefault(adoption_id, []).append(Partner(name, prefecture, municipality, lg_code))
    years: dict[int, FiscalYear] = {}
    for fiscal_year, label, stated_total in cur.execute(
            "SELECT fiscal_year, label, stated_total FROM fiscal_years ORDER BY fiscal_year DESC"):
        years[fiscal_year] = FiscalYear(fiscal_year, label, stated_total)
    for adoption_id, fiscal_year, name, prefecture, municipality, lg_code, category, summary in cur.execute(
            "SELECT id, fiscal_year, name, prefecture, municipality, lg_code, category, summary FROM adoptions "
            "ORDER BY id"):
        years[fiscal_year].adoptions.append(
            Adoption(fiscal_year, name, prefecture, municipality, lg_code, category, summary,
                     partners.get(adoption_id, []))
        )
    cats = [Category(name, definition)
            for name, definition in cur.execute("SELECT name, definition FROM categories ORDER BY rowid")]
    return ModelProjectsPage(years=list(years.values()), categories=cats)


def write_model_projects(conn: sqlite3.Connection, comparison: Comparison, run_id: int) -> None:
    """Make the stored state equal the compared page in content, touching only what changed in content.

    Texts that differ only in form keep their stored wording, so a form-only revision
    writes nothing. Must run inside a transaction.
    """
    for year in comparison.years:
        fy, ny, oy = year.fiscal_year, year.new, year.old
        if oy is None:
            conn.execute(
                "INSERT INTO fiscal_years(fiscal_year, label, stated_total, parsed_total) VALUES (?, ?, ?, ?)",
                (fy, ny.label, ny.stated_total, ny.parsed_total),
            )
            versions.record_fiscal_year(conn, fy, run_id)
        elif (oy.stated_total, compare_key(oy.label)) != (ny.stated_total, compare_key(ny.label)):
            conn.execute(
                "UPDATE fiscal_years SET label = ?, stated_total = ?, parsed_total = ? WHERE fiscal_year = ?",
                (ny.label, ny.stated_total, ny.parsed_total, fy),
            )
            versions.record_fiscal_year(conn, fy, run_id)
        elif oy.parsed_total != ny.parsed_total:  # validated pages always match their totals
            conn.execute("UPDATE fiscal_years SET parsed_total = ? WHERE fiscal_year = ?", (ny.parsed_total, fy))
        for oa, na, changed in year.adoptions:
            if oa is None:
                _insert_adoption(conn, na, run_id)
                continue
            adoption_id = _adoption_id(conn, na)
            values = {f: getattr(na, f) for f in changed if f != "partners"}
            sets = "".join(f"{f} = ?, " for f in values)
            conn.execute(f"UPDATE adoptions SET {sets}last_changed_run = ? WHERE id = ?",
                         (*values.values(), run_id, adoption_id))
            if "partners" in changed:
                conn.execute("DELETE FROM partners WHERE adoption_id = ?", (adoption_id,))
                _insert_partners(conn, adoption_id, na.partners)
            versions.record_adoption(conn, adoption_id, run_id)
        for oa in year.removed:
            _delete_adoption(conn, oa, run_id)
    for oy in comparison.removed_years:
        for oa in oy.adoptions:
            _delete_adoption(conn, oa, run_id)
        versions.remove_fiscal_year(conn, oy.fiscal_year, run_id)
        conn.execute("DELETE FROM fiscal_years WHERE fiscal_year = ?", (oy.fiscal_year,))
    _write_categories(conn, comparison.old.categories, comparison.new.categories, run_id)


def _write_categories(conn: sqlite3.Connection, old: list[Category], new: list[Category], run_id: int) -> None:
    old_cats = {compare_key(c.name): c for c in old}
    new_keys = set()
    for nc in new:
        key = compare_key(nc.name)
        new_keys.add(key)
        oc = old_cats.get(key)
        if oc is None:
            conn.execute("INSERT INTO categories(name, definition) VALUES (?, ?)", (nc.name, nc.definition))
            versions.record_category(conn, nc.name, run_id)
        elif compare_key(oc.definition) != compare_key(nc.definition):
            conn.execute("UPDATE categories SET definition = ? WHERE name = ?", (nc.definition, oc.name))
            versions.record_category(conn, oc.name, run_id)
    for key, oc in old_cats.items():
        if key not in new_keys:
            versions.remove_category(conn, oc.name, run_id)
            conn.execute("DELETE FROM categories WHERE name = ?", (oc.name,))


def _adoption_id(conn: sqlite3.Connection, a: Adoption) -> int:
    row = conn.execute(
        "SELECT id FROM adoptions WHERE fiscal_year = ? AND prefecture = ? AND municipality = ?", a.identity
    ).fetchone()
    return int(row[0])


def _insert_adoption(conn: sqlite3.Connection, a: Adoption, run_id: int) -> None:
    cur = conn.execute(
        """INSERT INTO adoptions(fiscal_year, name, prefecture, municipality, lg_code, category, summary,
                                 first_seen_run, last_changed_run)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (a.fiscal_year, a.name, a.prefecture, a.municipality, a.lg_code, a.category, a.summary, run_id, run_id),
    )
    _insert_partners(conn, int(cur.lastrowid), a.partners)
    versions.record_adoption(conn, int(cur.lastrowid), run_id)


def _insert_partners(conn: sqlite3.Connection, adoption_id: int, partners: list[Partner]) -> None:
    conn.executemany(
        "INSERT INTO partners(adoption_id, name, prefecture, municipality, lg_code) VALUES (?, ?, ?, ?, ?)",
        [(adoption_id, p.name, p.prefecture, p.municipality, p.lg_code) for p in partners],
    )


def _delete_adoption(conn: sqlite3.Connection, a: Adoption, run_id: int) -> None:
    adoption_id = _adoption_id(conn, a)
    versions.remove_adoption(conn, adoption_id, run_id)
    conn.execute("DELETE FROM partners WHERE adoption_id = ?", (adoption_id,))
    conn.execute("DELETE FROM adoptions WHERE id = ?", (adoption_id,))


# --- text pages -----------------------------------------------------------------------


def load_page_text(conn: sqlite3.Connection, source: str) -> str | None:
    row = conn.execute("SELECT text FROM pages WHERE source = ?", (source,)).fetchone()
    return row[0] if row else None


def save_page(conn: sqlite3.Connection, source: str, url: str, title: str, text: str, run_id: int) -> None:
    conn.execute(
        """INSERT INTO pages(source, url, title, text, updated_run) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(source) DO UPDATE SET url = excluded.url, title = excluded.title,
               text = excluded.text, updated_run = excluded.updated_run""",
        (source, url, title, text, run_id),
    )


def insert_changes(conn: sqlite3.Connection, run_id: int, source: str, snapshot_id: int | None,
                   changes: list[Change], detected_at: str) -> None:
    conn.executemany(
        """INSERT INTO changes(run_id, detected_at, kind, fiscal_year, name, field, old_value, new_value,
                               source, snapshot_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [(run_id, detected_at, c.kind, c.fiscal_year, c.name, c.field, c.old_value, c.new_value, source, snapshot_id)
         for c in changes],
    )
