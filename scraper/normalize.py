"""Text normalisation for comparing Japanese page text.

Two strings that differ only in form (full-width vs half-width ASCII letters, digits
and punctuation, half-width katakana, ideographic or non-breaking spaces, line
breaks) get the same :func:`compare_key`. What is stored and shown keeps the page's
own characters: circled digits such as ① ② are never folded (NFKC would turn them
into 1 and 2), so :func:`fold_width` only touches the full-width ASCII block, the
ideographic space and half-width katakana.
"""

from __future__ import annotations

import re
import unicodedata

_FULLWIDTH_ASCII = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_SPACES = {0x3000: " ", 0x00A0: " ", 0x2002: " ", 0x2003: " ", 0x2009: " ", 0x200B: ""}
# Dash-like characters pages use interchangeably in running text.
_MINUS = {0x2212: "-", 0x2010: "-", 0x2011: "-"}
_FOLD = {**_FULLWIDTH_ASCII, **_SPACES, **_MINUS}
_HALFWIDTH_KANA = re.compile("[\uff61-\uff9f]+")
_WHITESPACE = re.compile(r"\s+")


def fold_width(text: str) -> str:
    """Fold full-width ASCII (Ａ１（）) to ASCII and half-width katakana to full-width.

    Keeps ① ② ㈱ and every other character as written.
    """
    text = text.translate(_FOLD)
    return _HALFWIDTH_KANA.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)


def clean(text: str) -> str:
    """Collapse runs of whitespace (any kind) to one space and strip the ends."""
    return _WHITESPACE.sub(" ", text.translate(_SPACES)).strip()


def fold(text: str) -> str:
    """:func:`fold_width` then :func:`clean`: the form used for names and labels."""
    return clean(fold_width(text))


def compare_key(text: str | None) -> str:
    """The form-insensitive key two texts are compared by: width-folded, no whitespace."""
    if text is None:
        return ""
    return _WHITESPACE.sub("", fold_width(text))
