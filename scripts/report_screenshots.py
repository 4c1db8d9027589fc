"""Regenerate the screenshots of the HTML report in docs/ with headless Chromium.

    uv run python scripts/report_screenshots.py            # writes docs/report-ja.png
    uv run python scripts/report_screenshots.py --out DIR

Runs the offline demo into a temporary folder, renders its Japanese HTML report of
every run (the changes, then the map and the bars) and photographs the whole page in
a window tall enough for it. Needs Chromium (apt-get install chromium fonts-noto-cjk);
nothing is fetched from the network.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
SHOTS = (("report-ja.png", (1280, 3300)),)


def browser() -> str | None:
    """The first headless-capable Chromium on PATH."""
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def render_demo_report(directory: Path) -> Path:
    """The demo's database and its Japanese HTML report (every run) in ``directory``."""
    sys.path.insert(0, str(ROOT))
    from pipeline.demo import run_demo
    from db.connection import connect_readonly
    from pipeline.report.render import render_html
    from pipeline.report.select import select_changes

    run_demo(directory / "demo", echo=lambda line: None)
    conn = connect_readonly(directory / "demo" / "kankei.db")
    try:
        data = select_changes(conn, since="2000-01-01", snapshots_root=directory / "demo" / "snapshots")
    finally:
        conn.close()
    page = directory / "report.html"
    page.write_text(render_html(data, page, lang="ja"), encoding="utf-8")
    return page


def screenshot(chromium: str, url: str, target: Path, size: tuple[int, int]) -> None:
    """One headless Chromium screenshot of ``url`` at ``size`` (no network, no profile kept)."""
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}", f"--screenshot={target}", url],
            check=True, capture_output=True, timeout=120,
        )


def make_screenshots(out: Path) -> list[Path]:
    chromium = browser()
    if chromium is None:
        raise SystemExit("no Chromium found: apt-get install chromium fonts-noto-cjk")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        page = render_demo_report(Path(tmp))
        for name, size in SHOTS:
            screenshot(chromium, page.as_uri(), out / name, size)
            written.append(out / name)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for the PNG files (default: docs/)")
    for path in make_screenshots(parser.parse_args().out):
        print(path)


if __name__ == "__main__":
    main()
