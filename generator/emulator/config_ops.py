"""The five config write actions (set, edit, delete, move, rename) on an lxml tree.

Every mutation is recorded in an `UndoLog` so that a failed validation, or any failing
operation of a `multi-config` batch, puts the tree back exactly as it was (the batch is
all-or-nothing, as on PAN-OS) without copying a large candidate config per request.

The same function replays a journaled operation onto the running config for a partial
commit; the operation then carries the rule uuids it assigned so both trees agree.
"""

from __future__ import annotations

import copy
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from generator.emulator import xpath as xp
from generator.emulator.model import entry_kind, scope_of, typed_ancestor, typed_entries_in
from generator.emulator.responses import (
    CODE_INVALID_OBJECT,
    CODE_MALFORMED,
    CODE_NOT_PRESENT,
    ApiError,
)

WRITE_ACTIONS = ("set", "edit", "delete", "move", "rename")
STAMP_ATTRIBUTES = ("admin", "dirtyId", "time")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_blank_text=True)


class UndoLog:
    """Inverse actions of the mutations made so far, undone newest first."""

    def __init__(self) -> None:
        self._actions: list[Callable[[], None]] = []

    def add(self, action: Callable[[], None]) -> None:
        self._actions.append(action)

    def undo(self) -> None:
        while self._actions:
            self._actions.pop()()


@dataclass
class ConfigOp:
    """One write of the candidate, as the journal keeps it for partial commit and revert."""

    action: str
    xpath: str
    element: etree._Element | None = None  # a <wrapper> holding the element(s) for set/edit
    where: str | None = None
    dst: str | None = None
    newname: str | None = None
    admin: str = ""
    uuids: dict[str, str] = field(default_factory=dict)


@dataclass
class Stamp:
    """The attributes PAN-OS puts on candidate entries an admin changed."""

    admin: str
    dirty_id: str
    time: str


@dataclass
class Applied:
    """What an operation touched: entries to validate, names of deleted objects."""

    entries: list[tuple[str, etree._Element]] = field(default_factory=list)
    deleted: set[str] = field(default_factory=set)
    objects_changed: bool = False
    missing: bool = False


def parse_element(text: str | None, action: str) -> etree._Element:
    """Parse the `element` parameter (one or more sibling elements) into a wrapper element."""
    if text is None or not text.strip():
        raise ApiError(CODE_MALFORMED, f"{action}: the element parameter is missing")
    try:
        wrapper = etree.fromstring(f"<wrapper>{text}</wrapper>".encode(), _PARSER)
    except etree.XMLSyntaxError as exc:
        raise ApiError(CODE_MALFORMED, f"Malformed element: {exc}") from None
    for node in wrapper.iter():
        if not isinstance(node.tag, str):
            raise ApiError(
                CODE_MALFORMED, "Malformed element: comments and processing instructions are not accepted"
            )
    if len(wrapper) == 0:
        raise ApiError(CODE_MALFORMED, f"{action}: the element parameter holds no element")
    return wrapper


def apply_op(root: etree._Element, op: ConfigOp, undo: UndoLog, stamp: Stamp | None = None) -> Applied:
    """Apply one write to the tree under `root`; mutations are recorded in `undo`."""
    handler = {"set": _set, "edit": _edit, "delete": _delete, "move": _move, "rename": _rename}.get(op.action)
    if handler is None:
        raise ApiError(CODE_MALFORMED, f"unknown config action {op.action!r}")
    applied = handler(root, op, undo)
    _assign_uuids(op, applied, undo)
    if stamp is not None:
        for _kind, entry in applied.entries:
            _stamp(entry, stamp, undo)
    return applied


# -- helpers that record their inverse --------------------------------------------------
def _append(parent: etree._Element, child: etree._Element, undo: UndoLog) -> None:
    parent.append(child)
    undo.add(lambda: parent.remove(child))


def _set_attr(node: etree._Element, name: str, value: str | None, undo: UndoLog) -> None:
    old = node.get(name)
    if value is None:
        if old is not None:
            del node.attrib[name]
    else:
        node.set(name, value)

    def restore() -> None:
        if old is None:
            node.attrib.pop(name, None)
        else:
            node.set(name, old)

    undo.add(restore)


def _stamp(entry: etree._Element, stamp: Stamp, undo: UndoLog) -> None:
    for name, value in (("admin", stamp.admin), ("dirtyId", stamp.dirty_id), ("time", stamp.time)):
        _set_attr(entry, name, value, undo)


def _assign_uuids(op: ConfigOp, applied: Applied, undo: UndoLog) -> None:
    """Rules get a uuid when created, as PAN-OS 9.0+ does; replays reuse the recorded one."""
    for kind, entry in applied.entries:
        if kind == "rule" and entry.get("uuid") is None:
            path = xp.node_path(entry)
            value = op.uuids.get(path) or str(uuidlib.uuid4())
            op.uuids[path] = value
            _set_attr(entry, "uuid", value, undo)


def _find_match(target: etree._Element, child: etree._Element) -> etree._Element | None:
    name = child.get("name")
    if name is not None:
        found = target.xpath("*[local-name()=$t and @name=$n]", t=child.tag, n=name)
        return found[0] if found else None
    if child.tag == "member":
        found = target.xpath("member[normalize-space(text())=$v]", v=(child.text or "").strip())
        return found[0] if found else None
    return target.find(child.tag)


def _merge(target: etree._Element, source: etree._Element, undo: UndoLog) -> list[etree._Element]:
    """PAN-OS `set`: add what is missing, replace leaf text, add members; returns the top nodes."""
    tops = []
    for child in source:
        match = _find_match(target, child)
        if match is None:
            new = copy.deepcopy(child)
            _append(target, new, undo)
            tops.append(new)
            continue
        tops.append(match)
        if child.tag == "member":
            continue
        if len(child) == 0 and child.get("name") is None:
            old_text = match.text
            match.text = child.text
            undo.add(lambda m=match, t=old_text: setattr(m, "text", t))
            continue
        _merge(match, child, undo)
    return tops


def _collect(applied: Applied, target: etree._Element | None, tops: list[etree._Element]) -> None:
    seen: dict[int, tuple[str, etree._Element]] = {}
    for node in ([target] if target is not None else []) + tops:
        found = typed_ancestor(node)
        if found is not None:
            seen[id(found[1])] = found
    for node in tops:
        if typed_ancestor(node) is None:
            for kind, entry in typed_entries_in(node):
                seen[id(entry)] = (kind, entry)
    applied.entries = list(seen.values())
    applied.objects_changed = any(kind != "rule" for kind, _ in applied.entries) or (
        target is not None and typed_ancestor(target) is None and not applied.entries
    )


# -- the actions ------------------------------------------------------------------------
def _set(root: etree._Element, op: ConfigOp, undo: UndoLog) -> Applied:
    created: list[etree._Element] = []
    target = xp.ensure(root, op.xpath, created)
    if created:
        first = created[0]
        undo.add(lambda: first.getparent().remove(first))
    assert op.element is not None
    tops = _merge(target, op.element, undo)
    applied = Applied()
    _collect(applied, target, tops)
    return applied


def _edit(root: etree._Element, op: ConfigOp, undo: UndoLog) -> Applied:
    assert op.element is not None
    if len(op.element) != 1:
        raise ApiError(CODE_MALFORMED, "edit: the element parameter must hold exactly one element")
    new = copy.deepcopy(op.element[0])
    tag, name = xp.last_step(op.xpath)
    if new.tag != tag or (name is not None and new.get("name") != name):
        raise ApiError(
            CODE_INVALID_OBJECT,
            f"edit breaks config validity: the element <{new.tag}> does not "
            f"match the last xpath step {tag!r}",
        )
    existing = xp.select_one(root, op.xpath)
    if existing is not None:
        if existing.get("uuid") and new.get("uuid") is None:
            new.set("uuid", existing.get("uuid"))
        parent = existing.getparent()
        parent.replace(existing, new)
        undo.add(lambda: parent.replace(new, existing))
    else:
        created: list[etree._Element] = []
        parent = xp.ensure(root, "/".join(xp.split_steps(op.xpath)[:-1]), created)
        if created:
            first = created[0]
            undo.add(lambda: first.getparent().remove(first))
        _append(parent, new, undo)
    applied = Applied()
    _collect(applied, None, [new])
    if existing is not None and entry_kind(existing) not in (None, "rule"):
        applied.objects_changed = True
    return applied


def _delete(root: etree._Element, op: ConfigOp, undo: UndoLog) -> Applied:
    applied = Applied()
    nodes = xp.select(root, op.xpath)
    if not nodes:
        applied.missing = True
        return applied
    for node in nodes:
        parent = node.getparent()
        if parent is None:
            raise ApiError(CODE_INVALID_OBJECT, "cannot delete the root of the configuration")
        # classify before detaching: entry_kind looks at the ancestors
        found = typed_ancestor(node)
        inner = typed_entries_in(node)
        if found is not None and found[1] is not node and found[0] != "rule":
            applied.entries.append(found)  # a part of an object was deleted: re-validate it
        for kind, entry in inner:
            if kind != "rule":
                applied.deleted.add(entry.get("name", ""))
        if found is None or found[0] != "rule" or found[1] is not node:
            applied.objects_changed = True
        index = parent.index(node)
        parent.remove(node)
        undo.add(lambda p=parent, i=index, n=node: p.insert(i, n))
    return applied


def _move(root: etree._Element, op: ConfigOp, undo: UndoLog) -> Applied:
    node = xp.select_one(root, op.xpath)
    if node is None:
        raise ApiError(CODE_NOT_PRESENT, f"No such node: {op.xpath}")
    parent = node.getparent()
    old_index = parent.index(node)
    where = (op.where or "").strip()
    if where in ("before", "after"):
        if not op.dst:
            raise ApiError(CODE_MALFORMED, f"move {where}: the dst parameter is missing")
        found = parent.xpath("*[local-name()=$t and @name=$n]", t=node.tag, n=op.dst)
        if not found:
            raise ApiError(CODE_NOT_PRESENT, f"Move failed: '{op.dst}' does not exist")
        if found[0] is node:
            raise ApiError(CODE_INVALID_OBJECT, f"Move failed: cannot move '{op.dst}' relative to itself")
    elif where not in ("top", "bottom"):
        raise ApiError(CODE_MALFORMED, f"move: where must be top, bottom, before or after, not {where!r}")
    parent.remove(node)
    undo.add(lambda: parent.insert(old_index, node))
    if where == "top":
        parent.insert(0, node)
    elif where == "bottom":
        parent.append(node)
    else:
        anchor = found[0]
        index = parent.index(anchor)
        parent.insert(index if where == "before" else index + 1, node)
    undo.add(lambda: parent.remove(node))
    applied = Applied()
    kind = entry_kind(node)
    if kind is not None:
        applied.entries = [(kind, node)]
    return applied


def _rename(root: etree._Element, op: ConfigOp, undo: UndoLog) -> Applied:
    node = xp.select_one(root, op.xpath)
    if node is None:
        raise ApiError(CODE_NOT_PRESENT, f"No such node: {op.xpath}")
    newname = (op.newname or "").strip()
    if not newname:
        raise ApiError(CODE_MALFORMED, "rename: the newname parameter is missing")
    oldname = node.get("name")
    if oldname is None:
        raise ApiError(CODE_INVALID_OBJECT, "rename: only named entries can be renamed")
    if newname == oldname:
        return Applied()
    parent = node.getparent()
    if parent.xpath("*[local-name()=$t and @name=$n]", t=node.tag, n=newname):
        raise ApiError(CODE_INVALID_OBJECT, f"rename: '{newname}' already exists")
    kind = entry_kind(node)
    _set_attr(node, "name", newname, undo)
    applied = Applied()
    if kind is not None and kind != "rule":
        # PAN-OS renames the references along with the object.
        scope = scope_of(node)
        holders = [scope] if scope is not None and scope.tag != "shared" else [root]
        for holder in holders:
            for member in holder.iter("member", "log-setting"):
                if (member.text or "").strip() == oldname:
                    old_text = member.text
                    member.text = newname
                    undo.add(lambda m=member, t=old_text: setattr(m, "text", t))
        applied.objects_changed = True
    if kind is not None:
        applied.entries = [(kind, node)]
    return applied


def strip_stamps(root: etree._Element, admins: set[str] | None = None) -> None:
    """Remove the admin/dirtyId/time marks (all, or those of `admins`), e.g. after a commit."""
    for node in root.iter("entry"):
        admin = node.get("admin")
        if admin is not None and (admins is None or admin in admins):
            for name in STAMP_ATTRIBUTES:
                node.attrib.pop(name, None)
