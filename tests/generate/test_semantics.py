"""What the fragment allows equals what the state says AWS allows (design.md "What generate allows").

The expected side is tests/generate/helpers.expected_pairs, written without generator code.
"""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from generator.errors import AwspanError
from generator.generate.model import build_fragment
from generator.generate.state import parse_state
from tests.generate.helpers import (
    example_state_data,
    expected_pairs,
    fragment_pairs,
    generate_bytes,
    policy_with,
)
from tests.generate.strategies import states


def _assert_same(state, policy):
    data = generate_bytes(state, policy)
    got, want = fragment_pairs(data), expected_pairs(state, policy)
    missing = {k: v - got.get(k, v.__class__()) for k, v in want.items()}
    extra = {k: v - want.get(k, v.__class__()) for k, v in got.items()}
    assert not {k: v for k, v in missing.items() if v}, "the fragment fails to allow these"
    assert not {k: v for k, v in extra.items() if v}, "the fragment allows more than AWS does"
    return data


def _assert_well_formed(data: bytes, tag: str = "awspan"):
    root = etree.fromstring(data)
    for kind in ("address", "address-group", "service", "rules"):
        names = [e.get("name") for e in root.iterfind(f".//{kind}/entry")]
        assert len(names) == len(set(names)), f"duplicate {kind} names"
        assert all(len(n) <= 63 for n in names)
    for rule in root.iterfind(".//rules/entry"):
        assert [m.text for m in rule.iterfind("tag/member")] == [tag]
        sources = [m.text for m in rule.iterfind("source/member")]
        assert len(sources) == len(set(sources)) and ("any" not in sources or sources == ["any"])


@pytest.mark.parametrize("layout", ["group", "instance"])
@pytest.mark.parametrize("internal", [["10.0.0.0/8"], []])
def test_examples_allow_exactly_what_aws_allows(layout, internal):
    state = example_state_data()
    policy = policy_with(layout=layout, internal_cidrs=internal)
    data = _assert_same(state, policy)
    _assert_well_formed(data)
    assert expected_pairs(state, policy)  # the examples do allow something


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(state=states(), layout=st.sampled_from(["group", "instance"]), internal=st.booleans())
def test_generated_estates_allow_exactly_what_aws_allows(state, layout, internal):
    policy = policy_with(
        layout=layout,
        internal_cidrs=["10.0.0.0/8"] if internal else [],
        applications={"tcp/22": "ssh", "udp/8080": "custom-app"},
    )
    _assert_well_formed(_assert_same(state, policy))


def test_ipv4_any_is_not_written_any_when_it_would_open_ipv6():
    """web has IPv6 members; tcp/80 allows 0.0.0.0/0 only: `any` would admit IPv6 sources too."""
    data = generate_bytes(example_state_data(), policy_with()).decode()
    rule = data.split('<entry name="sg-0a1b2c3d4e5f60001-tcp-80">')[1].split("</entry>")[0]
    assert (
        "<member>0.0.0.0/0</member>" in rule
        and "<member>any</member>\n                  </source>" not in rule
    )
    rule = data.split('<entry name="sg-0a1b2c3d4e5f60001-tcp-443">')[1].split("</entry>")[0]
    assert "<source>\n                    <member>any</member>\n                  </source>" in rule


def test_interfaces_with_different_groups_get_separate_rules_in_instance_layout():
    state = example_state_data()
    vpc = state["vpcs"][0]
    web = next(g for g in vpc["security_groups"] if g["name"] == "web")
    app = next(g for g in vpc["security_groups"] if g["name"] == "app")
    app["ingress"].append({"protocol": "tcp", "from_port": 443, "to_port": 443, "cidrs": ["192.0.2.0/24"]})
    policy = policy_with(layout="instance")
    data = _assert_same(state, policy).decode()
    assert '<entry name="i-0a00000000000a002-eni-0a00000000000a002-tcp-443">' in data
    assert '<entry name="i-0a00000000000a002-eni-0a00000000000a003-tcp-443">' in data
    assert '<entry name="i-0a00000000000a002-tcp-443">' not in data
    assert web["id"] not in data.split("<rulebase>")[0]  # and no address groups


def test_unknown_protocol_number_is_an_error_naming_the_permission():
    state = example_state_data()
    state["vpcs"][0]["security_groups"][0]["ingress"][0]["protocol"] = "99"
    with pytest.raises(AwspanError) as err:
        build_fragment(parse_state(copy.deepcopy(state)), policy_with())
    assert "vpcs[0].security_groups[0].ingress[0].protocol" in str(err.value)
    assert "99" in str(err.value)
