"""What the parsers extract: plain dataclasses, independent of storage."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Partner:
    """A body an adopted body works with (【】 partner or consortium member)."""

    name: str  # as written on the page, e.g. '須崎市' or '岩手県二戸市'
    prefecture: str
    municipality: str  # '' for a prefecture
    lg_code: str | None


@dataclass(slots=True)
class Adoption:
    """One adopted body (モデル事業採択団体) in one fiscal year."""

    fiscal_year: int
    name: str  # as written, width-folded: '石狩市', '新潟県村上市', '北海道'
    prefecture: str
    municipality: str  # '' for a prefecture-led body
    lg_code: str | None
    category: str | None  # type as written, e.g. '関係深化型(ゆかり型)'; None in table years
    summary: str | None  # 事業概要 paragraphs joined by single newlines
    partners: list[Partner] = field(default_factory=list)

    @property
    def identity(self) -> tuple[int, str, str]:
        return (self.fiscal_year, self.prefecture, self.municipality)


@dataclass
class FiscalYear:
    fiscal_year: int  # Gregorian start year: 令和2年度 → 2020
    label: str  # '令和2年度'
    stated_total: int  # 全25団体
    adoptions: list[Adoption] = field(default_factory=list)

    @property
    def parsed_total(self) -> int:
        return len(self.adoptions)


@dataclass(frozen=True)
class Category:
    name: str
    definition: str


@dataclass
class ModelProjectsPage:
    years: list[FiscalYear]
    categories: list[Category]
    warnings: list[str] = field(default_factory=list)


@dataclass
class TextPage:
    """The main text of any page (parser 'text')."""

    title: str
    text: str


# --- linked documents, cross-check and announcements ------------------------------------


@dataclass(frozen=True)
class DocumentLink:
    """A link on a page to a document (PDF, xlsx…), as :func:`scraper.documents.find_documents` finds it."""

    url: str  # absolute, fragment dropped
    link_text: str  # as shown, without the size note
    size_note: str | None  # '[PDFファイル/271KB]', '(PDF:271KB)' as written, or None
    fiscal_year: int | None  # the year whose section the link sits in


@dataclass(frozen=True)
class DocumentText:
    """What :func:`scraper.documents.extract_text` read from a document.

    ``text_status`` is one of :data:`scraper.documents.TEXT_STATUSES`; ``text`` is set only
    when it is 'ok', its pages (PDF) or sheets (xlsx) separated by a form feed ``\\f``.
    """

    text_status: str
    pages: int | None = None  # PDF pages or xlsx sheets, when they could be counted
    text: str | None = None
    detail: str | None = None  # one line on why there is no text (the exception's message)


@dataclass(frozen=True)
class Discrepancy:
    """A body in a year's adoption list document but not on the page, or the other way round."""

    kind: str  # 'missing_from_document' or 'missing_from_page'
    name: str  # as the page writes it (missing_from_document) or the full name (missing_from_page)
    prefecture: str
    municipality: str  # '' for a prefecture
    lg_code: str | None


@dataclass(frozen=True)
class FeedItem:
    """One RSS/Atom item (an announcement)."""

    item_key: str  # the link, else the guid, else the title
    title: str
    link: str | None
    published: str | None  # as the feed states it
    published_utc: str | None  # '2021-04-27T08:00:00Z'
    description: str | None  # plain text
    matched: list[str] = field(default_factory=list)  # the configured keywords it contains
    fiscal_year: int | None = None  # when the title names one: 令和3年度 → 2021


@dataclass
class FeedPage:
    """A parsed feed (parser 'feed')."""

    title: str
    items: list[FeedItem]
    encoding: str | None = None  # the encoding the feed was read in
