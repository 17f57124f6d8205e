"""What a node in a PAN-OS config tree *is*: a scope (vsys, device group, shared), an
object entry of some kind, or a security rule.

Validation, change tracking and the policy matcher all need to answer "which object does
this node belong to and where do its references resolve", so the answer lives here once.
"""

from __future__ import annotations

from lxml import etree

from emulator.schema import OBJECT_CONTAINERS
from emulator.schema import RULEBASES as RULEBASE_ORDER

RULEBASES = frozenset(RULEBASE_ORDER)


def is_scope(node: etree._Element | None) -> bool:
    """A vsys entry, a device-group entry, or /config/shared."""
    if node is None:
        return False
    parent = node.getparent()
    if parent is None:
        return False
    if node.tag == "shared":
        return parent.tag == "config"
    return node.tag == "entry" and parent.tag in ("vsys", "device-group")


def scope_of(node: etree._Element) -> etree._Element | None:
    """The nearest scope at or above `node`."""
    current: etree._Element | None = node
    while current is not None:
        if is_scope(current):
            return current
        current = current.getparent()
    return None


def shared_of(node: etree._Element) -> etree._Element | None:
    root = node.getroottree().getroot()
    return root.find("shared")


def ancestor_groups(scope: etree._Element | None) -> list[etree._Element]:
    """A device group's ancestors, nearest first (empty for a vsys or shared).

    Panorama keeps the hierarchy outside the device groups, in
    `/config/readonly/devices/entry/device-group/entry[@name=DG]/parent-dg` (batfish's
    PaloAlto_readonly grammar: `readonly devices NAME device-group NAME parent-dg NAME`); a
    device group inherits the objects of its ancestors and of shared.
    """
    if scope is None or scope.tag != "entry" or scope.getparent() is None \
            or scope.getparent().tag != "device-group":
        return []
    root = scope.getroottree().getroot()
    parents = parent_groups(root)
    groups = {g.get("name"): g for g in scope.getparent().iterfind("entry")}
    out: list[etree._Element] = []
    name = parents.get(scope.get("name") or "")
    while name and name in groups and all(g.get("name") != name for g in out):
        out.append(groups[name])
        name = parents.get(name)
    return out


def parent_groups(root: etree._Element) -> dict[str, str]:
    """Device group -> its parent (absent: a child of shared), from the readonly hierarchy."""
    return {e.get("name"): (e.findtext("parent-dg") or "").strip()
            for e in root.iterfind("readonly/devices/entry/device-group/entry")
            if (e.findtext("parent-dg") or "").strip()}


def entry_kind(entry: etree._Element) -> str | None:
    """'rule' (security), 'rule:<type>' (nat, ...), an object container tag, 'log-setting', or None."""
    if entry.tag != "entry":
        return None
    parent = entry.getparent()
    if parent is None:
        return None
    grand = parent.getparent()
    if parent.tag == "rules" and grand is not None:
        base = grand.getparent()
        if base is not None and base.tag in RULEBASES:
            return "rule" if grand.tag == "security" else f"rule:{grand.tag}"
        return None
    if parent.tag in OBJECT_CONTAINERS and is_scope(grand):
        return parent.tag
    if (
        parent.tag == "profiles"
        and grand is not None
        and grand.tag == "log-settings"
        and is_scope(grand.getparent())
    ):
        return "log-setting"
    return None


def typed_ancestor(node: etree._Element) -> tuple[str, etree._Element] | None:
    """The (kind, entry) the node belongs to, looking at the node itself and its ancestors."""
    current: etree._Element | None = node
    while current is not None:
        if current.tag == "entry":
            kind = entry_kind(current)
            if kind is not None:
                return kind, current
        current = current.getparent()
    return None


def typed_entries_in(node: etree._Element) -> list[tuple[str, etree._Element]]:
    """Every typed entry at or below `node` (for a set that brings a whole subtree)."""
    found = []
    for entry in node.iter("entry"):
        kind = entry_kind(entry)
        if kind is not None:
            found.append((kind, entry))
    return found


def members(entry: etree._Element, child: str) -> list[str]:
    """The `<member>` texts of a child list such as `source` or `static`."""
    node = entry.find(child) if "/" in child else next(entry.iterchildren(child), None)
    if node is None:
        return []
    return [(m.text or "").strip() for m in node.iterchildren("member")]


def member_lists(entry: etree._Element) -> dict[str, list[str]]:
    """Every child list of an entry at once: {'source': [...], 'service': [...], ...} (one pass)."""
    return {
        child.tag: [(m.text or "").strip() for m in child.iterchildren("member")]
        for child in entry.iterchildren()
        if isinstance(child.tag, str)
    }


def security_rules(scope: etree._Element) -> list[etree._Element]:
    """The security rules of a vsys (rulebase) or device group (pre then post), in order."""
    rules: list[etree._Element] = []
    for base in RULEBASE_ORDER:
        container = scope.find(f"{base}/security/rules")
        if container is not None:
            rules.extend(container.findall("entry"))
    return rules
