"""全国地方公共団体コード (local-government codes) and prefecture splitting.

The table in ``scraper/data/lg_codes.csv`` is generated from a registry package by
``scripts/generate_lg_codes.py``; its provenance and as-of date are in
``scraper/data/lg_codes.json``.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import lru_cache
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


@lru_cache(maxsize=1)
def _table() -> dict[tuple[str, str], str]:
    with (DATA_DIR / "lg_codes.csv").open(encoding="utf-8", newline="") as f:
        return {(row["prefecture"], row["municipality"]): row["lg_code"] for row in csv.DictReader(f)}


@lru_cache(maxsize=1)
def prefectures() -> tuple[str, ...]:
    """The 47 prefecture names, longest first (so 神奈川県 is tried before shorter names)."""
    names = {pref for pref, muni in _table() if muni == ""}
    return tuple(sorted(names, key=len, reverse=True))


def provenance() -> dict[str, str]:
    """Where the code table came from and its as-of date."""
    return json.loads((DATA_DIR / "lg_codes.json").read_text(encoding="utf-8"))


def split_prefecture(name: str) -> tuple[str | None, str]:
    """Split a leading prefecture name off ``name``: '京都府福知山市' → ('京都府', '福知山市').

    Splits on the 47 known prefecture names, never on the first 都/道/府/県.
    """
    names, lengths = _prefix_index()
    for n in lengths:  # longest first, as prefectures() is ordered
        if name[:n] in names:
            return name[:n], name[n:]
    return None, name


@lru_cache(maxsize=1)
def _prefix_index() -> tuple[frozenset[str], tuple[int, ...]]:
    """The prefecture names as a set and their lengths, longest first (a set lookup per length, not 47 scans)."""
    names = prefectures()
    return frozenset(names), tuple(sorted({len(p) for p in names}, reverse=True))


def lookup(prefecture: str, municipality: str) -> str | None:
    """The 6-digit code of a prefecture ('' municipality) or municipality, or None."""
    return _table().get((prefecture, municipality))


def is_prefecture(name: str) -> bool:
    return name in _prefix_index()[0]


@lru_cache(maxsize=8192)
def resolve(name: str, default_prefecture: str | None = None) -> Place | None:
    """Resolve a body's name as written to a :class:`Place`.

    ``name`` may carry its prefecture ('新潟県村上市'), be a prefecture ('北海道') or a
    bare municipality ('須崎市') that lies in ``default_prefecture``. Returns None when
    no prefecture can be determined.
    """
    pref, rest = split_prefecture(name)
    if pref is None:
        if default_prefecture is None:
            return None
        pref, rest = default_prefecture, name
    return Place(pref, rest, lookup(pref, rest))
