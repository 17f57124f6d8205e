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

Tags: PAN-OS tag names hold at most 127 characters; the filter quotes the tag in single
quotes (awspan's tag names never hold a quote: rules.tag is a PAN-OS name and the rest are
AWS ids). Every registered tag that starts with `<rules.tag>.` belongs to awspan: push
registers and unregisters those and never touches any other tag.
"""

from __future__ import annotations

from dataclasses import replace

from generator.addresses import sort_key
from generator.generate.model import AddressGroup, Built, Fragment, Rule
from generator.generate.names import check_name, clip_description
from generator.provenance import interface_group_description, interface_group_name
from generator.registrations_file import Registration, Registrations, member_tag, tag_prefix


def to_dynamic(built: Built, tag: str, where: str = "state.yaml") -> tuple[Fragment, Registrations]:
    """The dynamic form of a static-form model: DAGs instead of groups and addresses, plus the
    registrations of the live addresses behind them."""
    frag = built.fragment
    tags_by_address: dict[str, set[str]] = {}
    groups: dict[str, AddressGroup] = {}

    def dag(name: str, addresses: tuple[str, ...], description: str) -> str:
        check_name(name, f"dynamic address group for {name}", where)
        member = member_tag(tag, name)
        for address in addresses:
            tags_by_address.setdefault(address, set()).add(member)
        groups[name] = AddressGroup(name, (), description, dynamic_tags=(member,))
        return name

    for group in frag.groups:  # layout group: one DAG per security group
        dag(group.name, group.members, group.description)
    rules: list[Rule] = []
    for rule in frag.rules:
        if all(d in groups for d in rule.destinations):
            rules.append(rule)
            continue
        # layout instance: one DAG per interface, so that a rule reaching some of an instance's
        # interfaces names exactly those (each DAG's tag is registered on its interface's addresses)
        per_eni: dict[str, list[str]] = {}
        for address in rule.destinations:
            m = built.members[address]
            per_eni.setdefault(interface_group_name(m.instance, m.interface), []).append(address)
        names = []
        for subject, addresses in sorted(per_eni.items()):
            m = built.members[addresses[0]]
            if subject not in groups:
                text = interface_group_description(m.instance, m.name, m.interface)
                dag(subject, (), clip_description(text))
            for address in addresses:  # every address of the interface that the rule reaches
                tags_by_address.setdefault(address, set()).add(groups[subject].dynamic_tags[0])
            names.append(subject)
        rules.append(replace(rule, destinations=tuple(names)))
    by_ip: dict[str, tuple[set[str], set[str], set[str]]] = {}  # ip -> (tags, instances, names)
    for address, tags in tags_by_address.items():
        member = built.members[address]
        if member.live:  # overlapping VPC blocks can put one IP behind two instances: one entry
            got = by_ip.setdefault(member.ip, (set(), set(), set()))
            got[0].update(tags)
            got[1].add(member.instance)
            got[2].update([member.name] if member.name else [])
    entries = [
        Registration(ip, ", ".join(sorted(insts)), ", ".join(sorted(names)) or None, tuple(sorted(tags)))
        for ip, (tags, insts, names) in by_ip.items()
    ]
    entries.sort(key=lambda e: sort_key(e.ip))
    dynamic = replace(
        frag,
        addresses=(),
        groups=tuple(groups[k] for k in sorted(groups)),
        rules=tuple(rules),
    )
    return dynamic, Registrations(tag_prefix(tag), tuple(entries))
