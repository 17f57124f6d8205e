"""Where on the device awspan's objects live: a vsys, or a Panorama device group.

generate builds the fragment along this path (so that `load config partial` works on it),
push and plan read and write these xpaths, snapshot reads the rules there. One class, so
the three never disagree about a path; its `container` / `rules` (and `make_*`) are the only
walk from a <config> tree to the container and its rules: readers call them instead of spelling
`security/rules`. Elements are duck-typed (lxml's): this bottom layer needs no XML library.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.kinds import OBJECT_KINDS

DEVICE = "localhost.localdomain"

RULES_UNDER_RULEBASE: tuple[str, ...] = ("security", "rules")
"""The path from a rulebase element (`rulebase`, `pre-rulebase`, ...) to its security <rules>."""


def xpath_literal(value: str) -> str:
    """Quote a name for an xpath predicate (names never hold both quote kinds: PAN-OS forbids quotes)."""
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    raise ValueError(f"name cannot be quoted in an xpath: {value!r}")


@dataclass(frozen=True)
class Location:
    """A vsys on a firewall (`vsys`) or a device group on Panorama (`device_group` + `rulebase`)."""

    vsys: str | None = "vsys1"
    device_group: str | None = None
    rulebase: str = "pre"

    @classmethod
    def from_policy(cls, raw: dict | None) -> Location:
        if not raw:
            return cls()
        if "device_group" in raw:
            return cls(
                vsys=None, device_group=raw["device_group"], rulebase=raw.get("rulebase", cls.rulebase)
            )
        return cls(vsys=raw["vsys"], device_group=None)

    @property
    def is_panorama(self) -> bool:
        return self.device_group is not None

    @property
    def scope(self) -> str:
        """The config-lock scope: the vsys or the device group."""
        return self.device_group if self.device_group else str(self.vsys)

    def path_elements(self) -> list[tuple[str, str | None]]:
        """The element path from <config> to the container of the objects: (tag, entry name)."""
        if self.device_group:
            return [
                ("devices", None),
                ("entry", DEVICE),
                ("device-group", None),
                ("entry", self.device_group),
            ]
        return [("devices", None), ("entry", DEVICE), ("vsys", None), ("entry", str(self.vsys))]

    @property
    def rulebase_tag(self) -> str:
        """The container's rulebase element awspan's rules live in: `rulebase` on a firewall,
        `pre-rulebase` / `post-rulebase` on Panorama."""
        return f"{self.rulebase}-rulebase" if self.device_group else "rulebase"

    def rulebase_elements(self) -> list[str]:
        """The element path from the container to the security <rules>."""
        return [self.rulebase_tag, *RULES_UNDER_RULEBASE]

    # -- the container and its rules in an element tree: every reader and builder walks here ----

    def container(self, root: Any) -> Any | None:
        """The vsys / device-group entry of this location in a <config> tree, or None when absent."""
        node = root
        for tag, name in self.path_elements():
            if node is None:
                return None
            node = node.find(tag) if name is None else next(
                (e for e in node.iterfind(tag) if e.get("name") == name), None)
        return node

    def make_container(self, root: Any) -> Any:
        """Build this location's path under a new <config> `root`; return the container."""
        node = root
        for tag, name in self.path_elements():
            node = _child(node, tag, {"name": name} if name else {})
        return node

    def rules(self, container: Any) -> Any | None:
        """The container's security <rules> of this location's rulebase, or None when absent."""
        return rules_of(container, self.rulebase_tag)

    def rule_entries(self, container: Any) -> list[Any]:
        """The security rule entries of this location's rulebase, in order (none when absent)."""
        return rule_entries(container, self.rulebase_tag)

    def make_rules(self, container: Any) -> Any:
        """Build the container's <rulebase>/<security>/<rules> (new elements); return <rules>."""
        return make_rules(container, self.rulebase_tag)

    @property
    def base_xpath(self) -> str:
        parts = ["/config"]
        for tag, name in self.path_elements():
            parts.append(f"{tag}[@name={xpath_literal(name)}]" if name else tag)
        return "/".join(parts)

    def xpath(self, kind: str) -> str:
        """The xpath of a container: an object kind of OBJECT_KINDS, or `rules`."""
        if kind == "rules":
            return self.rules_xpath
        if kind not in OBJECT_KINDS:
            raise ValueError(f"unknown object kind {kind!r}")
        return f"{self.base_xpath}/{kind}"

    @property
    def rules_xpath(self) -> str:
        return self.base_xpath + "/" + "/".join(self.rulebase_elements())

    def entry_xpath(self, kind: str, name: str) -> str:
        return f"{self.xpath(kind)}/entry[@name={xpath_literal(name)}]"

    def describe(self) -> str:
        if self.device_group:
            return f"device-group {self.device_group} ({self.rulebase}-rulebase)"
        return f"vsys {self.vsys}"


SHARED_XPATH = "/config/shared"


def _child(parent: Any, tag: str, attrib: dict[str, str]) -> Any:
    child = parent.makeelement(tag, attrib)
    parent.append(child)
    return child


def rules_of(scope: Any | None, rulebase_tag: str) -> Any | None:
    """`scope`'s (a container, or /config/shared) <rules> under `rulebase_tag`, or None."""
    node = None if scope is None else scope.find(rulebase_tag)
    for tag in RULES_UNDER_RULEBASE:
        node = None if node is None else node.find(tag)
    return node


def rule_entries(scope: Any | None, rulebase_tag: str) -> list[Any]:
    """The rule entries of `scope`'s `rulebase_tag`, in order (none when absent)."""
    rules = rules_of(scope, rulebase_tag)
    return [] if rules is None else list(rules.iterfind("entry"))


def make_rules(scope: Any, rulebase_tag: str) -> Any:
    """Build `scope`'s <rulebase_tag>/<security>/<rules> (new elements); return <rules>."""
    node = _child(scope, rulebase_tag, {})
    for tag in RULES_UNDER_RULEBASE:
        node = _child(node, tag, {})
    return node
