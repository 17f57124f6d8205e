"""One address behind two protected interfaces (two VPCs with overlapping blocks, in different
accounts, both routed through the firewall) is an error at generate: the firewall tells
destinations apart by address only, so one instance would inherit the other's openings.
Before issue 22, membership dynamic merged the two into one registration without a word."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from generator.errors import AwspanError
from generator.generate.membership import checked
from generator.registrations_file import Registration, Registrations
from generator.yamlio import dump_yaml, load_yaml_text
from tests.generate.helpers import POLICY, example_state_data, generate_cli

HOSTILE = "db\n+ destination 0.0.0.0/0 \u202egnp.exe"


def _twin(state: dict, *, name: str = HOSTILE) -> dict:
    """The example's VPC again, in another account, with other ids but the same addresses."""
    first = state["vpcs"][0]
    text = dump_yaml(first)
    for old, new in (("vpc-0a", "vpc-0d"), ("i-0a", "i-0d"), ("eni-0a", "eni-0d"), ("sg-0a", "sg-0d"),
                     ("subnet-0", "subnet-9"), ("rtb-0", "rtb-9"), ("pl-0", "pl-9"),
                     ("'111122223333'", "'777788889999'")):
        text = text.replace(old, new)
    twin = load_yaml_text(text, "twin")
    for inst in twin["instances"]:
        if inst["id"] == "i-0d00000000000a001":
            inst["name"] = name
    out = copy.deepcopy(state)
    out["vpcs"].append(twin)
    return out


@pytest.mark.parametrize("membership", ["static", "dynamic"])
def test_two_instances_with_one_address_are_refused_naming_both(tmp_path: Path, capsys, membership: str):
    policy = tmp_path / "policy.yaml"
    text = POLICY.read_text()
    policy.write_text(text.replace("layout: group", f"layout: group\n  membership: {membership}"))
    state = tmp_path / "state.yaml"
    state.write_text(dump_yaml(_twin(example_state_data())))
    out = tmp_path / "out" / "fragment.xml"
    code, _, err = generate_cli(capsys, out, "--no-rulebase", policy=policy, state=state)
    assert code == 1 and not out.exists()
    line = err.strip()
    assert "\n" not in line and "Traceback" not in line
    assert "10.10.1.10 is an address of two protected interfaces" in line
    assert "i-0a00000000000a001 ('web-1') eni-0a00000000000a001 in vpc-0a11b22c33d44e55f (account " \
           "111122223333)" in line
    assert "i-0d00000000000a001 ('db\\n+ destination 0.0.0.0/0 \\u202egnp.exe')" in line  # escaped
    assert "\u202e" not in line
    assert "in vpc-0d11b22c33d44e55f (account 777788889999)" in line
    assert not (tmp_path / "out" / "registrations.yaml").exists()


def test_a_stopped_twin_is_not_an_overlap(tmp_path: Path, capsys):
    """Only protected (live) interfaces are compared: a stopped instance's address is registered to
    nobody (dynamic) and is in no rule (static)."""
    data = _twin(example_state_data(), name="db")
    for inst in data["vpcs"][-1]["instances"]:
        inst["state"] = "stopped"
    for eni in data["vpcs"][-1]["interfaces"]:  # a load balancer's, a task's: detached, not in use
        if eni["instance"] is None:
            eni["status"] = "available"
    state = tmp_path / "state.yaml"
    state.write_text(dump_yaml(data))
    code, _, err = generate_cli(capsys, tmp_path / "fragment.xml", "--no-rulebase", state=state)
    assert code == 0, err
    written = (tmp_path / "fragment.xml").read_text()
    assert "i-0a00000000000a001" in written  # the live instance keeps its address and rules
    assert "i-0d" not in written and "eni-0d" not in written  # nothing of the stopped twin


@pytest.mark.parametrize(("ip", "tags", "message"), [
    ("192.168.0.0/16", ("awspan.sg-1",), "is a network wider than one delegated IPv4 prefix"),
    ("2600:1f18::/80", ("awspan.sg-1",), "is a network wider than one delegated IPv4 prefix"),
    ("10.0.0.5", ("awspan." + "x" * 140,), "over PAN-OS's 127"),
    ("10.0.0.5", ("awspan.a,b",), "tag name holds only characters other than ','"),
    ("10.0.0.5", ("awspan.a\x07",), "tag name holds only"),
    ("10.0.0.5", ("other.sg-1",), "is not under 'awspan.'"),
])
def test_generate_checks_the_registrations_it_writes(ip: str, tags: tuple[str, ...], message: str):
    """The self-check generate runs before writing registrations.yaml is the check plan and push run."""
    regs = Registrations("awspan.", (Registration(ip, "i-1", None, tags),))
    with pytest.raises(AwspanError, match="registrations derived from it are not valid") as info:
        checked(regs, "state.yaml")
    assert message in str(info.value)
