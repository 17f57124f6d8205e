"""What one `get` of the location holds: objects per kind and the security rules in order.

Push and plan read the candidate with a single request of the location's base xpath
(the vsys or the device group), so that the number of round trips never grows with the
number of rules; this module turns that answer into the same shape as the fragment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from generator.location import OBJECT_KINDS, Location
from generator.panos.canonical import tagged_with
from generator.panos.client import PanosClient, PanosError


@dataclass
class DeviceConfig:
    """The location's config as read: entries per object kind (device order) and rules in order."""

    location: Location
    objects: dict[str, dict[str, etree._Element]] = field(default_factory=dict)
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


def parse_container(container: etree._Element | None, location: Location) -> DeviceConfig:
    """Build a DeviceConfig from the location's <entry> (vsys or device group) element."""
    cfg = DeviceConfig(location=location)
    if container is None:
        return cfg
    for kind in OBJECT_KINDS:
        node = container.find(kind)
        cfg.objects[kind] = {} if node is None else {e.get("name"): e for e in node.iterfind("entry")}
    node = container
    for step in location.rulebase_elements():
        node = node.find(step) if node is not None else None
    cfg.rules = [] if node is None else list(node.iterfind("entry"))
    return cfg


def read_node(client: PanosClient, xpath: str, *, running: bool) -> etree._Element | None:
    """One request: the first node at xpath in the running (`show`) or candidate (`get`) config."""
    result = client.show(xpath) if running else client.get(xpath)
    return next((c for c in result if isinstance(c.tag, str)), None)


def location_missing(location: Location) -> PanosError:
    return PanosError(f"{location.describe()} does not exist on the firewall "
                      f"({location.base_xpath} is empty); check firewall.location in policy.yaml")


def read_location(client: PanosClient, location: Location, *, running: bool = False) -> DeviceConfig:
    """One request: the candidate (`get`) or running (`show`) config of the location."""
    container = read_node(client, location.base_xpath, running=running)
    if container is None:
        raise location_missing(location)
    return parse_container(container, location)
