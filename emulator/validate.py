"""The checks PAN-OS makes when a change lands in the candidate (error code 12).

PAN-OS refuses a set/edit that leaves an object invalid: a name too long or with
forbidden characters, a member that names no zone/address/service/tag/profile, a
duplicate name. It reports "<name> -> <field> '<value>' is not a valid reference" then
"<name> -> <field> is invalid". Completeness (a rule without `from`) is only checked at
commit, as on PAN-OS, so that a rule can be built by several `set` requests.

Name lookups go through the store's sibling index (emulator.index), so that
validating thousands of rules stays linear.
"""

from __future__ import annotations

import re

from lxml import etree

from emulator.catalog import PREDEFINED_SERVICES
from emulator.index import ChildIndex
from emulator.ipaddr import is_literal, is_netmask
from emulator.model import (
    ancestor_groups,
    member_lists,
    members,
    scope_of,
    shared_of,
    typed_entries_in,
)
from emulator.responses import CODE_INVALID_OBJECT, CODE_REFERENCE_COUNT, ApiError
from emulator.schema import KINDS, RULE_ACTIONS, RULEBASES, SERVICE_PROTOCOLS, name_rule

REQUIRED_RULE_FIELDS = ("from", "to", "source", "destination", "application", "service")
ADDRESS_TYPES = ("ip-netmask", "ip-range", "fqdn", "ip-wildcard")
REGION_RE = re.compile(r"[A-Z]{2}")


def valid_ports(spec: str) -> bool:
    for part in spec.split(","):
        bounds = part.strip().split("-")
        if len(bounds) > 2 or not all(b.isdigit() and 0 <= int(b) <= 65535 for b in bounds):
            return False
        if len(bounds) == 2 and int(bounds[0]) > int(bounds[1]):
            return False
    return True


class Validator:
    """Checks typed entries of one config tree; `panorama` skips zone checks (zones live in templates)."""

    def __init__(self, panorama: bool = False, index: ChildIndex | None = None) -> None:
        self.panorama = panorama
        self.index = index if index is not None else ChildIndex()

    def _has(self, holder: etree._Element | None, container: str, name: str) -> bool:
        """Does `holder` (a scope) have an object `name` in `container`?"""
        if holder is None:
            return False
        if container == "log-setting":
            node = holder.find("log-settings/profiles")
        else:
            node = next(holder.iterchildren(container), None)
        return node is not None and self.index.get(node, "entry", name) is not None

    def resolves(self, entry: etree._Element, containers: tuple[str, ...], name: str) -> bool:
        """Does `name` name an object of one of `containers` in the entry's scope or in shared?"""
        return self._in_scopes(scope_of(entry), shared_of(entry), containers, name)

    def _in_scopes(
        self,
        scope: etree._Element | None,
        shared: etree._Element | None,
        containers: tuple[str, ...],
        name: str,
    ) -> bool:
        if any(
            self._has(scope, c, name) or (shared is not scope and self._has(shared, c, name))
            for c in containers
        ):
            return True
        # a device group also inherits from its ancestors (rarely needed: looked up last)
        return any(self._has(group, c, name) for group in ancestor_groups(scope) for c in containers)

    # -- entry points -------------------------------------------------------------------
    def check_entries(self, entries: list[tuple[str, etree._Element]]) -> None:
        """Raise ApiError(12) with PAN-OS style lines for the first invalid entry (not yet complete)."""
        for kind, entry in entries:
            lines = self.entry_errors(kind, entry, complete=False)
            if lines:
                raise ApiError(CODE_INVALID_OBJECT, *lines)

    def check_tree(self, root: etree._Element) -> list[str]:
        """Every problem of a whole configuration (commit-time validation)."""
        problems: list[str] = []
        for kind, entry in typed_entries_in(root):
            problems.extend(self.entry_errors(kind, entry, complete=True))
        return problems

    def check_no_references(self, root: etree._Element, deleted: set[str]) -> None:
        """After deletes: no remaining member may name a deleted object (code 10, as PAN-OS)."""
        if not deleted:
            return
        for kind, entry in typed_entries_in(root):
            for field, values, containers in self._reference_fields(kind, entry, member_lists(entry)):
                for value in values:
                    if value in deleted and not self._resolves(
                        kind, field, value, scope_of(entry), shared_of(entry), containers
                    ):
                        raise ApiError(
                            CODE_REFERENCE_COUNT,
                            f"{value} cannot be deleted because of references from:",
                            f"{entry.get('name')} -> {field}",
                        )

    # -- per entry ----------------------------------------------------------------------
    def entry_errors(self, kind: str, entry: etree._Element, complete: bool) -> list[str]:
        name = entry.get("name", "")
        errors = self._name_errors(kind, entry, name)
        if errors:
            return errors
        lists = member_lists(entry)  # once per entry: the three checks below share it
        errors = self._reference_errors(kind, entry, lists)
        if errors:
            return errors
        return self._shape_errors(kind, entry, complete, lists)

    def _name_errors(self, kind: str, entry: etree._Element, name: str) -> list[str]:
        rule = name_rule(kind)
        if not name:
            return [f"{entry.getparent().tag} -> entry has no name"]
        if len(name) > rule.max_length:
            return [
                f"{name} -> name '{name}' is too long (at most {rule.max_length} characters)",
                f"{name} is invalid",
            ]
        if not rule.accepts(name):
            return [f"{name} -> name '{name}' is not a valid name", f"{name} is invalid"]
        clash = {
            "address": "address-group",
            "address-group": "address",
            "service": "service-group",
            "service-group": "service",
        }.get(kind)
        if clash and self._has(scope_of(entry), clash, name):
            return [
                f"{name} -> '{name}' is already in use by an object of type {clash}",
                f"{name} is invalid",
            ]
        if kind == "rule" and entry.getparent().getparent().getparent().tag != "rulebase":
            for other in self._sibling_rulebases(entry):
                if self.index.get(other, "entry", name) is not None:
                    return [f"{name} -> '{name}' is already in use by another rule", f"{name} is invalid"]
        return []

    def _sibling_rulebases(self, entry: etree._Element) -> list[etree._Element]:
        rules = entry.getparent()
        base = rules.getparent().getparent()
        scope = base.getparent()
        found = []
        for other in RULEBASES:
            if other != base.tag:
                node = scope.find(f"{other}/security/rules")
                if node is not None:
                    found.append(node)
        return found

    def _reference_fields(
        self, kind: str, entry: etree._Element, lists: dict[str, list[str]]
    ) -> list[tuple[str, list[str], tuple[str, ...]]]:
        """The member lists of an entry that name other objects, with where they may resolve."""
        fields: list[tuple[str, list[str], tuple[str, ...]]] = []
        spec = KINDS.get(kind)
        for ref in spec.references if spec is not None else ():
            if ref.zone and self.panorama:
                continue
            if ref.text:
                value = entry.findtext(ref.path or ref.field)
                if value is not None:
                    fields.append((ref.field, [value.strip()], ref.targets))
            elif ref.path:
                if ref.field in lists:
                    # PAN-OS names a nested field by its path: "r -> profile-setting -> group"
                    fields.append((ref.path.replace("/", " -> "), members(entry, ref.path), ref.targets))
            else:
                fields.append((ref.field, lists.get(ref.field, []), ref.targets))
        return fields

    def _reference_errors(self, kind: str, entry: etree._Element, lists: dict[str, list[str]]) -> list[str]:
        name = entry.get("name", "")
        if kind == "rule":
            for field in ("application", "from", "to", "source", "destination", "service"):
                values = lists.get(field, [])
                if "any" in values and len(values) > 1:
                    return [
                        f"{name} -> {field} 'any' cannot be combined with other members",
                        f"{name} -> {field} is invalid",
                    ]
        scope, shared = scope_of(entry), shared_of(entry)
        for field, values, containers in self._reference_fields(kind, entry, lists):
            for value in values:
                if not self._resolves(kind, field, value, scope, shared, containers):
                    return [
                        f"{name} -> {field} '{value}' is not a valid reference",
                        f"{name} -> {field} is invalid",
                    ]
        return []

    def _resolves(
        self,
        kind: str,
        field: str,
        value: str,
        scope: etree._Element | None,
        shared: etree._Element | None,
        containers: tuple[str, ...],
    ) -> bool:
        if value == "any" and field in ("from", "to", "source", "destination", "service"):
            return True
        if field == "service" and kind == "rule" and value == "application-default":
            return True
        if field in ("service", "members") and value in PREDEFINED_SERVICES:
            return True
        if self._in_scopes(scope, shared, containers, value):
            return True
        literal = bool(REGION_RE.fullmatch(value)) or is_literal(value)
        return field in ("source", "destination") and literal

    def _shape_errors(
        self, kind: str, entry: etree._Element, complete: bool, lists: dict[str, list[str]]
    ) -> list[str]:
        name = entry.get("name", "")
        if kind == "rule":
            action = entry.findtext("action")
            if action is not None and action.strip() not in RULE_ACTIONS:
                return [f"{name} -> action '{action}' is not a valid value", f"{name} -> action is invalid"]
            if complete:
                for field in REQUIRED_RULE_FIELDS:
                    if not lists.get(field):
                        return [f"{name} -> {field} is missing", f"{name} is invalid"]
        elif kind == "address":
            present = [t for t in ADDRESS_TYPES if entry.find(t) is not None]
            if len(present) > 1 or (complete and not present):
                return [
                    f"{name} -> address needs exactly one of {', '.join(ADDRESS_TYPES)}",
                    f"{name} is invalid",
                ]
            if present == ["ip-netmask"]:
                value = (entry.findtext("ip-netmask") or "").strip()
                if not is_netmask(value):
                    return [
                        f"{name} -> ip-netmask '{value}' is not a valid IP address or netmask",
                        f"{name} -> ip-netmask is invalid",
                    ]
            span = (entry.findtext("ip-range") or "").strip()
            if present == ["ip-range"] and not ("-" in span and is_literal(span)):
                return [f"{name} -> ip-range is invalid"]
        elif kind == "service":
            proto = entry.find("protocol")
            if proto is not None:
                kinds = [child for child in proto if child.tag in SERVICE_PROTOCOLS]
                for child in kinds:
                    port = (child.findtext("port") or "").strip()
                    if not valid_ports(port):
                        return [
                            f"{name} -> protocol {child.tag} port '{port}' is invalid",
                            f"{name} -> protocol is invalid",
                        ]
                if complete and len(kinds) != 1:
                    return [f"{name} -> protocol needs exactly one of tcp, udp", f"{name} is invalid"]
            elif complete:
                return [f"{name} -> protocol is missing", f"{name} is invalid"]
        return []


__all__ = ["Validator"]
