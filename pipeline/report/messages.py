"""The reports' wording: one message table per language, and :func:`plural`.

A message is a ``str.format`` pattern, or a pair (one, many) chosen by its ``n``.
Templates call :class:`Messages` as ``t("key", name=…)``; in HTML the arguments are
escaped and the pattern is trusted (see :meth:`Messages.html`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


Message = str | tuple[str, str]

EN: dict[str, Message] = {
    "title": "kankei report: {range}",
    "range_run": "run {run}",
    "range_since": "runs since {since}",
    "range_latest_one": "the latest run with changes",
    "range_latest_one_run": "the latest run with changes (run {run})",
    "range_latest_n": "the latest {n} runs with changes",
    "generated": "Generated {time}. Source: the ministry's 関係人口 portal{links}.",
    "link_sep": ", ",
    "no_changes_run": "No changes in run {run}.",
    "no_changes_since": ("No changes since {since} ({n} run checked).", "No changes since {since} ({n} runs checked)."),
    "no_changes_yet": "No changes recorded yet.",
    "run_heading": ("Run {run} · {time} · {n} change", "Run {run} · {time} · {n} changes"),
    "initial_load_mark": " · initial load",
    "snapshot_md": "Source {source}: {url} (snapshot #{id}, {path})",
    "snapshot_html": "Source {source}: {url} · {stored} (fetched {time})",
    "stored_snapshot": "stored snapshot #{id}",
    "initial_load": "Initial load of {source}",
    "initial_load_text": ": {summary}. Listed in full by {command}.",
    "fiscal_years": ("{n} fiscal year ({listed})", "{n} fiscal years ({listed})"),
    "year_total": "{label} 全{n}団体",
    "bodies": ("{n} adopted body", "{n} adopted bodies"),
    "categories": ("{n} category", "{n} categories"),
    "page_text_lines": "page text ({n} lines)",
    "records": "{n} records",
    "list_sep": ", ",
    "year_heading": "FY{fy} {label}",
    "year_heading_bare": "FY{fy}",
    "other_heading": "Categories and other pages",
    "year_added_heading": "{heading} — new fiscal year (全{n}団体)",
    "year_removed_heading": "{heading} — fiscal year removed (was 全{n}団体)",
    "stated_total": "Stated total: 全{old}団体 → 全{new}団体",
    "added_title": "Added ({n})",
    "removed_title": "Removed ({n})",
    "changed_title": "Changed ({n})",
    "adoption_changed": "{name}: {field}",
    "edit_label": "edit:",
    "old_label": "old:",
    "new_label": "new:",
    "none": "(none)",
    "category_added": "Category {name}: added",
    "category_removed": "Category {name}: removed",
    "category_changed": "Category {name}: definition changed",
    "text_changed": "Page text of {name} changed:",
    "feed_title": "kankei: changes to the 関係人口 model-project adoptions",
    "feed_subtitle": "Changes detected on the MIC 関係人口 portal ({range})",
    "headline": "Run {run}: {parts}",
    "headline_sep": "; ",
    "initial_headline": "initial load of {source}: {years} fiscal years, {bodies} bodies",
    "initial_headline_bare": "initial load of {source}",
    "year_added_headline": "new fiscal year {name} (全{n}団体)",
    "year_removed_headline": "fiscal year {name} removed",
    "bodies_added": ("{n} body added", "{n} bodies added"),
    "bodies_removed": ("{n} body removed", "{n} bodies removed"),
    "bodies_changed": ("{n} body changed", "{n} bodies changed"),
    "totals_changed": ("{n} stated total changed", "{n} stated totals changed"),
    "categories_changed": ("{n} category changed", "{n} categories changed"),
    "page_text_changed": "page text changed",
    "time": "{d:%Y-%m-%d %H:%M} {zone}",
    "charts_link": "Map and chart of the adopted bodies ↓",
    "charts_heading": "Adopted bodies on the page now",
    "charts_note": "Counted from the current page: a body adopted in several fiscal years counts in each.",
    "map_heading": "Adopted bodies by prefecture",
    "chart_all_years": "All fiscal years",
    "tile_title": ("{name}: {n} body", "{name}: {n} bodies"),
    "map_scale": "white: none; light to dark blue: 1 to {n}",
    "bars_heading": "Adopted bodies per fiscal year, by type",
    "bar_title": ("{year}: {n} body", "{year}: {n} bodies"),
    "segment_title": "{year} {category}: {n}",
    "chart_no_type": "(type not stated)",
    # linked documents and the cross-check
    "documents": ("{n} linked document", "{n} linked documents"),
    "documents_heading": "Documents",
    "document_added": "Added: {name}",
    "document_removed": "Removed: {name}",
    "document_changed": "Changed: {name}",
    "document_problem": "no text: {status}",
    "discrepancies_heading": "Discrepancies between the page and its adoption lists",
    "missing_from_document": "{year}: {name} is on the page but not in {document}",
    "missing_from_page": "{year}: {name} is in {document} but not on the page",
    "discrepancy_resolved": "{year}: resolved: {name} ({what})",
    "missing_from_document_short": "was on the page but not in the document",
    "missing_from_page_short": "was in the document but not on the page",
    "documents_changed": ("{n} document changed", "{n} documents changed"),
    "documents_added": ("{n} document added", "{n} documents added"),
    "documents_removed": ("{n} document removed", "{n} documents removed"),
    "discrepancies_found": ("{n} discrepancy found", "{n} discrepancies found"),
    "discrepancies_resolved": ("{n} discrepancy resolved", "{n} discrepancies resolved"),
    # announcements (feeds)
    "announcements_heading": "Announcements",
    "announcement_date": "{date}:",
    "pending_note": "announced on {date}, not yet on the portal page",
    "announcements": ("{n} announcement", "{n} announcements"),
}

JA: dict[str, Message] = {
    "title": "関係人口モデル事業 変更レポート：{range}",
    "range_run": "第{run}回の実行",
    "range_since": "{since}以降の実行",
    "range_latest_one": "変更のあった最新の実行",
    "range_latest_one_run": "変更のあった最新の実行（第{run}回）",
    "range_latest_n": "変更のあった最新{n}回の実行",
    "generated": "作成：{time}。出典：総務省「関係人口ポータルサイト」{links}",
    "link_sep": " ",
    "no_changes_run": "第{run}回の実行では変更はありませんでした。",
    "no_changes_since": "{since}以降、変更はありません（確認した実行：{n}回）。",
    "no_changes_yet": "まだ変更は記録されていません。",
    "run_heading": "第{run}回の実行 · {time} · 変更{n}件",
    "initial_load_mark": " · 初回取得",
    "snapshot_md": "取得元 {source}：{url}（保存したページ #{id}、{path}）",
    "snapshot_html": "取得元 {source}：{url} · {stored}（取得 {time}）",
    "stored_snapshot": "保存したページ #{id}",
    "initial_load": "{source} の初回取得",
    "initial_load_text": "：{summary}。全件は {command} で確認できます。",
    "fiscal_years": "{n}年度分（{listed}）",
    "year_total": "{label} 全{n}団体",
    "bodies": "採択団体 {n} 件",
    "categories": "類型 {n} 件",
    "page_text_lines": "ページ本文（{n} 行）",
    "records": "{n} 件",
    "list_sep": "、",
    "year_heading": "{label}",
    "year_heading_bare": "{fy}年度",
    "other_heading": "類型・その他のページ",
    "year_added_heading": "{heading}が追加されました（全{n}団体）",
    "year_removed_heading": "{heading}が削除されました（削除前は全{n}団体）",
    "stated_total": "記載の団体数：全{old}団体 → 全{new}団体",
    "added_title": "採択団体 {n} 件追加",
    "removed_title": "採択団体 {n} 件削除",
    "changed_title": "採択団体 {n} 件変更",
    "adoption_changed": "{name}の{field}が変更されました",
    "edit_label": "変更箇所：",
    "old_label": "変更前：",
    "new_label": "変更後：",
    "none": "（なし）",
    "category_added": "類型「{name}」が追加されました",
    "category_removed": "類型「{name}」が削除されました",
    "category_changed": "類型「{name}」の定義が変更されました",
    "text_changed": "{name} のページ本文が変更されました：",
    "feed_title": "kankei：関係人口モデル事業 採択団体の変更",
    "feed_subtitle": "総務省「関係人口ポータルサイト」で検出した変更（{range}）",
    "headline": "第{run}回：{parts}",
    "headline_sep": "／",
    "initial_headline": "{source} の初回取得：{years}年度分、採択団体 {bodies} 件",
    "initial_headline_bare": "{source} の初回取得",
    "year_added_headline": "{name}が追加されました（全{n}団体）",
    "year_removed_headline": "{name}が削除されました",
    "bodies_added": "採択団体 {n} 件追加",
    "bodies_removed": "採択団体 {n} 件削除",
    "bodies_changed": "採択団体 {n} 件変更",
    "totals_changed": "記載の団体数 {n} 件変更",
    "categories_changed": "類型 {n} 件変更",
    "page_text_changed": "ページ本文の変更",
    "time": "{d.year}年{d.month}月{d.day}日 {d:%H:%M} {zone}",
    "charts_link": "採択団体の地図とグラフ ↓",
    "charts_heading": "現在掲載されている採択団体",
    "charts_note": "現在のページから集計しています。複数の年度に採択された団体は、年度ごとに数えています。",
    "map_heading": "都道府県別の採択団体数",
    "chart_all_years": "全年度",
    "tile_title": "{name}：{n}団体",
    "map_scale": "白：なし、薄い青〜濃い青：1〜{n}団体",
    "bars_heading": "年度別・類型別の採択団体数",
    "bar_title": "{year}：{n}団体",
    "segment_title": "{year} {category}：{n}団体",
    "chart_no_type": "（類型の記載なし）",
    # リンク先の資料と照合
    "documents": "リンク先の資料 {n} 件",
    "documents_heading": "リンク先の資料",
    "document_added": "資料「{name}」が追加されました",
    "document_removed": "資料「{name}」が削除されました",
    "document_changed": "資料「{name}」が変更されました",
    "document_problem": "テキストを読み取れません：{status}",
    "discrepancies_heading": "ページと採択団体一覧（資料）の食い違い",
    "missing_from_document": "{year}：{name}はページに掲載されていますが、資料「{document}」にありません",
    "missing_from_page": "{year}：{name}は資料「{document}」にありますが、ページに掲載されていません",
    "discrepancy_resolved": "{year}：{name}の食い違いが解消されました（{what}）",
    "missing_from_document_short": "ページにあり資料になかった",
    "missing_from_page_short": "資料にありページになかった",
    "documents_changed": "資料 {n} 件変更",
    "documents_added": "資料 {n} 件追加",
    "documents_removed": "資料 {n} 件削除",
    "discrepancies_found": "食い違い {n} 件",
    "discrepancies_resolved": "食い違い {n} 件解消",
    # 報道発表（フィード）
    "announcements_heading": "報道発表",
    "announcement_date": "{date}：",
    "pending_note": "{date}に発表、ポータルサイトにはまだ掲載されていません",
    "announcements": "報道発表 {n} 件",
}

FIELDS_JA: dict[str, str] = {
    "name": "団体名",
    "prefecture": "都道府県",
    "municipality": "市区町村",
    "lg_code": "団体コード",
    "category": "類型",
    "summary": "事業概要",
    "partners": "連携団体",
    "definition": "定義",
    "stated_total": "記載の団体数",
    "text": "本文",
}

TABLES: dict[str, dict[str, Message]] = {"en": EN, "ja": JA}
FIELD_NAMES: dict[str, dict[str, str]] = {"en": {}, "ja": FIELDS_JA}  # English: the column name as stored


def plural(n: int, one: str, many: str) -> str:
    """``one`` for exactly one, else ``many``."""
    return one if n == 1 else many


@dataclass(frozen=True)
class Messages:
    """One language's messages, filled in by :meth:`__call__`."""

    lang: str
    escape: Callable[[Any], Any] | None = None  # set by :meth:`html`

    def __call__(self, key: str, **values: Any) -> Any:
        pattern = TABLES[self.lang][key]
        if isinstance(pattern, tuple):
            pattern = plural(values["n"], *pattern)
        if self.escape is None:
            return pattern.format(**values)
        return self.escape(pattern).format(**values)

    def time(self, value: str, tz: dt.tzinfo) -> str:
        """A stored UTC time (``2026-04-01T06:00:00Z``) as a reader's clock time in ``tz``."""
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)).astimezone(tz)
        return TABLES[self.lang]["time"].format(d=moment, zone=moment.tzname())  # type: ignore[union-attr]

    def field(self, name: str | None) -> str:
        """A changed field's name for a reader (``summary`` → 事業概要 in Japanese)."""
        return FIELD_NAMES[self.lang].get(name or "", name or "")

    def html(self) -> Messages:
        """The same messages for HTML: the pattern is markup, every value is escaped."""
        from markupsafe import Markup

        return Messages(self.lang, Markup)
