#!/usr/bin/env python3
"""Generate the sample documents and the sample feed for linked documents and announcements.

    uv run python scripts/make_documents.py

The adoption lists carry the reference page's content (the data in scripts/make_fixtures.py),
set in reportlab's CID font HeiseiMin-W3 (no font file needed; pdfminer.six reads it back
through its Adobe-Japan1 CMaps). Lines are broken every LINE_CHARS characters, as Japanese
text is, so some names are split across two lines, as they are in real PDFs.

Outputs (all committed, a few KB each):

  pipeline/samples/documents/h30_saitaku.pdf     平成30年度 adoption list, 30 bodies: agrees with the page
  pipeline/samples/documents/r01_saitaku.pdf     令和元年度 adoption list, 44 bodies: agrees with the page
  pipeline/samples/documents/r02_saitaku.pdf     令和2年度 adoption list, 25 bodies: agrees with the page
  pipeline/samples/documents/r02_saitaku_v2.pdf  a later 令和2年度 list that leaves out 南知多町 (愛知県)
  pipeline/samples/documents/r02_seika.pdf       a results report naming other towns (not an adoption list)
  pipeline/samples/documents/r03_besshi.pdf      FICTIONAL 令和3年度 別紙: the three bodies of v2_new_year.html
  pipeline/samples/press_release_r03.html        FICTIONAL press release announcing 令和3年度 (cp932), links the 別紙
  pipeline/samples/news.rdf                      RSS 1.0 in Shift_JIS (declared only in the XML declaration):
                                                 unrelated items and the FICTIONAL 令和3年度 announcement

Links in the press release and the feed point at https://www.soumu.go.jp; the offline demo
replaces that prefix with its own 127.0.0.1 address (ASCII, so a byte replacement is safe).
"""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "pipeline" / "samples"
DOCUMENTS = SAMPLES / "documents"
SITE = "https://www.soumu.go.jp"
FONT = "HeiseiMin-W3"
LINE_CHARS = 40
LINES_PER_PAGE = 44

_spec = importlib.util.spec_from_file_location("make_fixtures", Path(__file__).resolve().parent / "make_fixtures.py")
content = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(content)  # type: ignore[union-attr]

LEFT_OUT = "南知多町"  # the body the later 令和2年度 list leaves out


# --- writing PDFs ------------------------------------------------------------------------


def pdf_bytes(pages: list[list[str]], encrypt: str | None = None) -> bytes:
    """A PDF with the given lines, each page's lines broken every LINE_CHARS characters
    (a page that overflows continues on the next). ``encrypt`` sets a user password."""
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, invariant=1, encrypt=encrypt)
    for lines in pages:
        broken = [piece for line in lines for piece in _break(line)]
        for start in range(0, max(len(broken), 1), LINES_PER_PAGE):
            pdf.setFont(FONT, 10.5)
            y = A4[1] - 60
            for line in broken[start : start + LINES_PER_PAGE]:
                pdf.drawString(56, y, line)
                y -= 17
            pdf.showPage()
    pdf.save()
    return out.getvalue()


def _break(line: str) -> list[str]:
    return [line[i : i + LINE_CHARS] for i in range(0, len(line), LINE_CHARS)] or [""]


def image_only_pdf() -> bytes:
    """A one-page PDF with a drawn shape and no text (what a scanned page looks like to a reader)."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, invariant=1)
    pdf.rect(100, 400, 300, 200, fill=1)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


# --- the adoption lists ------------------------------------------------------------------


def list_2020(leave_out: str | None = None) -> list[list[str]]:
    rows = [row for row in content.Y2020 if row[0] != leave_out]
    lines = ["令和2年度「関係人口創出・拡大事業」", f"モデル事業 採択団体一覧(全{len(rows)}団体)",
             content.LEGEND, "番号 採択団体(都道府県)"]
    for number, (name, prefecture, partners, _summary) in enumerate(rows, 1):
        lines.append(f"{number} {name}({prefecture})" + (f"【{partners}】" if partners else ""))
    return [lines]


def _by_type(title: list[str], groups: list) -> list[list[str]]:
    lines = list(title)
    for group_heading, subs in groups:
        lines.append(group_heading)
        for heading, bodies, consortia in subs:
            if heading != group_heading:
                lines.append(heading)
            if bodies:
                lines.append("、".join(bodies))
            lines.extend(f"{content.RENKEI}{consortium}" for consortium in consortia)
    return [lines]


def list_2019() -> list[list[str]]:
    return _by_type(["令和元年度「関係人口創出・拡大事業」", "モデル事業 採択団体一覧(全44団体)"], content.Y2019_GROUPS)


def list_2018() -> list[list[str]]:
    return _by_type(["平成30年度「関係人口」創出事業", "モデル事業 採択団体一覧(全30団体)"], content.Y2018_GROUPS)


def results_report() -> list[list[str]]:
    """A results report: names many towns, states its year, but its first page says nothing of 採択."""
    return [
        ["令和2年度「関係人口創出・拡大事業」", "成果報告書(概要)",
         "本報告書は、令和2年度のモデル事業の成果をまとめたものである。",
         "各団体の取組では、都市部の住民との交流が広がった。東京都千代田区で開催した交流会には、"
         "神奈川県横浜市、埼玉県さいたま市、大阪府大阪市から参加があった。",
         "先進事例として長野県小布施町、岐阜県飛騨市、北海道東川町の取組を紹介した。"],
        ["第2章 今後の課題", "次年度の採択団体の募集に向け、事業の横展開を検討する。",
         "福岡県福岡市、沖縄県那覇市との連携も検討する。"],
    ]


def besshi_2021() -> list[list[str]]:
    rows = content.Y2021_ROWS
    lines = ["別紙", "令和3年度「関係人口創出・拡大事業」", f"モデル事業 採択団体一覧(全{len(rows)}団体)",
             "※kankei のデモ用の架空データです。", content.LEGEND]
    for number, (name, prefecture, partners, _summary) in enumerate(rows, 1):
        lines.append(f"{number} {name}({prefecture})" + (f"【{partners}】" if partners else ""))
    return [lines]


# --- the press release and the feed ------------------------------------------------------


PRESS_RELEASE_PATH = "/menu_news/s-news/01gyosei08_02000999.html"  # FICTIONAL
BESSHI_PATH = "/main_content/000745999.pdf"  # FICTIONAL


def press_release_html() -> str:
    """A press release page like the 平成30年度 one (reference excerpt), for 令和3年度 (FICTIONAL)."""
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" lang="ja" xml:lang="ja">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS" />
<title>総務省|報道資料|「関係人口創出・拡大事業」モデル事業の採択団体の決定</title>
</head>
<body>
<!-- FICTIONAL demo data made by scripts/make_documents.py: there was no such press release. -->
<div id="contentsWrapper">
<p class="breadcrumbs"><a href="{SITE}/">ホーム</a> &gt; 報道資料</p>
<h1>報道資料</h1>
<p class="date">令和3年4月27日</p>
<h2>令和3年度「関係人口創出・拡大事業」モデル事業の採択団体の決定</h2>
<p>総務省では、地方公共団体が実施する、関係人口の創出・拡大に取り組むモデル事業について提案募集を行い、このたび、採択団体を決定しましたので、お知らせします。</p>
<h3>採択団体</h3>
<p>採択団体は、<a href="{SITE}{BESSHI_PATH}">別紙</a><img src="/main_content/icon_pdf.gif" alt="PDF" />のとおり</p>
<h3>参考資料</h3>
<p><a href="#top">ページトップへ戻る</a></p>
</div>
</body>
</html>
"""


FEED_ITEMS = [  # (path, title, description, dc:date); only the 3rd is about the model project
    ("/menu_news/s-news/01tsushin08_02000100.html", "令和３年版 情報通信白書の公表",
     "総務省は、令和３年版情報通信白書を公表しました。", "2021-07-30T14:00:00+09:00"),
    ("/menu_news/s-news/01toukei06_01000200.html", "第１６２回統計委員会の開催",
     "議事：①部会の審議状況について ②その他", "2021-05-24T10:00:00+09:00"),
    (PRESS_RELEASE_PATH, "令和３年度「関係人口創出・拡大事業」モデル事業の採択団体の決定",
     "総務省では、令和３年度「関係人口創出・拡大事業」のモデル事業について、採択団体を決定しました。"
     "（デモ用の架空データ）", "2021-04-27T17:00:00+09:00"),
    ("/menu_news/s-news/01zaisei07_02000300.html", "ふるさと納税に関する現況調査結果の公表",
     "令和２年度のふるさと納税の受入額等の調査結果を公表します。", "2021-04-20T14:00:00+09:00"),
    ("/menu_news/s-news/01kiban09_02000400.html", "電波利用料の見直しに関する検討会（第３回）の開催",
     "検討会を開催します。", "2021-04-15T15:00:00+09:00"),
]


def news_rdf() -> bytes:
    """The ministry's site feed as RSS 1.0, Shift_JIS declared only in the XML declaration (cp932 bytes: ① ②)."""
    seq = "".join(f'<rdf:li rdf:resource="{SITE}{path}"/>\n' for path, *_ in FEED_ITEMS)
    items = "".join(
        f'<item rdf:about="{SITE}{path}">\n<title>{title}</title>\n<link>{SITE}{path}</link>\n'
        f"<description>{description}</description>\n<dc:date>{date}</dc:date>\n</item>\n"
        for path, title, description, date in FEED_ITEMS
    )
    text = f"""<?xml version="1.0" encoding="Shift_JIS"?>
<rdf:RDF xmlns="http://purl.org/rss/1.0/" xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dc="http://purl.org/dc/elements/1.1/" xml:lang="ja">
<!-- A sample made by scripts/make_documents.py; the 令和３年度 item is FICTIONAL demo data. -->
<channel rdf:about="{SITE}/news.rdf">
<title>総務省 新着情報</title>
<link>{SITE}/</link>
<description>総務省の新着情報</description>
<items>
<rdf:Seq>
{seq}</rdf:Seq>
</items>
</channel>
{items}</rdf:RDF>
"""
    return text.encode("cp932")


# --- main --------------------------------------------------------------------------------


def main() -> None:
    DOCUMENTS.mkdir(parents=True, exist_ok=True)
    outputs = {
        DOCUMENTS / "h30_saitaku.pdf": pdf_bytes(list_2018()),
        DOCUMENTS / "r01_saitaku.pdf": pdf_bytes(list_2019()),
        DOCUMENTS / "r02_saitaku.pdf": pdf_bytes(list_2020()),
        DOCUMENTS / "r02_saitaku_v2.pdf": pdf_bytes(list_2020(leave_out=LEFT_OUT)),
        DOCUMENTS / "r02_seika.pdf": pdf_bytes(results_report()),
        DOCUMENTS / "r03_besshi.pdf": pdf_bytes(besshi_2021()),
        SAMPLES / "press_release_r03.html": press_release_html().encode("cp932"),
        SAMPLES / "news.rdf": news_rdf(),
    }
    for path, data in outputs.items():
        path.write_bytes(data)
        print(f"{path.relative_to(ROOT)}: {len(data)} bytes")


if __name__ == "__main__":
    main()
