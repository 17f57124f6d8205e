"""Interfaces that are no instance's, and delegated prefixes (issue 27), on the `interfaces` feature's
state: which are protected, what they are called, what they say, and how membership `dynamic`
registers them. What the fragment allows is also checked against the independent oracle."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import netaddr
import pytest
from lxml import etree

from generator.generate.membership import to_dynamic
from generator.generate.model import build
from generator.generate.state import parse_state
from generator.owners import owner_label
from generator.panos.plan.inventory import Inventory
from generator.panos.plan.traffic import Objects
from generator.policy import parse_policy
from generator.yamlio import load_yaml_file
from tests.generate.helpers import expected_pairs, fragment_pairs, generate_bytes, generate_dynamic

CASE = Path(__file__).parent / "golden" / "features" / "interfaces"
ALB, TASK, SPARE, ALB_NAT, NODE_ENI = (f"eni-0a00000000000a01{n}" for n in range(5))
NODE = "i-0a00000000000a006"


def _state() -> dict[str, Any]:
    return load_yaml_file(CASE / "state.yaml", "state")


def _policy(**rules: Any) -> Any:
    data = load_yaml_file(CASE / "policy.yaml", "policy")
    data["rules"].update(rules)
    return parse_policy(data, "policy.yaml")


def _eni(state: dict[str, Any], eni_id: str) -> dict[str, Any]:
    return next(e for e in state["vpcs"][0]["interfaces"] if e["id"] == eni_id)


def _destinations(data: bytes) -> set[str]:
    return {dest for dest, _ in fragment_pairs(data)}


def test_in_use_interfaces_are_protected_available_and_unrouted_ones_are_not():
    state, policy = _state(), _policy()
    data = generate_bytes(state, policy)
    assert fragment_pairs(data) == expected_pairs(state, policy)
    assert _destinations(data) == {"10.10.1.50", "10.10.1.77", "10.10.1.20", "10.10.1.32/28",
                                   "2600:1f18:1234:5601::20", "2600:1f18:1234:5601:1::/80"}
    # the spare interface (available) and the load balancer's other one (NAT-routed subnet): nothing
    assert b"10.10.1.60" not in data and b"10.10.9.50" not in data


@pytest.mark.parametrize(("status", "protected"), [
    ("in-use", True), ("attaching", True), ("detaching", True), ("associated", True), ("available", False)])
def test_status_decides_for_an_interface_that_is_no_instances(status, protected):
    state = _state()
    _eni(state, ALB)["status"] = status
    assert ("10.10.1.50" in _destinations(generate_bytes(state, _policy()))) is protected


@pytest.mark.parametrize(("state_name", "protected"), [("running", True), ("pending", True),
                                                       ("stopped", False), ("terminated", False)])
def test_the_instance_decides_for_its_interfaces_whatever_their_status(state_name, protected):
    state = _state()
    state["vpcs"][0]["instances"][0]["state"] = state_name
    # the interface's own status is ignored: the instance decides
    _eni(state, NODE_ENI)["status"] = "available" if protected else "in-use"
    dests = _destinations(generate_bytes(state, _policy()))
    assert ({"10.10.1.20", "10.10.1.32/28"} <= dests) is protected
    assert not protected or "10.10.1.32/28" in dests


def test_an_interface_attached_to_an_instance_the_state_does_not_hold_is_decided_by_its_status():
    """Another account's instance (or one AWS listed after the interfaces were read): the interface
    is no instance's of the state, so its status decides, and its label says so."""
    state = _state()
    eni = _eni(state, ALB)
    eni.update(instance="i-0ffffffffffffffff", requester_managed=False, description=None)
    data = generate_bytes(state, _policy())
    assert "10.10.1.50" in _destinations(data)
    assert b"interface attached to i-0ffffffffffffffff (an instance the state does not hold)" in data
    eni["status"] = "available"
    assert "10.10.1.50" not in _destinations(generate_bytes(state, _policy()))


def test_the_firewalls_own_interfaces_are_never_protected_whatever_owns_them():
    state = _state()
    policy = _policy()
    _eni(state, TASK)["id"] = "eni-0f1e2d3c4b5a69781"
    data = generate_bytes(state, parse_policy({**load_yaml_file(CASE / "policy.yaml", "policy"), "firewall": {
        "instance_id": "i-0f1e2d3c4b5a69780", "route_targets": ["eni-0f1e2d3c4b5a69781"],
        "location": {"vsys": "vsys1"}}}, "policy.yaml"))
    assert "10.10.1.77" not in _destinations(data)
    assert "10.10.1.77" in _destinations(generate_bytes(_state(), policy))


def test_delegated_prefixes_are_address_objects_with_the_prefix_as_netmask():
    root = etree.fromstring(generate_bytes(_state(), _policy()))
    values = {e.get("name"): e.findtext("ip-netmask") for e in root.iterfind(".//address/entry")}
    assert values[f"{NODE}-10.10.1.32_28"] == "10.10.1.32/28"
    assert values[f"{NODE}-2600-1f18-1234-5601-1--_80"] == "2600:1f18:1234:5601:1::/80"
    assert values[f"{ALB}-10.10.1.50"] == "10.10.1.50/32"  # named after the interface: no instance


def test_a_prefix_only_in_a_family_the_subnet_does_not_route_via_the_firewall_is_not_protected():
    state = _state()
    state["vpcs"][0]["route_tables"][0]["routes"] = [
        {"destination": "0.0.0.0/0", "target": "i-0f1e2d3c4b5a69780"}]
    dests = _destinations(generate_bytes(state, _policy()))
    assert "10.10.1.32/28" in dests and "2600:1f18:1234:5601:1::/80" not in dests


def test_layout_instance_gives_an_interface_that_is_no_instances_its_own_rules():
    state, policy = _state(), _policy(layout="instance")
    data = generate_bytes(state, policy)
    assert fragment_pairs(data) == expected_pairs(state, policy)
    root = etree.fromstring(data)
    rules = {e.get("name"): e for e in root.iterfind(".//rules/entry")}
    assert sorted(rules) == sorted([f"{ALB}-tcp-80", f"{ALB}-tcp-443", f"{TASK}-tcp-8080", f"{NODE}-tcp-443"])
    assert rules[f"{ALB}-tcp-443"].findtext("description").startswith(
        f"awspan: interface {ALB} (load balancer web-alb) in vpc-0a11b22c33d44e55f: ")
    assert rules[f"{TASK}-tcp-8080"].findtext("description").startswith(
        f"awspan: interface {TASK} (ECS task attachment 3f9e5a2c-7b1d-4c8e-9f60-0a1b2c3d4e5f) in ")
    assert [m.text for m in rules[f"{NODE}-tcp-443"].iterfind("destination/member")] == [
        f"{NODE}-10.10.1.20", f"{NODE}-10.10.1.32_28", f"{NODE}-2600-1f18-1234-5601--20",
        f"{NODE}-2600-1f18-1234-5601-1--_80"]


@pytest.mark.parametrize(("fields", "label"), [
    ({"description": "ELB app/web-alb/50dc6c495c0c9188"}, "load balancer web-alb"),
    ({"description": "ELB net/edge-nlb/0a1b2c3d4e5f6a7b", "type": "network_load_balancer"},
     "network load balancer edge-nlb"),
    ({"description": "ELB legacy-web"}, "classic load balancer legacy-web"),
    ({"description": "arn:aws:ecs:eu-west-1:111122223333:attachment/3f9e5a2c-7b1d"},
     "ECS task attachment 3f9e5a2c-7b1d"),
    ({"description": "VPC Endpoint Interface vpce-089f2123488812123", "type": "vpc_endpoint"},
     "VPC endpoint vpce-089f2123488812123"),
    ({"description": "AWS Lambda VPC ENI-orders-1a2b3c", "type": "lambda", "requester_managed": True,
      "requester_id": "AROAEXAMPLE:orders"},
     "Lambda function managed by AROAEXAMPLE:orders: AWS Lambda VPC ENI-orders-1a2b3c"),
    ({"description": "RDSNetworkInterface", "requester_managed": True, "requester_id": "amazon-rds"},
     "interface managed by amazon-rds: RDSNetworkInterface"),
    ({"type": "efa_only_future_kind"}, "interface of type efa_only_future_kind"),
    ({}, "interface"),
    # a description that only looks like a documented shape is said verbatim, never trusted
    ({"description": "ELB app/web-alb/50dc\n[click](https://x.example)"},
     "interface: ELB app/web-alb/50dc\n[click](https://x.example)"),
])
def test_owner_labels_come_only_from_documented_shapes(fields, label):
    assert owner_label({"type": "interface", **fields}) == label


@pytest.mark.parametrize("layout", ["group", "instance"])
def test_membership_dynamic_registers_ipv4_prefixes_and_keeps_ipv6_prefixes_static(layout):
    state, policy = _state(), _policy(layout=layout, membership="dynamic")
    data, regs = generate_dynamic(state, policy)
    assert fragment_pairs(data, regs) == expected_pairs(state, policy)
    assert "10.10.1.32/28" in regs  # PAN-OS 10.0+ registers IPv4 networks
    assert not any(":" in ip and "/" in ip for ip in regs)  # ... but no IPv6 network
    root = etree.fromstring(data)
    static = [e.get("name") for e in root.iterfind(".//address/entry")]
    assert static == [f"{NODE}-2600-1f18-1234-5601-1--_80"]


def test_membership_dynamic_never_allows_a_parked_instances_ipv6_prefix():
    """A stopped instance keeps its rules in dynamic mode (unregistered DAG members); its IPv6
    prefix, which cannot be registered, must then not stay in a rule as a static address."""
    state = _state()
    state["vpcs"][0]["instances"][0]["state"] = "stopped"
    policy = _policy(membership="dynamic")
    data, regs = generate_dynamic(state, policy)
    assert fragment_pairs(data, regs) == expected_pairs(state, policy)
    assert b"2600:1f18:1234:5601:1::/80" not in data and "10.10.1.32/28" not in regs


def test_registrations_say_what_owns_an_interface_that_is_no_instances():
    built = build(parse_state(copy.deepcopy(_state())), _policy(membership="dynamic"))
    _, regs = to_dynamic(built, "awspan")
    entry = next(e for e in regs.entries if e.ip == "10.10.1.50")
    assert (entry.instance, entry.interface, entry.name) == (None, ALB, "load balancer web-alb")
    node = next(e for e in regs.entries if e.ip == "10.10.1.32/28")
    assert (node.instance, node.interface, node.name) == (NODE, None, "eks-node-1")
    text = regs.to_yaml()
    assert f"interface: {ALB}" in text and "instance: null" in text


def test_the_plan_says_what_owns_an_address_and_an_instance_layout_rule():
    """The plan names owners from state.yaml's fields (never from a description): the load
    balancer's address, the task's own rule (layout instance), an EKS node's delegated prefix."""
    state = _state()
    inventory = Inventory.from_state(state)
    root = etree.fromstring(generate_bytes(state, _policy(layout="instance")))
    addresses = {e.get("name"): e for e in root.iterfind(".//address/entry")}
    info = Objects(inventory=inventory).address(f"{ALB}-10.10.1.50", addresses[f"{ALB}-10.10.1.50"])
    assert info == {"name": f"{ALB}-10.10.1.50", "ip": "10.10.1.50",
                    "owner": {"kind": "interface", "id": ALB, "name": "load balancer web-alb",
                              "interface": ALB, "vpc": "vpc-0a11b22c33d44e55f"}}
    assert any(e.get("name") == f"{TASK}-tcp-8080" for e in root.iterfind(".//rules/entry"))
    said = inventory.origin(f"{TASK}-tcp-8080")
    assert said["kind"] == "interface"
    task = "ECS task attachment 3f9e5a2c-7b1d-4c8e-9f60-0a1b2c3d4e5f"
    assert said["instance"] == {"id": TASK, "name": task}
    sg = "sg-0a1b2c3d4e5f60005"
    assert said["security_groups"] == [{"id": sg, "name": _sg_name(state, sg)}]
    prefix = Objects(inventory=inventory).address(f"{NODE}-10.10.1.32_28", addresses[f"{NODE}-10.10.1.32_28"])
    assert prefix["ip"] == "10.10.1.32/28"
    assert (prefix["owner"]["id"], prefix["owner"]["name"]) == (NODE, "eks-node-1")


def _sg_name(state: dict[str, Any], sg: str) -> str | None:
    return next(g.get("name") for v in state["vpcs"] for g in v["security_groups"] if g["id"] == sg)


def test_a_prefix_and_an_address_never_share_a_name():
    state = _state()
    eni = _eni(state, NODE_ENI)
    eni["private_ips"], eni["ipv4_prefixes"] = ["10.10.1.32"], ["10.10.1.32/28"]
    root = etree.fromstring(generate_bytes(state, _policy()))
    values = {e.get("name"): e.findtext("ip-netmask") for e in root.iterfind(".//address/entry")}
    assert values[f"{NODE}-10.10.1.32"] == "10.10.1.32/32"
    assert values[f"{NODE}-10.10.1.32_28"] == "10.10.1.32/28"
    assert netaddr.IPAddress("10.10.1.40") in netaddr.IPNetwork(values[f"{NODE}-10.10.1.32_28"])
