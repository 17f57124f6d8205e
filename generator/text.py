"""Small wording helpers for what awspan prints: counts with the right plural."""

from __future__ import annotations

import unicodedata

_IRREGULAR = {"address": "addresses", "prefix list": "prefix lists", "policy": "policies"}


def plural(word: str) -> str:
    """The plural of a noun awspan counts ("VPC" -> "VPCs", "address" -> "addresses")."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    return word + "s"


def count(n: int, word: str) -> str:
    """`1 VPC`, `2 VPCs`, `0 addresses`; thousands separated so large estates stay readable."""
    return f"{n:,} {word if n == 1 else plural(word)}"


# Characters that change how text reads without being seen: C0/C1 controls and DEL (a newline
# makes a fake line), Unicode format characters (bidi overrides and isolates reorder what is read,
# zero-width spaces and joiners hide a difference, tag characters hide text), line and paragraph
# separators, spaces other than U+0020, and the Hangul fillers that render as nothing.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Zs", "Cs", "Co", "Cn"})
_INVISIBLE_EXTRA = frozenset("\u115f\u1160\u3164\uffa0\u034f\u17b4\u17b5\u180e")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}


def _invisible(char: str) -> bool:
    if " " <= char <= "~":
        return char == "\\"
    return char in _INVISIBLE_EXTRA or unicodedata.category(char) in _INVISIBLE_CATEGORIES


def _escape(char: str) -> str:
    code = ord(char)
    return _SHORT.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000
                                else f"\\U{code:08x}")


def visible(text: str) -> str:
    """`text` with every character that is not plainly seen written as an escape (`\\n`, `\\u202e`,
    `\\x00`; a backslash as `\\\\`, so an escape in the text cannot pass for one of these): one line
    that reads in the order it is stored. For AWS strings in the plan: data, shown as it is."""
    if text.isascii() and text.isprintable() and "\\" not in text:
        return text  # the common case, in one C-speed test
    return "".join(_escape(c) if _invisible(c) else c for c in text)
