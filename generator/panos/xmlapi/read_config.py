"""What one `get` of the location holds: objects per kind and the security rules in order.

Push and plan read the candidate with a single request of the location's base xpath
(the vsys or the device group), so that the number of round trips never grows with the
number of rules; this module reads that answer into the one view both sides share (view.py).
"""

from __future__ import annotations

from lxml import etree

from generator.location import Location
from generator.panos.config.view import DeviceConfig, parse_container
from generator.panos.xmlapi.client import PanosClient, PanosError


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
