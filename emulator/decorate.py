"""Answers decorated the way a real PAN-OS decorates them (on by default).

A real device returns more than a client sent: bookkeeping attributes (`admin`, `dirtyId`,
`time`: the store adds them to candidate nodes), a `uuid` on entries, on Panorama a `loc`
attribute naming the device group an entry lives in, and children with default values that
pan-os-python and pango read back as defaults (a security rule's `<rule-type>`,
`<negate-source>`/`<negate-destination>` `no`, `<log-end>yes</log-end>`, Panorama's
`<target><negate>no</negate></target>`; a custom application's characteristics such as
`<evasive-behavior>no</evasive-behavior>`). Whether a given PAN-OS version returns each of these
is not settled by public evidence; awspan is tolerant of all of them (generator/panos/config/contain.py),
and the emulator adds them to every get/show answer, never to its stored config, so every test
that reads back proves that tolerance. `EmulatorServer(decorate=False)` turns it off.
"""

from __future__ import annotations

import uuid
from functools import lru_cache

from lxml import etree

from emulator.model import entry_kind, scope_of

RULE_DEFAULTS = (("rule-type", "universal"), ("negate-source", "no"), ("negate-destination", "no"),
                 ("log-end", "yes"))
APP_DEFAULTS = (("evasive-behavior", "no"), ("consume-big-bandwidth", "no"), ("used-by-malware", "no"))
_NS = uuid.UUID("6f1d7a52-3c1e-4c59-9a33-2d4f5e6a7b8c")


def decorate(nodes: list[etree._Element], original: list[etree._Element]) -> None:
    """Add the device's attributes and default children to copies (`nodes`) of `original` nodes.

    An answer holds 10,000s of entries, most of them siblings: what depends on the container
    (kind, scope, device group) is worked out once per parent, and each uuid once per object."""
    for node, source in zip(nodes, original, strict=True):
        context: dict[etree._Element, tuple[str | None, str | None]] = {}
        for el, src in zip(list(node.iter("entry")), list(source.iter("entry")), strict=True):
            parent = src.getparent()
            found = context.get(parent) if parent is not None else None
            if found is None:
                found = _context(src)
                if parent is not None:
                    context[parent] = found
            kind, group = found
            if kind is None:
                continue
            if el.get("uuid") is None:  # stable per name and kind, as a device's uuid is per object
                el.set("uuid", _uuid(kind, el.get("name")))
            if group is not None:
                el.set("loc", group)
            if kind == "rule":
                present = _defaults(el, RULE_DEFAULTS)
                if group is not None and "target" not in present:
                    etree.SubElement(etree.SubElement(el, "target"), "negate").text = "no"
            elif kind == "application":
                _defaults(el, APP_DEFAULTS)


def _context(entry: etree._Element) -> tuple[str | None, str | None]:
    """(entry kind, the device group's name when the entry lives in one) of `entry`'s container."""
    kind = entry_kind(entry)
    if kind is None:
        return None, None
    scope = scope_of(entry)
    in_group = scope is not None and scope.getparent() is not None and scope.getparent().tag == "device-group"
    return kind, scope.get("name", "") if in_group and scope is not None else None


@lru_cache(maxsize=1 << 17)
def _uuid(kind: str, name: str | None) -> str:
    return str(uuid.uuid5(_NS, f"{kind}/{name}"))


def _defaults(el: etree._Element, pairs: tuple[tuple[str, str], ...]) -> set[str]:
    """Add the children of `pairs` that `el` lacks; returns the tags `el` had before."""
    present = {child.tag for child in el}
    for tag, value in pairs:
        if tag not in present:
            etree.SubElement(el, tag).text = value
    return present
