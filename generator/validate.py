"""JSON Schema validation that reports the first problem as `file: key.path: message`."""

from __future__ import annotations

from typing import Any

import jsonschema
from jsonschema.exceptions import best_match

from generator.errors import AwspanError, key_path
from generator.resources import load_json_schema


def _validator(schema_file: str) -> jsonschema.protocols.Validator:
    schema = load_json_schema(schema_file)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _describe(error: jsonschema.ValidationError) -> str:
    """Turn jsonschema's wording into something a firewall engineer can act on."""
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        if extra:
            return f"unknown key {extra[0]!r}"
    if error.validator == "required":
        return error.message.replace("is a required property", "is required")
    return error.message


def validate_document(data: Any, schema_file: str, where: str) -> None:
    """Raise AwspanError naming the key path of the most relevant schema violation."""
    error = best_match(_validator(schema_file).iter_errors(data))
    if error is None:
        return
    path = list(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        if extra:
            path.append(extra[0])
    raise AwspanError(f"{key_path(path)}: {_describe(error)}", where=where)
