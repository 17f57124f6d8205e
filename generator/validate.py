"""JSON Schema validation that reports the first problem as `file: key.path: message`."""

from __future__ import annotations

from typing import Any

import jsonschema
from jsonschema.exceptions import best_match

from generator.errors import AwspanError, key_path, quote
from generator.resources import load_json_schema


def _validator(schema_file: str) -> jsonschema.protocols.Validator:
    schema = load_json_schema(schema_file)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


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
