"""Membership dynamic on the firewall side: the registrations plan shows and push reconciles.

registrations.yaml (beside the fragment, written by generate, read and checked against the
state by generator.generate.membership.agreed_registrations) says which IP should carry which
awspan tags; these helpers count what push would register and unregister, and apply the guard
on mass unregistration (safety.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from generator.addresses import sort_key
from generator.panos.config.view import DeviceConfig
from generator.panos.plan.inventory import Inventory
from generator.provenance import owner_kind
from generator.registrations_file import Desired, Tags
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



def dynamic_on(device: DeviceConfig, tag: str) -> bool:
    """awspan has dynamic address groups on the firewall: their members are registrations, which
    the plan reads even when the policy says static (a switch back)."""
    return any(g.find("dynamic") is not None for g in device.managed("address-group", tag).values())


def registration_guards(safety: Safety, desired: Desired, current: dict[str, frozenset[str]]
                        ) -> list[Guarded]:
    """The guard on mass unregistration (safety.py): addresses that would lose every awspan tag."""
    leaving = sum(1 for ip in current if not desired.tags.get(ip))
    return safety.registration_guards(len(current), leaving)


@dataclass(frozen=True)
class Registry:
    """The User-ID side of a plan: what the firewall holds under awspan's tag prefix (`before`),
    and registrations.yaml when membership is dynamic (push makes the firewall hold it).

    With membership static push leaves registrations alone, so after == before: a switch from
    dynamic to static deletes the dynamic groups, and whatever stays registered matches nothing.
    """

    before: Tags
    desired: Desired | None = None

    @property
    def after(self) -> Tags:
        return self.desired.tags if self.desired is not None else self.before


def _owner(ip: str, inventory: Inventory, desired: Desired | None) -> dict[str, Any] | None:
    """Who holds an IP: state.yaml (structured), else what registrations.yaml says, else unknown
    (registered by hand, or an instance gone from AWS)."""
    found = inventory.owners_of(ip)
    if found:
        return found[0]
    if desired is not None and ip in desired.owners:
        instance, name = desired.owners[ip]
        return {"kind": owner_kind(instance), "id": instance, "name": name, "interface": None, "vpc": None}
    return None


def membership_section(registry: Registry, inventory: Inventory, before: str | None, after: str | None
                       ) -> dict[str, Any]:
    """The plan's `membership` section: the mode on the firewall and after push, and what push would
    register and unregister per IP, with who holds it."""
    d = delta(registry.desired.tags, registry.before) if registry.desired is not None else Delta()

    def items(tags: dict[str, frozenset[str]]) -> list[dict[str, Any]]:
        return [{"ip": ip, "owner": _owner(ip, inventory, registry.desired), "tags": sorted(tags[ip])}
                for ip in sorted(tags, key=sort_key)]

    return {"before": before, "after": after, "register": items(d.register),
            "unregister": items(d.unregister),
            "registered": len(registry.after)}
