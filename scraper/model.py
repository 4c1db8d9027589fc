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
