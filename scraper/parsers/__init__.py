"""Parsers by name, as configured in ``[[sources]] parser = "..."``.

The parser modules are imported on first use, not with this package: a run whose
pages all answer 304 parses nothing and need not load lxml (a tenth of its start-up).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _model_projects(html: str) -> Any:
    from .model_projects import parse_model_projects

    return parse_model_projects(html)


def _text(html: str) -> Any:
    from .text import parse_text

    return parse_text(html)


PARSERS: dict[str, Callable[[str], Any]] = {
    "model_projects": _model_projects,
    "text": _text,
}
