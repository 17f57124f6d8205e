"""The one way awspan builds an lxml parser.

Every XML awspan reads is input, not a trusted document: firewall answers, out/fragment.xml,
out/rulebase.xml, a template's output (the emulator has its own parser, emulator/xmlparse.py). So entities
are never resolved, no DTD is loaded and nothing is fetched from the network; only the few
options that really differ between readers are left to the caller.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from lxml import etree

from generator.errors import AwspanError, shorten

SAFE_OPTIONS: Mapping[str, bool] = MappingProxyType(
    {"resolve_entities": False, "no_network": True, "load_dtd": False}
)
"""For `etree.iterparse`, which takes parser options rather than a parser."""


def safe_parser(
    *,
    huge_tree: bool = False,
    remove_blank_text: bool = False,
    remove_comments: bool = False,
    remove_pis: bool = False,
    schema: etree.XMLSchema | None = None,
) -> etree.XMLParser:
    """An XMLParser with entities off, no DTD and no network; the keywords are lxml's own."""
    return etree.XMLParser(
        **SAFE_OPTIONS,
        huge_tree=huge_tree,
        remove_blank_text=remove_blank_text,
        remove_comments=remove_comments,
        remove_pis=remove_pis,
        schema=schema,
    )


class UnsafeXML(ValueError):
    """A document awspan refuses to read although it may be well-formed (it has a DTD)."""


_DTD = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)", re.IGNORECASE)


def check_no_dtd(data: bytes) -> None:
    """Refuse a document with a DTD or an entity declaration, before any parser sees it.

    Nothing awspan reads (PAN-OS answers, fragments, snapshots) ever needs one, and a DTD is
    how XXE and entity bombs arrive. Even with entities off, lxml keeps an undeclared
    reference as an entity node and writes it back out as `&name;`: a snapshot would hold
    an entity the next reader cannot resolve. So any declaration is an error, on every path.
    Checked on the bytes because a parameter-entity bomb lives inside the DTD itself; a
    document in UTF-16/32 (no ASCII-compatible bytes to check) is refused too.
    """
    head = data[:4]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in head:
        raise UnsafeXML("it is not UTF-8 (PAN-OS documents are)")
    found = _DTD.search(data)
    if found:
        kind = found.group(0)[2:].strip().decode("ascii").upper()
        raise UnsafeXML(f"it holds a DTD (<!{kind} at byte {found.start()}); DTDs and entity declarations "
                        "are never accepted")


def safe_fromstring(data: bytes, parser: etree.XMLParser) -> etree._Element:
    """Parse untrusted bytes: UnsafeXML for a DTD, lxml's XMLSyntaxError for bad XML."""
    check_no_dtd(data)
    root = etree.fromstring(data, parser=parser)
    tree = root.getroottree()
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        raise UnsafeXML("it holds a DTD; DTDs are never accepted")
    for _node in root.iter(etree.Entity):
        raise UnsafeXML("it holds an entity reference; entities are never accepted")
    return root


def parse_file_bytes(data: bytes, parser: etree.XMLParser, where: str) -> etree._Element:
    """safe_fromstring for a file a user handed awspan (fragment.xml, rulebase.xml): a refused
    or malformed document is one AwspanError naming the file (and lxml's line)."""
    try:
        return safe_fromstring(data, parser)
    except UnsafeXML as exc:
        raise AwspanError(f"refused: {exc}", where=where) from None
    except etree.XMLSyntaxError as exc:
        raise AwspanError(f"not well-formed XML: {shorten(exc)}", where=where) from None
