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
from functools import lru_cache

_FULLWIDTH_ASCII = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_SPACES = {0x3000: " ", 0x00A0: " ", 0x2002: " ", 0x2003: " ", 0x2009: " ", 0x200B: ""}
_HALFWIDTH_KANA = re.compile("[\uff61-\uff9f]+")
_WHITESPACE = re.compile(r"\s+")
# Dash-like characters pages use interchangeably in running text.
_MINUS = str.maketrans({"\u2212": "-", "\u2010": "-", "\u2011": "-"})


# One table for the three foldings (their outputs are never keys of another), and the
# characters any of them touches: most text needs no folding and skips translate()
# (a dict lookup per character), which is most of the parser's time otherwise.
_FOLD = {**_FULLWIDTH_ASCII, **_SPACES, **_MINUS}
_NEEDS_FOLD = re.compile("[\uff01-\uff5e\uff61-\uff9f" + "".join(f"\\u{cp:04x}" for cp in sorted(_SPACES))
                         + "\u2212\u2010\u2011]")
_NEEDS_SPACES = re.compile("[" + "".join(f"\\u{cp:04x}" for cp in sorted(_SPACES)) + "]")


def fold_width(text: str) -> str:
    """Fold full-width ASCII (Ａ１（）) to ASCII and half-width katakana to full-width.

    Keeps ① ② ㈱ and every other character as written.
    """
    if not _NEEDS_FOLD.search(text):
        return text
    text = text.translate(_FOLD)
    return _HALFWIDTH_KANA.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)


def clean(text: str) -> str:
    """Collapse runs of whitespace (any kind) to one space and strip the ends."""
    if _NEEDS_SPACES.search(text):
        text = text.translate(_SPACES)
    return _WHITESPACE.sub(" ", text).strip()


def fold(text: str) -> str:
    """:func:`fold_width` then :func:`clean`: the form used for names and labels."""
    return clean(fold_width(text))


@lru_cache(maxsize=16384)  # the same stored texts are compared again in every run and rebuild step
def compare_key(text: str | None) -> str:
    """The form-insensitive key two texts are compared by: width-folded, no whitespace."""
    if text is None:
        return ""
    return _WHITESPACE.sub("", fold_width(text))
