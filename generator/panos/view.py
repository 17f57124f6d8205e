"""The one view of a location's config that push compares: entries per object kind, rules in order.

Both sides of a push are read into it by `read_view`: the firewall's candidate or running
config (device.py, one `get` of the location) and the fragment (fragment.py, which checks
the file strictly first, then reads it the same way). So plan, verify and the batch compare
like with like, without a step that reshapes one side into the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from generator.location import OBJECT_KINDS, Location
from generator.panos.canonical import tagged_with


@dataclass
class ConfigView:
    """A location's config as read: entries per object kind (document order) and rules in order."""

    location: Location
    objects: dict[str, dict[str, etree._Element]] = field(default_factory=dict)  # kind -> name -> entry
    rules: list[etree._Element] = field(default_factory=list)

    @property
    def rule_names(self) -> list[str]:
        return [r.get("name") for r in self.rules]

    def rule(self, name: str) -> etree._Element | None:
        for r in self.rules:
            if r.get("name") == name:
                return r
        return None

    def entries(self, kind: str) -> dict[str, etree._Element]:
        """kind is an object kind or `rules`."""
        if kind == "rules":
            return {r.get("name"): r for r in self.rules}
        return self.objects.get(kind, {})

    def managed(self, kind: str, tag: str) -> dict[str, etree._Element]:
        return {n: e for n, e in self.entries(kind).items() if tagged_with(e, tag)}


def read_view(container: etree._Element | None, location: Location) -> ConfigView:
    """The view of the location's <entry> (vsys or device group) element: every object kind
    (empty when absent) and the rules of the location's rulebase."""
    view = ConfigView(location=location)
    if container is None:
        return view
    for kind in OBJECT_KINDS:
        node = container.find(kind)
        view.objects[kind] = {} if node is None else {e.get("name"): e for e in node.iterfind("entry")}
    node = container
    for step in location.rulebase_elements():
        node = node.find(step) if node is not None else None
    view.rules = [] if node is None else list(node.iterfind("entry"))
    return view
