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


def decode_and_parse(body: bytes, content_type: str | None, parser: str) -> tuple[str | None, Any, str | None]:
    """Decode a fetched body (:func:`scraper.decode.decode_html`) and parse it with ``parser``.

    Returns ``(encoding, page, error)``: the encoding it was decoded with (None when it could
    not be), the parser's result (None on failure) and the failure's message (a
    :class:`scraper.errors.KankeiError`'s; any other exception propagates). What a run and a
    rebuild both do with a stored body.
    """
    from ..decode import decode_html
    from ..errors import KankeiError

    encoding = None
    try:
        text, encoding = decode_html(body, content_type)
        return encoding, PARSERS[parser](text), None
    except KankeiError as e:
        return encoding, None, str(e)
