"""What a firewall enforces once Panorama has pushed its device group to it: its pushed policy.

Panorama's commit-all sends each firewall of a device group the rules and objects of the
group, of every ancestor and of shared, merged into one policy. The emulator builds that policy
as one vsys (`devices/entry/vsys/entry[@name='vsys1']`) holding the merged objects and the
rules in `pre-rulebase` and `post-rulebase`, in the order the firewall evaluates them, so that
`test security-policy-match` with `target=SERIAL` scans it like any rulebase (policy_match.py).

The facts, and where they come from:

- Evaluation order (Panorama Administrator's Guide 9.1-11.x, "Device Group Policies"): shared
  pre-rules, device-group pre-rules, local firewall rules, device-group post-rules, shared
  post-rules, then the default rules; "If a firewall inherits rules from device groups at
  multiple levels in the device group hierarchy, it evaluates pre-rules in the order of highest
  to lowest level. This means the firewall first evaluates shared rules and last evaluates the
  rules of device groups with no descendants"; post-rules go the other way (the group's own
  first, shared last). Panorama "pushes device group-specific pre-rules to all the firewalls in
  a particular device group and its descendant device groups".
- Objects: a device group inherits the objects of its ancestors and of shared; where two levels
  hold an object of the same name, "policy rules in a descendant device group use the object
  values in that descendant instead of using object values inherited from ancestor device
  groups" (Panorama Administrator's Guide, "Manage Precedence of Inherited Objects"). The
  reverse setting ("Objects defined in ancestors will take higher precedence") is not modelled.
  Names share a namespace across kinds (an address and an address group cannot both be `web`),
  so the nearest level's entry replaces a farther one of another kind of the same namespace.
- What is pushed is Panorama's running config: "Panorama 8.0 and later releases push the
  running configuration" (web interface help, "Panorama Commit Operations").
- A rule's `<target>` limits it to some firewalls: `devices/entry[@name=SERIAL]` names them,
  `negate yes` means every other one (pan-os-python `panos/policies.py`, SecurityRule `target`,
  `negate_target`).
- Local firewall rules are not modelled: the emulated firewalls have none, so nothing sits
  between the pre- and the post-rules.
"""

from __future__ import annotations

import copy

from lxml import etree

from emulator.model import ancestor_groups
from emulator.schema import OBJECT_CONTAINERS

NAMESPACES: tuple[tuple[str, ...], ...] = (
    ("address", "address-group", "external-list"),
    ("service", "service-group"),
    ("application", "application-group", "application-filter"),
)
"""Kinds whose entries share one name space (a name means one object among them)."""

_SPACE = {kind: space for space in NAMESPACES for kind in space}


def device_group(root: etree._Element, name: str) -> etree._Element | None:
    found = root.xpath("devices/entry/device-group/entry[@name=$n]", n=name)
    return found[0] if found else None


def _rules(scope: etree._Element | None, rulebase: str) -> list[etree._Element]:
    if scope is None:
        return []
    holder = scope.find(f"{rulebase}/security/rules")
    return [] if holder is None else list(holder.iterfind("entry"))


def targets(rule: etree._Element, serial: str) -> bool:
    """Does the rule apply on the firewall `serial` (its `<target>`)?"""
    target = rule.find("target")
    if target is None:
        return True
    named = {e.get("name") for e in target.iterfind("devices/entry")}
    if not named:
        return True
    negate = (target.findtext("negate") or "no").strip() == "yes"
    return (serial in named) != negate


def layers(root: etree._Element, group: str) -> list[etree._Element]:
    """Shared, then the device group's ancestors from the top of the hierarchy down, then the group."""
    scope = device_group(root, group)
    if scope is None:
        raise KeyError(group)
    chain = [scope, *ancestor_groups(scope)]
    shared = root.find("shared")
    return ([shared] if shared is not None else []) + list(reversed(chain))


def merged_objects(levels: list[etree._Element]) -> dict[str, dict[str, etree._Element]]:
    """kind -> name -> entry, the nearest level winning (levels: farthest first)."""
    merged: dict[str, dict[str, etree._Element]] = {}
    for level in levels:
        for holder in level:
            if not isinstance(holder.tag, str) or holder.tag not in OBJECT_CONTAINERS:
                continue
            for entry in holder.iterfind("entry"):
                name = entry.get("name")
                if name is None:
                    continue
                for kind in _SPACE.get(holder.tag, (holder.tag,)):
                    merged.get(kind, {}).pop(name, None)
                merged.setdefault(holder.tag, {})[name] = entry
    return merged


def pushed_policy(running: etree._Element, group: str, serial: str) -> etree._Element:
    """The config tree a firewall (`serial`) of `group` enforces after a push of Panorama's running config."""
    levels = layers(running, group)
    root = etree.Element("config")
    node = etree.SubElement(etree.SubElement(root, "devices"), "entry", name="localhost.localdomain")
    vsys = etree.SubElement(etree.SubElement(node, "vsys"), "entry", name="vsys1")
    for kind, entries in sorted(merged_objects(levels).items()):
        holder = etree.SubElement(vsys, kind)
        for entry in entries.values():
            holder.append(copy.deepcopy(entry))
    pre = [r for level in levels for r in _rules(level, "pre-rulebase")]
    post = [r for level in reversed(levels) for r in _rules(level, "post-rulebase")]
    for rulebase, rules in (("pre-rulebase", pre), ("post-rulebase", post)):
        holder = etree.SubElement(etree.SubElement(etree.SubElement(vsys, rulebase), "security"), "rules")
        for rule in rules:
            if targets(rule, serial):
                holder.append(copy.deepcopy(rule))
    return root


def pushed_scope(pushed: etree._Element | None) -> etree._Element | None:
    """The vsys of a pushed policy (where its objects and rules are), None before any push."""
    if pushed is None:
        return None
    return pushed.find("devices/entry/vsys/entry")
