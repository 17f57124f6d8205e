"""`json.dumps(value, indent=2, ensure_ascii=False)`, byte for byte, with each shared part encoded once.

With `indent`, the standard library encodes in Python (its C encoder has no indentation), one
generator step per value: the JSON plan of a 1 % change at 20,000 rules is 60 MB, and took 3-4 s
of a plan's CPU. The plan document shares much of it: the plan resolves each address group once
(panos/plan/traffic.py) and every rule that names the group holds the same list of the same
address dicts. Here a dict or list met again is not encoded again: its text is reused (its line
breaks re-indented when met at another depth), so the work follows the document's distinct
parts, not its printed size.

Everything else is the standard encoder's rules, which tests compare byte for byte on generated
documents (tests/test_jsonindent.py): keys in insertion order; str keys as they are, and int,
float, bool and None keys as json writes them; tuples as lists; str and int subclasses through
`str`'s and `int`'s own encoding; NaN and the infinities as json writes them; a cycle raises
ValueError("Circular reference detected"); anything else raises TypeError.
"""

from __future__ import annotations

import json.encoder
from typing import Any

INDENT = "  "
_encode_str = json.encoder.encode_basestring  # the C function where the interpreter has it
_int = int.__repr__
_INFINITY = float("inf")


def _float(value: float) -> str:
    if value != value:  # noqa: PLR0124 - NaN
        return "NaN"
    if value == _INFINITY:
        return "Infinity"
    if value == -_INFINITY:
        return "-Infinity"
    return float.__repr__(value)


def _scalar(value: Any) -> str | None:
    """The JSON of a non-container, or None for a dict, list or tuple."""
    if isinstance(value, str):
        return _encode_str(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return _int(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, (list, tuple, dict)):
        return None
    raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")


def _key(key: Any) -> str:
    """A key as json.dumps writes it: a string, or a number, bool or null's JSON text as a string."""
    if isinstance(key, str):
        return _encode_str(key)
    if key is None or isinstance(key, (int, float)):  # bool is an int
        return _encode_str(_scalar(key))  # type: ignore[arg-type]  # a scalar: never None
    raise TypeError(f"keys must be str, int, float, bool or None, not {key.__class__.__name__}")


class _Encoder:
    """Appends the pieces of the text to `out`; a container met again appends the text of its
    first encoding, joined from `out` once, its lines indented for the level it is met at."""

    def __init__(self) -> None:
        self.out: list[str] = []
        # id -> (level, its text or where it is in `out`); the document keeps the ids alive
        self.done: dict[int, tuple[int, str | tuple[int, int]]] = {}
        self.open: set[int] = set()  # containers being encoded: one met again inside itself is a cycle
        self.breaks: list[str] = ["\n"]  # "\n" + the indentation of each level

    def brk(self, level: int) -> str:
        while len(self.breaks) <= level:
            self.breaks.append(self.breaks[-1] + INDENT)
        return self.breaks[level]

    def value(self, v: Any, level: int) -> None:
        t = type(v)
        if t is str:
            self.out.append(_encode_str(v))
        elif t is dict or t is list or t is tuple or (t is not int and isinstance(v, (dict, list, tuple))):
            if v:
                self.container(v, level)
            else:
                self.out.append("{}" if isinstance(v, dict) else "[]")
        else:
            self.out.append(_scalar(v))  # type: ignore[arg-type]  # not a container: a str

    def container(self, value: list | tuple | dict, level: int) -> None:
        out = self.out
        key = id(value)
        found = self.done.get(key)
        if found is not None:
            first, text = found
            if type(text) is tuple:  # met a second time: its first text, joined once
                text = "".join(out[text[0]:text[1]])
                self.done[key] = (first, text)
            if level > first:  # JSON strings hold no newline: each one is a line break
                text = text.replace("\n", self.brk(level - first))
            elif level < first:
                text = text.replace(self.brk(first - level), "\n")
            out.append(text)  # type: ignore[arg-type]
            return
        if key in self.open:
            raise ValueError("Circular reference detected")
        self.open.add(key)
        start = len(out)
        inner = self.brk(level + 1)
        sep = "," + inner
        value_of = self.value
        append = out.append
        if isinstance(value, dict):
            append("{" + inner)
            first = True
            for k, v in value.items():
                head = (_encode_str(k) if type(k) is str else _key(k)) + ": "
                if first:
                    first = False
                else:
                    head = sep + head
                t = type(v)  # the usual scalars inline: a call per value is most of the cost
                if t is str:
                    append(head + _encode_str(v))
                elif v is None:
                    append(head + "null")
                elif t is bool:
                    append(head + ("true" if v else "false"))
                elif t is int:
                    append(head + _int(v))
                else:
                    append(head)
                    value_of(v, level + 1)
            append(self.brk(level) + "}")
        else:
            append("[" + inner)
            first = True
            for v in value:
                if first:
                    first = False
                else:
                    append(sep)
                t = type(v)
                if t is str:
                    append(_encode_str(v))
                elif t is int:
                    append(_int(v))
                else:
                    value_of(v, level + 1)
            append(self.brk(level) + "]")
        self.open.discard(key)
        self.done[key] = (level, (start, len(out)))


def dumps(value: Any) -> str:
    """What `json.dumps(value, indent=2, ensure_ascii=False)` returns."""
    encoder = _Encoder()
    encoder.value(value, 0)
    return "".join(encoder.out)
