"""precheck.yaml, beside the fragment: the one owner of its format, for generate and plan.

generate writes the already-allowed check's decisions here (precheck.py); plan reads them
back to show beside its rules why a rule is missing (plan_build.py). One module spells the
file's name, its keys and their check, so the writer and the reader cannot drift apart.
"""

from __future__ import annotations

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
    """The file's text: each decision (rule, verdict, covering rules, reason) and the warnings."""
    return dump_yaml({
        "version": VERSION,
        "decisions": [
            {"rule": d.rule, "verdict": d.verdict, "covering": list(d.covering), "reason": d.reason}
            for d in decisions
        ],
        "warnings": sorted(warnings),
    })


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
