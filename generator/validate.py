"""JSON Schema validation that reports every problem at once, as `file: key.path: message`.

A user who fixes one mistake per run needs as many runs as mistakes; so every violation is
listed, sorted by key path, one per line (capped, with "and N more"). jsonschema's wording
is turned into something a firewall engineer can act on: an unknown key is named (and
added to the path), a missing one "is required", a pattern is explained by the schema's
`description` instead of the raw regular expression. Values are quoted bounded and escaped
(generator.errors.quote).

`pattern` is applied with ECMA-262's meaning (generator.ecma): `$` is the end of the value,
so "vsys1\n" does not pass `^vsys[0-9]+$` here while every editor refuses it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from generator.ecma import compile_pattern
from generator.errors import AwspanError, key_path, quote
from generator.resources import load_json_schema

MAX_LISTED = 20
"""Problems listed in one message; the rest are counted ("and N more")."""

Problem = tuple[tuple[str | int, ...], str]
"""(key path parts, message)."""


def _ecma_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and compile_pattern(pattern).search(instance) is None:
        yield ValidationError(f"{quote(instance)} does not match {pattern!r}")


@lru_cache(maxsize=8)
def _validator(schema_file: str) -> jsonschema.protocols.Validator:
    schema = load_json_schema(schema_file)
    base = jsonschema.validators.validator_for(schema)
    cls = jsonschema.validators.extend(base, {"pattern": _ecma_pattern})
    return cls(schema, format_checker=base.FORMAT_CHECKER)


def _word(error: ValidationError) -> list[Problem]:
    """One validation error as problems (an object with three unknown keys is three problems)."""
    if error.context and error.validator in ("oneOf", "anyOf"):
        # the branch the value was meant for: not one that only says "wrong type"
        best = best_match([e for e in error.context if e.validator != "type"] or error.context)
        if best is not None and list(best.absolute_path) != list(error.absolute_path):
            return _word(best)
        if best is not None and best.validator == "pattern":  # one URL or a list: the URL's form
            what = best.schema.get("description") or error.schema.get("description")
            if what:
                return [(tuple(best.absolute_path), f"{quote(best.instance)} is not valid: expected {what}")]
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        extra = sorted(set(map(str, error.instance)) - set(error.schema.get("properties", {})))
        if extra:
            return [(path + (key,), f"unknown key {quote(key)}") for key in extra]
    if error.validator == "required":
        return [(path, error.message.replace("is a required property", "is required"))]
    if error.validator == "pattern":
        what = error.schema.get("description")
        if what:
            return [(path, f"{quote(error.instance)} is not valid: expected {what}")]
        form = f"pattern {error.validator_value}"
        return [(path, f"{quote(error.instance)} is not in the expected form ({form})")]
    message = error.message
    if not isinstance(error.instance, (dict, list)):  # jsonschema echoes the whole value: bound it
        message = message.replace(repr(error.instance), quote(error.instance))
    return [(path, message)]


def _sort_key(problem: Problem) -> tuple[Any, ...]:
    # keys and indexes compare within their own kind; a shorter path (the parent) first
    return tuple((0, p, "") if isinstance(p, int) else (1, 0, p) for p in problem[0]), problem[1]


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """De-duplicated, sorted by key path (a parent before its children)."""
    return sorted(set(problems), key=_sort_key)


def _key_problem(key: object) -> tuple[str, str]:
    """(the key as the path shows it, why it is refused) for a key that is not a string."""
    if isinstance(key, bool):
        return str(key).lower(), ("is a boolean, not a string (YAML reads an unquoted yes, no, on, off, "
                                  "true or false so): quote it")
    if key is None:
        return "null", "is null, not a string (YAML reads an unquoted ~, null or an empty key so): quote it"
    what = "a number" if isinstance(key, (int, float)) else f"a {type(key).__name__}"
    return str(key), f"is {what}, not a string (YAML types an unquoted key as it types a value): " \
        f"quote it (\"{key}\")"


def _key_problems(data: Any) -> list[tuple[Problem, tuple[str | int, ...]]]:
    """Every mapping key that is not a string, named with its path.

    YAML types an unquoted key as it types a value: `22:` is an integer, `on:`/`yes:` a boolean
    (YAML 1.1), `~:` null, `2024-01-01:` a date. Every key awspan reads is a string, and JSON
    Schema checks only strings against `propertyNames`, so `applications: {22: ssh}` passed and
    the rule silently used application `any`. Refused here, for every mapping of every file
    validated against a schema (policy.yaml, state.yaml), whichever YAML loader read it.
    Each problem comes with the path jsonschema gives the same key (`str(key)`: `True`, `None`)."""
    out: list[tuple[Problem, tuple[str | int, ...]]] = []
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), data)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if isinstance(key, str):
                    stack.append(((*path, key), value))
                else:
                    shown, why = _key_problem(key)
                    out.append((((*path, shown), f"the key {why}"), (*path, str(key))))
        elif isinstance(item, list):
            stack.extend(((*path, i), value) for i, value in enumerate(item))
    return out


def schema_problems(data: Any, schema_file: str) -> list[Problem]:
    """Every violation of the schema, worded, de-duplicated and sorted by key path; a key that is
    not a string is named as such (key_problems), not as an unknown key."""
    found = _key_problems(data)
    problems = [problem for problem, _ in found]
    keys = {path for _, path in found} | {problem[0] for problem in problems}
    for error in _validator(schema_file).iter_errors(data):
        problems += [p for p in _word(error) if p[0] not in keys]
    return sort_problems(problems)


def problems_error(problems: Iterable[Problem], where: str) -> AwspanError | None:
    """One AwspanError listing the problems (None when there are none).

    One problem reads as one line, `file: key.path: message`; several as a first line that
    counts them and one indented line each, so that all can be fixed in one go.
    """
    items = [f"{key_path(path)}: {message}" for path, message in problems]
    if not items:
        return None
    if len(items) == 1:
        return AwspanError(items[0], where=where)
    listed = items[:MAX_LISTED]
    more = len(items) - len(listed)
    text = f"{len(items)} problems:\n" + "\n".join(f"  {item}" for item in listed)
    if more:
        text += f"\n  and {more} more"
    return AwspanError(text, where=where)


def validate_document(data: Any, schema_file: str, where: str) -> None:
    """Raise AwspanError listing every schema violation (see problems_error)."""
    error = problems_error(schema_problems(data, schema_file), where)
    if error is not None:
        raise error
