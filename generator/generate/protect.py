"""Which interfaces sit behind the firewall, and with which addresses and prefixes.

An interface is **in use** when it is attached to an instance of the state that is pending or
running (the instance's state decides, whatever the interface's status), or, when it is no
instance's of the state (a load balancer's, an ECS/Fargate task's, Lambda's, an endpoint's, or
one attached to another account's instance), when its status is anything but `available`: an
`available` interface is attached to nothing and carries no traffic. An in-use interface is
**protected** when its subnet's route table (the explicit association, else the VPC's main
table) sends the default route of an address family to the firewall: the firewall instance,
one of its ENIs, or a `firewall.route_targets` entry. The families are decided separately: a
subnet may send 0.0.0.0/0 through the firewall and ::/0 straight to an egress-only gateway.

Only private IPv4 and IPv6 addresses and the delegated prefixes (`ipv4_prefixes`,
`ipv6_prefixes`: EKS prefix delegation) are protected: with VPC ingress routing the internet
gateway translates an Elastic/public IP to the private one before the packet reaches the
firewall, so a rule on the public IP would never match. The firewall's own interfaces never
are.
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
NOT_IN_USE = "available"
"""The interface status that means attached to nothing (EC2 API: NetworkInterfaceStatus)."""
DEFAULT_V4 = "0.0.0.0/0"
DEFAULT_V6 = "::/0"


class ProtectedInterface(NamedTuple):
    """One interface behind the firewall (a tuple: 55,000 of them are made per run at scale)."""

    vpc: dict[str, Any]
    vpc_index: int  # position of `vpc` in state["vpcs"]
    interface: dict[str, Any]
    interface_index: int
    instance: dict[str, Any] | None  # the state's instance it is attached to, else None
    ipv4: tuple[str, ...]  # canonical addresses behind the firewall (empty when IPv4 is not)
    ipv6: tuple[str, ...]
    prefixes4: tuple[str, ...]  # delegated prefixes behind the firewall (networks)
    prefixes6: tuple[str, ...]
    live: bool  # protected now; False: a parked instance's (membership dynamic keeps its rules)

    @property
    def path(self) -> str:
        """Key path of the interface in state.yaml, for messages (built only when one is said)."""
        return f"vpcs[{self.vpc_index}].interfaces[{self.interface_index}]"

    @property
    def owner(self) -> str:
        """The AWS id the interface's objects are named after: its instance's, else its own."""
        return self.instance["id"] if self.instance is not None else self.interface["id"]


def firewall_targets(state: dict[str, Any], policy: Policy) -> frozenset[str]:
    """Route targets that mean "through the firewall": its instance id, its ENIs, route_targets."""
    fw = policy.firewall.instance_id
    targets = {fw, *policy.firewall.route_targets}
    for vpc in state["vpcs"]:
        targets.update(eni["id"] for eni in vpc.get("interfaces", []) if eni.get("instance") == fw)
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
    """Every in-use interface with an address or prefix behind the firewall (the firewall's own
    excluded); an instance's only while the instance is in `states` (default: the live ones,
    which are the protected ones)."""
    targets = firewall_targets(state, policy)
    fw = policy.firewall.instance_id
    instances = {inst["id"]: inst for vpc in state["vpcs"] for inst in vpc.get("instances", [])}
    for v, vpc in enumerate(state["vpcs"]):
        explicit, fallback = subnet_families(vpc, targets)
        if not (fallback[0] or fallback[1] or any(a or b for a, b in explicit.values())):
            continue
        for n, eni in enumerate(vpc.get("interfaces", [])):
            subnet, attached = eni["subnet"], eni.get("instance")
            if subnet is None or attached == fw or eni["id"] in targets:
                continue
            inst = instances.get(attached) if attached is not None else None
            if inst is not None:
                if inst["state"] not in states:
                    continue
                live = inst["state"] in LIVE_STATES
            elif eni["status"] == NOT_IN_USE:
                continue
            else:
                live = True
            v4, v6 = explicit.get(subnet, fallback)
            ipv4 = tuple(eni.get("private_ips", ())) if v4 else ()
            ipv6 = tuple(eni.get("ipv6_addresses", ())) if v6 else ()
            pre4 = tuple(eni.get("ipv4_prefixes", ())) if v4 else ()
            pre6 = tuple(eni.get("ipv6_prefixes", ())) if v6 else ()
            if ipv4 or ipv6 or pre4 or pre6:
                yield ProtectedInterface(vpc, v, eni, n, inst, ipv4, ipv6, pre4, pre6, live)
