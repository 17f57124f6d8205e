"""The checks PAN-OS makes when a change lands in the candidate (error code 12).

PAN-OS refuses a set/edit that leaves an object invalid: a name too long or with
forbidden characters, a member that names no zone/address/service/tag/profile, a
duplicate name. It reports "<name> -> <field> '<value>' is not a valid reference" then
"<name> -> <field> is invalid". Completeness (a rule without `from`) is only checked at
commit, as on PAN-OS, so that a rule can be built by several `set` requests.

Name lookups go through a small cache (`NameIndex`), invalidated when objects change,
so that validating thousands of rules stays linear.
"""

from __future__ import annotations

import ipaddress
import re

from lxml import etree

from generator.emulator.model import (
    entry_kind,
    members,
    scope_of,
    shared_of,
    typed_entries_in,
)
from generator.emulator.responses import CODE_INVALID_OBJECT, CODE_REFERENCE_COUNT, ApiError

NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_. -]*$")
MAX_NAME = {"tag": 127}
DEFAULT_MAX_NAME = 63
PREDEFINED_SERVICES = frozenset({"service-http", "service-https"})
RULE_ACTIONS = frozenset({"allow", "deny", "drop", "reset-client", "reset-server", "reset-both"})
REQUIRED_RULE_FIELDS = ("from", "to", "source", "destination", "application", "service")
ADDRESS_TYPES = ("ip-netmask", "ip-range", "fqdn", "ip-wildcard")
REGION_RE = re.compile(r"^[A-Z]{2}$")


def is_ip_literal(value: str) -> bool:
    """An address written directly in a rule: an IP, a CIDR or a range a-b."""
    try:
        if "-" in value:
            first, last = value.split("-", 1)
            return ipaddress.ip_address(first).version == ipaddress.ip_address(last).version
        ipaddress.ip_network(value, strict=False)
        return True
    except ValueError:
        return False


def valid_ports(spec: str) -> bool:
    for part in spec.split(","):
        bounds = part.strip().split("-")
        if len(bounds) > 2 or not all(b.isdigit() and 0 <= int(b) <= 65535 for b in bounds):
            return False
        if len(bounds) == 2 and int(bounds[0]) > int(bounds[1]):
            return False
    return True


class NameIndex:
    """Names of the objects of each (scope, container), built on first use and cached.

    The cache keeps the scope element itself: lxml hands out one proxy per live node, so
    holding it keeps `id()` stable and never confuses two scopes.
    """

    def __init__(self) -> None:
        self._cache: dict[tuple[int, str], tuple[etree._Element, frozenset[str]]] = {}

    def clear(self) -> None:
        self._cache.clear()

    def names(self, scope: etree._Element | None, container: str) -> frozenset[str]:
        if scope is None:
            return frozenset()
        key = (id(scope), container)
        cached = self._cache.get(key)
        if cached is not None and cached[0] is scope:
            return cached[1]
        path = "log-settings/profiles" if container == "log-setting" else container
        node = scope.find(path)
        found = frozenset(e.get("name", "") for e in node.findall("entry")) if node is not None else frozenset()
        self._cache[key] = (scope, found)
        return found

    def resolves(self, entry: etree._Element, containers: tuple[str, ...], name: str) -> bool:
        """Does `name` name an object of one of `containers` in the entry's scope or in shared?"""
        scope = scope_of(entry)
        shared = shared_of(entry)
        for container in containers:
            if name in self.names(scope, container):
                return True
            if shared is not None and shared is not scope and name in self.names(shared, container):
                return True
        return False


class Validator:
    """Checks typed entries of one config tree; `panorama` skips zone checks (zones live in templates)."""

    def __init__(self, panorama: bool = False, index: NameIndex | None = None) -> None:
        self.panorama = panorama
        self.index = index or NameIndex()

    # -- entry points -------------------------------------------------------------------
    def check_entries(self, entries: list[tuple[str, etree._Element]], complete: bool = False) -> None:
        """Raise ApiError(12) with PAN-OS style lines for the first invalid entry."""
        for kind, entry in entries:
            lines = self.entry_errors(kind, entry, complete)
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
        self.index.clear()
        for kind, entry in typed_entries_in(root):
            for field, values, containers in self._reference_fields(kind, entry):
                for value in values:
                    if value in deleted and not self._resolves(kind, field, value, entry, containers):
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
        errors = self._reference_errors(kind, entry)
        if errors:
            return errors
        return self._shape_errors(kind, entry, complete)

    def _name_errors(self, kind: str, entry: etree._Element, name: str) -> list[str]:
        limit = MAX_NAME.get(kind, DEFAULT_MAX_NAME)
        if not name:
            return [f"{entry.getparent().tag} -> entry has no name"]
        if len(name) > limit:
            return [f"{name} -> name '{name}' is too long (at most {limit} characters)", f"{name} is invalid"]
        if kind != "tag" and not NAME_RE.match(name):
            return [f"{name} -> name '{name}' is not a valid name", f"{name} is invalid"]
        parent = entry.getparent()
        if len(parent.xpath("entry[@name=$n]", n=name)) > 1:
            return [f"{name} -> '{name}' is already in use", f"{name} is invalid"]
        clash = {
            "address": "address-group",
            "address-group": "address",
            "service": "service-group",
            "service-group": "service",
        }.get(kind)
        if clash and name in self.index.names(scope_of(entry), clash):
            return [
                f"{name} -> '{name}' is already in use by an object of type {clash}",
                f"{name} is invalid",
            ]
        if kind == "rule":
            for other in self._sibling_rulebases(entry):
                if len(other.xpath("entry[@name=$n]", n=name)):
                    return [f"{name} -> '{name}' is already in use by another rule", f"{name} is invalid"]
        return []

    def _sibling_rulebases(self, entry: etree._Element) -> list[etree._Element]:
        rules = entry.getparent()
        base = rules.getparent().getparent()
        scope = base.getparent()
        found = []
        for other in ("pre-rulebase", "post-rulebase", "rulebase"):
            if other != base.tag:
                node = scope.find(f"{other}/security/rules")
                if node is not None:
                    found.append(node)
        return found

    def _reference_fields(
        self, kind: str, entry: etree._Element
    ) -> list[tuple[str, list[str], tuple[str, ...]]]:
        """The member lists of an entry that name other objects, with where they may resolve."""
        fields: list[tuple[str, list[str], tuple[str, ...]]] = []
        if kind == "rule":
            if not self.panorama:
                fields += [
                    ("from", members(entry, "from"), ("zone",)),
                    ("to", members(entry, "to"), ("zone",)),
                ]
            fields += [
                ("source", members(entry, "source"), ("address", "address-group", "external-list")),
                ("destination", members(entry, "destination"), ("address", "address-group", "external-list")),
                ("service", members(entry, "service"), ("service", "service-group")),
                ("tag", members(entry, "tag"), ("tag",)),
                ("profile-setting", members(entry, "profile-setting/group"), ("profile-group",)),
            ]
            log = entry.findtext("log-setting")
            if log is not None:
                fields.append(("log-setting", [log.strip()], ("log-setting",)))
        elif kind == "address-group":
            fields.append(("static", members(entry, "static"), ("address", "address-group")))
            fields.append(("tag", members(entry, "tag"), ("tag",)))
        elif kind == "service-group":
            fields.append(("members", members(entry, "members"), ("service", "service-group")))
            fields.append(("tag", members(entry, "tag"), ("tag",)))
        elif kind in ("address", "service"):
            fields.append(("tag", members(entry, "tag"), ("tag",)))
        return fields

    def _reference_errors(self, kind: str, entry: etree._Element) -> list[str]:
        name = entry.get("name", "")
        if kind == "rule":
            for field in ("application", "from", "to", "source", "destination", "service"):
                values = members(entry, field)
                if "any" in values and len(values) > 1:
                    return [
                        f"{name} -> {field} 'any' cannot be combined with other members",
                        f"{name} -> {field} is invalid",
                    ]
        for field, values, containers in self._reference_fields(kind, entry):
            for value in values:
                if not self._resolves(kind, field, value, entry, containers):
                    return [
                        f"{name} -> {field} '{value}' is not a valid reference",
                        f"{name} -> {field} is invalid",
                    ]
        return []

    def _resolves(
        self, kind: str, field: str, value: str, entry: etree._Element, containers: tuple[str, ...]
    ) -> bool:
        if value == "any" and field in ("from", "to", "source", "destination", "service"):
            return True
        if field == "service" and kind == "rule" and value == "application-default":
            return True
        if field in ("service", "members") and value in PREDEFINED_SERVICES:
            return True
        if field in ("source", "destination") and (is_ip_literal(value) or REGION_RE.match(value)):
            return True
        return self.index.resolves(entry, containers, value)

    def _shape_errors(self, kind: str, entry: etree._Element, complete: bool) -> list[str]:
        name = entry.get("name", "")
        if kind == "rule":
            action = entry.findtext("action")
            if action is not None and action.strip() not in RULE_ACTIONS:
                return [f"{name} -> action '{action}' is not a valid value", f"{name} -> action is invalid"]
            if complete:
                for field in REQUIRED_RULE_FIELDS:
                    if not members(entry, field):
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
                try:
                    ipaddress.ip_network(value, strict=False)
                except ValueError:
                    return [
                        f"{name} -> ip-netmask '{value}' is not a valid IP address or netmask",
                        f"{name} -> ip-netmask is invalid",
                    ]
            if present == ["ip-range"] and not is_ip_literal((entry.findtext("ip-range") or "").strip()):
                return [f"{name} -> ip-range is invalid"]
        elif kind == "service":
            proto = entry.find("protocol")
            if proto is not None:
                kinds = [child for child in proto if child.tag in ("tcp", "udp")]
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


__all__ = ["NameIndex", "Validator", "entry_kind", "is_ip_literal"]
