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
