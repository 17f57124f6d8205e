"""Identifiers match as whole values, and state.yaml says each id once.

A trailing newline used to pass every `^...$` pattern (Python's `$` matches before a final
newline): a folded `instance_id: >` in policy.yaml made generate drop the rules of every
interface behind the firewall, with exit 0. Duplicate ids silently won or lost lookups.
Each case here must end in exit 1 with one line naming the file and the key path.
"""

from __future__ import annotations

import pytest

from generator.yamlio import dump_yaml
from tests.generate.helpers import example_state_data, generate_cli
from tests.policies import example_policy

SENTINEL = b"<previous fragment/>\n"


def _run(tmp_path, capsys, state: dict, policy: dict) -> str:
    state_file = tmp_path / "state.yaml"
    state_file.write_text(dump_yaml(state))
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(dump_yaml(policy))
    out = tmp_path / "fragment.xml"
    out.write_bytes(SENTINEL)
    rc, _, err = generate_cli(capsys, out, "--no-rulebase", policy=policy_file, state=state_file)
    assert rc == 1, err
    assert out.read_bytes() == SENTINEL
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


POLICY_CASES = {
    "folded instance_id": (("firewall", "instance_id"), "i-0f1e2d3c4b5a69780\n", "firewall.instance_id"),
    "vsys with a newline": (("firewall", "location"), {"vsys": "vsys1\n"}, "firewall.location"),
    "bottom_rule with a newline": (("rules", "bottom_rule"), "clean-up\n", "rules.bottom_rule"),
    "tag with a newline": (("rules", "tag"), "awspan\n", "rules.tag"),
    "zone with a newline": (("rules", "from_zone"), "untrust\n", "rules.from_zone"),
    "zone over 31 characters": (("rules", "to_zone"), "z" * 32, "rules.to_zone"),
    "route target with a newline": (("firewall", "route_targets"), ["vpce-0a1b2c3d4e5f60718\n"],
                                    "firewall.route_targets[0]"),
    "App-ID with a newline": (("rules", "applications"), {"tcp/22": "ssh\n"}, "rules.applications.tcp/22"),
    "port key with a newline": (("rules", "applications"), {"tcp/22\n": "ssh"}, "rules.applications"),
}


@pytest.mark.parametrize("case", sorted(POLICY_CASES))
def test_policy_identifiers_match_the_whole_value(tmp_path, capsys, case):
    (section, key), value, path = POLICY_CASES[case]
    policy = example_policy()
    policy[section][key] = value
    err = _run(tmp_path, capsys, example_state_data(), policy)
    assert f"{tmp_path / 'policy.yaml'}: {path}" in err
    assert "fragment.xml.j2" not in err and "template" not in err


def test_a_leading_underscore_is_a_name_everywhere(tmp_path, capsys):
    """`_x` was refused by the policy schema only; generate, the fragment schema and push accept it."""
    policy = example_policy()
    policy["rules"]["bottom_rule"] = "_clean-up"
    policy["rules"]["tag"] = "_awspan"
    state_file = tmp_path / "state.yaml"
    state_file.write_text(dump_yaml(example_state_data()))
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(dump_yaml(policy))
    out = tmp_path / "fragment.xml"
    rc, _, err = generate_cli(capsys, out, "--no-rulebase", policy=policy_file, state=state_file)
    assert rc == 0, err
    assert b'<entry name="_awspan">' in out.read_bytes()


def _vpc(state, v=0):
    return state["vpcs"][v]


STATE_CASES = {
    "instance id with a newline": (
        lambda s: _vpc(s)["instances"][0].__setitem__("id", "i-0a00000000000a001\n"),
        ["vpcs[0].instances[0].id"],
    ),
    "subnet reference with a newline": (
        lambda s: _vpc(s)["interfaces"][0].__setitem__("subnet", "subnet-0a1a1a1a1a1a1a1a1\n"),
        ["vpcs[0].interfaces[0].subnet"],
    ),
    "duplicate instance id": (
        lambda s: _vpc(s, 1)["instances"][0].__setitem__("id", "i-0a00000000000a001"),
        ["vpcs[1].instances[0].id", "i-0a00000000000a001 appears twice", "vpcs[0].instances[0].id"],
    ),
    "duplicate ENI id": (
        lambda s: _vpc(s)["interfaces"][2].__setitem__("id", "eni-0a00000000000a001"),
        ["vpcs[0].interfaces[2].id", "appears twice", "vpcs[0].interfaces[0].id"],
    ),
    "an instance id that is also an interface id": (
        lambda s: _vpc(s, 1)["interfaces"][0].__setitem__("id", "i-0a00000000000a001"),
        ["vpcs[1].interfaces[0].id", "appears twice", "vpcs[0].instances[0].id"],
    ),
    "duplicate subnet id with another CIDR": (
        lambda s: _vpc(s)["subnets"].append({"id": "subnet-0a1a1a1a1a1a1a1a1", "cidr": "10.9.0.0/24",
                                             "ipv6_cidr": None}),
        ["vpcs[0].subnets[4].id", "subnet-0a1a1a1a1a1a1a1a1 appears twice", "vpcs[0].subnets[0].id"],
    ),
    "one subnet in two VPCs": (
        lambda s: _vpc(s, 1)["subnets"].append({"id": "subnet-0a1a1a1a1a1a1a1a1", "cidr": "10.9.0.0/24",
                                                "ipv6_cidr": None}),
        ["vpcs[1].subnets[2].id", "appears twice", "vpcs[0].subnets[0].id"],
    ),
    "duplicate route table id": (
        lambda s: _vpc(s)["route_tables"].append(dict(_vpc(s)["route_tables"][1], main=False)),
        ["vpcs[0].route_tables[3].id", "rtb-0b2b2b2b2b2b2b2b2 appears twice"],
    ),
    "two main route tables": (
        lambda s: _vpc(s)["route_tables"][2].__setitem__("main", True),
        ["vpcs[0].route_tables[2].main", "second main route table", "vpcs[0].route_tables[0]"],
    ),
    "a subnet associated with two route tables": (
        lambda s: _vpc(s)["route_tables"][2]["subnets"].append("subnet-0d4d4d4d4d4d4d4d4"),
        ["vpcs[0].route_tables[2].subnets[1]", "subnet-0d4d4d4d4d4d4d4d4",
         "vpcs[0].route_tables[1].subnets[0]"],
    ),
    "duplicate security group id": (
        lambda s: _vpc(s)["security_groups"].append(dict(_vpc(s)["security_groups"][0])),
        ["security_groups[", "appears twice", "vpcs[0].security_groups[0].id"],
    ),
}


@pytest.mark.parametrize("case", sorted(STATE_CASES))
def test_state_ids_are_whole_and_unique(tmp_path, capsys, case):
    mutate, expected = STATE_CASES[case]
    state = example_state_data()
    mutate(state)
    err = _run(tmp_path, capsys, state, example_policy())
    assert str(tmp_path / "state.yaml") in err
    for fragment in expected:
        assert fragment in err, err


def test_a_shared_vpc_may_list_its_subnets_twice(tmp_path, capsys):
    """The same VPC seen from two accounts: its subnets and route tables appear in both records."""
    state = example_state_data()
    twin = {k: v for k, v in _vpc(state).items() if k in ("id", "cidrs", "route_tables", "subnets")}
    state["vpcs"].insert(1, dict(twin, account="210987654321", region=_vpc(state)["region"]))
    state_file = tmp_path / "state.yaml"
    state_file.write_text(dump_yaml(state))
    rc, _, err = generate_cli(capsys, tmp_path / "fragment.xml", "--no-rulebase", state=state_file)
    assert rc == 0, err
    alone = tmp_path / "alone.yaml"
    alone.write_text(dump_yaml(example_state_data()))
    rc, _, err = generate_cli(capsys, tmp_path / "alone.xml", "--no-rulebase", state=alone)
    assert rc == 0, err
    # the second record adds no instance: the fragment is the one of the VPC seen once
    assert (tmp_path / "fragment.xml").read_bytes() == (tmp_path / "alone.xml").read_bytes()
