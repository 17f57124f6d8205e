"""A mapping key that is not a string is an error naming the key, in every mapping of policy.yaml
and state.yaml, whichever YAML loader read the file.

`applications: {22: ssh}` (an unquoted key: YAML makes it an integer) passed `validate` and
generate, and the rules silently used application `any`: JSON Schema checks `propertyNames`
only on strings. The policy test walks schemas/policy.schema.json and tries each kind of
non-string key in every object it declares, so a mapping added to the schema is covered (the
test fails until the base documents below reach it).
"""

from __future__ import annotations

import copy
import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.errors import AwspanError
from generator.generate.state import load_state, parse_state
from generator.policy import load_policy
from generator.resources import load_json_schema
from generator.yamlio import fast_loader_available, load_yaml_text
from tests.generate.helpers import run_cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

BASES: list[dict[str, Any]] = [
    {
        "firewall": {"instance_id": "i-0123456789abcdef0", "location": {"vsys": "vsys1"}},
        "rules": {"bottom_rule": "clean-up", "from_zone": "untrust", "to_zone": "trust",
                  "applications": {"tcp/443": "ssl"}},
        "aws": {"regions": ["us-east-1"], "accounts": [{"id": "123456789012"}]},
        "safety": {"max_delete_percent": 30},
        "events": {"mode": "log", "pipeline": {"event_type": "awspan-aws-change"}},
    },
    {
        "firewall": {"instance_id": "i-0123456789abcdef0", "location": {"device_group": "dg1"}},
        "rules": {"bottom_rule": "clean-up", "from_zone": "untrust", "to_zone": "trust"},
        "aws": {"regions": ["us-east-1"]},
    },
]
"""Valid policies that together hold every object of the schema (both kinds of location)."""

BAD_KEYS: list[tuple[object, str]] = [
    (22, "22"),
    (1.5, "1.5"),
    (True, "true"),
    (None, "null"),
    (datetime.date(2024, 1, 1), "2024-01-01"),
]
"""What PyYAML makes of an unquoted `22:`, `1.5:`, `on:`, `~:`, `2024-01-01:`, and how the path shows it."""


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        node: Any = root
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        return node
    return schema


def object_schemas(schema: dict[str, Any], root: dict[str, Any],
                   path: tuple[str | int, ...] = ()) -> list[tuple[tuple[str | int, ...], dict[str, Any]]]:
    """Every object schema with the instance path it applies to (`[0]` for an array's items)."""
    schema = _resolve(schema, root)
    found: list[tuple[tuple[str | int, ...], dict[str, Any]]] = []
    types = schema.get("type")
    if types == "object" or (isinstance(types, list) and "object" in types) or "properties" in schema:
        found.append((path, schema))
    for key, sub in schema.get("properties", {}).items():
        found += object_schemas(sub, root, (*path, key))
    if isinstance(schema.get("items"), dict):
        found += object_schemas(schema["items"], root, (*path, 0))
    for option in schema.get("oneOf", []) + schema.get("anyOf", []):
        found += object_schemas(option, root, path)
    return found


def _at(doc: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        if isinstance(part, int):
            if not isinstance(doc, list) or len(doc) <= part:
                return None
        elif not isinstance(doc, dict) or part not in doc:
            return None
        doc = doc[part]
    return doc


def _base_for(path: tuple[str | int, ...], schema: dict[str, Any]) -> dict[str, Any] | None:
    """A base document holding an object at `path` of this schema's shape (its keys are declared)."""
    declared = set(schema.get("properties", {}))
    for base in BASES:
        node = _at(base, path)
        if isinstance(node, dict) and (not declared or set(node) <= declared):
            return base
    return None


def _shown(path: tuple[str | int, ...], key: str) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return f"{out}.{key}" if out else key


POLICY_OBJECTS = object_schemas(load_json_schema("policy.schema.json"),
                                load_json_schema("policy.schema.json"))


def test_the_walk_finds_the_mappings_people_write() -> None:
    paths = {p for p, _ in POLICY_OBJECTS}
    assert {(), ("firewall",), ("firewall", "location"), ("rules",), ("rules", "applications"),
            ("aws",), ("aws", "accounts", 0), ("safety",), ("events",), ("events", "pipeline")} <= paths


@pytest.mark.parametrize("path, schema", POLICY_OBJECTS,
                         ids=[_shown(p, "") or "(top)" for p, _ in POLICY_OBJECTS])
@pytest.mark.parametrize("key, shown", BAD_KEYS, ids=[s for _, s in BAD_KEYS])
def test_a_non_string_key_in_any_policy_mapping_is_named(
        tmp_path: Path, path: tuple[str | int, ...], schema: dict[str, Any], key: object, shown: str) -> None:
    base = _base_for(path, schema)
    assert base is not None, f"no base document reaches {path}: add one to BASES"
    load_policy(_write(tmp_path, base))  # the base itself is valid
    doc = copy.deepcopy(base)
    _at(doc, path)[key] = "x"
    with pytest.raises(AwspanError) as caught:
        load_policy(_write(tmp_path, doc))
    message = str(caught.value)
    assert f"{_shown(path, shown)}: the key is " in message
    assert "not a string" in message
    assert "unknown key" not in message  # one problem per key, said once


def _write(tmp_path: Path, doc: dict[str, Any]) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def test_applications_with_a_bare_port_is_refused_by_validate_and_generate(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's case, through the command line: `applications: {22: ssh}` exits 1 naming the key
    and how to write it; generate refuses it too (it used to write rules with application `any`)."""
    text = (EXAMPLES / "policy.yaml").read_text(encoding="utf-8").replace("tcp/22: ssh", "22: ssh")
    assert "    22: ssh" in text
    policy = tmp_path / "policy.yaml"
    policy.write_text(text, encoding="utf-8")
    for args in (["validate", "--config", str(policy), "--state", str(EXAMPLES / "state.yaml")],
                 ["generate", "--config", str(policy), "--state", str(EXAMPLES / "state.yaml"),
                  "--output", str(tmp_path / "fragment.xml")]):
        code, out, err = run_cli(capsys, *args)
        assert code == 1, out + err
        assert 'rules.applications.22: the key is a number, not a string: a key is "tcp/PORT" or ' \
               '"udp/PORT", e.g. "tcp/22"' in out + err
        assert "Traceback" not in out + err
    assert not (tmp_path / "fragment.xml").exists()


STATE_KEYS = ["22", "on", "~", "1.5"]


def _state_with_key(key: str) -> str:
    """examples/state.yaml with `KEY: x` written unquoted into the first VPC's mapping."""
    text = (EXAMPLES / "state.yaml").read_text(encoding="utf-8")
    at = text.index("\n- id: vpc-")
    line_end = text.index("\n", at + 1)
    return text[:line_end] + f"\n  {key}: x" + text[line_end:]


@pytest.mark.parametrize("fast", [True, False], ids=["yaml_rs", "pyyaml"])
@pytest.mark.parametrize("key", STATE_KEYS)
def test_state_yaml_refuses_a_non_string_key_with_either_loader(key: str, fast: bool) -> None:
    """Both YAML paths of state.yaml agree: the same refusal, naming the key's path."""
    if fast and not fast_loader_available():
        pytest.skip("yaml_rs is not installed: the PyYAML case covers the path that runs here")
    bad = _state_with_key(key)
    with pytest.raises(AwspanError) as caught:
        parse_state(load_yaml_text(bad, "state.yaml", fast=fast), "state.yaml")
    assert "state.yaml: vpcs[0]." in str(caught.value)
    assert ": the key is " in str(caught.value) and "not a string" in str(caught.value)


def test_state_yaml_names_an_integer_key(tmp_path: Path) -> None:
    path = tmp_path / "state.yaml"
    path.write_text(_state_with_key("22"), encoding="utf-8")
    with pytest.raises(AwspanError, match=r"vpcs\[0\]\.22: the key is a number, not a string"):
        load_state(path)
