"""Answers decorated the way a real PAN-OS decorates them (on by default).

A real device returns more than a client sent: bookkeeping attributes (`admin`, `dirtyId`,
`time`: the store adds them to candidate nodes), a `uuid` on entries, on Panorama a `loc`
attribute naming the device group an entry lives in, and children with default values that
pan-os-python and pango read back as defaults (a security rule's `<rule-type>`,
`<negate-source>`/`<negate-destination>` `no`, `<log-end>yes</log-end>`, Panorama's
`<target><negate>no</negate></target>`; a custom application's characteristics such as
`<evasive-behavior>no</evasive-behavior>`). Whether a given PAN-OS version returns each of these
is not settled by public evidence; awspan is tolerant of all of them (generator/panos/contain.py),
and the emulator adds them to every get/show answer, never to its stored config, so every test
that reads back proves that tolerance. `EmulatorServer(decorate=False)` turns it off.
"""

from __future__ import annotations

import uuid

from lxml import etree

from emulator.model import entry_kind, scope_of

RULE_DEFAULTS = (("rule-type", "universal"), ("negate-source", "no"), ("negate-destination", "no"),
                 ("log-end", "yes"))
APP_DEFAULTS = (("evasive-behavior", "no"), ("consume-big-bandwidth", "no"), ("used-by-malware", "no"))
_NS = uuid.UUID("6f1d7a52-3c1e-4c59-9a33-2d4f5e6a7b8c")


def decorate(nodes: list[etree._Element], original: list[etree._Element]) -> None:
    """Add the device's attributes and default children to copies (`nodes`) of `original` nodes."""
    for node, source in zip(nodes, original, strict=True):
        for el, src in zip(list(node.iter("entry")), list(source.iter("entry")), strict=True):
            kind = entry_kind(src)
            if kind is None:
                continue
            if el.get("uuid") is None:  # stable per name and kind, as a device's uuid is per object
                el.set("uuid", str(uuid.uuid5(_NS, f"{kind}/{el.get('name')}")))
            scope = scope_of(src)
            in_group = scope is not None and scope.getparent() is not None \
                and scope.getparent().tag == "device-group"
            if in_group:
                el.set("loc", scope.get("name", ""))
            if kind == "rule":
                _defaults(el, RULE_DEFAULTS)
                if in_group and el.find("target") is None:
                    etree.SubElement(etree.SubElement(el, "target"), "negate").text = "no"
            elif kind == "application":
                _defaults(el, APP_DEFAULTS)


def _defaults(el: etree._Element, pairs: tuple[tuple[str, str], ...]) -> None:
    for tag, value in pairs:
        if el.find(tag) is None:
            etree.SubElement(el, tag).text = value
