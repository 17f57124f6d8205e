"""A fast yes/no check of a document against a JSON Schema (the subset awspan's schemas use).

Why: jsonschema walks a 50,000-instance state.yaml in tens of seconds, more than the whole
rest of generate. This module compiles the same schema file once into the source of one
Python function: nested loops over the document's lists and dicts with every keyword's test
written inline (fastjsonschema's approach), so that checking a value costs a few bytecodes
instead of a chain of closure calls (half a second at that scale, down from about 1 s with
closures; docs/performance.md). jsonschema stays the reference and the author of every
message: when the fast check says no, the caller runs jsonschema for the key path and wording
(see generator/generate/state.py). tests/generate/test_state.py checks that both agree on
valid and broken documents.

Supported keywords: type, const, enum, properties, required, additionalProperties (bool or
schema), items, pattern (with ECMA-262's `$`, see generator.ecma), minLength, maxLength,
minimum, maximum, oneOf, $ref (local `#/$defs/...`, recursion included). Any other keyword
raises ValueError at compile time, so a schema edit cannot silently weaken the check.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from generator.ecma import compile_pattern

Check = Callable[[Any], bool]

_IGNORED = {"$schema", "$id", "title", "description", "default", "$defs", "examples", "$comment"}
_SUPPORTED = {
    "type",
    "const",
    "enum",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "oneOf",
    "$ref",
} | _IGNORED
_MAX_DEPTH = 14
"""Indentation levels one function may nest (Python refuses more than 20 nested blocks):
a deeper sub-schema becomes a function of its own."""


def _equal(a: Any, b: Any) -> bool:
    """jsonschema's equality for scalars: 1 == 1.0, but True is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    return a == b


def compile_schema(
    root: dict[str, Any],
    string_guard: Check | None = None,
    *,
    guard_first: frozenset[str] | None = None,
    guard_when: re.Pattern[str] | None = None,
    reject_floats: bool = False,
) -> Check:
    """Compile `root` into a predicate; $refs resolve against root's $defs.

    `string_guard`, when given, must also hold for every string the schema types as string
    (only for those whose first character is in `guard_first` and that `guard_when` matches,
    when given: a set lookup and a C call instead of a Python call per string): state.py uses it
    to send YAML-1.1-ambiguous strings (yaml_rs vs PyYAML) to PyYAML.
    `reject_floats`: every float fails, wherever it sits (state.py: yaml_rs reads `1e3` as a
    number where PyYAML reads a string; a float in its result sends the file to PyYAML).
    """
    compiler = _Compiler(root, string_guard, (guard_first, guard_when), reject_floats)
    entry = compiler.function(root)
    source = "\n".join(line for lines in compiler.functions for line in lines)
    namespace = dict(compiler.names)
    exec(compile(source, "<compiled schema>", "exec"), namespace)  # noqa: S102 - our own generated code
    return namespace[entry]  # type: ignore[no-any-return]


class _Compiler:
    """Writes the checking functions' source; every value the code needs goes into `names`."""

    def __init__(
        self,
        root: dict[str, Any],
        guard: Check | None,
        when: tuple[frozenset[str] | None, re.Pattern[str] | None],
        no_floats: bool,
    ) -> None:
        self.root = root
        self.names: dict[str, Any] = {"_equal": _equal, "_MISSING": object()}
        self.functions: list[list[str]] = []
        self.def_functions: dict[str, str] = {}
        self.inlining: list[str] = []
        self.counter = 0
        self.no_floats = no_floats
        self.guard = None
        if guard is not None:
            self.guard = self.value(guard)
            first, pattern = when
            self.guard_when = "".join(
                [
                    "" if first is None else f"{{x}}[:1] in {self.value(first)} and ",
                    "" if pattern is None else f"{self.value(pattern.match)}({{x}}) is not None and ",
                ]
            )

    def value(self, obj: Any) -> str:
        name = f"_k{len(self.names)}"
        self.names[name] = obj
        return name

    def var(self) -> str:
        self.counter += 1
        return f"x{self.counter}"

    def function(self, schema: dict[str, Any], ref: str | None = None) -> str:
        """A function `name(v) -> bool` for `schema` (a $def's when `ref` names it)."""
        name = f"_f{len(self.functions)}"
        lines: list[str] = []
        self.functions.append(lines)  # reserved first: a recursive $ref calls it by name
        if ref is not None:
            self.def_functions[ref] = name
            self.inlining.append(ref)
        body = self.emit(schema, "v", 1)
        if ref is not None:
            self.inlining.pop()
        lines.extend([f"def {name}(v):", *body, "    return True"])
        return name

    def resolve(self, target: str) -> tuple[str, dict[str, Any]]:
        prefix = "#/$defs/"
        if not target.startswith(prefix):
            raise ValueError(f"unsupported $ref {target!r}")
        name = target[len(prefix) :]
        return name, self.root["$defs"][name]

    def types(self, schema: dict[str, Any]) -> set[str] | None:
        """The types `schema` admits at most (None: any), following a $ref."""
        kinds: set[str] | None = None
        if "type" in schema:
            kinds = {schema["type"]} if isinstance(schema["type"], str) else set(schema["type"])
        if "$ref" in schema:
            inner = self.types(self.resolve(schema["$ref"])[1])
            if inner is not None:
                kinds = inner if kinds is None else kinds & inner
        return kinds

    # -- one schema: lines that `return False` when `x` fails it ---------------------------
    def emit(self, schema: dict[str, Any], x: str, depth: int) -> list[str]:
        unknown = set(schema) - _SUPPORTED
        if unknown:
            raise ValueError(f"schema keyword(s) not supported by the fast check: {sorted(unknown)}")
        pad = "    " * depth
        if depth > _MAX_DEPTH:
            return [f"{pad}if not {self.function(schema)}({x}): return False"]
        out: list[str] = []
        if self.no_floats and "type" not in schema and "$ref" not in schema:
            out.append(f"{pad}if type({x}) is float: return False")  # const 1 admits 1.0 (or `1e0`)
        if "$ref" in schema:
            out += self.emit_ref(schema["$ref"], x, depth)
        kinds = None
        if "type" in schema:
            kinds = {schema["type"]} if isinstance(schema["type"], str) else set(schema["type"])
            out.append(f"{pad}if not ({self.type_test(kinds, x)}): return False")
        if "const" in schema:
            out.append(f"{pad}if not _equal({x}, {self.value(schema['const'])}): return False")
        if "enum" in schema:
            out += self.emit_enum(schema["enum"], x, pad)
        if "oneOf" in schema:
            out += self.emit_one_of(schema["oneOf"], x, depth)
        out += self.emit_string(schema, kinds, x, depth)
        out += self.emit_bounds(schema, x, pad)
        if "items" in schema:
            out += self.emit_items(schema["items"], kinds, x, depth)
        if {"properties", "required", "additionalProperties"} & set(schema):
            out += self.emit_object(schema, kinds, x, depth)
        return out

    def emit_ref(self, target: str, x: str, depth: int) -> list[str]:
        name, sub = self.resolve(target)
        if name in self.inlining:  # recursion: call the function being written
            func = self.def_functions.get(name) or self.function(sub, name)
            return [f"{'    ' * depth}if not {func}({x}): return False"]
        self.inlining.append(name)
        try:
            return self.emit(sub, x, depth)
        finally:
            self.inlining.pop()

    def type_test(self, kinds: set[str], x: str) -> str:
        tests = []
        for kind in sorted(kinds):
            if kind == "object":
                tests.append(f"isinstance({x}, dict)")
            elif kind == "array":
                tests.append(f"isinstance({x}, list)")
            elif kind == "string":
                tests.append(f"isinstance({x}, str)")
            elif kind == "integer":  # JSON Schema's integer: 3 and 3.0, never True
                tests.append(f"type({x}) is int" if self.no_floats
                             else f"type({x}) is int or type({x}) is float and {x}.is_integer()")
            elif kind == "number":
                tests.append(f"type({x}) is int" if self.no_floats else f"type({x}) in (int, float)")
            elif kind == "boolean":
                tests.append(f"type({x}) is bool")
            elif kind == "null":
                tests.append(f"{x} is None")
            else:
                raise ValueError(f"unknown type {kind!r}")
        return " or ".join(tests)

    def emit_enum(self, allowed: list[Any], x: str, pad: str) -> list[str]:
        if all(isinstance(a, str) or a is None for a in allowed):  # the usual case: one set lookup
            strings = self.value(frozenset(a for a in allowed if a is not None))
            none_ok = f" or {x} is None" if None in allowed else ""
            return [f"{pad}if not (isinstance({x}, str) and {x} in {strings}{none_ok}): return False"]
        return [f"{pad}if not any(_equal({x}, a) for a in {self.value(tuple(allowed))}): return False"]

    def emit_one_of(self, options: list[dict[str, Any]], x: str, depth: int) -> list[str]:
        pad = "    " * depth
        nulls = [o for o in options if o == {"type": "null"}]
        others = [o for o in options if o != {"type": "null"}]
        if len(options) == 2 and len(nulls) == 1:
            kinds = self.types(others[0])
            if kinds is not None and "null" not in kinds:  # X or null, and X refuses null: exclusive
                return [f"{pad}if {x} is not None:", *self.emit(others[0], x, depth + 1)]
        calls = " + ".join(f"{self.function(o)}({x})" for o in options)
        return [f"{pad}if ({calls}) != 1: return False"]

    def emit_string(self, schema: dict[str, Any], kinds: set[str] | None, x: str, depth: int) -> list[str]:
        tests = []
        if "minLength" in schema or "maxLength" in schema:
            low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
            tests.append(f"{low} <= len({x})" + (f" <= {int(high)}" if high is not None else ""))
        if "pattern" in schema:
            search = self.value(compile_pattern(schema["pattern"]).search)
            tests.append(f"{search}({x}) is not None")
        guarded = self.guard is not None and kinds is not None and "string" in kinds
        if not tests and not guarded:
            return []
        out, depth = self.opened(kinds, "string", f"isinstance({x}, str)", depth)
        inner = "    " * depth
        if tests:
            out.append(f"{inner}if not ({' and '.join(tests)}): return False")
        if guarded:
            when = self.guard_when.format(x=x)
            out.append(f"{inner}if {when}not {self.guard}({x}): return False")
        return out

    @staticmethod
    def opened(kinds: set[str] | None, kind: str, test: str, depth: int) -> tuple[list[str], int]:
        """The lines and depth for checks that apply to `kind` only: none when the type check
        already ensured it, else an `if` that opens a block."""
        if kinds == {kind}:
            return [], depth
        return [f"{'    ' * depth}if {test}:"], depth + 1

    def emit_bounds(self, schema: dict[str, Any], x: str, pad: str) -> list[str]:
        out = []
        is_number = f"(type({x}) is int or type({x}) is float)"
        for key, op in (("minimum", ">="), ("maximum", "<=")):
            if key in schema:
                limit = self.value(schema[key])
                out.append(f"{pad}if {is_number} and not {x} {op} {limit}: return False")
        return out

    def emit_items(self, items: dict[str, Any], kinds: set[str] | None, x: str, depth: int) -> list[str]:
        out, depth = self.opened(kinds, "array", f"isinstance({x}, list)", depth)
        pad = "    " * depth
        y = self.var()
        body = self.emit(items, y, depth + 1)
        return [*out, f"{pad}for {y} in {x}:", *body] if body else []

    def emit_object(self, schema: dict[str, Any], kinds: set[str] | None, x: str, depth: int) -> list[str]:
        out, depth = self.opened(kinds, "object", f"isinstance({x}, dict)", depth)
        pad = "    " * depth
        props = schema.get("properties", {})
        if schema.get("required"):
            out.append(f"{pad}if not {self.value(frozenset(schema['required']))} <= {x}.keys(): return False")
        extra = schema.get("additionalProperties", True)
        known = self.value(frozenset(props))
        if extra is False:
            out.append(f"{pad}if not {x}.keys() <= {known}: return False")
        elif isinstance(extra, dict):
            key, y = self.var(), self.var()
            body = self.emit(extra, y, depth + 2)
            if body:
                out += [f"{pad}for {key}, {y} in {x}.items():", f"{pad}    if {key} not in {known}:", *body]
        for name, sub in props.items():
            y = self.var()
            body = self.emit(sub, y, depth + 1)
            if body:
                out += [f"{pad}{y} = {x}.get({name!r}, _MISSING)", f"{pad}if {y} is not _MISSING:", *body]
        if not out:
            return []
        if kinds != {"object"} and len(out) == 1:
            return []  # only the isinstance line: nothing to check inside
        return out
