"""Linked documents: finding them on a page (scraper.documents.find_documents) and reading their
text (extract_text), PDFs made with reportlab's HeiseiMin-W3 and workbooks made with openpyxl."""

from __future__ import annotations

import io

import openpyxl
import requests

from scraper.documents import TEXT_STATUSES, extract_text, find_documents, first_page
from tests.http_server import LoopbackServer, Reply
from tests.sample_documents import make, sample

PAGE_URL = "https://www.soumu.go.jp/kankeijinkou/discription/index.html"
EXTENSIONS = ["pdf", "xlsx", "xls", "docx", "doc", "csv"]
MB = 1_000_000

PAGE = """<html><head><title>モデル事業概要</title></head><body>
<p><a href="/kankeijinkou/index.html">トップ</a> &gt; モデル事業概要</p>
<p><a href="../main_content/000600001.pdf">関係人口創出・拡大事業の概要（PDF：1.2MB）</a></p>
<h3>令和2年度モデル事業採択団体(全25団体)</h3>
<p><a href="../main_content/000700001.pdf#page=2">令和2年度採択団体一覧 [PDFファイル/271KB]</a></p>
<p><a href="/main_content/000700002.xlsx">令和2年度採択団体一覧表</a>（Excel：20KB）</p>
<table><tr><td>石狩市<br>(北海道)</td><td>事業概要</td></tr></table>
<h3>令和元年度 モデル事業 採択団体（全４４団体）</h3>
<ul><li><a href="https://www.city.example.lg.jp/files/kankei/List.PDF?dl=1">村上市の取組 <span>[PDFファイル/80KB]</span></a></li>
<li><a href="https://www.soumu.go.jp/main_content/000650001.pdf">令和元年度採択一覧</a><span class="size">(PDF:120KB)</span></li>
<li><a href="../main_content/000700001.pdf">令和2年度採択団体一覧（再掲）</a></li>
<li><a href="/kankeijinkou/model_list.html">モデル団体による事業</a></li>
<li><a href="mailto:kankei@example.jp?subject=a.pdf">問い合わせ</a></li>
<li><a href="http://[broken/list.pdf">壊れたリンク</a></li>
<li><a href="/main_content/000650002.pdf"><img src="icon.gif" alt="成果報告書"></a></li></ul>
<p>最終更新日：2021年3月31日</p>
<p><a href="/kankeijinkou/files/leaflet.pdf">リーフレット</a></p>
</body></html>"""


def test_links_resolved_with_text_size_note_and_year_section() -> None:
    links = find_documents(PAGE, PAGE_URL, EXTENSIONS)
    assert [(link.url, link.link_text, link.size_note, link.fiscal_year) for link in links] == [
        ("https://www.soumu.go.jp/kankeijinkou/main_content/000600001.pdf", "関係人口創出・拡大事業の概要",
         "（PDF：1.2MB）", None),
        ("https://www.soumu.go.jp/kankeijinkou/main_content/000700001.pdf", "令和2年度採択団体一覧",
         "[PDFファイル/271KB]", 2020),
        ("https://www.soumu.go.jp/main_content/000700002.xlsx", "令和2年度採択団体一覧表", "（Excel：20KB）", 2020),
        ("https://www.city.example.lg.jp/files/kankei/List.PDF?dl=1", "村上市の取組", "[PDFファイル/80KB]", 2019),
        ("https://www.soumu.go.jp/main_content/000650001.pdf", "令和元年度採択一覧", "(PDF:120KB)", 2019),
        ("https://www.soumu.go.jp/main_content/000650002.pdf", "成果報告書", None, 2019),
        ("https://www.soumu.go.jp/kankeijinkou/files/leaflet.pdf", "リーフレット", None, None),
    ]


def test_only_the_configured_extensions_and_a_base_element() -> None:
    page = ('<html><head><base href="https://www.soumu.go.jp/menu_news/"></head><body>'
            '<a href="s-news/besshi.pdf">別紙</a><a href="data.csv">CSV</a><a href="a.xlsx">表</a></body></html>')
    links = find_documents(page, PAGE_URL, [".PDF", "csv"])
    assert [link.url for link in links] == ["https://www.soumu.go.jp/menu_news/s-news/besshi.pdf",
                                            "https://www.soumu.go.jp/menu_news/data.csv"]
    assert find_documents(page, PAGE_URL, ["docx"]) == []


def test_a_page_served_on_loopback_links_a_pdf_whose_japanese_text_comes_out(http_server: LoopbackServer) -> None:
    page = ("<html><body><h2>令和２年度モデル事業採択団体（全２５団体）</h2>"
            "<p><a href='files/r02.pdf'>採択団体一覧 [PDFファイル/4KB]</a></p></body></html>")
    http_server.route("/kankeijinkou/discription/index.html",
                      Reply(200, body=page.encode("cp932"), content_type="text/html; charset=Shift_JIS"))
    http_server.route("/kankeijinkou/discription/files/r02.pdf",
                      Reply(200, body=sample("r02_saitaku.pdf"), content_type="application/pdf"))
    # real HTTP on 127.0.0.1 (fetching documents through the Fetcher belongs to the cycle's integration)
    page_url = http_server.url("/kankeijinkou/discription/index.html")
    fetched = requests.get(page_url, timeout=5)
    [link] = find_documents(fetched.content.decode("cp932"), fetched.url, EXTENSIONS)
    assert (link.url, link.fiscal_year) == (http_server.url("/kankeijinkou/discription/files/r02.pdf"), 2020)
    document = requests.get(link.url, timeout=5)
    text = extract_text(document.content, document.headers["Content-Type"], link.url, 30 * MB)
    assert (text.text_status, text.pages) == ("ok", 1)
    assert "石狩市(北海道)" in text.text and "田子町(青森県)【岩手県二戸市、秋田県鹿角市】" in text.text


def test_pages_are_separated_by_form_feeds() -> None:
    data = make.pdf_bytes([["令和2年度 採択団体一覧", "石狩市(北海道)"], ["第2章", "五戸町(青森県)"]])
    text = extract_text(data, "application/pdf", "https://example.jp/a.pdf", MB)
    assert (text.text_status, text.pages) == ("ok", 2)
    assert first_page(text.text) == "令和2年度 採択団体一覧\n\n石狩市(北海道)"
    assert text.text.split("\f")[1] == "第2章\n\n五戸町(青森県)"


def test_encrypted_pdf() -> None:
    data = make.pdf_bytes([["石狩市(北海道)"]], encrypt="secret")
    text = extract_text(data, "application/pdf", "https://example.jp/a.pdf", MB)
    assert (text.text_status, text.text) == ("encrypted", None)
    assert text.detail and "PDFPasswordIncorrect" in text.detail


def test_corrupt_pdf_truncated_or_not_a_pdf() -> None:
    data = sample("r02_saitaku.pdf")
    for body in (data[: len(data) // 2], data[:20], b"<html><body>Not Found</body></html>"):
        text = extract_text(body, "application/pdf", "https://example.jp/a.pdf", MB)
        assert (text.text_status, text.text) == ("corrupt", None), body[:20]
        assert text.detail and "\n" not in text.detail


def test_image_only_pdf_has_no_text() -> None:
    text = extract_text(make.image_only_pdf(), None, "https://example.jp/scan.pdf", MB)
    assert (text.text_status, text.pages, text.text) == ("no_text", 1, None)


def test_too_large_is_not_read() -> None:
    data = sample("r02_saitaku.pdf")
    assert extract_text(data, "application/pdf", "https://example.jp/a.pdf", len(data) - 1).text_status == "too_large"
    assert extract_text(data, "application/pdf", "https://example.jp/a.pdf", len(data)).text_status == "ok"


def test_the_bytes_decide_before_the_url() -> None:
    data = sample("r02_saitaku.pdf")
    assert extract_text(data, "application/octet-stream", "https://example.jp/download?id=3", MB).text_status == "ok"


def test_xlsx_cells_row_by_row_under_sheet_names() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "令和2年度"
    sheet.append(["番号", "採択団体", "都道府県"])
    sheet.append([1, "石狩市", "北海道"])
    sheet.append([2, "上士幌町", None, None])
    workbook.create_sheet("連携団体").append(["田子町", "岩手県二戸市"])
    out = io.BytesIO()
    workbook.save(out)
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    text = extract_text(out.getvalue(), content_type, "https://example.jp/list.xlsx", MB)
    assert (text.text_status, text.pages) == ("ok", 2)
    assert text.text == "令和2年度\n番号\t採択団体\t都道府県\n1\t石狩市\t北海道\n2\t上士幌町\f連携団体\n田子町\t岩手県二戸市"


def test_empty_and_corrupt_xlsx() -> None:
    out = io.BytesIO()
    openpyxl.Workbook().save(out)
    assert extract_text(out.getvalue(), None, "https://example.jp/empty.xlsx", MB).text_status == "no_text"
    broken = extract_text(out.getvalue()[:100], None, "https://example.jp/broken.xlsx", MB)
    assert broken.text_status == "corrupt" and "BadZipFile" in broken.detail


def test_other_types_are_kept_raw_without_text() -> None:
    for url, content_type in (("https://example.jp/a.docx", None), ("https://example.jp/a.csv", "text/csv"),
                              ("https://example.jp/a.xls", "application/vnd.ms-excel")):
        text = extract_text(b"\xd0\xcf\x11\xe0 some bytes", content_type, url, MB)
        assert (text.text_status, text.pages, text.text) == ("not_extracted", None, None)
    assert set(TEXT_STATUSES) == {"ok", "no_text", "encrypted", "corrupt", "too_large", "failed", "not_extracted"}
