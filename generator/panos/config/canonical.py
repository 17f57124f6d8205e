"""Compare PAN-OS XML the way PAN-OS means it.

PAN-OS decorates what it returns with bookkeeping attributes (`admin`, `dirtyId`, `time`,
`uuid`), pretty-prints or not, and keeps `<member>` lists as sets: the order an operator
typed members in carries no meaning, and two elements in a different schema order are the
same object. Push would otherwise see a "change" in every object on every run and never be
idempotent. What does carry meaning is the order of rule entries, which callers compare
separately (per-rule canonical forms here, order in diff.py).
"""

from __future__ import annotations

import copy
import re

from lxml import etree

BOOKKEEPING_ATTRIBUTES = frozenset({"admin", "dirtyId", "time"})
"""Attributes that change with every edit (who, when): dropped from artifacts and batches."""

IGNORED_ATTRIBUTES = BOOKKEEPING_ATTRIBUTES | {"uuid", "loc"}
"""Attributes PAN-OS adds on its own (Panorama: `loc`, the device group an entry lives in);
never part of what awspan manages."""

ORDERED = frozenset({"rules"})
"""Containers whose children's order is meaning: the rules of a rulebase (first match wins)."""


def _canon(node: etree._Element) -> str:
    """A string that is equal for two elements exactly when PAN-OS would treat them as equal."""
    tag = node.tag
    attrib = node.attrib
    attr_text = ""
    if attrib:
        kept = sorted((k, v) for k, v in attrib.items() if k not in IGNORED_ATTRIBUTES)
        attr_text = "".join(f' {k}="{_escape(v)}"' for k, v in kept)
    if len(node) == 0 or tag == "member":
        text = node.text
        body = _escape(text.strip()) if text else ""
    else:
        # Child order: entries of a container and members are sets; other children follow
        # the schema's order on the device, whatever order they were sent in.
        parts = [_canon(c) for c in node if isinstance(c.tag, str)]
        if tag not in ORDERED:
            parts.sort()
        body = "".join(parts)
    return f"<{tag}{attr_text}>{body}</{tag}>"


def _escape(text: str) -> str:
    if "&" in text or "<" in text or ">" in text or '"' in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return text


def canonical_text(node: etree._Element) -> str:
    """The canonical form of one element (an entry, a container) as a string."""
    return _canon(node)


def equal(a: etree._Element | None, b: etree._Element | None) -> bool:
    if a is None or b is None:
        return a is b
    return _canon(a) == _canon(b)


_UUID_ATTR = re.compile(rb' uuid="[^"]*"')


def fast_equal(a: etree._Element | None, b: etree._Element | None) -> bool:
    """equal(), with a byte comparison first: identical serializations are equal trees.

    Most entries a plan compares are unchanged and serialized the same way on both sides
    (the fragment and what was pushed from it; the candidate and running of one device), so
    comparing bytes in C settles them; only the rest pay for the canonical form. The uuid
    PAN-OS puts on a rule's own tag is ignored in the byte comparison as in equal().
    """
    if a is None or b is None:
        return a is b
    x, y = etree.tostring(a, with_tail=False), etree.tostring(b, with_tail=False)
    if x == y:
        return True
    head_x, head_y = x[: x.find(b">") + 1], y[: y.find(b">") + 1]
    if (b"uuid=" in head_x or b"uuid=" in head_y) and (
            _UUID_ATTR.sub(b"", head_x, count=1) + x[len(head_x):]
            == _UUID_ATTR.sub(b"", head_y, count=1) + y[len(head_y):]):
        return True
    return _canon(a) == _canon(b)


def strip_bookkeeping(node: etree._Element, *, keep_uuid: bool = True) -> etree._Element:
    """A deep copy without admin/dirtyId/time (and uuid unless kept), whitespace-only text removed.

    Used for what awspan writes (rulebase.xml, rollback elements): those attributes change
    with every edit, so keeping them would make artifacts non-deterministic.
    """
    out = copy.deepcopy(node)
    drop = BOOKKEEPING_ATTRIBUTES if keep_uuid else IGNORED_ATTRIBUTES
    for el in out.iter():
        if not isinstance(el.tag, str):
            continue
        for attr in drop & set(el.attrib):
            del el.attrib[attr]
        if len(el) and el.text is not None and not el.text.strip():
            el.text = None
        if el.tail is not None and not el.tail.strip():
            el.tail = None
    return out


_TAG_MEMBERS = etree.XPath("tag/member/text()")


def tagged_with(entry: etree._Element, tag: str) -> bool:
    """Does this object carry the ownership tag (its own `<tag><member>`)?"""
    return any(t.strip() == tag for t in _TAG_MEMBERS(entry))  # compiled XPath: called per entry
