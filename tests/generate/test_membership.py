"""Membership `dynamic`: DAGs + registrations allow exactly what static groups allow, and an
instance start or stop changes only registrations.yaml (so push needs no commit)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.generate.helpers import (
    compare_golden,
    example_state_data,
    expected_pairs,
    fragment_pairs,
    generate_cli,
    generate_dynamic,
    policy_with,
)
from tests.generate.strategies import states
from tests.policies import example_policy

GOLDEN = Path(__file__).parent / "golden" / "dynamic"


def _assert_same(state, policy):
    data, registrations = generate_dynamic(state, policy)
    got, want = fragment_pairs(data, registrations), expected_pairs(state, policy)
    missing = {k: v - got.get(k, v.__class__()) for k, v in want.items()}
    extra = {k: v - want.get(k, v.__class__()) for k, v in got.items()}
    assert not {k: v for k, v in missing.items() if v}, "dynamic membership fails to allow these"
    assert not {k: v for k, v in extra.items() if v}, "dynamic membership allows more than AWS does"
    return data, registrations


@pytest.mark.parametrize("layout", ["group", "instance"])
def test_examples_allow_exactly_what_aws_allows(layout):
    state = example_state_data()
    data, registrations = _assert_same(state, policy_with(layout=layout, membership="dynamic"))
    assert registrations and b"<dynamic>" in data
    assert b"<ip-netmask>" not in data  # no address objects: membership is runtime state


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(state=states(), layout=st.sampled_from(["group", "instance"]))
def test_generated_estates_allow_exactly_what_aws_allows(state, layout):
    _assert_same(state, policy_with(layout=layout, membership="dynamic"))


def _set_state(state, instance_id, value):
    for vpc in state["vpcs"]:
        for inst in vpc.get("instances", []):
            if inst["id"] == instance_id:
                inst["state"] = value
                return
    raise AssertionError(instance_id)


@pytest.mark.parametrize("layout", ["group", "instance"])
def test_a_stop_or_start_changes_only_the_registrations(layout):
    """The fragment bytes stay the same (no commit); the stopped instance's addresses leave."""
    policy = policy_with(layout=layout, membership="dynamic")
    running = example_state_data()
    stopped = copy.deepcopy(running)
    _set_state(stopped, "i-0a00000000000a002", "stopped")  # web-2
    data_run, regs_run = _assert_same(running, policy)
    data_stop, regs_stop = _assert_same(stopped, policy)
    assert data_run == data_stop
    gone = set(regs_run) - set(regs_stop)
    assert gone == {"10.10.1.11", "10.20.1.20", "10.20.1.21"}  # web-2's three addresses
    assert {ip: regs_run[ip] for ip in regs_stop} == regs_stop


def test_a_terminated_instance_is_no_member_and_keeps_no_rule_of_its_own():
    policy = policy_with(layout="instance", membership="dynamic")
    state = example_state_data()
    _set_state(state, "i-0a00000000000a003", "terminated")  # app-1
    data, regs = _assert_same(state, policy)
    assert b'name="i-0a00000000000a003-' not in data and "10.10.5.30" not in regs


def test_golden_dynamic_fragment_and_registrations(tmp_path, capsys):
    policy = tmp_path / "policy.yaml"
    data = example_policy()
    data["rules"]["membership"] = "dynamic"
    policy.write_text(yaml.safe_dump(data))
    out = tmp_path / "fragment.xml"
    rc, _, err = generate_cli(capsys, out, "--no-rulebase", policy=policy)
    assert rc == 0, err
    assert "9 registered addresses" in err
    compare_golden(out.read_bytes(), GOLDEN / "fragment.xml")
    compare_golden((tmp_path / "registrations.yaml").read_bytes(), GOLDEN / "registrations.yaml")
    # back to static: the registrations file goes, so push cannot reconcile a stale map
    data["rules"]["membership"] = "static"
    policy.write_text(yaml.safe_dump(data))
    rc, _, err = generate_cli(capsys, out, "--no-rulebase", policy=policy)
    assert rc == 0, err
    assert not (tmp_path / "registrations.yaml").exists()


def test_the_already_allowed_check_leaves_out_the_same_rules_as_in_static(tmp_path, capsys):
    from lxml import etree

    from tests.generate.test_precheck import SCANNER, SNAPSHOT, WEB_443

    rulebase = tmp_path / "rulebase.xml"
    rulebase.write_text(SNAPSHOT)
    names = {}
    for membership in ("static", "dynamic"):
        data = example_policy()
        data["rules"]["membership"] = membership
        policy = tmp_path / f"{membership}.yaml"
        policy.write_text(yaml.safe_dump(data))
        out = tmp_path / membership / "fragment.xml"
        out.parent.mkdir()
        rc, _, err = generate_cli(capsys, out, "--rulebase", str(rulebase), policy=policy)
        assert rc == 0, err
        assert f"left out {WEB_443}: already allowed" in err
        names[membership] = [e.get("name") for e in etree.parse(str(out)).iterfind(".//rules/entry")]
    assert names["static"] == names["dynamic"] and WEB_443 not in names["dynamic"]
    assert SCANNER not in names["dynamic"]
    assert (tmp_path / "dynamic" / "registrations.yaml").is_file()
