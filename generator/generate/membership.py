"""Membership `dynamic`: the same rules, with dynamic address groups fed by User-ID registrations.

With `rules.membership: static` (the default) a rule's destination is a static address group
(or address objects), so every instance start or stop changes the configuration and needs a
commit. With `dynamic`, each destination is a dynamic address group (DAG) that matches one
awspan-owned tag (`<rules.tag>.<security group id>`, or `<rules.tag>.<instance id>-<eni id>` per
interface in layout `instance`, so that a rule reaching some of an instance's interfaces names
exactly those), and the addresses behind it are registered with that tag through the
User-ID API, which is runtime state: no commit. generate writes the IP -> tags map to
registrations.yaml beside the fragment, so membership stays reviewable in the pull request,
and push reconciles the firewall's registrations with it (generator.panos.push.registrations).

The allowed traffic is the same as `static`: a DAG with no registered address matches
nothing, so the rules of stopped instances stay in the configuration (see
generate.protect.PARKED_STATES) without allowing anything, and a start only registers the
instance's addresses. Only live (pending/running) instances are registered.

Delegated prefixes (EKS prefix delegation): an IPv4 prefix is registered as a network
(`10.0.1.16/28`): PAN-OS 10.0 and later register IPv4 subnets and ranges for dynamic address
groups (PAN-OS 10.0 New Features, "IP Range and Subnet Support in Dynamic Address Groups";
api-lab.paloaltonetworks.com "Register and Unregister - DAG Objects"), and awspan already needs
10.0 (multi-config). "IPv6 IP subnets and ranges are not supported in dynamic address groups"
(same page): an IPv6 prefix stays a static address object, named in the rule's destination
beside the DAG, and only while its interface is live (a parked instance's would otherwise be
allowed).

Tags: PAN-OS tag names hold at most 127 characters; the filter quotes the tag in single
quotes (awspan's tag names never hold a quote: rules.tag is a PAN-OS name and the rest are
AWS ids). Every registered tag that starts with `<rules.tag>.` belongs to awspan: push
registers and unregisters those and never touches any other tag.

`expected_registrations` is the one derivation of the IP -> tags map from a state and a policy:
generate writes it, and plan, push and validate compare registrations.yaml with it
(generator.registrations_file.check_agrees), so a registration no interface stands behind, or
a tag generate would not give, never reaches the firewall.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from generator.addresses import sort_key
from generator.errors import AwspanError
from generator.gcpause import paused_gc
from generator.generate.model import build
from generator.generate.names import check_name, clip_description
from generator.generate.objects import AddressGroup, Built, Fragment, Member, Rule
from generator.generate.state import load_state
from generator.policy import Policy
from generator.provenance import interface_group_description, interface_group_name
from generator.registrations_file import (
    Desired,
    Registration,
    Registrations,
    check_agrees,
    load_desired,
    member_tag,
    registration_problems,
    tag_prefix,
)


def registrable(member: Member) -> bool:
    """An address, or an IPv4 network: what PAN-OS registers (see the module docstring)."""
    return not member.network or ":" not in member.ip


def to_dynamic(built: Built, tag: str, where: str = "state.yaml") -> tuple[Fragment, Registrations]:
    """The dynamic form of a static-form model: DAGs instead of groups and addresses, plus the
    registrations of the live addresses behind them (IPv6 prefixes stay static, see above)."""
    fragment, tags_by_address = dynamic_form(built, tag, where)
    return fragment, registrations_of(built, tags_by_address, tag)


def dynamic_form(built: Built, tag: str, where: str = "state.yaml") -> tuple[Fragment, dict[str, set[str]]]:
    """The dynamic fragment, and the tags of every registrable address object behind its DAGs,
    live or parked: registrations.yaml is its live part (see `registrations_of`), and the event
    reaction's index (generate.start_stop) what a start or stop adds or takes away."""
    frag = built.fragment
    tags_by_address: dict[str, set[str]] = {}
    groups: dict[str, AddressGroup] = {}
    static: set[str] = set()  # address objects that stay: live IPv6 prefixes

    def dag(name: str, addresses: tuple[str, ...] | list[str], description: str) -> str:
        check_name(name, f"dynamic address group for {name}", where)
        member = member_tag(tag, name)
        if name not in groups:
            groups[name] = AddressGroup(name, (), description, dynamic_tags=(member,))
        for address in addresses:
            tags_by_address.setdefault(address, set()).add(member)
        return name

    def unregistrable(addresses: tuple[str, ...] | list[str]) -> list[str]:
        kept = [a for a in addresses if not registrable(built.members[a]) and built.members[a].live]
        static.update(kept)
        return kept

    by_group = {g.name: g for g in frag.groups}
    for group in frag.groups:  # layout group: one DAG per security group
        dag(group.name, [a for a in group.members if registrable(built.members[a])], group.description)
    rules: list[Rule] = []
    for rule in frag.rules:
        if all(d in by_group for d in rule.destinations):
            extra = [a for d in rule.destinations for a in unregistrable(by_group[d].members)]
            rules.append(replace(rule, destinations=rule.destinations + tuple(sorted(extra)))
                         if extra else rule)
            continue
        # layout instance: one DAG per interface, so that a rule reaching some of an owner's
        # interfaces names exactly those (each DAG's tag is registered on its interface's addresses)
        per_eni: dict[str, list[str]] = {}
        for address in rule.destinations:
            m = built.members[address]
            subject = interface_group_name(m.instance, m.interface) if m.instance else m.interface
            per_eni.setdefault(subject, []).append(address)
        names = []
        for subject, addresses in sorted(per_eni.items()):
            m = built.members[addresses[0]]
            text = interface_group_description(m.instance, m.name, m.interface)
            names.append(dag(subject, [a for a in addresses if registrable(built.members[a])],
                             clip_description(text)))
            names.extend(unregistrable(addresses))
        rules.append(replace(rule, destinations=tuple(names)))
    return _dynamic_fragment(frag, groups, rules, static), tags_by_address


def _dynamic_fragment(frag: Fragment, groups: dict[str, AddressGroup], rules: list[Rule],
                      static: set[str]) -> Fragment:
    return replace(
        frag,
        addresses=tuple(a for a in frag.addresses if a.name in static),
        groups=tuple(groups[k] for k in sorted(groups)),
        rules=tuple(rules),
    )


def registrations_of(built: Built, tags_by_address: dict[str, set[str]], tag: str) -> Registrations:
    """registrations.yaml's entries: the live addresses of dynamic_form's tags, one entry per IP."""
    # ip -> (tags, instances, names, interfaces of no instance)
    by_ip: dict[str, tuple[set[str], set[str], set[str], set[str]]] = {}
    for address, tags in tags_by_address.items():
        member = built.members[address]
        if member.live:  # overlapping VPC blocks can put one IP behind two owners: one entry
            got = by_ip.setdefault(member.ip, (set(), set(), set(), set()))
            got[0].update(tags)
            if member.instance is not None:
                got[1].add(member.instance)
            else:
                got[3].add(member.interface)
            got[2].update([member.name] if member.name else [])
    entries = [
        Registration(ip, ", ".join(sorted(insts)) or None, ", ".join(sorted(names)) or None,
                     tuple(sorted(tags)), None if insts else ", ".join(sorted(enis)) or None)
        for ip, (tags, insts, names, enis) in by_ip.items()
    ]
    entries.sort(key=lambda e: sort_key(e.ip))
    return Registrations(tag_prefix(tag), tuple(entries))


def checked(registrations: Registrations, where: str) -> Registrations:
    """generate's self-check of registrations.yaml: each entry as plan and push will check it."""
    problems = registration_problems(registrations)
    if problems:
        raise AwspanError(f"the registrations derived from it are not valid: {problems[0]}", where=where)
    return registrations


def expected_registrations(state: dict[str, Any], policy: Policy, rules: Iterable[str] | None = None,
                           where: str = "state.yaml") -> Registrations:
    """What generate writes to registrations.yaml for this state and policy: the model built,
    cut to `rules` (the rules the fragment holds: generate's already-allowed check may have left
    some out, and their groups' tags with them), turned dynamic."""
    built = build(state, policy, where=where)
    fragment = built.fragment if rules is None else built.fragment.keep_rules(rules)
    return checked(to_dynamic(Built(fragment, built.members), policy.rules.tag, where=where)[1], where)


def agreed_registrations(policy: Policy, registrations: str | Path, state_file: str | Path | None,
                         rules: Iterable[str]) -> Desired:
    """registrations.yaml, read and checked against what generate derives from state.yaml for the
    fragment's `rules`: plan, push and validate refuse a file that says anything else. The
    instance and Name shown beside each IP come from the state, not from the file."""
    with paused_gc():  # as generate: millions of objects, no cycles
        return _agreed(policy, registrations, state_file, rules)


def _agreed(policy: Policy, registrations: str | Path, state_file: str | Path | None,
            rules: Iterable[str]) -> Desired:
    desired = load_desired(registrations, policy.rules.tag)
    if state_file is None or not Path(state_file).exists():
        raise AwspanError(
            f"rules.membership is dynamic, and {registrations} can be checked only against the state it "
            f"was generated from, which is not at {state_file or 'the default path'}: pass --state PATH "
            "(the state.yaml committed with the fragment), or run `awspan collect` and `awspan generate`; "
            "nothing is registered without that check")
    expected = expected_registrations(load_state(state_file), policy, rules, where=str(state_file))
    check_agrees(desired, expected.as_map(), str(registrations), str(state_file))
    # who holds each IP: from the state, not the file (an interface of no instance by its own id)
    owners = {e.ip: (e.instance or e.interface or "", e.name) for e in expected.entries}
    return replace(desired, owners=owners)
