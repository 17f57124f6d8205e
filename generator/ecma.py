"""JSON Schema `pattern`s (ECMA-262 regular expressions) with ECMA's meaning, in Python.

Why: in ECMA-262 `$` (without the m flag) matches only at the end of the input; in Python it
also matches before a final newline. jsonschema hands the pattern to `re.search` unchanged,
so `^i-[0-9a-f]{8,17}$` accepted "i-0123456789abcdef0\\n" (a folded `instance_id: >` in YAML
writes exactly that) while every editor using the same schema refused it. Every place that
applies a schema pattern or a vocabulary pattern in Python compiles it here, so Python and
the editors agree, and the schema files keep the standard spelling.
"""

from __future__ import annotations

import re
from functools import lru_cache


def to_python(pattern: str) -> str:
    """The Python spelling of an ECMA-262 pattern: each unescaped `$` outside a class becomes `\\Z`."""
    out: list[str] = []
    in_class = False
    escaped = False
    for ch in pattern:
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            out.append(ch)
            escaped = True
        elif in_class:
            out.append(ch)
            in_class = ch != "]"
        elif ch == "[":
            out.append(ch)
            in_class = True
        elif ch == "$":
            out.append(r"\Z")
        else:
            out.append(ch)
    return "".join(out)


@lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a schema pattern; use `.search` on it, as JSON Schema does (unanchored unless ^...$)."""
    return re.compile(to_python(pattern))
