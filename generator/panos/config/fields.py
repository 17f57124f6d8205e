"""Fields of a PAN-OS entry as a reviewer reads them, and what changed between two versions.

Used by the plan (a changed rule or object: before -> after per field, terraform style) and by
the pending state (what an uncommitted candidate holds that running does not).
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from generator.panos.config.canonical import canonical_text
from generator.panos.config.contain import added_by_device


def field_value(el: etree._Element) -> Any:
    """One field of an entry as a reviewer reads it: a member list, a text, or `leaf=value` pairs."""
    members = [(m.text or "").strip() for m in el.iter("member")]
    if members:
        return sorted(members)
    if len(el) == 0:
        return (el.text or "").strip()
    leaves = []
    for node in el.iter():
        if isinstance(node.tag, str) and len(node) == 0:
            path = _rel_path(el, node)
            leaves.append(f"{path}={(node.text or '').strip()}" if (node.text or "").strip() else path)
    return " ".join(sorted(leaves))


def _rel_path(top: etree._Element, node: etree._Element) -> str:
    parts = []
    while node is not None and node is not top:
        parts.append(node.tag)
        node = node.getparent()
    return "/".join(reversed(parts))


def field_changes(before: etree._Element, after: etree._Element, kind: str | None = None
                  ) -> list[dict[str, Any]]:
    """Per top-level field: before -> after (lists also as added/removed), terraform style.

    With `kind`, `before` is the device's entry: a field only it has that the device adds by
    itself (contain.added_by_device: uuid-like defaults such as `rule-type`) is no change."""
    def fields(el: etree._Element) -> dict[str, etree._Element]:
        return {c.tag: c for c in el if isinstance(c.tag, str)}

    b, a = fields(before), fields(after)
    out = []
    for name in sorted(set(a) | set(b)):
        old, new = b.get(name), a.get(name)
        if old is not None and new is not None and canonical_text(old) == canonical_text(new):
            continue
        if kind is not None and new is None and old is not None \
                and added_by_device(kind, name, canonical_text(old)):
            continue
        ov = field_value(old) if old is not None else None
        nv = field_value(new) if new is not None else None
        item: dict[str, Any] = {"field": name, "before": ov, "after": nv}
        if isinstance(ov, list) or isinstance(nv, list):
            ol, nl = ov if isinstance(ov, list) else [], nv if isinstance(nv, list) else []
            item["added"] = [x for x in nl if x not in set(ol)]
            item["removed"] = [x for x in ol if x not in set(nl)]
        out.append(item)
    return out
