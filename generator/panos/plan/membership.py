"""Membership dynamic on the firewall side: the registrations plan shows and push reconciles.

registrations.yaml (beside the fragment, written by generate) says which IP should carry
which awspan tags; these helpers load it, count what push would register and unregister,
and apply the guard on mass unregistration (safety.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from generator.addresses import sort_key
from generator.policy import Policy
from generator.registrations_file import Desired, Tags, load_desired, registrations_path
from generator.safety import Guarded, Safety


@dataclass
class Delta:
    register: Tags = field(default_factory=dict)
    unregister: Tags = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.register and not self.unregister

    def count(self) -> tuple[int, int]:
        return sum(map(len, self.register.values())), sum(map(len, self.unregister.values()))


def delta(desired: Tags, current: Tags) -> Delta:
    d = Delta()
    for ip in sorted(set(desired) | set(current)):
        want, have = desired.get(ip, frozenset()), current.get(ip, frozenset())
        if want - have:
            d.register[ip] = want - have
        if have - want:
            d.unregister[ip] = have - want
    return d



def load_membership(policy: Policy, fragment_path: str) -> Desired | None:
    """registrations.yaml beside the fragment when membership is dynamic, else None."""
    if policy.rules.membership != "dynamic":
        return None
    return load_desired(registrations_path(fragment_path), policy.rules.tag)


def registration_guards(safety: Safety, desired: Desired, current: dict[str, frozenset[str]]
                        ) -> list[Guarded]:
    """The guard on mass unregistration (safety.py): addresses that would lose every awspan tag."""
    leaving = sum(1 for ip in current if not desired.tags.get(ip))
    return safety.registration_guards(len(current), leaving)


def membership_delta(desired: Desired, current: dict[str, frozenset[str]]) -> dict[str, Any]:
    """What push would register and unregister, per IP with who stands behind it (the plan's
    `membership` section; an IP not in registrations.yaml is a stopped or gone instance, or a
    registration made by hand)."""
    d = delta(desired.tags, current)

    def items(tags: dict[str, frozenset[str]]) -> list[dict[str, Any]]:
        return [{"ip": ip, "who": desired.who.get(ip) or None, "tags": sorted(tags[ip])}
                for ip in sorted(tags, key=sort_key)]

    return {"register": items(d.register), "unregister": items(d.unregister)}
