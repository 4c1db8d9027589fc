"""全国地方公共団体コード (local-government codes): the official list, and recognising its names.

The table in ``scraper/data/lg_codes.csv`` is generated from a registry package by
``scripts/generate_lg_codes.py``; its provenance and as-of date are in
``scraper/data/lg_codes.json``. ``scraper/data/lg_aliases.csv`` maps names a page may
write that the list spells otherwise (檮原町 for 梼原町) or no longer has (a town that
became a city under the same code) to the list's name, with the reason.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Place:
    """A local government: prefecture, municipality ('' for the prefecture itself)."""

    prefecture: str
    municipality: str
    lg_code: str | None

    @property
    def full_name(self) -> str:
        return self.prefecture + self.municipality


def _read_csv(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


CODES: dict[tuple[str, str], str] = {
    (row["prefecture"], row["municipality"]): row["lg_code"] for row in _read_csv("lg_codes.csv")
}
ALIASES: dict[tuple[str, str], str] = {
    (row["prefecture"], row["written"]): row["municipality"] for row in _read_csv("lg_aliases.csv")
}
# The 47 prefecture names, longest first (so 神奈川県 is tried before shorter names).
PREFECTURES: tuple[str, ...] = tuple(sorted({p for p, m in CODES if m == ""}, key=len, reverse=True))
_PREFECTURE_LENGTHS = sorted({len(p) for p in PREFECTURES}, reverse=True)  # 4 (神奈川県), 3 (北海道)
# Each municipality name (and alias) with the prefectures that have one of that name.
_PREFECTURES_OF: dict[str, list[str]] = {}
for _pref, _muni in [*CODES, *ALIASES]:
    if _muni:
        _PREFECTURES_OF.setdefault(_muni, []).append(_pref)


def prefectures() -> tuple[str, ...]:
    """The 47 prefecture names, longest first."""
    return PREFECTURES


def provenance() -> dict[str, str]:
    """Where the code table came from and its as-of date."""
    return json.loads((DATA_DIR / "lg_codes.json").read_text(encoding="utf-8"))


def is_prefecture(name: str) -> bool:
    return (name, "") in CODES


def split_prefecture(name: str) -> tuple[str | None, str]:
    """Split a leading prefecture name off ``name``: '京都府福知山市' → ('京都府', '福知山市').

    Splits on the 47 known prefecture names, never on the first 都/道/府/県.
    """
    for length in _PREFECTURE_LENGTHS:
        if is_prefecture(name[:length]):
            return name[:length], name[length:]
    return None, name


def prefectures_of(municipality: str) -> list[str]:
    """The prefectures that have a municipality of this name (or a known alias of it)."""
    return _PREFECTURES_OF.get(municipality, [])


def lookup(prefecture: str, municipality: str) -> str | None:
    """The 6-digit code of a prefecture ('' municipality) or municipality, or None."""
    return CODES.get((prefecture, ALIASES.get((prefecture, municipality), municipality)))


def resolve(name: str, default_prefecture: str | None = None) -> Place | None:
    """Resolve a body's name as written to a :class:`Place`.

    ``name`` may carry its prefecture ('新潟県村上市'), be a prefecture ('北海道') or a
    bare municipality ('須崎市') that lies in ``default_prefecture``. A known alias
    resolves to the list's name. Returns None when no prefecture can be determined.
    """
    pref, rest = split_prefecture(name)
    if pref is None:
        if default_prefecture is None:
            return None
        pref, rest = default_prefecture, name
    rest = ALIASES.get((pref, rest), rest)
    return Place(pref, rest, CODES.get((pref, rest)))


# --- names in free text (documents) ----------------------------------------------------

_FULLWIDTH_BRACKETS = str.maketrans("（）", "()")
_CLOSING_BRACKET = {"(": ")", "【": "】"}
_LONGEST_MUNICIPALITY = max(len(name) for name in _PREFECTURES_OF)


def names_in_text(text: str) -> list[Place]:
    """Every local government a free text (a PDF's text) names, each once, in order of mention.

    Recognised: a prefecture-qualified name (新潟県村上市), a prefecture alone (北海道, not
    北海道大学 or 島根県立), a consortium's members in brackets after their lead, bare ones
    lying in the lead's prefecture (北海道(釧路市、北見市) and 【須崎市、四万十町】), and a bare
    municipality followed by its prefecture in brackets (石狩市(北海道)). Whitespace and line
    breaks are removed before matching, so a name split across a PDF's lines (長\\n沼町) is found.
    Where names overlap, the leftmost, then the longest wins (東京都府中市 is 東京都 + 府中市).
    """
    squeezed, gaps = _squeeze(text.translate(_FULLWIDTH_BRACKETS))
    found: dict[tuple[str, str], Place] = {}
    i = 0
    while i < len(squeezed):
        places, end = _names_at(squeezed, gaps, i)
        for place in places:
            found.setdefault((place.prefecture, place.municipality), place)
        i = end if places or end > i else i + 1
    return list(found.values())


def _squeeze(text: str) -> tuple[str, set[int]]:
    """``text`` without whitespace, and the positions in it that followed whitespace."""
    chars: list[str] = []
    gaps: set[int] = set()
    for char in text:
        if char.isspace():
            gaps.add(len(chars))
        else:
            chars.append(char)
    return "".join(chars), gaps


def _is_kanji(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or char == "\u3005"  # 々


def _place(prefecture: str, written: str) -> Place:
    municipality = ALIASES.get((prefecture, written), written)
    return Place(prefecture, municipality, CODES.get((prefecture, municipality)))


def _prefecture_at(text: str, i: int) -> str | None:
    for length in _PREFECTURE_LENGTHS:
        if is_prefecture(text[i : i + length]):
            return text[i : i + length]
    return None


def _municipality_at(text: str, i: int, prefecture: str) -> str | None:
    """The longest municipality of ``prefecture`` (or an alias) written at ``i``."""
    for length in range(_LONGEST_MUNICIPALITY, 1, -1):
        name = text[i : i + length]
        if len(name) == length and prefecture in prefectures_of(name):
            return name
    return None


def _bracket_at(text: str, i: int) -> tuple[str, int] | None:
    """The content of a (…) or 【…】 starting at ``i``, and the position after it."""
    if i >= len(text) or text[i] not in _CLOSING_BRACKET:
        return None
    close = text.find(_CLOSING_BRACKET[text[i]], i + 1)
    return None if close < 0 else (text[i + 1 : close], close + 1)


def _names_at(text: str, gaps: set[int], i: int) -> tuple[list[Place], int]:
    """The places a name starting at ``i`` gives (a lead, then its bracketed members), and
    where to go on; no places and ``i`` when no name starts there."""
    prefecture = _prefecture_at(text, i)
    if prefecture is not None:
        end = i + len(prefecture)
        municipality = _municipality_at(text, end, prefecture)
        if municipality is not None:
            lead = _place(prefecture, municipality)
            end += len(municipality)
        elif end == len(text) or end in gaps or not _is_kanji(text[end]):
            lead = _place(prefecture, "")
        else:  # part of a longer word: 北海道大学, 島根県立, 東京都内
            return [], end
        members, end = _members_after(text, end, lead)
        return [lead, *members], end
    for length in range(_LONGEST_MUNICIPALITY, 1, -1):
        name = text[i : i + length]
        bracket = _bracket_at(text, i + length) if len(name) == length else None
        if bracket is not None and bracket[0] in prefectures_of(name):
            lead = _place(bracket[0], name)
            members, end = _members_after(text, bracket[1], lead)
            return [lead, *members], end
    return [], i


def _members_after(text: str, i: int, lead: Place) -> tuple[list[Place], int]:
    """The places in the brackets that follow a lead at ``i`` (a bare name lies in the
    lead's prefecture), and the position after the brackets."""
    members: list[Place] = []
    while (bracket := _bracket_at(text, i)) is not None:
        content, i = bracket
        k = 0
        while k < len(content):
            places, end = _names_at(content, set(), k)
            if not places and (bare := _municipality_at(content, k, lead.prefecture)) is not None:
                places, end = [_place(lead.prefecture, bare)], k + len(bare)
            # a member restating the lead's prefecture (石狩市(北海道)) is not another body
            members.extend(p for p in places if (p.prefecture, p.municipality) != (lead.prefecture, ""))
            k = end if end > k else k + 1
    return members, i
