"""README stays true: its Commands section is the real --help, its commands and schema exist."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from db import schema

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_commands_section_matches_the_cli() -> None:
    result = subprocess.run([sys.executable, "scripts/readme_cli.py", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_documented_tables_match_the_schema(tmp_path: Path) -> None:
    conn = schema.connect(tmp_path / "k.db")
    documented = re.findall(r"^\| `(\w+)` \| `([^`]+)`", README, flags=re.M)
    assert len(documented) >= 10
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    shadow = {t for t in tables if t.startswith("sqlite_") or "_fts" in t or t.endswith("_search")}
    assert tables - shadow <= {t for t, _ in documented}, "tables missing from README's Schema section"
    for table, columns in documented:
        names = [c.strip() for c in columns.replace("`", "").split(",")]
        actual = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        assert actual == names, table


def test_setup_commands_are_documented() -> None:
    assert "uv run kankei demo" in README and "uv run pytest" in README
    assert "uv run pytest" in (ROOT / ".ci" / "run").read_text()
