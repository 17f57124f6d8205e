"""What generate builds, as typed values: the objects and rules of fragment.xml, in output order.

generator.generate.model builds them from state + policy; render writes them as XML, precheck
checks them, membership turns the static groups into dynamic ones. (The XML side, fragment.xml
as push reads it back, is generator.panos.config.fragment's FragmentView: another thing.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from generator.generate.permissions import ServiceObject
from generator.icmp import IcmpApp
from generator.location import Location


@dataclass(frozen=True)
class Address:
    name: str
    value: str  # ip-netmask: 10.0.1.10/32, 2600:1f18::1/128, a delegated prefix 10.0.1.16/28
    description: str


@dataclass(frozen=True)
class AddressGroup:
    name: str
    members: tuple[str, ...]
    description: str
    dynamic_tags: tuple[str, ...] = ()  # membership dynamic: a DAG matching any of these tags; no members


@dataclass(frozen=True)
class Member:
    """Who stands behind one address object: what registrations.yaml says of an IP."""

    ip: str  # an address, or a delegated prefix (CIDR) when `network`
    instance: str | None  # None: the interface is no instance's of the state
    interface: str
    name: str | None  # the instance's Name tag, or what owns the interface (owners.owner_label)
    live: bool  # protected now (registered in membership dynamic)
    network: bool = False  # a delegated prefix


@dataclass(frozen=True)
class Rule:
    name: str
    sources: tuple[str, ...]
    destinations: tuple[str, ...]
    applications: tuple[str, ...]
    services: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class Fragment:
    """Everything fragment.xml holds, in output order."""

    location: Location
    tag: str
    from_zone: str
    to_zone: str
    profile_group: str | None
    log_setting: str | None
    addresses: tuple[Address, ...] = ()
    groups: tuple[AddressGroup, ...] = ()
    services: tuple[ServiceObject, ...] = ()
    applications: tuple[IcmpApp, ...] = ()  # custom ICMP type/code applications
    rules: tuple[Rule, ...] = ()

    def keep_rules(self, keep: Iterable[str]) -> Fragment:
        """Only the named rules, and only the objects they still reference (for the precheck)."""
        wanted = set(keep)
        rules = tuple(r for r in self.rules if r.name in wanted)
        dests = {d for r in rules for d in r.destinations}
        groups = tuple(g for g in self.groups if g.name in dests)
        used = dests | {m for g in groups for m in g.members}
        services = {s for r in rules for s in r.services}
        apps = {a for r in rules for a in r.applications}
        return replace(
            self,
            rules=rules,
            groups=groups,
            addresses=tuple(a for a in self.addresses if a.name in used),
            services=tuple(s for s in self.services if s.name in services),
            applications=tuple(a for a in self.applications if a.name in apps),
        )


@dataclass(frozen=True)
class Built:
    """The static-form fragment, and what membership `dynamic` needs to turn it into DAGs."""

    fragment: Fragment
    members: dict[str, Member]  # address name -> who stands behind it
