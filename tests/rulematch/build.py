"""Build small PAN-OS `<config>` documents (snapshots and fragments) for the rulematch tests.

Written as real config trees (the device's element names and paths), so the same bytes can be
loaded into the PAN-OS emulator for the cross-check.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from generator.location import Location
from generator.rulematch import RuleBase, RuleVerdict, check_candidates

BOTTOM = "clean-up"
TAG = "awspan"


@dataclass
class Rule:
    name: str
    src: tuple[str, ...] = ("any",)
    dst: tuple[str, ...] = ("any",)
    svc: tuple[str, ...] = ("any",)
    app: tuple[str, ...] = ("any",)
    action: str = "allow"
    from_: tuple[str, ...] = ("untrust",)
    to: tuple[str, ...] = ("trust",)
    disabled: bool = False
    tags: tuple[str, ...] = ()
    negate_source: bool = False
    negate_destination: bool = False
    extra: dict[str, tuple[str, ...]] = field(default_factory=dict)  # e.g. {"source-user": ("bob",)}
    rule_type: str | None = None


@dataclass
class Objects:
    """Objects of one scope. address values: (kind, value), e.g. ("ip-range", "10.0.0.1-10.0.0.9")."""

    address: dict[str, tuple[str, str]] = field(default_factory=dict)
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)        # static groups
    dynamic_groups: dict[str, str] = field(default_factory=dict)             # name -> filter
    services: dict[str, tuple[str, ...]] = field(default_factory=dict)      # (proto, ports[, source-port])
    service_groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    app_groups: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, tag, **attrs)
    if text is not None:
        el.text = text
    return el


def _members(parent: etree._Element, tag: str, names: tuple[str, ...]) -> None:
    holder = _sub(parent, tag)
    for n in names:
        _sub(holder, "member", n)


def _objects(node: etree._Element, objs: Objects) -> None:
    if objs.address:
        holder = _sub(node, "address")
        for name, (kind, value) in objs.address.items():
            entry = _sub(holder, "entry", name=name)
            _sub(entry, kind, value)
    if objs.groups or objs.dynamic_groups:
        holder = _sub(node, "address-group")
        for name, mem in objs.groups.items():
            _members(_sub(holder, "entry", name=name), "static", mem)
        for name, flt in objs.dynamic_groups.items():
            _sub(_sub(_sub(holder, "entry", name=name), "dynamic"), "filter", flt)
    if objs.services:
        holder = _sub(node, "service")
        for name, spec in objs.services.items():
            proto = _sub(_sub(_sub(holder, "entry", name=name), "protocol"), spec[0])
            _sub(proto, "port", spec[1])
            if len(spec) > 2:
                _sub(proto, "source-port", spec[2])
    if objs.service_groups:
        holder = _sub(node, "service-group")
        for name, mem in objs.service_groups.items():
            _members(_sub(holder, "entry", name=name), "members", mem)
    if objs.app_groups:
        holder = _sub(node, "application-group")
        for name, mem in objs.app_groups.items():
            _members(_sub(holder, "entry", name=name), "members", mem)


def rule_element(parent: etree._Element, r: Rule) -> etree._Element:
    e = _sub(parent, "entry", name=r.name)
    _members(e, "from", r.from_)
    _members(e, "to", r.to)
    _members(e, "source", r.src)
    _members(e, "destination", r.dst)
    _members(e, "source-user", r.extra.get("source-user", ("any",)))
    for key, values in r.extra.items():
        if key != "source-user":
            _members(e, key, values)
    _members(e, "application", r.app)
    _members(e, "service", r.svc)
    if r.negate_source:
        _sub(e, "negate-source", "yes")
    if r.negate_destination:
        _sub(e, "negate-destination", "yes")
    if r.rule_type:
        _sub(e, "rule-type", r.rule_type)
    _sub(e, "action", r.action)
    if r.tags:
        _members(e, "tag", r.tags)
    if r.disabled:
        _sub(e, "disabled", "yes")
    return e


def config(
    rules: list[Rule],
    objects: Objects | None = None,
    shared: Objects | None = None,
    *,
    location: Location | None = None,
    bottom: str | None = BOTTOM,
    below: list[Rule] | None = None,
) -> etree._Element:
    """A `<config>` with `rules` (then the bottom rule, then `below`) at `location`."""
    location = location or Location()
    root = etree.Element("config")
    if shared is not None:
        _objects(_sub(root, "shared"), shared)
    node = root
    for tag, name in location.path_elements():
        node = _sub(node, tag, name=name) if name else _sub(node, tag)
    _objects(node, objects or Objects())
    holder = node
    for tag in location.rulebase_elements():
        holder = _sub(holder, tag)
    for r in rules:
        rule_element(holder, r)
    if bottom is not None:
        rule_element(holder, Rule(bottom, from_=("any",), to=("any",), action="deny"))
    for r in below or []:
        rule_element(holder, r)
    return root


def to_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, pretty_print=True)


def check(
    fragment: etree._Element, rulebase: RuleBase, location: Location | None = None
) -> tuple[list[RuleVerdict], list[str]]:
    """check_candidates with the zones, bottom rule and tag every test uses (untrust -> trust)."""
    return check_candidates(
        fragment,
        rulebase,
        location=location or Location(),
        from_zone="untrust",
        to_zone="trust",
        bottom_rule=BOTTOM,
        tag=TAG,
    )
