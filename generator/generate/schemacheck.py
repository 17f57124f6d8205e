"""A fast yes/no check of a document against a JSON Schema (the subset awspan's schemas use).

Why: jsonschema walks a 50,000-instance state.yaml in tens of seconds, more than the whole
rest of generate. This module compiles the same schema file once into nested Python
closures that answer "valid or not" in about a second. jsonschema stays the reference and
the author of every message: when the fast check says no, the caller runs jsonschema for
the key path and wording (see generator/generate/state.py). tests/generate/test_state.py
checks that both agree on valid and broken documents.

Supported keywords: type, const, enum, properties, required, additionalProperties (bool or
schema), items, pattern (with ECMA-262's `$`, see generator.ecma), minLength, maxLength,
minimum, maximum, oneOf, $ref (local `#/$defs/...`). Any other keyword raises ValueError at
compile time, so a schema edit cannot silently weaken the check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from generator.ecma import compile_pattern

Check = Callable[[Any], bool]

_IGNORED = {"$schema", "$id", "title", "description", "default", "$defs", "examples", "$comment"}
_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: _is_integer(v),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
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


def _is_integer(v: Any) -> bool:
    """JSON Schema's integer: 3 and 3.0, never True."""
    if isinstance(v, bool):
        return False
    return isinstance(v, int) or isinstance(v, float) and v.is_integer()


def _equal(a: Any, b: Any) -> bool:
    """jsonschema's equality for scalars: 1 == 1.0, but True is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    return a == b


def compile_schema(root: dict[str, Any], string_guard: Check | None = None) -> Check:
    """Compile `root` into a predicate; $refs resolve against root's $defs (compiled once each).

    `string_guard`, when given, must also hold for every string the schema types as string:
    state.py uses it to send YAML-1.1-ambiguous strings (yaml_rs vs PyYAML) to PyYAML.
    """
    defs: dict[str, Check] = {}

    def ref(target: str) -> Check:
        prefix = "#/$defs/"
        if not target.startswith(prefix):
            raise ValueError(f"unsupported $ref {target!r}")
        name = target[len(prefix) :]
        if name not in defs:
            slot: list[Check] = []
            defs[name] = lambda v: slot[0](v)  # placeholder for recursion
            slot.append(build(root["$defs"][name]))
            defs[name] = slot[0]
        return defs[name]

    def build(schema: dict[str, Any]) -> Check:
        unknown = set(schema) - _SUPPORTED
        if unknown:
            raise ValueError(f"schema keyword(s) not supported by the fast check: {sorted(unknown)}")
        checks: list[Check] = []
        if "$ref" in schema:
            checks.append(ref(schema["$ref"]))
        fused = _fused_scalar(schema, string_guard)
        if fused is not None:
            checks.append(fused)
        else:
            checks.extend(_scalar_checks(schema))
        if "const" in schema:
            const = schema["const"]
            checks.append(lambda v: _equal(v, const))
        if "enum" in schema:
            allowed = schema["enum"]
            checks.append(lambda v: any(_equal(v, a) for a in allowed))
        if "oneOf" in schema:
            options = [build(s) for s in schema["oneOf"]]
            checks.append(lambda v: sum(1 for o in options if o(v)) == 1)
        if "items" in schema:
            item = build(schema["items"])
            checks.append(lambda v: not isinstance(v, list) or all(map(item, v)))
        if {"properties", "required", "additionalProperties"} & set(schema):
            checks.append(_object(schema, build))
        return _all(checks)

    return build(root)


def _object(schema: dict[str, Any], build: Callable[[dict[str, Any]], Check]) -> Check:
    props = {k: build(s) for k, s in schema.get("properties", {}).items()}
    required = tuple(schema.get("required", ()))
    extra = schema.get("additionalProperties", True)
    extra_check: Check | None = None
    if isinstance(extra, dict):
        extra_check = build(extra)
    closed = extra is False

    def check(v: Any) -> bool:
        if not isinstance(v, dict):
            return True
        for key in required:
            if key not in v:
                return False
        for key, value in v.items():
            sub = props.get(key)
            if sub is not None:
                if not sub(value):
                    return False
            elif closed or extra_check is not None and not extra_check(value):
                return False
        return True

    return check


def _all(checks: list[Check]) -> Check:
    """AND of checks without a generator per call (this runs a million times on a big state)."""
    if not checks:
        return lambda v: True
    combined = checks[0]
    for nxt in checks[1:]:
        combined = (lambda a, b: lambda v: a(v) and b(v))(combined, nxt)
    return combined


def _scalar_checks(schema: dict[str, Any]) -> list[Check]:
    """type, pattern, lengths and bounds as separate checks (the general case)."""
    checks: list[Check] = []
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        tests = tuple(_TYPES[k] for k in kinds)
        checks.append(tests[0] if len(tests) == 1 else (lambda v: any(f(v) for f in tests)))
    if "pattern" in schema:
        search = compile_pattern(schema["pattern"]).search
        checks.append(lambda v: not isinstance(v, str) or search(v) is not None)
    if "minLength" in schema:
        low = schema["minLength"]
        checks.append(lambda v: not isinstance(v, str) or len(v) >= low)
    if "maxLength" in schema:
        high = schema["maxLength"]
        checks.append(lambda v: not isinstance(v, str) or len(v) <= high)
    if "minimum" in schema:
        floor = schema["minimum"]
        checks.append(lambda v: isinstance(v, bool) or not isinstance(v, (int, float)) or v >= floor)
    if "maximum" in schema:
        ceiling = schema["maximum"]
        checks.append(lambda v: isinstance(v, bool) or not isinstance(v, (int, float)) or v <= ceiling)
    return checks


def _fused_scalar(schema: dict[str, Any], guard: Check | None) -> Check | None:
    """One closure for the common `type: string (or null)` + pattern/length, and integer + bounds."""
    kinds = schema.get("type")
    kinds = [kinds] if isinstance(kinds, str) else kinds
    if (
        not kinds
        or not set(kinds) <= {"string", "integer", "null"}
        or "string" in kinds
        and "integer" in kinds
    ):
        return None
    nullable = "null" in kinds
    if "string" in kinds:
        low, high = schema.get("minLength", 0), schema.get("maxLength", 1 << 62)
        search = compile_pattern(schema["pattern"]).search if "pattern" in schema else None
        if guard is not None:
            plain = search or (lambda v: True)

            def string(v: Any) -> bool:
                return isinstance(v, str) and low <= len(v) <= high and plain(v) is not None and guard(v)
        elif search is None:

            def string(v: Any) -> bool:
                return isinstance(v, str) and low <= len(v) <= high
        else:

            def string(v: Any) -> bool:
                return isinstance(v, str) and low <= len(v) <= high and search(v) is not None

        return (lambda v: v is None or string(v)) if nullable else string
    if "integer" in kinds:
        floor, ceiling = schema.get("minimum", -float("inf")), schema.get("maximum", float("inf"))

        def integer(v: Any) -> bool:
            return _is_integer(v) and floor <= v <= ceiling

        return (lambda v: v is None or integer(v)) if nullable else integer
    return None
