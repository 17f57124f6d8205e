"""How the emulator parses what a client sends: never a trusted document.

A request's `element`, `cmd` or uid-message is input from whoever reached the socket. So no
entity is resolved, no DTD is loaded and nothing is fetched from the network; a document that
declares a DTD or an entity is refused as malformed (PAN-OS answers such requests with an
error, and the emulator must not be the weak side of a test). The emulator keeps its own
parser rather than the product's: a wrong belief about what is safe must not pass on both
sides (docs/emulator.md "Independence").
"""

from __future__ import annotations

import re

from lxml import etree

_DECLARATION = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)", re.IGNORECASE)


def parser(*, huge: bool = False) -> etree.XMLParser:
    """An lxml parser with entities off, no DTD, no network; blank text dropped. `huge` lifts
    lxml's depth and text-size guards (a configuration of 50,000 rules is one large tree)."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           huge_tree=huge, remove_blank_text=True)


def has_declaration(data: bytes) -> bool:
    """Does the document declare a DTD or an entity (the way XXE and entity bombs arrive)?"""
    return _DECLARATION.search(data) is not None


def parse(data: bytes, xml_parser: etree.XMLParser) -> etree._Element:
    """Parse a client's XML; XMLSyntaxError when it is malformed or declares a DTD/entity."""
    if has_declaration(data):
        raise etree.XMLSyntaxError("DTDs and entity declarations are not accepted", None, 1, 1)
    root = etree.fromstring(data, xml_parser)
    for _node in root.iter(etree.Entity):
        raise etree.XMLSyntaxError("entity references are not accepted", None, 1, 1)
    return root
