"""Documents a page links to: finding the links, and reading a document's text.

:func:`find_documents` lists the links in a page whose path ends in one of the configured
extensions, with the link text as shown, the size note beside it (``[PDFファイル/271KB]``)
and the fiscal year whose section the link sits in.

:func:`extract_text` reads a fetched document: PDF with pdfminer.six (its bundled
Adobe-Japan1 CMaps turn Japanese CID fonts into text), xlsx with openpyxl. It never raises
for a bad document; the outcome is a ``text_status``:

``ok``             text was extracted
``no_text``        the document has no extractable text (a scanned image, glyphs without a
                   Unicode mapping, an empty workbook)
``encrypted``      the PDF needs a password to be opened
``corrupt``        the bytes are not a well-formed PDF or xlsx (truncated, an error page…)
``too_large``      the body is over ``max_bytes``; nothing was read
``failed``         the reader raised something unexpected (the detail says what)
``not_extracted``  a type kankei keeps raw without reading it (doc, docx, xls, csv…); not a problem
"""

from __future__ import annotations

import io
import re
import zipfile
from urllib.parse import urldefrag, urljoin, urlsplit

import openpyxl
from bs4 import BeautifulSoup, NavigableString, SoupStrainer, Tag
from openpyxl.utils.exceptions import InvalidFileException
from pdfminer.high_level import extract_text as pdf_extract_text
from pdfminer.pdfdocument import PDFEncryptionError
from pdfminer.psexceptions import PSException

from .html_lines import Line, parse_html, tag_lines
from .model import DocumentLink, DocumentText
from .normalize import clean, fold, fold_width
from .parsers.model_projects import CLOSING, YEAR_HEADING, gregorian_year

TEXT_STATUSES = ("ok", "no_text", "encrypted", "corrupt", "too_large", "failed", "not_extracted")

PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})
XLSX_TYPES = frozenset({"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})

# A bracketed note at the end of a link's text, or just after the link: [PDFファイル/271KB], (PDF:271KB).
_NOTE_AT_END = re.compile(r"\s*([\[［(（][^\[\]［］()（）]*[\]］)）])\s*$")
_NOTE_AT_START = re.compile(r"^\s*([\[［(（][^\[\]［］()（）]*[\]］)）])")
_NOTE_WORDS = re.compile(r"pdf|xlsx?|excel|docx?|word|csv|ファイル|\d\s*[kmg]?b\b", re.IGNORECASE)
# Where a link sits among the page's lines: a private-use marker put in front of its text.
_MARKER = re.compile("\ue000(\\d+)\ue001")
# What pdfminer writes for a glyph it cannot map to Unicode.
_UNMAPPED_GLYPH = re.compile(r"\(cid:\d+\)")


# --- finding links ---------------------------------------------------------------------


def find_documents(html: str, page_url: str, extensions: list[str]) -> list[DocumentLink]:
    """The document links in a page, deduplicated by URL, in page order.

    A link counts when its path (query ignored) ends in one of ``extensions`` (``"pdf"`` or
    ``".pdf"``, any case). Links to other hosts are listed too: whether to fetch them is the
    caller's decision.
    """
    suffixes = tuple("." + ext.lower().lstrip(".") for ext in extensions)
    if not _links_to_documents(html, suffixes):
        return []  # the usual page: one light pass over its links, not the whole tree
    soup = parse_html(html)
    base = page_url
    if (base_tag := soup.find("base", href=True)) is not None:
        base = urljoin(page_url, base_tag["href"].strip())
    found: list[tuple[str, str, str | None]] = []  # url, link text, size note; index = marker number
    for anchor in soup.find_all("a", href=True):
        try:
            url = urldefrag(urljoin(base, anchor["href"].strip())).url
            parts = urlsplit(url)
        except ValueError:  # an address that cannot be parsed: 'http://[bad/a.pdf'
            continue
        if parts.scheme not in ("http", "https") or not parts.path.lower().endswith(suffixes):
            continue
        text, note = _link_text(anchor)
        anchor.insert(0, NavigableString(f"\ue000{len(found)}\ue001"))
        found.append((url, text, note))
    years = _years_of_markers(tag_lines(soup))
    links: dict[str, DocumentLink] = {}
    for index, (url, text, note) in enumerate(found):
        links.setdefault(url, DocumentLink(url, text, note, years.get(index)))
    return list(links.values())


def _links_to_documents(html: str, suffixes: tuple[str, ...]) -> bool:
    """Whether any link's path ends in one of ``suffixes`` (a tree of the page's links only)."""
    for anchor in BeautifulSoup(html, "lxml", parse_only=SoupStrainer("a", href=True)).find_all("a"):
        try:
            path = urlsplit(anchor["href"].strip()).path
        except ValueError:
            continue
        if path.lower().endswith(suffixes):
            return True
    return False


def _link_text(anchor: Tag) -> tuple[str, str | None]:
    """The link's text as shown (an image's alt text when it has none) and its size note."""
    text = clean(anchor.get_text())
    if not text:
        text = clean(" ".join(img.get("alt", "") for img in anchor.find_all("img")))
    if (m := _NOTE_AT_END.search(text)) and _NOTE_WORDS.search(fold_width(m[1])):
        return text[: m.start()], m[1]
    after = anchor.next_sibling  # a note just after the link: text, or an element (<span>)
    after_text = after.get_text() if isinstance(after, Tag) else str(after or "")
    if (m := _NOTE_AT_START.match(after_text)) and _NOTE_WORDS.search(fold_width(m[1])):
        return text, m[1]
    return text, None


def _years_of_markers(lines: list[Line]) -> dict[int, int | None]:
    """Marker number → the fiscal year of the section its line is in (None outside one)."""
    years: dict[int, int | None] = {}
    year: int | None = None
    for line in lines:
        folded = fold(_MARKER.sub("", line.text))
        if m := YEAR_HEADING.match(folded):
            year = gregorian_year(m["era"], m["num"])
        elif CLOSING.match(folded):
            year = None
        for number in _MARKER.findall(line.text):
            years[int(number)] = year
    return years


# --- reading documents -----------------------------------------------------------------


def document_kind(body: bytes, content_type: str | None, url: str) -> str | None:
    """'pdf', 'xlsx' or None (a type kankei does not read): by the bytes, the media type, the URL."""
    if body[:1024].lstrip().startswith(b"%PDF-"):
        return "pdf"
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type in PDF_TYPES:
        return "pdf"
    if media_type in XLSX_TYPES:
        return "xlsx"
    path = urlsplit(url).path.lower()
    if path.endswith(".pdf"):
        return "pdf"
    if path.endswith(".xlsx"):
        return "xlsx"
    return None


def extract_text(body: bytes, content_type: str | None, url: str, max_bytes: int) -> DocumentText:
    """Read a document's text; never raises for a bad document (see the module's statuses)."""
    if len(body) > max_bytes:
        return DocumentText("too_large", detail=f"{len(body)} bytes, over the limit of {max_bytes}")
    kind = document_kind(body, content_type, url)
    if kind == "pdf":
        return _pdf_text(body)
    if kind == "xlsx":
        return _xlsx_text(body)
    return DocumentText("not_extracted")


def _one_line(error: Exception) -> str:
    return " ".join(f"{type(error).__name__}: {error}".split())


def _pdf_text(body: bytes) -> DocumentText:
    """A PDF's text, pages separated by a form feed (pdfminer ends each page with one)."""
    try:
        text = pdf_extract_text(io.BytesIO(body))
    except PDFEncryptionError as e:  # includes PDFPasswordIncorrect
        return DocumentText("encrypted", detail=_one_line(e))
    except PSException as e:  # PDFSyntaxError, PSEOF…: not a well-formed PDF
        return DocumentText("corrupt", detail=_one_line(e))
    except Exception as e:  # pdfminer on a damaged file can raise nearly anything
        return DocumentText("failed", detail=_one_line(e))
    pages = text.split("\f")[:-1]  # each page ends with a form feed
    if not _UNMAPPED_GLYPH.sub("", text).strip():
        return DocumentText("no_text", pages=len(pages))
    return DocumentText("ok", pages=len(pages), text="\f".join(page.strip() for page in pages))


def _xlsx_text(body: bytes) -> DocumentText:
    """A workbook's cell values: each sheet's name, then its rows, cells joined by tabs;
    sheets separated by a form feed."""
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError) as e:
        return DocumentText("corrupt", detail=_one_line(e))
    except Exception as e:
        return DocumentText("failed", detail=_one_line(e))
    try:
        sheets = []
        has_values = False
        for sheet in workbook.worksheets:
            lines = [sheet.title]
            for row in sheet.iter_rows(values_only=True):
                cells = ["" if value is None else clean(str(value)) for value in row]
                while cells and not cells[-1]:
                    cells.pop()
                if cells:
                    lines.append("\t".join(cells))
                    has_values = True
            sheets.append("\n".join(lines))
    except Exception as e:  # a damaged sheet inside a readable zip
        return DocumentText("corrupt", detail=_one_line(e))
    finally:
        workbook.close()
    if not has_values:
        return DocumentText("no_text", pages=len(sheets))
    return DocumentText("ok", pages=len(sheets), text="\f".join(sheets))


def first_page(text: str | None) -> str:
    """The first page (PDF) or sheet (xlsx) of an extracted text."""
    return (text or "").split("\f")[0]
