"""JSON Schema validation that reports the first problem as `file: key.path: message`.

`pattern` is applied with ECMA-262's meaning (generator.ecma): `$` is the end of the value,
so "vsys1\n" does not pass `^vsys[0-9]+$` here while every editor refuses it.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from generator.ecma import compile_pattern
from generator.errors import AwspanError, key_path, quote
from generator.resources import load_json_schema


def _ecma_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and compile_pattern(pattern).search(instance) is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@lru_cache(maxsize=8)
def _validator(schema_file: str) -> jsonschema.protocols.Validator:
    schema = load_json_schema(schema_file)
    base = jsonschema.validators.validator_for(schema)
    cls = jsonschema.validators.extend(base, {"pattern": _ecma_pattern})
    return cls(schema, format_checker=base.FORMAT_CHECKER)


def validate_document(data: Any, schema_file: str, where: str) -> None:
    """Raise AwspanError naming the key path of the most relevant schema violation.

    jsonschema's wording is turned into something a firewall engineer can act on: an
    unknown key is named (and added to the path), a missing one "is required".
    """
    error = best_match(_validator(schema_file).iter_errors(data))
    if error is None:
        return
    path = list(error.absolute_path)
    message = error.message
    if not isinstance(error.instance, (dict, list)):  # jsonschema echoes the whole value: bound it
        message = message.replace(repr(error.instance), quote(error.instance))
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        if extra:
            path.append(extra[0])
            message = f"unknown key {quote(extra[0])}"
    elif error.validator == "required":
        message = message.replace("is a required property", "is required")
    raise AwspanError(f"{key_path(path)}: {message}", where=where)
