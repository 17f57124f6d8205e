"""Small wording helpers for what awspan prints: counts with the right plural."""

from __future__ import annotations

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
