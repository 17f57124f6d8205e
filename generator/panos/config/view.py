"""The one view of a location's config that push compares: entries per object kind, rules in order.

Both sides of a push are read into it by `read_view`: the firewall's candidate or running
config (xmlapi/read_config.py, one `get` of the location) and the fragment (fragment.py, which checks
the file strictly first, then reads it the same way). So plan, verify and the batch compare
like with like, without a step that reshapes one side into the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from generator.kinds import OBJECT_KINDS
from generator.location import Location
from generator.panos.config.canonical import tagged_with
from generator.vocab import REFERENCE_TARGETS

CONTAINER_PATHS: dict[str, str] = {"log-setting": "log-settings/profiles"}
"""Where a reference target's entries are under a scope, when not `<target>` itself: log
forwarding profiles are `log-settings/profiles` (pan-os-python LogForwardingProfile)."""

OTHER_TARGETS: tuple[str, ...] = tuple(t for t in REFERENCE_TARGETS if t not in OBJECT_KINDS)
"""What a reference may name besides awspan's kinds: zones, profile groups, log forwarding
profiles, external lists... (read by name only: awspan never writes them)."""


def scope_names(scope: etree._Element | None, targets: tuple[str, ...] = REFERENCE_TARGETS
                ) -> dict[str, frozenset[str]]:
    """The entry names of each reference target in one scope (a vsys, a device group, shared)."""
    out: dict[str, frozenset[str]] = {}
    for target in targets:
        node = None if scope is None else scope.find(CONTAINER_PATHS.get(target, target))
        out[target] = frozenset() if node is None else frozenset(
            e.get("name") for e in node.iterfind("entry"))
    return out


@dataclass
class ConfigView:
    """A location's config as read: entries per object kind (document order) and rules in order."""

    location: Location
    objects: dict[str, dict[str, etree._Element]] = field(default_factory=dict)  # kind -> name -> entry
    rules: list[etree._Element] = field(default_factory=list)
    names: dict[str, frozenset[str]] = field(default_factory=dict)  # OTHER_TARGETS -> entry names

    def defines(self, target: str, name: str) -> bool:
        """Does the location hold an entry `name` of a reference target (vocab.Reference.targets)?"""
        if target in OBJECT_KINDS:
            return name in self.objects.get(target, {})
        return name in self.names.get(target, ())

    @property
    def rule_names(self) -> list[str]:
        self._rules_by_name()
        return list(self.__dict__["_by_name"][3])

    def rule(self, name: str) -> etree._Element | None:
        for r in self.rules:
            if r.get("name") == name:
                return r
        return None

    def entries(self, kind: str) -> dict[str, etree._Element]:
        """kind is an object kind or `rules` (read-only: the rules' dict is kept between calls)."""
        if kind == "rules":
            return self._rules_by_name()
        return self.objects.get(kind, {})

    def _rules_by_name(self) -> dict[str, etree._Element]:
        """Rules by name, built once per rules list (a plan asks for it dozens of times, and
        20,000 rules take milliseconds each time); a new or resized list is read again."""
        cached = self.__dict__.get("_by_name")
        if cached is None or cached[0] is not self.rules or cached[1] != len(self.rules):
            names = [r.get("name") for r in self.rules]
            cached = (self.rules, len(self.rules), dict(zip(names, self.rules, strict=True)), names)
            self.__dict__["_by_name"] = cached
        return cached[2]

    def managed(self, kind: str, tag: str) -> dict[str, etree._Element]:
        return {n: e for n, e in self.entries(kind).items() if tagged_with(e, tag)}


def read_view(container: etree._Element | None, location: Location) -> ConfigView:
    """The view of the location's <entry> (vsys or device group) element: every object kind
    (empty when absent) and the rules of the location's rulebase."""
    view = ConfigView(location=location)
    if container is None:
        return view
    view.names = scope_names(container, OTHER_TARGETS)
    for kind in OBJECT_KINDS:
        node = container.find(kind)
        view.objects[kind] = {} if node is None else {e.get("name"): e for e in node.iterfind("entry")}
    view.rules = location.rule_entries(container)
    return view


DeviceConfig = ConfigView
"""The device's side of a push: the one view, under the name its readers use."""

parse_container = read_view
"""Build a DeviceConfig from the location's <entry> (vsys or device group) element."""
