"""precheck.yaml, beside the fragment: the one owner of its format, for generate and plan.

generate writes the already-allowed check's decisions here (precheck.py); plan reads them
back to show beside its rules why a rule is missing (generator/panos/plan/document.py). One module spells the
file's name, its keys and their check, so the writer and the reader cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from generator.errors import AwspanError
from generator.yamlio import agrees_with_reference, dump_yaml, load_yaml_file

PRECHECK_FILE = "precheck.yaml"
VERSION = 1


def precheck_path(output: str | Path) -> Path:
    """precheck.yaml beside the fragment `output`."""
    return Path(output).parent / PRECHECK_FILE


def precheck_text(decisions: Iterable[Any], warnings: Iterable[str]) -> str:
    """The file's text: each decision (rule, verdict, covering rules, reason) and the warnings.

    Exactly what dump_yaml writes for the same document (tests compare the two on hostile
    strings), but written line by line: PyYAML's representer takes seconds for 50,000 decisions.
    A string that the plain-name pattern does not vouch for is written by PyYAML itself, in a
    document of the same shape (so with the same indentation and width), once."""
    rows = [(d.rule, d.verdict, tuple(d.covering), d.reason) for d in decisions]
    warned = sorted(warnings)
    outcomes = dict.fromkeys(row[1:] for row in rows)  # candidates share a few hundred outcomes
    strings = [*(row[0] for row in rows), *warned,
               *(x for verdict, covering, reason in outcomes for x in (verdict, reason, *covering))]
    if set(map(type, strings)) - {str}:
        return _dump(rows, warned)
    scalar = _Scalars()
    scalar.prepare("rule", (row[0] for row in rows))
    scalar.prepare("verdict", (o[0] for o in outcomes))
    scalar.prepare("covering", (name for o in outcomes for name in o[1]))
    scalar.prepare("reason", (o[2] for o in outcomes))
    scalar.prepare("warning", warned)
    out = [f"version: {VERSION}\n"]
    if not rows:
        out.append("decisions: []\n")
    else:
        out.append("decisions:\n")
        tails: dict[tuple[str, tuple[str, ...], str], str] = {}
        for (verdict, covering, reason) in outcomes:
            parts = ["  verdict: ", scalar("verdict", verdict)]
            if covering:
                parts.append("  covering:\n")
                for name in covering:
                    parts += ("  - ", scalar("covering", name))
            else:
                parts.append("  covering: []\n")
            parts += ("  reason: ", scalar("reason", reason))
            tails[(verdict, covering, reason)] = "".join(parts)
        for rule, verdict, covering, reason in rows:
            out += ("- rule: ", scalar("rule", rule), tails[(verdict, covering, reason)])
    if not warned:
        out.append("warnings: []\n")
    else:
        out.append("warnings:\n")
        for w in warned:
            out += ("- ", scalar("warning", w))
    return "".join(out)


def _dump(rows: list[tuple[Any, Any, tuple[Any, ...], Any]], warnings: list[Any]) -> str:
    return dump_yaml({
        "version": VERSION,
        "decisions": [
            {"rule": rule, "verdict": verdict, "covering": list(covering), "reason": reason}
            for rule, verdict, covering, reason in rows
        ],
        "warnings": warnings,
    })


# A name PyYAML writes bare: a letter, then letters, digits and `_ . / -`; a word alone could be
# one of YAML 1.1's booleans or null, so words go the slow way.
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9_./-]{0,200}\Z")
# Each place a string is written at, as a document of one item per string:
# (document, the text before the first item, the text that starts each item at a line's start).
# A line of the document that starts with that text is an item of that sequence, never part of
# a string: a string's continuation lines are indented deeper.
_PLACES: dict[str, Callable[[list[str]], tuple[dict[str, Any], str, str]]] = {
    "rule": lambda batch: ({"decisions": [{"rule": s} for s in batch]}, "decisions:\n", "- rule: "),
    "verdict": lambda batch: ({"decisions": [{"rule": "r", "verdict": s} for s in batch]},
                              "decisions:\n", "- rule: r\n  verdict: "),
    "covering": lambda batch: ({"decisions": [{"rule": "r", "verdict": "v", "covering": batch}]},
                               "decisions:\n- rule: r\n  verdict: v\n  covering:\n", "  - "),
    "reason": lambda batch: ({"decisions": [{"rule": "r", "verdict": "v", "covering": [], "reason": s}
                                            for s in batch]},
                             "decisions:\n", "- rule: r\n  verdict: v\n  covering: []\n  reason: "),
    "warning": lambda batch: ({"warnings": batch}, "warnings:\n", "- "),
}


class _Scalars:
    """Each string as PyYAML writes it at one place, with its line end; computed once per string,
    and for the strings given to prepare(), in one document per place."""

    def __init__(self) -> None:
        self._done: dict[tuple[str, str], str] = {}

    @staticmethod
    def _plain(s: str) -> bool:
        return _PLAIN.match(s) is not None and not s.isalpha()

    def prepare(self, place: str, strings: Iterable[str]) -> None:
        batch = sorted({s for s in strings if not self._plain(s) and (place, s) not in self._done})
        if not batch:
            return
        document, head, item = _PLACES[place](batch)
        text = dump_yaml(document)
        pieces = re.split("^" + re.escape(item), text[len(head):], flags=re.MULTILINE)
        if not text.startswith(head) or pieces[0] or len(pieces) != len(batch) + 1:
            raise AssertionError(f"unexpected YAML for {batch!r}: {text!r}")  # the shape is fixed
        self._done.update(((place, s), piece) for s, piece in zip(batch, pieces[1:], strict=True))

    def __call__(self, place: str, s: str) -> str:
        if self._plain(s):
            return s + "\n"
        found = self._done.get((place, s))
        if found is None:
            self.prepare(place, (s,))
            found = self._done[(place, s)]
        return found


def load_precheck(fragment_path: str | Path) -> dict[str, Any] | None:
    """precheck.yaml beside the fragment, when generate wrote one; None when absent."""
    path = precheck_path(fragment_path)
    if not path.is_file():
        return None
    # yaml_rs where its result is certainly PyYAML's (20,000 decisions: 2 s with PyYAML, 0.1 s)
    data = load_yaml_file(path, "precheck file", fast=True, usable=agrees_with_reference)
    if not isinstance(data, dict) or not isinstance(data.get("decisions", []), list):
        raise AwspanError("expected a mapping with a `decisions` list", where=str(path))
    return {"path": str(path), "decisions": data.get("decisions") or [],
            "warnings": data.get("warnings") or []}
