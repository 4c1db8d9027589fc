"""The character diff of edited Japanese text, shared by the reports and ``kankei run``'s lines.

Japanese has no spaces, so the unit is the character; edits are slid to natural cuts
(punctuation, a change of script) and short equal stretches between edits are folded in.
"""

from __future__ import annotations

import difflib


def char_diff(old: str, new: str) -> list[tuple[str, str]]:
    """A character-level diff: ``[(op, text)]`` with op ``'='``, ``'-'`` or ``'+'``.

    Japanese has no spaces, so words cannot be the unit. Equal stretches of one or two
    characters between two edits are folded into the edits, so a rewritten sentence
    reads as one replacement rather than confetti.
    """
    ops: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            ops.append(("=", old[i1:i2]))
        else:
            if i2 > i1:
                ops.append(("-", old[i1:i2]))
            if j2 > j1:
                ops.append(("+", new[j1:j2]))
    ops = _align_edits(ops)
    # Fold short equal runs between edits.
    folded: list[tuple[str, str]] = []
    for k, (op, text) in enumerate(ops):
        if (op == "=" and len(text) <= 2 and 0 < k < len(ops) - 1 and ops[k - 1][0] != "="
                and ops[k + 1][0] != "="):
            folded.append(("-", text))
            folded.append(("+", text))
        else:
            folded.append((op, text))
    # Merge neighbours: all deletions of a stretch, then all insertions.
    merged: list[tuple[str, str]] = []
    pending = {"-": "", "+": ""}
    for op, text in folded + [("=", "")]:
        if op == "=":
            for o in ("-", "+"):
                if pending[o]:
                    merged.append((o, pending[o]))
                    pending[o] = ""
            if text:
                merged.append(("=", text))
        else:
            pending[op] += text
    return merged


_PUNCT = set("、。，．・→←「」『』（）()［］[]【】〈〉《》〔〕！？!?：:；;…‥ー〜～/／,.　 \n\t")


def _char_class(ch: str) -> int:
    if ch in _PUNCT or ch.isspace():
        return 0
    if "\u3040" <= ch <= "\u309f":
        return 1  # hiragana
    if "\u30a0" <= ch <= "\u30ff":
        return 2  # katakana
    if ch.isascii() and ch.isalnum():
        return 3
    return 4  # kanji and the rest


def _boundary_score(a: str, b: str) -> int:
    """How natural a cut between characters ``a`` and ``b`` is (higher is better)."""
    if not a or not b:
        return 3  # the edge of the text
    ca, cb = _char_class(a), _char_class(b)
    if ca == 0 or cb == 0:
        return 2
    return 1 if ca != cb else 0


def _align_edits(ops: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Slide each lone insertion or deletion between two equal runs to the most natural cut.

    収穫体験 → 収穫体験・加工体験 can be read as inserting 体験・加工 after 収穫 or
    ・加工体験 after 収穫体験; prefer cuts at punctuation and script changes (ties: the
    rightmost), as a reader would.
    """
    ops = list(ops)
    for k in range(1, len(ops) - 1):
        (op1, left), (op, edit), (op2, right) = ops[k - 1], ops[k], ops[k + 1]
        if op1 != "=" or op2 != "=" or op == "=" or not left or not right or not edit:
            continue
        # Slide fully left, then try every position to the right.
        while left and edit and left[-1] == edit[-1]:
            left, edit, right = left[:-1], left[-1] + edit[:-1], edit[-1] + right
        best = (left, edit, right)
        best_score = -1
        while True:
            score = _boundary_score(left[-1:], edit[:1]) + _boundary_score(edit[-1:], right[:1])
            if score >= best_score:
                best, best_score = (left, edit, right), score
            if not right or right[0] != edit[0]:
                break
            left, edit, right = left + edit[0], edit[1:] + right[0], right[1:]
        left, edit, right = best
        ops[k - 1], ops[k], ops[k + 1] = ("=", left), (op, edit), ("=", right)
    return [(op, text) for op, text in ops if text or op != "="]


def compact_diff(old: str, new: str, context: int = 12) -> str:
    """The edits in ``[-deleted-]{+inserted+}`` notation with a little context."""
    out = []
    ops = char_diff(old, new)
    for k, (op, text) in enumerate(ops):
        if op == "-":
            out.append(f"[-{text}-]")
        elif op == "+":
            out.append(f"{{+{text}+}}")
        else:
            first, last = k == 0, k == len(ops) - 1
            if len(text) <= 2 * context:
                out.append(text)
            elif first:
                out.append("…" + text[-context:])
            elif last:
                out.append(text[:context] + "…")
            else:
                out.append(text[:context] + " … " + text[-context:])
    return " ".join("".join(out).split())
