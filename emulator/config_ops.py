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

from emulator import xpath as xp
from emulator.index import ChildIndex
from emulator.model import entry_kind, scope_of, typed_ancestor, typed_entries_in
from emulator.responses import (
    CODE_INVALID_OBJECT,
    CODE_MALFORMED,
    CODE_NOT_PRESENT,
    ApiError,
)
from emulator.xmlparse import parse, parser

STAMP_ATTRIBUTES = ("admin", "dirtyId", "time")
_PARSER = parser(huge=True)


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
    """What an operation touched: entries to validate (and stamp), names of deleted objects,
    references that disappeared (for the delete-order check), and whether a delete found nothing."""

    entries: list[tuple[str, etree._Element]] = field(default_factory=list)
    deleted: set[str] = field(default_factory=set)
    vanished: list[tuple[str, str]] = field(default_factory=list)  # (referenced name, referrer) gone
    validate: bool = True  # a move changes no content: its entry is stamped, not re-validated
    missing: bool = False


def parse_element(text: str | None, action: str) -> etree._Element:
    """Parse the `element` parameter (one or more sibling elements) into a wrapper element."""
    if text is None or not text.strip():
        raise ApiError(CODE_MALFORMED, f"{action}: the element parameter is missing")
    try:
        wrapper = parse(f"<wrapper>{text}</wrapper>".encode(), _PARSER)
    except etree.XMLSyntaxError as exc:
        raise ApiError(CODE_MALFORMED, f"Malformed element: {exc}") from None
    for node in wrapper.iter():
        if not isinstance(node.tag, str):
            raise ApiError(
                CODE_MALFORMED, "Malformed element: comments and processing instructions are not accepted"
            )
    if len(wrapper) == 0:
        raise ApiError(CODE_MALFORMED, f"{action}: the element parameter holds no element")
    for node in wrapper.iter():
        for name in STAMP_ATTRIBUTES:  # the device's own change marks: a client cannot set them
            node.attrib.pop(name, None)
    return wrapper


def apply_op(
    root: etree._Element,
    op: ConfigOp,
    undo: UndoLog,
    stamp: Stamp | None = None,
    index: ChildIndex | None = None,
) -> Applied:
    """Apply one write to the tree under `root`; mutations are recorded in `undo`.

    `index` (the store's sibling-name index of this tree) is kept current; pass a fresh
    one (or none) for a tree without an index. After `undo.undo()` clear the index.
    """
    handler = {"set": _set, "edit": _edit, "delete": _delete, "move": _move, "rename": _rename}.get(op.action)
    if handler is None:
        raise ApiError(CODE_MALFORMED, f"unknown config action {op.action!r}")
    editor = _Editor(root, undo, index if index is not None else ChildIndex())
    applied = handler(editor, op)
    _assign_uuids(op, applied, undo)
    if stamp is not None:
        for _kind, entry in applied.entries:
            _stamp(entry, stamp, undo)
    return applied


class _Editor:
    """Tree mutations that record their inverse in the undo log and keep the index current."""

    def __init__(self, root: etree._Element, undo: UndoLog, index: ChildIndex) -> None:
        self.root = root
        self.undo = undo
        self.index = index

    def select(self, xpath: str) -> list[etree._Element]:
        return xp.select_indexed(self.root, xpath, self.index)

    def select_one(self, xpath: str) -> etree._Element | None:
        return xp.at_most_one(self.select(xpath), xpath)

    def ensure(self, xpath: str) -> etree._Element:
        """The node at xpath, creating the missing tail of the path."""
        node = self.select_one(xpath)
        if node is not None:
            return node
        created: list[etree._Element] = []
        node = xp.ensure(self.root, xpath, created)
        if created:
            first = created[0]
            parent = first.getparent()
            self.index.added(parent, first)

            def undo_create() -> None:
                parent.remove(first)

            self.undo.add(undo_create)
        return node

    def append(self, parent: etree._Element, child: etree._Element) -> None:
        parent.append(child)
        self.index.added(parent, child)
        self.undo.add(lambda: parent.remove(child))

    def remove(self, node: etree._Element) -> None:
        """Detach `node`; the undo puts it back next to its former previous sibling (O(1))."""
        parent = node.getparent()
        previous = node.getprevious()
        parent.remove(node)
        self.index.removed(parent, node)

        def restore() -> None:
            if previous is not None:
                previous.addnext(node)
            else:
                parent.insert(0, node)

        self.undo.add(restore)

    def place(
        self, parent: etree._Element, node: etree._Element, where: str, anchor: etree._Element | None
    ) -> None:
        """Insert a detached node at top/bottom, or before/after `anchor` (O(1), no index())."""
        if where == "top":
            parent.insert(0, node)
        elif where == "bottom":
            parent.append(node)
        elif where == "before":
            anchor.addprevious(node)
        else:
            anchor.addnext(node)
        self.index.added(parent, node)
        self.undo.add(lambda: parent.remove(node))

    def replace(self, old: etree._Element, new: etree._Element) -> None:
        parent = old.getparent()
        parent.replace(old, new)
        self.index.removed(parent, old)
        self.index.added(parent, new)
        self.undo.add(lambda: parent.replace(new, old))

    def rename(self, node: etree._Element, newname: str) -> None:
        old = node.get("name")
        _set_attr(node, "name", newname, self.undo)
        self.index.renamed(node.getparent(), node, old)

    def set_text(self, node: etree._Element, text: str | None) -> None:
        old = node.text
        node.text = text
        self.undo.add(lambda: setattr(node, "text", old))


# -- helpers that record their inverse --------------------------------------------------
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
    for name, value in zip(STAMP_ATTRIBUTES, (stamp.admin, stamp.dirty_id, stamp.time), strict=True):
        _set_attr(entry, name, value, undo)


def _assign_uuids(op: ConfigOp, applied: Applied, undo: UndoLog) -> None:
    """Rules get a uuid when created, as PAN-OS 9.0+ does; replays reuse the recorded one."""
    for kind, entry in applied.entries:
        if kind == "rule" and entry.get("uuid") is None:
            path = xp.node_path(entry)
            value = op.uuids.get(path) or str(uuidlib.uuid4())
            op.uuids[path] = value
            _set_attr(entry, "uuid", value, undo)


def _find_match(editor: _Editor, target: etree._Element, child: etree._Element) -> etree._Element | None:
    name = child.get("name")
    if name is not None:
        return editor.index.get(target, child.tag, name)
    if child.tag == "member":
        found = target.xpath("member[normalize-space(text())=$v]", v=(child.text or "").strip())
        return found[0] if found else None
    return target.find(child.tag)


def _merge(editor: _Editor, target: etree._Element, source: etree._Element) -> list[etree._Element]:
    """PAN-OS `set`: add what is missing, replace leaf text, add members; returns the top nodes."""
    tops = []
    for child in source:
        match = _find_match(editor, target, child)
        if match is None:
            new = copy.deepcopy(child)
            editor.append(target, new)
            tops.append(new)
            continue
        tops.append(match)
        if child.tag == "member":
            continue
        if len(child) == 0 and child.get("name") is None:
            editor.set_text(match, child.text)
            continue
        _merge(editor, match, child)
    return tops


def _collect(applied: Applied, target: etree._Element | None, tops: list[etree._Element]) -> None:
    """Record the typed entries a change touched: the one holding `target`, those at/below `tops`."""
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


def _references_in(node: etree._Element) -> list[tuple[str, str]]:
    """(name, referrer) for every member (and log-setting) inside `node`, for delete ordering checks."""
    found = []
    for ref in node.iter("member", "log-setting"):
        holder = typed_ancestor(ref)
        referrer = holder[1].get("name", "") if holder is not None else node.get("name", node.tag)
        found.append(((ref.text or "").strip(), referrer))
    return found


def _check_unique_names(node: etree._Element) -> None:
    """An element that brings two sibling entries of one name is refused (PAN-OS: not unique)."""
    parents: list[etree._Element] = []  # kept alive so that id() stays unique while we look
    seen: set[tuple[int, str | None]] = set()
    for entry in node.iter("entry"):
        parent = entry.getparent()
        parents.append(parent)
        key = (id(parent), entry.get("name"))
        if key in seen:
            name = entry.get("name")
            raise ApiError(CODE_INVALID_OBJECT, f"{name} -> '{name}' is already in use", f"{name} is invalid")
        seen.add(key)


# -- the actions ------------------------------------------------------------------------
def _set(editor: _Editor, op: ConfigOp) -> Applied:
    assert op.element is not None
    _check_unique_names(op.element)
    target = editor.ensure(op.xpath)
    tops = _merge(editor, target, op.element)
    applied = Applied()
    _collect(applied, target, tops)
    return applied


def _edit(editor: _Editor, op: ConfigOp) -> Applied:
    assert op.element is not None
    if len(op.element) != 1:
        raise ApiError(CODE_MALFORMED, "edit: the element parameter must hold exactly one element")
    new = copy.deepcopy(op.element[0])
    _check_unique_names(new)
    tag, name = xp.last_step(op.xpath)
    if new.tag != tag or (name is not None and new.get("name") != name):
        raise ApiError(
            CODE_INVALID_OBJECT,
            f"edit breaks config validity: the element <{new.tag}> does not match "
            f"the last xpath step {tag!r}",
        )
    existing = editor.select_one(op.xpath)
    if existing is not None:
        if existing.get("uuid") and new.get("uuid") is None:
            new.set("uuid", existing.get("uuid"))
        if existing.getparent() is None:
            raise ApiError(CODE_INVALID_OBJECT, "cannot edit the root of the configuration")
        vanished = _references_in(existing)
        editor.replace(existing, new)
        kept = set(_references_in(new))
        applied_vanished = [ref for ref in vanished if ref not in kept]
    else:
        applied_vanished = []
        parent = editor.ensure("/".join(xp.split_steps(op.xpath)[:-1]))
        editor.append(parent, new)
    applied = Applied(vanished=applied_vanished)
    _collect(applied, None, [new])
    return applied


def _delete(editor: _Editor, op: ConfigOp) -> Applied:
    applied = Applied()
    nodes = editor.select(op.xpath)
    if not nodes:
        applied.missing = True
        return applied
    for node in nodes:
        if node.getparent() is None:
            raise ApiError(CODE_INVALID_OBJECT, "cannot delete the root of the configuration")
        # classify before detaching: entry_kind looks at the ancestors
        found = typed_ancestor(node)
        if found is not None and found[1] is not node and found[0] != "rule":
            applied.entries.append(found)  # a part of an object was deleted: re-validate it
        for kind, entry in typed_entries_in(node):
            if kind != "rule":
                applied.deleted.add(entry.get("name", ""))
        applied.vanished.extend(_references_in(node))
        editor.remove(node)
    return applied


def _move(editor: _Editor, op: ConfigOp) -> Applied:
    node = editor.select_one(op.xpath)
    if node is None:
        raise ApiError(CODE_NOT_PRESENT, f"No such node: {op.xpath}")
    parent = node.getparent()
    where = (op.where or "").strip()
    anchor = None
    if where in ("before", "after"):
        if not op.dst:
            raise ApiError(CODE_MALFORMED, f"move {where}: the dst parameter is missing")
        anchor = editor.index.get(parent, node.tag, op.dst)
        if anchor is None:
            raise ApiError(CODE_NOT_PRESENT, f"Move failed: '{op.dst}' does not exist")
        if anchor is node:
            raise ApiError(CODE_INVALID_OBJECT, f"Move failed: cannot move '{op.dst}' relative to itself")
    elif where not in ("top", "bottom"):
        raise ApiError(CODE_MALFORMED, f"move: where must be top, bottom, before or after, not {where!r}")
    editor.remove(node)
    editor.place(parent, node, where, anchor)
    applied = Applied(validate=False)
    kind = entry_kind(node)
    if kind is not None:
        applied.entries = [(kind, node)]
    return applied


def _rename(editor: _Editor, op: ConfigOp) -> Applied:
    node = editor.select_one(op.xpath)
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
    if editor.index.get(parent, node.tag, newname) is not None:
        raise ApiError(CODE_INVALID_OBJECT, f"rename: '{newname}' already exists")
    kind = entry_kind(node)
    editor.rename(node, newname)
    if kind is not None and kind != "rule":
        # PAN-OS renames the references along with the object.
        scope = scope_of(node)
        holder = scope if scope is not None and scope.tag != "shared" else editor.root
        for member in holder.iter("member", "log-setting"):
            if (member.text or "").strip() == oldname:
                editor.set_text(member, newname)
    applied = Applied()
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
