"""Scraped text made safe to put in Markdown: the one escaper reports and notifications share."""

from __future__ import annotations

import re

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def md(text: str | None) -> str:
    """Scraped text made inert in Markdown (backslash escapes, one line)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join((text or "").split()))


def md_fence(text: str) -> str:
    """A code fence longer than any run of backticks in ``text``."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)
