"""Warnings for results that are valid but probably not what the user meant.

A state without the firewall instance, or with no interface behind the firewall, yields a
fragment with no rules; pushed, it would delete every managed rule (push refuses that
without --force, but the reason should be said where the cause is). A region listed in
policy.yaml without a single VPC is usually a typo or a region not enabled for the account.
"""

from __future__ import annotations

from typing import Any

from generator.generate.protect import protected_interfaces
from generator.policy import Policy
from generator.text import count


def suspicious(state: dict[str, Any], policy: Policy, *, regions: bool = True) -> list[str]:
    """The warnings for this state and policy, in a fixed order (empty: nothing odd).

    `regions=False` leaves out the regions without a VPC: collect has said so per account."""
    out: list[str] = []
    fw = policy.firewall.instance_id
    instances = {i["id"] for v in state["vpcs"] for i in v.get("instances", [])}
    if fw not in instances:
        out.append(f"firewall.instance_id {fw} is not in the state: routes to it cannot be recognised "
                   f"(is the id right? does collect read the firewall's account and region?)")
    if not any(True for _ in protected_interfaces(state, policy)):
        out.append("no protected interface: no interface in use (a running instance's, a load balancer's, "
                   "a task's...) sits in a subnet whose default route points at the firewall "
                   "(firewall.instance_id, its ENIs, firewall.route_targets), so the fragment has no rules")
    seen = {(v.get("account"), v.get("region")) for v in state["vpcs"]}
    regions_seen = {region for _, region in seen}
    wanted = set(policy.aws.regions)
    for account in policy.aws.accounts:
        wanted.update(account.regions or ())
    for region in sorted(wanted - regions_seen) if regions else ():
        out.append(f"aws.regions: the state holds no VPC in {region} (is the region right? is it enabled "
                   "for the account? was collect run after it was added?)")
    return out


def protected_count(state: dict[str, Any], policy: Policy) -> int:
    return sum(1 for _ in protected_interfaces(state, policy))


def summary(state: dict[str, Any]) -> str:
    vpcs = state["vpcs"]
    return ", ".join([
        count(len(vpcs), "VPC"),
        count(sum(len(v.get("security_groups", [])) for v in vpcs), "security group"),
        count(sum(len(v.get("instances", [])) for v in vpcs), "instance"),
        count(sum(len(v.get("interfaces", [])) for v in vpcs), "network interface"),
    ])
