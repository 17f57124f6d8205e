"""The one way awspan builds an lxml parser.

Every XML awspan reads is input, not a trusted document: firewall answers, out/fragment.xml,
out/rulebase.xml, a template's output, and (in the emulator) a client's request. So entities
are never resolved, no DTD is loaded and nothing is fetched from the network; only the few
options that really differ between readers are left to the caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from lxml import etree

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
