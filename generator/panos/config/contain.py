"""Containment: what awspan set is on the device; what PAN-OS adds is fine.

A real firewall stamps what it returns with `uuid`, `admin`, `dirtyId`, `time` (Panorama adds
`loc`), and may return children awspan never sent: settings with defaults (`rule-type`,
`log-end`, `negate-source`, `<target><negate>no</negate></target>` on Panorama, the
characteristics of a custom application...). pan-os-python and pango read such children back
as default values of their objects. Requiring canonical equality would fail every verify on
real hardware and make every plan show changes, so the comparison here is *containment*:

- every attribute awspan set, every element and every text value awspan sent is there and equal;
- a member list (`<source><member>…`) is a set and must be equal: one member more is more traffic;
- below an entry's top level, children are compared exactly (`<code>` inside
  `ident-by-icmp-type` narrows what the application matches);
- at an entry's top level, a child the device adds is tolerated unless awspan manages that
  field (`MANAGED_FIELDS`): a `profile-setting` awspan stopped setting must be seen as a
  change, a `rule-type` it never sets must not.

Order (contiguous managed block directly above the bottom rule, operator's rules in their
old order) is checked separately, as before.
"""

from __future__ import annotations

import re

from lxml import etree

from generator.kinds import FIELDS
from generator.panos.config.canonical import IGNORED_ATTRIBUTES, canonical_text, fast_equal

DEVICE_ATTRIBUTES = IGNORED_ATTRIBUTES
"""Attributes PAN-OS adds: bookkeeping (admin, dirtyId, time), uuid, and Panorama's `loc`."""

MANAGED_FIELDS: dict[str, frozenset[str]] = FIELDS
"""Top-level fields of each kind that awspan writes (generator.kinds): present on the device but
absent from the fragment, they are a difference."""

DEFAULTS: dict[str, dict[str, str]] = {
    "rules": {"disabled": "no", "negate-source": "no", "negate-destination": "no"},
}
"""Fields awspan never writes that change what a rule matches: tolerated only at their default."""


def _attrs(el: etree._Element) -> dict[str, str]:
    return {k: v for k, v in el.attrib.items() if k not in DEVICE_ATTRIBUTES}


def _text(el: etree._Element) -> str:
    return (el.text or "").strip()


def _elements(el: etree._Element) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str)]


def _exact(have: etree._Element, want: etree._Element) -> bool:
    """Equal but for the attributes the device adds (canonical: member and entry order free)."""
    return canonical_text(have) == canonical_text(want)


def holds(have: etree._Element | None, want: etree._Element | None, kind: str) -> bool:
    """Does the device's entry `have` hold everything of awspan's entry `want`?"""
    if have is None or want is None:
        return have is want
    if have.get("name") != want.get("name") or _attrs(have) != _attrs(want):
        return False
    managed = MANAGED_FIELDS.get(kind, frozenset())
    want_children = {c.tag: c for c in _elements(want)}
    have_children: dict[str, etree._Element] = {}
    for c in _elements(have):
        have_children.setdefault(c.tag, c)
    for tag, w in want_children.items():
        h = have_children.get(tag)
        if h is None or not _exact(h, w):
            return False
    extra = set(have_children) - set(want_children)
    if extra & managed:
        return False
    defaults = DEFAULTS.get(kind, {})
    if any(_text(have_children[t]) != defaults[t] for t in extra & set(defaults)):
        return False
    return not (not want_children and _text(have) != _text(want))


def added_by_device(kind: str, tag: str, text: str) -> bool:
    """Is a top-level child that awspan did not send one the device may add (tolerated)?
    `text` is the child's canonical text (`<tag>value</tag>`)."""
    if tag in MANAGED_FIELDS.get(kind, frozenset()):
        return False
    default = DEFAULTS.get(kind, {}).get(tag)
    return default is None or text == f"<{tag}>{default}</{tag}>"


def differences(have: etree._Element, want: etree._Element, kind: str) -> list[str]:
    """The top-level fields that keep `have` from holding `want` (for a readable verify error)."""
    out = []
    have_children = {c.tag: c for c in _elements(have)}
    for w in _elements(want):
        h = have_children.get(w.tag)
        if h is None:
            out.append(f"{w.tag} missing")
        elif not _exact(h, w):
            out.append(f"{w.tag} differs")
    wanted = {c.tag for c in _elements(want)}
    defaults = DEFAULTS.get(kind, {})
    out += [f"{t} not set by awspan" for t in sorted(set(have_children) - wanted)
            if t in MANAGED_FIELDS.get(kind, frozenset())
            or (t in defaults and _text(have_children[t]) != defaults[t])]
    return out or ["attributes differ"]



_UUID_ATTR = re.compile(rb' uuid="[^"]*"')
_NOT_ELEMENTS = (etree.Comment, etree.ProcessingInstruction, etree.Entity)  # their `tag` is a function


def covers(have: etree._Element | None, want: etree._Element | None, kind: str) -> bool:
    """`fast_equal(have, want) or holds(have, want, kind)`, settled on bytes where it can be.

    A device answers an unchanged entry as awspan sent it plus a uuid and, for a rule, default
    children after awspan's (`rule-type`, `negate-source`...). Then the device's bytes start
    with awspan's children byte for byte, and only the children after them need a look: 20,000
    rules cost two serialisations each instead of a canonical form per child. Anything else
    (other attributes, other order, duplicated fields) takes the exact path.
    """
    if have is None or want is None:
        return have is want
    x, y = etree.tostring(have, with_tail=False), etree.tostring(want, with_tail=False)
    if x == y:
        return True
    ex, ey = x.find(b">") + 1, y.find(b">") + 1  # the start tags (lxml escapes `>` in values)
    hx, hy = x[:ex], y[:ey]
    if b" uuid=" in hx:
        hx = _UUID_ATTR.sub(b"", hx, count=1)
    if b" uuid=" in hy:
        hy = _UUID_ATTR.sub(b"", hy, count=1)
    n = len(want)
    if hx == hy and n and not hy.endswith(b"/>"):
        if x[ex:] == y[ey:]:
            return True
        awspans = y[ey: len(y) - len(want.tag) - 3]  # awspan's children, without </entry>
        if x.startswith(awspans, ex):
            tags = {c.tag for c in want}
            if len(tags) == n and not any(t in tags for t in _NOT_ELEMENTS):
                return _extras_tolerated(have, n, tags, kind)
    return fast_equal(have, want) or holds(have, want, kind)


def _extras_tolerated(have: etree._Element, start: int, sent: set[str], kind: str) -> bool:
    """holds() for a device entry whose first `start` children are awspan's, byte for byte: the
    children after them may only be ones the device adds (the first of each tag counts)."""
    managed = MANAGED_FIELDS.get(kind, frozenset())
    defaults = DEFAULTS.get(kind, {})
    seen: set[str] = set()
    for child in have[start:]:
        tag = child.tag
        if tag in sent or tag in seen or not isinstance(tag, str):
            continue
        seen.add(tag)
        if tag in managed or (tag in defaults and _text(child) != defaults[tag]):
            return False
    return True
