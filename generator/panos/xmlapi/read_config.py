"""What one `get` of the location holds: objects per kind and the security rules in order.

Push and plan read the candidate with a single request of the location's base xpath
(the vsys or the device group), so that the number of round trips never grows with the
number of rules; this module reads that answer into the one view both sides share (view.py).
"""

from __future__ import annotations

from lxml import etree

from generator.location import SHARED_XPATH, Location
from generator.panos.config.view import DeviceConfig, parse_container, scope_names
from generator.panos.plan.references import Inherited
from generator.panos.xmlapi.client import PanosClient, PanosError
from generator.panos.xmlapi.fleet import ancestors, read_hierarchy


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


def read_inherited(client: PanosClient, location: Location) -> Inherited:
    """The names of shared (one `get` of /config/shared) and, on Panorama, of each ancestor of
    the device group (`show dg-hierarchy`, then one `get` per ancestor: Panorama nests device
    groups at most four levels deep), candidate config: what the batch is checked against."""
    out = Inherited([scope_names(read_node(client, SHARED_XPATH, running=False))])
    if location.is_panorama:
        try:
            chain = device_group_ancestors(client, str(location.device_group))
        except PanosError as exc:
            out.gap = f"the device-group hierarchy could not be read ({exc})"
            chain = []
        for group in chain:
            node = read_node(client, Location(vsys=None, device_group=group).base_xpath, running=False)
            out.scopes.append(scope_names(node))
    return out


def device_group_ancestors(client: PanosClient, group: str) -> list[str]:
    """One request, `show dg-hierarchy`: the device group's ancestors, nearest first (xmlapi/fleet.py
    reads the hierarchy; snapshot and the fleet read use it too)."""
    return ancestors(read_hierarchy(client), group)
