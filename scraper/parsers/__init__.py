"""Parsers by name, as configured in ``[[sources]] parser = "..."``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .model_projects import parse_model_projects
from .text import parse_text

PARSERS: dict[str, Callable[[str], Any]] = {
    "model_projects": parse_model_projects,
    "text": parse_text,
}
