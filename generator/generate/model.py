"""The managed objects and rules for one state + policy: built, deduplicated, sorted.

Layout `group` (default): one address object per protected address, one static
address-group per security group (named after the group id), one rule per (security
group, offer) whose sources aggregate every permission of that group with that offer.
Layout `instance`: one rule per (instance, offer) with the instance's addresses as
destination; when the instance's interfaces carry different groups and so allow different
sources, one rule per (instance, interface, offer) instead, so that no interface gets
another interface's sources. An interface that is no instance's (a load balancer's, a task's)
is its own owner there: one rule per (interface, offer), named after the interface id.
Delegated prefixes are address objects too, with the prefix as the ip-netmask.

Exactness: a rule allows sources x destinations; IPv4 never reaches IPv6, so one rule with
both families is exact. Sources of a family without a destination of that family are
dropped. `0.0.0.0/0` is written `any` unless the rule also has IPv6 destinations that
`::/0` does not open, where `any` would admit every IPv6 source; then it stays
`0.0.0.0/0`. `::/0` is always written as itself (see docs/generate.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from generator.addresses import sort_key
from generator.errors import AwspanError, quote
from generator.generate.names import check_name, clip_description
from generator.generate.objects import Address, AddressGroup, Built, Fragment, Member, Rule
from generator.generate.permissions import Offer, OfferTable, ServiceObject, SourceResolver
from generator.generate.protect import (
    DEFAULT_V4,
    DEFAULT_V6,
    LIVE_STATES,
    PARKED_STATES,
    ProtectedInterface,
    protected_interfaces,
)
from generator.icmp import IcmpApp
from generator.owners import owner_label
from generator.policy import Policy
from generator.provenance import (
    address_description,
    address_name,
    group_description,
    group_rule_description,
    instance_rule_description,
    interface_address_description,
    interface_rule_description,
    owner_kind,
    prefix_name,
    rule_name,
    where_text,
)


class _PermissionPath:
    """`vpcs[v].security_groups[g].ingress[p]`, written out only when a message says it: 100,000
    permissions at scale, almost never an error."""

    __slots__ = ("v", "g", "p")

    def __init__(self, v: int, g: int, p: int) -> None:
        self.v, self.g, self.p = v, g, p

    def __str__(self) -> str:
        return f"vpcs[{self.v}].security_groups[{self.g}].ingress[{self.p}]"


@dataclass
class _Acc:
    """Sources and provenance gathered for one rule."""

    v4: set[str] = field(default_factory=set)
    v6: set[str] = field(default_factory=set)
    notes: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _Slice:
    """What one interface allows for one offer (layout instance)."""

    v4: frozenset[str]
    v6: frozenset[str]
    notes: frozenset[str]
    destinations: frozenset[str]
    has_v4: bool
    has_v6: bool


def source_members(v4: set[str], v6: set[str], has_v4_dest: bool, has_v6_dest: bool) -> tuple[str, ...]:
    """The rule's <source> members, exact for its destinations (see module docstring)."""
    v4 = v4 if has_v4_dest else set()
    v6 = v6 if has_v6_dest else set()
    if DEFAULT_V4 in v4:
        v4 = {DEFAULT_V4}
    if DEFAULT_V6 in v6:
        v6 = {DEFAULT_V6}
    if DEFAULT_V4 in v4 and (not has_v6_dest or DEFAULT_V6 in v6):
        return ("any",)
    both = v4 | v6
    return tuple(both) if len(both) < 2 else tuple(sorted(both, key=sort_key))


def _service_order(service: ServiceObject) -> tuple[str, int, int]:
    ports = service.port.split("-")
    return service.protocol, int(ports[0]), int(ports[-1])


def _app_order(app: IcmpApp) -> tuple[str, int, int]:
    return app.protocol, app.type, -1 if app.code is None else app.code


class _Builder:
    def __init__(self, state: dict[str, Any], policy: Policy, where: str) -> None:
        self.state = state
        self.policy = policy
        self.where = where
        self.offers = OfferTable(policy.rules.application_map())
        self.addresses: dict[str, Address] = {}
        self.services: dict[str, ServiceObject] = {}
        self.applications: dict[str, IcmpApp] = {}
        self.rules: dict[str, tuple[tuple[Any, ...], Rule]] = {}
        self.groups: dict[str, AddressGroup] = {}
        self.members: dict[str, Member] = {}  # address name -> who stands behind it
        self._live_ips: dict[str, ProtectedInterface] = {}  # address -> the live interface that has it
        # membership dynamic keeps the rules of stopped instances (their addresses stay unregistered)
        self.states = LIVE_STATES | PARKED_STATES if policy.rules.membership == "dynamic" else LIVE_STATES
        self._sg_index: list[dict[str, int]] = []
        self._resolvers: list[SourceResolver] = []
        self._sg_offers: dict[tuple[int, str], dict[Offer, _Acc]] = {}
        for vpc in state["vpcs"]:
            # ids are unique per VPC record: generate.consistency checked state.yaml
            index = {group["id"]: g for g, group in enumerate(vpc.get("security_groups", []))}
            self._sg_index.append(index)
            self._resolvers.append(SourceResolver(vpc, policy.rules.internal_cidrs))

    # -- per security group, computed once however many interfaces carry it ---------------
    def sg_offers(self, v: int, sg_id: str, owner: str) -> dict[Offer, _Acc]:
        key = (v, sg_id)
        hit = self._sg_offers.get(key)
        if hit is not None:
            return hit
        vpc = self.state["vpcs"][v]
        g = self._sg_index[v].get(sg_id)
        if g is None:
            raise AwspanError(
                f"{owner}: security group {sg_id} is not in {vpc['id']}'s security_groups (re-run collect)",
                where=self.where,
            )
        group = vpc["security_groups"][g]
        out: dict[Offer, _Acc] = {}
        resolver = self._resolvers[v]
        for p, perm in enumerate(group.get("ingress", [])):
            path = _PermissionPath(v, g, p)  # formatted only if a message needs it
            offer = self.offers.offer(perm, self.where, path)
            v4, v6 = resolver.sources(perm, self.where, path)
            if not (v4 or v6):
                continue
            acc = out.get(offer)
            if acc is None:
                acc = out[offer] = _Acc()
            acc.v4 |= v4
            acc.v6 |= v6
            description = perm.get("description")
            acc.notes.add(f"{offer.label} ({description})" if description else offer.label)
        self._sg_offers[key] = out
        return out

    def who(self, pi: ProtectedInterface) -> tuple[str | None, str]:
        """(the Name tag or owner label, the address description) of one protected interface."""
        eni, vpc_id = pi.interface["id"], pi.vpc["id"]
        if pi.instance is not None:
            name = pi.instance.get("name")
            return name, address_description(pi.instance["id"], name, eni, vpc_id)
        label = owner_label(pi.interface)
        return label, interface_address_description(eni, label, vpc_id)

    def add_addresses(self, pi: ProtectedInterface) -> tuple[list[str], list[str]]:
        """The address objects of one interface's protected addresses and prefixes: (IPv4, IPv6)."""
        owner, eni_id = pi.owner, pi.interface["id"]
        inst_id = pi.instance["id"] if pi.instance is not None else None
        name_or_label, description = self.who(pi)

        def add(value: str, network: bool, bits: str) -> str:
            name = prefix_name(owner, value) if network else address_name(owner, value)
            check_name(name, lambda: f"{'prefix' if network else 'address'} {value} of {owner}", self.where)
            if name not in self.members:
                self.members[name] = Member(value, inst_id, eni_id, name_or_label, pi.live, network)
            if pi.live:
                self._one_owner(value, pi)
            if name not in self.addresses:
                self.addresses[name] = Address(name, value + bits, clip_description(description))
            return name

        names4 = [add(ip, False, "/32") for ip in pi.ipv4] + [add(p, True, "") for p in pi.prefixes4]
        names6 = [add(ip, False, "/128") for ip in pi.ipv6] + [add(p, True, "") for p in pi.prefixes6]
        return names4, names6

    def _one_owner(self, value: str, pi: ProtectedInterface) -> None:
        """Refuse one address (or delegated prefix) behind two live protected interfaces (two VPCs
        with overlapping blocks, in different accounts, both routed through the firewall): the
        firewall tells destinations apart by address alone, so each would get the other's openings."""
        first = self._live_ips.setdefault(value, pi)
        if first.interface is pi.interface:
            return

        def who(one: ProtectedInterface) -> str:
            name = (one.instance or {}).get("name")
            owner = f"{one.owner} ({quote(name, 60)})" if name else one.owner
            if one.instance is not None:
                owner += f" {one.interface['id']}"
            return f"{owner} in {one.vpc['id']} (account {one.vpc.get('account') or '?'})"

        raise AwspanError(
            f"{value} is an address of two protected interfaces: {who(first)} and {who(pi)}; "
            "the firewall tells destinations apart by address only, so each would be given the other's "
            "openings. Give the VPCs non-overlapping CIDR blocks, or route only one of them through this "
            "firewall", where=self.where)

    def add_rule(
        self,
        what: Callable[[], str],
        sort_key: tuple[Any, ...],
        name: str,
        offer: Offer,
        sources: tuple[str, ...],
        destinations: tuple[str, ...],
        description: str,
    ) -> None:
        check_name(name, what, self.where)
        if name in self.rules:
            raise AwspanError(
                f"two rules would be named {name!r} (an AWS id appears twice in the state)", where=self.where
            )
        if offer.service_object is not None:
            self.services[offer.service_object.name] = offer.service_object
        if offer.application_object is not None:
            self.applications[offer.application_object.name] = offer.application_object
        self.rules[name] = (
            sort_key,
            Rule(
                name, sources, destinations, offer.applications, offer.services, clip_description(description)
            ),
        )

    # -- layouts ------------------------------------------------------------------------------
    def group_layout(self) -> None:
        dests: dict[tuple[int, str], tuple[set[str], set[str]]] = {}
        for pi in protected_interfaces(self.state, self.policy, self.states):
            v = pi.vpc_index
            names4, names6 = self.add_addresses(pi)
            for sg_id in pi.interface.get("security_groups", []):
                hit = dests.get((v, sg_id))
                if hit is None:
                    self.sg_offers(v, sg_id, f"{pi.path}.security_groups ({pi.owner})")
                    hit = dests[(v, sg_id)] = (set(), set())
                hit[0].update(names4)
                hit[1].update(names6)
        for (v, sg_id), (d4, d6) in dests.items():
            vpc = self.state["vpcs"][v]
            g = self._sg_index[v][sg_id]
            group = vpc["security_groups"][g]
            group_name = check_name(sg_id, f"vpcs[{v}].security_groups[{g}].id", self.where)
            where_txt = where_text(vpc["id"], vpc.get("account"), vpc.get("region"))
            used = False
            for offer, acc in self.sg_offers(v, sg_id, sg_id).items():
                sources = source_members(acc.v4, acc.v6, bool(d4), bool(d6))
                if not sources:
                    continue
                used = True
                notes = "; ".join(sorted(acc.notes))
                text = group_rule_description(sg_id, group.get("name"), where_txt, notes)
                self.add_rule(
                    lambda v=v, g=g, offer=offer: f"vpcs[{v}].security_groups[{g}]: rule for {offer.label}",
                    (sg_id, "", offer.order),
                    rule_name(sg_id, offer.suffix),
                    offer,
                    sources,
                    (group_name,),
                    text,
                )
            if used:
                if group_name in self.groups:
                    raise AwspanError(f"security group {sg_id} appears in two VPCs", where=self.where)
                self.groups[group_name] = AddressGroup(
                    group_name,
                    tuple(sorted(d4 | d6)),
                    clip_description(group_description(sg_id, group.get("name"), where_txt)),
                )

    def instance_layout(self) -> None:
        # owner (instance or interface id) -> offer -> interface id -> what it allows for that offer
        per: dict[str, dict[Offer, dict[str, _Slice]]] = {}
        who: dict[str, tuple[str | None, str]] = {}  # owner id -> (Name tag or owner label, VPC id)
        for pi in protected_interfaces(self.state, self.policy, self.states):
            v, owner = pi.vpc_index, pi.owner
            who[owner] = (self.who(pi)[0], pi.vpc["id"])
            names4, names6 = (set(names) for names in self.add_addresses(pi))
            merged: dict[Offer, _Acc] = {}
            for sg_id in pi.interface.get("security_groups", []):
                for offer, acc in self.sg_offers(v, sg_id, f"{pi.path}.security_groups ({owner})").items():
                    m = merged.setdefault(offer, _Acc())
                    m.v4 |= acc.v4
                    m.v6 |= acc.v6
                    m.notes |= {f"{sg_id}: {n}" for n in acc.notes}
            for offer, m in merged.items():
                piece = _Slice(
                    frozenset(m.v4) if names4 else frozenset(),
                    frozenset(m.v6) if names6 else frozenset(),
                    frozenset(m.notes),
                    frozenset(names4 | names6),
                    bool(names4),
                    bool(names6),
                )
                if piece.v4 or piece.v6:
                    per.setdefault(owner, {}).setdefault(offer, {})[pi.interface["id"]] = piece
        for owner, offers in per.items():
            for offer, enis in offers.items():
                # one rule for the owner when its interfaces agree on the sources, else one each
                if len({(p.v4, p.v6) for p in enis.values()}) == 1:
                    split = [("", list(enis.values()))]
                else:
                    split = [(eni_id, [enis[eni_id]]) for eni_id in sorted(enis)]
                for eni_id, parts in split:
                    sources = source_members(
                        set().union(*(p.v4 for p in parts)),
                        set().union(*(p.v6 for p in parts)),
                        any(p.has_v4 for p in parts),
                        any(p.has_v6 for p in parts),
                    )
                    notes = "; ".join(sorted(set().union(*(p.notes for p in parts))))
                    label, vpc_id = who[owner]
                    if owner_kind(owner) == "instance":
                        text = instance_rule_description(owner, label, vpc_id, eni_id or None, notes)
                    else:
                        text = interface_rule_description(owner, label, vpc_id, notes)
                    destinations = tuple(sorted(set().union(*(p.destinations for p in parts))))
                    self.add_rule(
                        lambda o=offer, i=owner, e=eni_id: f"rule for {o.label} to {i} {e}".rstrip(),
                        (owner, eni_id, offer.order),
                        rule_name(owner, offer.suffix, eni_id or None),
                        offer,
                        sources,
                        destinations,
                        text,
                    )

    def fragment(self) -> Fragment:
        r = self.policy.rules
        rules = tuple(rule for _, rule in sorted(self.rules.values(), key=lambda kv: kv[0]))
        # Rules bring their services and applications, and a group exists only for its rules; an
        # address is kept if a rule or a group names it (an interface whose groups open nothing
        # from outside has none).
        used = {d for rule in rules for d in rule.destinations}
        used.update(m for g in self.groups.values() for m in g.members)
        frag = Fragment(
            location=self.policy.firewall.location,
            tag=r.tag,
            from_zone=r.from_zone,
            to_zone=r.to_zone,
            profile_group=r.profile_group,
            log_setting=r.log_setting,
            addresses=tuple(self.addresses[k] for k in sorted(self.addresses) if k in used),
            groups=tuple(self.groups[k] for k in sorted(self.groups)),
            services=tuple(sorted(self.services.values(), key=_service_order)),
            applications=tuple(sorted(self.applications.values(), key=_app_order)),
            rules=rules,
        )
        clash = {a.name for a in frag.addresses} & {g.name for g in frag.groups}
        if clash:
            raise AwspanError(
                f"an address and an address-group would share the name {sorted(clash)[0]!r}", where=self.where
            )
        return frag


def build(state: dict[str, Any], policy: Policy, where: str = "state.yaml") -> Built:
    """The pure heart of generate: validated state + policy -> the static-form model.

    With membership `dynamic` the model also covers stopped instances (see PARKED_STATES);
    generator.generate.membership turns it into DAGs plus registrations of the live addresses.
    """
    builder = _Builder(state, policy, where)
    if policy.rules.layout == "instance":
        builder.instance_layout()
    else:
        builder.group_layout()
    return Built(builder.fragment(), builder.members)


def build_fragment(state: dict[str, Any], policy: Policy, where: str = "state.yaml") -> Fragment:
    """The static-form fragment of state + policy (see build)."""
    return build(state, policy, where).fragment
