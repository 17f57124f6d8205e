"""policy.yaml: documented defaults; every bad input (unknown key, wrong type) names its key path."""

from __future__ import annotations

import functools
import textwrap
from pathlib import Path

import pytest

from generator.errors import AwspanError
from generator.location import Location
from generator.policy import load_policy
from generator.resources import load_json_schema

GOOD = """\
firewall:
  instance_id: i-0123456789abcdef0
rules:
  bottom_rule: clean-up
  from_zone: untrust
  to_zone: trust
aws:
  regions: [us-east-1]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_minimal_policy_gets_the_documented_defaults(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, GOOD))
    assert policy.rules.tag == "awspan"
    assert policy.rules.layout == "group"
    assert policy.firewall.location == Location(vsys="vsys1")
    assert policy.safety.max_delete_percent == 30
    assert policy.events.mode == "log"
    assert policy.firewall.route_targets == ()


def _schema_defaults(spec: dict, path: tuple[str, ...] = ()):
    for key, prop in spec.get("properties", {}).items():
        if "default" in prop:
            yield path + (key,), prop["default"]
        yield from _schema_defaults(prop, path + (key,))


def test_schema_defaults_are_the_policy_defaults(tmp_path: Path) -> None:
    """The Policy dataclasses mirror every `default` of the schema (what editors show)."""
    policy = load_policy(write(tmp_path, GOOD))
    defaults = dict(_schema_defaults(load_json_schema("policy.schema.json")))
    assert len(defaults) >= 15, defaults
    for path, default in defaults.items():
        if path == ("rules", "applications"):
            value = policy.rules.application_map()
        else:
            value = functools.reduce(getattr, path, policy)
        if path == ("firewall", "location"):
            default = Location.from_policy(default)
        elif isinstance(default, list):
            default = tuple(default)
        assert value == default, path


def test_panorama_location_and_application_map(tmp_path: Path) -> None:
    text = (
        GOOD.replace(
            "  instance_id: i-0123456789abcdef0\n",
            "  instance_id: i-0123456789abcdef0\n  location: {device_group: aws-edge, rulebase: post}\n",
        )
        + "  accounts: [{id: '123456789012', role_arn: 'arn:aws:iam::123456789012:role/awspan'}]\n"
    )
    text = text.replace(
        "  to_zone: trust\n", "  to_zone: trust\n  applications: {tcp/22: ssh, tcp/443: ssl}\n"
    )
    policy = load_policy(write(tmp_path, text))
    loc = policy.firewall.location
    assert loc.is_panorama and loc.scope == "aws-edge"
    assert loc.rules_xpath.endswith("device-group/entry[@name='aws-edge']/post-rulebase/security/rules")
    assert policy.rules.application_map() == {"tcp/22": "ssh", "tcp/443": "ssl"}
    assert policy.aws.accounts[0].role_arn == "arn:aws:iam::123456789012:role/awspan"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("  to_zone: trust\n", "  to_zone: trust\n  colour: blue\n"), "rules.colour: unknown key 'colour'"),
        (("  from_zone: untrust\n", "  from_zone: [untrust]\n"), "rules.from_zone:"),
        (
            ("  to_zone: trust\n", "  to_zone: trust\n  internal_cidrs: [10.0.0.0/33]\n"),
            "rules.internal_cidrs[0]",
        ),
        (("  to_zone: trust\n", "  to_zone: trust\n  internal_cidrs: [10.0.0.1/8]\n"), "host bits set"),
        (
            ("  to_zone: trust\n", "  to_zone: trust\n  applications: {tcp/70000: gopher}\n"),
            "rules.applications",
        ),
        (("  bottom_rule: clean-up\n", "  bottom_rule: " + "x" * 64 + "\n"), "rules.bottom_rule"),
        (("  instance_id: i-0123456789abcdef0\n", "  instance_id: vm-1\n"), "firewall.instance_id"),
        (("  regions: [us-east-1]\n", "  regions: []\n"), "aws.regions"),
    ],
)
def test_bad_values_name_the_key_path(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(AwspanError) as info:
        load_policy(path)
    assert expected in str(info.value)
    assert str(path) in str(info.value)


def test_missing_section_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(AwspanError, match="'rules' is required"):
        load_policy(write(tmp_path, GOOD.split("rules:")[0] + "aws:\n  regions: [us-east-1]\n"))
    with pytest.raises(AwspanError, match="empty"):
        load_policy(write(tmp_path, ""))


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(AwspanError, match=r"invalid YAML: line 3"):
        load_policy(write(tmp_path, "firewall:\n  instance_id: i-1\n  - broken\n"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AwspanError, match="policy file not found"):
        load_policy(tmp_path / "nope.yaml")


def test_every_problem_is_reported_at_once_sorted_by_key_path(tmp_path: Path) -> None:
    """Six mistakes, one run: each named with its key path, sorted, no raw regex."""
    text = GOOD.replace("  instance_id: i-0123456789abcdef0\n",
                        "  instance_id: vm-1\n  url: ftp://fw\n  colour: blue\n")
    text = text.replace("  to_zone: trust\n", "  to_zone: trust\n  layout: grouped\n")
    text = text.replace("  regions: [us-east-1]\n", "  regions: []\n  extra: 1\n")
    path = write(tmp_path, text)
    with pytest.raises(AwspanError) as info:
        load_policy(path)
    lines = str(info.value).splitlines()
    assert lines[0] == f"{path}: 6 problems:"
    assert [line.split(":")[0].strip() for line in lines[1:]] == [
        "aws.extra", "aws.regions", "firewall.colour", "firewall.instance_id", "firewall.url", "rules.layout"]
    assert any(line.startswith("  firewall.url: 'ftp://fw' is not valid: expected the firewall's URL, "
                               "https://host[:port]") for line in lines), lines
    assert "^" not in str(info.value)  # the schema's description, not its pattern


def test_value_problems_are_all_reported_too(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace(
        "  to_zone: trust\n",
        "  to_zone: trust\n  internal_cidrs: [10.0.0.1/8, 192.168.0.0/16, nonsense]\n"
        "  applications: {tcp/70000: gopher}\n"))
    with pytest.raises(AwspanError) as info:
        load_policy(path)
    text = str(info.value)
    assert text.startswith(f"{path}: 3 problems:\n")
    assert "rules.internal_cidrs[0]: '10.0.0.1/8' has host bits set (did you mean 10.0.0.0/8?)" in text
    assert "rules.internal_cidrs[2]: 'nonsense' is not a valid CIDR block" in text
    assert "rules.applications.tcp/70000: ports must be 0-65535" in text


def test_many_problems_are_capped_with_a_count(tmp_path: Path) -> None:
    extra = "".join(f"  key{i:02d}: 1\n" for i in range(30))
    path = write(tmp_path, GOOD.replace("  to_zone: trust\n", "  to_zone: trust\n" + extra))
    with pytest.raises(AwspanError) as info:
        load_policy(path)
    lines = str(info.value).splitlines()
    assert lines[0] == f"{path}: 30 problems:"
    assert lines[1] == "  rules.key00: unknown key 'key00'" and len(lines) == 1 + 20 + 1
    assert lines[-1] == "  and 10 more"


def test_one_problem_stays_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("  to_zone: trust\n", "  to_zone: trust\n  colour: blue\n"))
    with pytest.raises(AwspanError) as info:
        load_policy(path)
    assert str(info.value) == f"{path}: rules.colour: unknown key 'colour'"
