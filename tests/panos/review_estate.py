"""The examples' estate with every AWS string a reviewer reads replaced by one the test chooses, and a
plan of a change to it built in-process (generate -> plan document), for the hostile-data tests.

The change a plan shows (old state -> new state): a source added to web's ssh rule and a
permission description reworded (changed rules), the app group's `all` permission removed (a
deleted rule) and a tcp/8443 one added (a created rule and service), and web-2 stopped (its
addresses leave the groups: member changes in static, unregistrations in dynamic).
"""

from __future__ import annotations

import copy
from typing import Any

from lxml import etree

from generator.generate.membership import to_dynamic
from generator.generate.model import build
from generator.generate.render import render_fragment
from generator.generate.state import parse_state
from generator.location import Location
from generator.panos.config.fragment import parse_fragment
from generator.panos.config.view import parse_container
from generator.panos.plan.changes import build_plan
from generator.panos.plan.document import build_document
from generator.panos.plan.inventory import Inventory
from generator.panos.plan.membership import Registry
from generator.policy import parse_policy
from generator.registrations_file import Desired
from tests.generate.helpers import example_state_data
from tests.policies import example_policy

LOC = Location(vsys="vsys1")
SLOTS = 10
"""How many strings an estate takes: 4 group names, 2 Name tags, 3 permission descriptions, 1
prefix-list name."""


def hostile_state(names: list[str], *, after: bool) -> dict[str, Any]:
    """The examples' state with `names` in the places a reviewer reads; `after`: the changed one."""
    state = example_state_data()
    vpc = state["vpcs"][0]
    groups = {g["id"]: g for g in vpc["security_groups"]}
    for i, group in enumerate(vpc["security_groups"][:4]):
        group["name"] = names[i]
    by_name = {i["name"]: i for i in vpc["instances"]}
    by_name["web-1"]["name"], by_name["web-2"]["name"] = names[4], names[5]
    web = groups["sg-0a1b2c3d4e5f60001"]["ingress"]
    web[0]["description"], web[2]["description"] = names[6], names[7]
    groups["sg-0a1b2c3d4e5f60002"]["ingress"][0]["description"] = names[8]
    vpc["prefix_lists"][0]["name"] = names[9]
    if after:
        web[2]["cidrs"] = [*web[2]["cidrs"], "192.0.2.77/32"]
        web[0]["description"] = names[7] + names[6]
        app = groups["sg-0a1b2c3d4e5f60002"]["ingress"]
        app[:] = [p for p in app if p["protocol"] != "all"]
        app.append(
            {"protocol": "tcp", "from_port": 8443, "to_port": 8443, "cidrs": ["198.51.100.0/24"],
             "ipv6_cidrs": [],
             "prefix_lists": [], "groups": [], "description": names[6]})
        by_name["web-2"]["state"] = "stopped"
    return state


def _generate(state: dict[str, Any], membership: str) -> tuple[bytes, dict[str, frozenset[str]], dict]:
    data = example_policy()
    data["rules"]["membership"] = membership
    policy = parse_policy(data)
    built = build(parse_state(copy.deepcopy(state)), policy)
    fragment, regs = built.fragment, None
    if membership == "dynamic":
        fragment, regs = to_dynamic(built, policy.rules.tag)
    xml, _ = render_fragment(fragment)
    owners = {e.ip: (e.instance or e.interface or "", e.name) for e in regs.entries} if regs else {}
    return xml, (regs.as_map() if regs else {}), owners


def _device(xml: bytes) -> etree._Element:
    """The old fragment as the firewall's candidate: awspan's objects above the operator's clean-up rule."""
    root = etree.fromstring(xml)
    base = root.xpath(LOC.base_xpath)[0]
    rules = base.find("rulebase/security/rules")
    if rules is None:
        rules = etree.SubElement(etree.SubElement(etree.SubElement(base, "rulebase"), "security"), "rules")
    cleanup = etree.SubElement(rules, "entry", name="clean-up")
    for field, value in (("from", "any"), ("to", "any"), ("source", "any"), ("destination", "any"),
                         ("application", "any"), ("service", "any")):
        etree.SubElement(etree.SubElement(cleanup, field), "member").text = value
    etree.SubElement(cleanup, "action").text = "deny"
    return base


def hostile_plan(names: list[str], membership: str = "static") -> dict[str, Any]:
    """The plan document of the change, with `names` in it."""
    return plan_between(hostile_state(names, after=False), hostile_state(names, after=True), membership)


def plan_between(old: dict[str, Any], new: dict[str, Any], membership: str = "static",
                 old_membership: str | None = None) -> dict[str, Any]:
    """The plan from `old` pushed (in `old_membership`, by default the same) to `new` in `membership`;
    the firewall holds old's registrations when it was dynamic."""
    old_xml, old_regs, _ = _generate(old, old_membership or membership)
    new_xml, new_regs, owners = _generate(new, membership)
    device = parse_container(_device(old_xml), LOC)
    frag = parse_fragment(new_xml, LOC, "awspan", "fragment.xml")
    plan = build_plan(frag, device, tag="awspan", bottom_rule="clean-up", admin=None, max_delete_percent=100)
    registry = None
    if membership == "dynamic":
        registry = Registry(old_regs, Desired("awspan.", new_regs, owners))
    elif old_membership == "dynamic":
        registry = Registry(old_regs)
    return build_document(plan, frag, device, inventory=Inventory.from_state(new), registry=registry)


def big_state(groups: int, name: Any = None) -> dict[str, Any]:
    """The examples' first VPC with `groups` security groups, one tcp permission each (port 1000+i,
    from two CIDRs and a prefix list), on as many instances in the firewall-routed subnet (two groups
    each). `name(kind, i)` names the groups, instances, descriptions and the prefix list."""
    name = name or (lambda kind, i: f"{kind}-{i}")
    state = example_state_data()
    vpc = state["vpcs"][0]
    state["vpcs"] = [vpc]
    vpc["prefix_lists"] = [{"id": "pl-0f6f6f6f6f6f6f6f6", "name": name("pl", 0), "cidrs": ["198.18.0.0/15"]}]
    vpc["security_groups"] = [
        {"id": f"sg-{i:017x}", "name": name("sg", i), "ingress": [
            {"protocol": "tcp", "from_port": 1000 + i, "to_port": 1000 + i,
             "cidrs": [f"203.0.{i // 250}.{i % 250}/32", "198.51.100.0/24"], "ipv6_cidrs": [],
             "prefix_lists": ["pl-0f6f6f6f6f6f6f6f6"], "groups": [], "description": name("perm", i)}]}
        for i in range(groups)]
    vpc["instances"] = [{"id": f"i-{i:017x}", "name": name("instance", i), "state": "running"}
                        for i in range(groups)]
    vpc["interfaces"] = [
        {"id": f"eni-{i:017x}", "subnet": "subnet-0a1a1a1a1a1a1a1a1", "instance": f"i-{i:017x}",
         "status": "in-use", "type": "interface", "requester_managed": False, "requester_id": None,
         "description": None, "private_ips": [f"10.10.{1 + i // 240}.{10 + i % 240}"], "ipv6_addresses": [],
         "ipv4_prefixes": [], "ipv6_prefixes": [], "public_ip": None,
         "security_groups": [f"sg-{i:017x}", f"sg-{(i + 1) % groups:017x}"]}
        for i in range(groups)]
    return state


def plan_of_states(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """The plan document from `old` (None: an empty firewall) to `new`, layout group, static."""
    old_xml = _generate(old, "static")[0] if old is not None else _generate(_empty(new), "static")[0]
    new_xml = _generate(new, "static")[0]
    device = parse_container(_device(old_xml), LOC)
    frag = parse_fragment(new_xml, LOC, "awspan", "fragment.xml")
    plan = build_plan(frag, device, tag="awspan", bottom_rule="clean-up", admin=None, max_delete_percent=100)
    return build_document(plan, frag, device, inventory=Inventory.from_state(new))


def _empty(state: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(state)
    for vpc in out["vpcs"]:
        vpc["instances"] = []
        vpc["interfaces"] = []
    return out
