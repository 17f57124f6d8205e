"""ICMP permissions become what PAN-OS App-ID needs: echo is `ping`, one type is a custom application."""

from __future__ import annotations

import copy

import pytest
from lxml import etree

from generator.errors import AwspanError
from generator.generate.model import build_fragment
from generator.generate.state import parse_state
from generator.icmp import MAX_APP_NAME, IcmpApp, parse_app_name
from tests.generate.helpers import example_state_data, generate_bytes, policy_with

PING = 3  # examples/state.yaml: vpcs[0].security_groups[0].ingress[3] is "icmp 8/-1 from monitoring"


def _with_icmp(from_port: int, to_port: int, protocol: str = "icmp") -> bytes:
    state = example_state_data()
    perm = state["vpcs"][0]["security_groups"][0]["ingress"][PING]
    assert perm["protocol"] == "icmp"
    perm.update(protocol=protocol, from_port=from_port, to_port=to_port)
    return generate_bytes(state, policy_with())


def _rule_apps(data: bytes, suffix: str) -> list[str]:
    root = etree.fromstring(data)
    [entry] = [e for e in root.iterfind(".//rules/entry") if e.get("name").endswith(suffix)]
    return [m.text for m in entry.iterfind("application/member")]


def test_all_icmp_allows_icmp_and_ping_never_traceroute():
    """`traceroute`'s application-default includes udp/33434-33534: more than an ICMP permission."""
    data = _with_icmp(-1, -1)
    assert _rule_apps(data, "-icmp") == ["icmp", "ping"]
    assert b"traceroute" not in data
    assert b"<application>\n" not in data.split(b"<rulebase>")[0]  # no custom application needed


def test_one_type_and_code_is_a_custom_application_never_the_whole_icmp():
    data = _with_icmp(3, 4)
    assert _rule_apps(data, "-icmp-3-4") == ["icmp-3-4"]
    root = etree.fromstring(data)
    [app] = root.findall(".//vsys/entry/application/entry")
    assert app.get("name") == "icmp-3-4"
    assert app.findtext("default/ident-by-icmp-type/type") == "3"
    assert app.findtext("default/ident-by-icmp-type/code") == "4"
    assert [m.text for m in app.iterfind("tag/member")] == ["awspan"]
    assert (app.findtext("category"), app.findtext("subcategory"), app.findtext("technology")) == (
        "networking", "ip-protocol", "network-protocol")


def test_icmpv6_echo_request_is_an_icmp6_application_plus_ping():
    data = _with_icmp(128, 0, protocol="icmpv6")
    root = etree.fromstring(data)
    [app] = root.findall(".//vsys/entry/application/entry")
    assert app.get("name") == "icmp6-128-0"
    assert app.findtext("default/ident-by-icmp6-type/type") == "128"
    assert app.findtext("risk") == "2"


def test_every_code_of_a_type_leaves_code_out():
    root = etree.fromstring(_with_icmp(11, -1))
    [app] = root.findall(".//vsys/entry/application/entry")
    assert app.get("name") == "icmp-11"
    assert app.find("default/ident-by-icmp-type/code") is None


def test_type_outside_0_255_is_an_error_naming_the_permission():
    state = example_state_data()
    state["vpcs"][0]["security_groups"][0]["ingress"][PING].update(from_port=300, to_port=-1)
    with pytest.raises(AwspanError) as err:
        build_fragment(parse_state(copy.deepcopy(state)), policy_with())
    assert f"vpcs[0].security_groups[0].ingress[{PING}]" in str(err.value)
    assert "300" in str(err.value)


def test_application_names_fit_the_31_character_limit_and_read_back():
    longest = IcmpApp("icmpv6", 255, 255)
    assert len(longest.name) <= MAX_APP_NAME
    for app in (longest, IcmpApp("icmp", 8, None), IcmpApp("icmp", 0, 0)):
        assert parse_app_name(app.name) == app
    assert parse_app_name("icmp") is None and parse_app_name("icmp-300") is None
