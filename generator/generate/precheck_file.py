"""precheck.yaml, beside the fragment: the one owner of its format, for generate and plan.

generate writes the already-allowed check's decisions here (precheck.py); plan reads them
back to show beside its rules why a rule is missing (plan_build.py). One module spells the
file's name, its keys and their check, so the writer and the reader cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from generator.errors import AwspanError
from generator.yamlio import dump_yaml, load_yaml_file

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
    one-entry document of the same shape (so with the same indentation and width), once."""
    rows = [(d.rule, d.verdict, tuple(d.covering), d.reason) for d in decisions]
    warned = sorted(warnings)
    if not all(isinstance(x, str) for row in rows for x in (row[0], row[1], row[3], *row[2])) or not all(
        isinstance(w, str) for w in warned
    ):
        return _dump(rows, warned)
    scalar = _Scalars()
    out = [f"version: {VERSION}\n"]
    if not rows:
        out.append("decisions: []\n")
    else:
        out.append("decisions:\n")
        for rule, verdict, covering, reason in rows:
            out += ("- rule: ", scalar("rule", rule), "  verdict: ", scalar("verdict", verdict))
            if covering:
                out.append("  covering:\n")
                for name in covering:
                    out += ("  - ", scalar("covering", name))
            else:
                out.append("  covering: []\n")
            out += ("  reason: ", scalar("reason", reason))
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
# Each place a string is written at, as a one-entry document: (document, the text before the string).
_PLACES = {
    "rule": lambda s: ({"decisions": [{"rule": s}]}, "decisions:\n- rule: "),
    "verdict": lambda s: ({"decisions": [{"rule": "r", "verdict": s}]}, "decisions:\n- rule: r\n  verdict: "),
    "covering": lambda s: ({"decisions": [{"rule": "r", "verdict": "v", "covering": [s]}]},
                           "decisions:\n- rule: r\n  verdict: v\n  covering:\n  - "),
    "reason": lambda s: ({"decisions": [{"rule": "r", "verdict": "v", "covering": [], "reason": s}]},
                         "decisions:\n- rule: r\n  verdict: v\n  covering: []\n  reason: "),
    "warning": lambda s: ({"warnings": [s]}, "warnings:\n- "),
}


class _Scalars:
    """Each string as PyYAML writes it at one place, with its line end; computed once per string."""

    def __init__(self) -> None:
        self._done: dict[tuple[str, str], str] = {}

    def __call__(self, place: str, s: str) -> str:
        if _PLAIN.match(s) and not s.isalpha():
            return s + "\n"
        found = self._done.get((place, s))
        if found is None:
            document, before = _PLACES[place](s)
            text = dump_yaml(document)
            if not text.startswith(before):  # cannot happen: the document starts with these keys
                raise AssertionError(f"unexpected YAML for {s!r}: {text!r}")
            found = self._done[(place, s)] = text[len(before):]
        return found


def load_precheck(fragment_path: str | Path) -> dict[str, Any] | None:
    """precheck.yaml beside the fragment, when generate wrote one; None when absent."""
    path = precheck_path(fragment_path)
    if not path.is_file():
        return None
    data = load_yaml_file(path, "precheck file")
    if not isinstance(data, dict) or not isinstance(data.get("decisions", []), list):
        raise AwspanError("expected a mapping with a `decisions` list", where=str(path))
    return {"path": str(path), "decisions": data.get("decisions") or [],
            "warnings": data.get("warnings") or []}
