"""Which interfaces sit behind the firewall, and with which addresses.

An interface is protected when its instance is pending or running and its subnet's route
table (the explicit association, else the VPC's main table) sends the default route of an
address family to the firewall: the firewall instance, one of its ENIs, or a
`firewall.route_targets` entry. The families are decided separately: a subnet may send
0.0.0.0/0 through the firewall and ::/0 straight to an egress-only gateway.

Only private IPv4 and IPv6 addresses are protected addresses: with VPC ingress routing the
internet gateway translates an Elastic/public IP to the private one before the packet
reaches the firewall, so a rule on the public IP would never match.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, NamedTuple

from generator.policy import Policy

log = logging.getLogger("awspan.generate")

LIVE_STATES = frozenset({"pending", "running"})
PARKED_STATES = frozenset({"stopping", "stopped"})
"""An instance in these states keeps its interfaces and addresses: membership `dynamic` keeps
its rules in the config (unregistered, so they match nothing) so that a start needs no commit."""
DEFAULT_V4 = "0.0.0.0/0"
DEFAULT_V6 = "::/0"


class ProtectedInterface(NamedTuple):
    """One interface behind the firewall (a tuple: 55,000 of them are made per run at scale)."""

    vpc: dict[str, Any]
    vpc_index: int  # position of `vpc` in state["vpcs"]
    instance: dict[str, Any]
    interface: dict[str, Any]
    ipv4: tuple[str, ...]  # canonical addresses behind the firewall (empty when IPv4 is not)
    ipv6: tuple[str, ...]
    instance_index: int
    interface_index: int

    @property
    def path(self) -> str:
        """Key path of the interface in state.yaml, for messages (built only when one is said)."""
        return f"vpcs[{self.vpc_index}].instances[{self.instance_index}].interfaces[{self.interface_index}]"


def firewall_targets(state: dict[str, Any], policy: Policy) -> frozenset[str]:
    """Route targets that mean "through the firewall": its instance id, its ENIs, route_targets."""
    fw = policy.firewall.instance_id
    targets = {fw, *policy.firewall.route_targets}
    for vpc in state["vpcs"]:
        for inst in vpc.get("instances", []):
            if inst["id"] == fw:
                targets.update(eni["id"] for eni in inst.get("interfaces", []))
    return frozenset(targets)


DEAD_ROUTE_STATES = frozenset({"blackhole", "filtered"})
"""Route states in which AWS forwards nothing: such a default route never protects a subnet."""


def _families(table: dict[str, Any] | None, targets: frozenset[str]) -> tuple[bool, bool]:
    """(IPv4 default via firewall, IPv6 default via firewall) for one route table."""
    if table is None:
        return (False, False)
    v4 = v6 = False
    for route in table.get("routes", []):
        if route.get("target") in targets and route.get("state", "active") in DEAD_ROUTE_STATES:
            log.warning("route table %s: route %s -> %s is %s: its subnets are not protected by it",
                        table.get("id", "?"), route["destination"], route["target"], route["state"])
            continue
        if route.get("target") in targets:
            if route["destination"] == DEFAULT_V4:
                v4 = True
            elif route["destination"] == DEFAULT_V6:
                v6 = True
    return (v4, v6)


def subnet_families(
    vpc: dict[str, Any], targets: frozenset[str]
) -> tuple[dict[str, tuple[bool, bool]], tuple[bool, bool]]:
    """Per explicitly associated subnet its families, and the main table's families for the rest."""
    main = next((t for t in vpc.get("route_tables", []) if t.get("main")), None)
    explicit: dict[str, tuple[bool, bool]] = {}
    for table in vpc.get("route_tables", []):
        fams = _families(table, targets)
        for subnet in table.get("subnets", []):
            explicit[subnet] = fams
    return explicit, _families(main, targets)


def protected_interfaces(
    state: dict[str, Any], policy: Policy, states: frozenset[str] = LIVE_STATES
) -> Iterator[ProtectedInterface]:
    """Every interface with at least one address behind the firewall (the firewall's own excluded),
    of instances in `states` (default: the live ones, which are the protected ones)."""
    targets = firewall_targets(state, policy)
    for v, vpc in enumerate(state["vpcs"]):
        explicit, fallback = subnet_families(vpc, targets)
        if not (fallback[0] or fallback[1] or any(a or b for a, b in explicit.values())):
            continue
        for i, inst in enumerate(vpc.get("instances", [])):
            if inst["state"] not in states or inst["id"] == policy.firewall.instance_id:
                continue
            for n, eni in enumerate(inst.get("interfaces", [])):
                if eni["subnet"] is None:
                    continue
                v4, v6 = explicit.get(eni["subnet"], fallback)
                ipv4 = tuple(eni.get("private_ips", ())) if v4 else ()
                ipv6 = tuple(eni.get("ipv6_addresses", ())) if v6 else ()
                if ipv4 or ipv6:
                    yield ProtectedInterface(vpc, v, inst, eni, ipv4, ipv6, i, n)
