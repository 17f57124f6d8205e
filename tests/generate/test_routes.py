"""Route state: a blackhole or filtered default route to the firewall protects nothing, and says so."""

from __future__ import annotations

import copy

import pytest

from generator.generate.model import build_fragment
from generator.generate.state import parse_state
from tests.generate.helpers import example_state_data, policy_with


def _addresses(state) -> set[str]:
    frag = build_fragment(parse_state(copy.deepcopy(state)), policy_with())
    return {a.value for a in frag.addresses}


@pytest.mark.parametrize("dead", ["blackhole", "filtered"])
def test_a_dead_default_route_to_the_firewall_protects_nothing_and_is_named(dead, caplog):
    state = example_state_data()
    table = state["vpcs"][0]["route_tables"][2]  # rtb-0c3c...: 0.0.0.0/0 -> the GWLB endpoint
    before = _addresses(state)
    [default] = [r for r in table["routes"] if r["destination"] == "0.0.0.0/0"]
    default["state"] = dead
    after = _addresses(state)
    assert after < before  # the subnets behind that table lost their protection, nothing else changed
    assert f"route table {table['id']}" in caplog.text and dead in caplog.text
    assert "0.0.0.0/0 -> vpce-0a1b2c3d4e5f60718" in caplog.text


def test_an_active_state_changes_nothing():
    state = example_state_data()
    before = _addresses(state)
    for table in state["vpcs"][0]["route_tables"]:
        for r in table["routes"]:
            r["state"] = "active"
    assert _addresses(state) == before
