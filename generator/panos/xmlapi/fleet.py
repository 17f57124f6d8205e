"""Panorama: the firewalls a device group reaches, and whether each is connected now.

A Panorama-managed VM-Series fleet scales in and out: firewalls join Panorama, are assigned to
a device group, disconnect when scaled in. awspan asks, on every plan and push that needs the
firewalls (membership dynamic, push_to_devices), in requests that do not grow with the rules:

1. `show dg-hierarchy` (one request): the device-group tree, nested `<dg name=…>` elements (the
   shape pan-os-python's PanoramaDeviceGroupHierarchy.fetch reads). The firewalls of the device
   group's descendants enforce its rules too: "Panorama pushes device group-specific pre-rules
   to all the firewalls in a particular device group and its descendant device groups"
   (Panorama Administrator's Guide, "Device Group Policies");
2. one `get` of `device-group/entry[@name=G]/devices` per group (the group and each descendant):
   the serials assigned to it and their vsys, where Panorama's config keeps them (pan-os-python
   `Panorama.refresh_devices` reads them there);
3. `show devices all` (one request): every managed firewall with `serial`, `hostname` and
   `connected` yes|no (PAN-OS and Panorama API guide, "Query a Firewall from Panorama (API)";
   pan-os-python `refresh_devices`; a live Panorama 10.1 answer in cdot65/pan-os-upgrade
   `tests/test_flatten_xml_to_dict.py`). A serial a group names that Panorama does not list is
   not managed: it counts as not connected. Each vsys entry's `shared-policy-status` says
   whether the firewall enforces Panorama's running config: "In Sync" or "Out of Sync" (the
   values pan-os-python's `FirewallState.set_shared_policy_synced` reads); it is empty in the
   live answer above, so an empty status is unknown, never taken for either.

So 2 + the number of groups requests, 3 for a device group without descendants. Each firewall
is then reached through Panorama with `target=SERIAL` (push/fleet.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.errors import shorten
from generator.location import DEVICE, Location, xpath_literal
from generator.panos.xmlapi.client import PanosClient, PanosError

DG_HIERARCHY = "<show><dg-hierarchy></dg-hierarchy></show>"
DEVICES_ALL = "<show><devices><all></all></devices></show>"


@dataclass(frozen=True)
class ManagedDevice:
    """One firewall (and vsys) of the device group's reach, as Panorama sees it."""

    serial: str
    name: str  # its hostname, as Panorama reports it ("" when not listed)
    device_group: str
    vsys: str = "vsys1"
    connected: bool = False
    in_sync: bool | None = None  # shared-policy-status: In Sync / Out of Sync / not said

    def describe(self) -> str:
        """`007051000000001 (fw-a)`, with `/vsys2` after the serial on a multi-vsys firewall; the
        device's strings escaped and cut (they are data, not text to trust)."""
        text = shorten(self.serial, 40) + (f"/{shorten(self.vsys, 31)}" if self.vsys != "vsys1" else "")
        return text + (f" ({shorten(self.name, 63)})" if self.name and self.name != self.serial else "")


@dataclass
class Fleet:
    """The device group, its descendants and every firewall they hold."""

    device_group: str
    groups: list[str] = field(default_factory=list)  # the group first, then its descendants
    devices: list[ManagedDevice] = field(default_factory=list)

    @property
    def connected(self) -> list[ManagedDevice]:
        return [d for d in self.devices if d.connected]

    @property
    def disconnected(self) -> list[ManagedDevice]:
        return [d for d in self.devices if not d.connected]

    def out_of_sync(self, group: str) -> list[ManagedDevice]:
        """Connected firewalls of `group` that Panorama reports Out of Sync (an earlier push missed them)."""
        return [d for d in self.connected if d.device_group == group and d.in_sync is False]

    def groups_with_devices(self) -> list[str]:
        """The groups a commit-all must name: a push of a parent group does not reach the firewalls
        of its children (pan-os-ansible issue #400), so each group that holds firewalls is pushed."""
        held = {d.device_group for d in self.devices}
        return [g for g in self.groups if g in held]

    def describe(self) -> str:
        def listing(devices: list[ManagedDevice]) -> str:
            return ", ".join(d.describe() for d in devices) or "none"
        return (f"device group {self.device_group}: {len(self.devices)} firewall(s); connected: "
                f"{listing(self.connected)}; not connected: {listing(self.disconnected)}")


def read_hierarchy(client: PanosClient) -> dict[str, str | None]:
    """Every device group -> its parent (None: directly under shared), one `show dg-hierarchy`."""
    root = client.op(DG_HIERARCHY)
    top = root.find("result/dg-hierarchy")
    if top is None:
        raise PanosError("show dg-hierarchy: no <dg-hierarchy> in the answer")
    parents: dict[str, str | None] = {}
    for node in top.iter("dg"):
        parent = node.getparent()
        above = parent is not None and parent.tag == "dg"
        parents[str(node.get("name"))] = parent.get("name") if above else None
    return parents


def ancestors(parents: dict[str, str | None], group: str) -> list[str]:
    """The group's ancestors, nearest first (Panorama nests at most four levels)."""
    out: list[str] = []
    name = parents.get(group)
    while name and name not in out and name != group:
        out.append(name)
        name = parents.get(name)
    return out


def descendants(parents: dict[str, str | None], group: str) -> list[str]:
    """The group's descendants, parents before their children, in the hierarchy's order."""
    out: list[str] = []
    frontier = [group]
    while frontier:
        current = frontier.pop(0)
        children = [g for g, p in parents.items() if p == current and g != group and g not in out]
        out += children
        frontier += children
    return out


def group_devices_xpath(group: str) -> str:
    return (f"/config/devices/entry[@name={xpath_literal(DEVICE)}]/device-group/entry"
            f"[@name={xpath_literal(group)}]/devices")


def _assigned(client: PanosClient, group: str) -> list[tuple[str, str]]:
    """(serial, vsys) pairs the group's config assigns (a firewall without vsys entries: vsys1)."""
    result = client.get(group_devices_xpath(group))
    out = []
    for entry in result.iterfind("devices/entry"):
        serial = (entry.get("name") or "").strip()
        vsys = [(v.get("name") or "").strip() for v in entry.iterfind("vsys/entry")]
        out += [(serial, v) for v in (vsys or ["vsys1"]) if serial and v]
    return out


SYNC = {"in sync": True, "out of sync": False}


@dataclass(frozen=True)
class Status:
    """What `show devices all` says of one firewall."""

    name: str = ""
    connected: bool = False
    sync: dict[str, bool | None] = field(default_factory=dict)  # vsys -> in sync


def managed_devices(client: PanosClient) -> dict[str, Status]:
    """serial -> Status of every firewall Panorama manages: one `show devices all`."""
    root = client.op(DEVICES_ALL)
    out = {}
    for entry in root.iterfind("result/devices/entry"):
        serial = (entry.findtext("serial") or entry.get("name") or "").strip()
        if serial:
            sync = {(v.get("name") or "").strip():
                    SYNC.get((v.findtext("shared-policy-status") or "").strip().lower())
                    for v in entry.iterfind("vsys/entry")}
            out[serial] = Status((entry.findtext("hostname") or "").strip(),
                                 (entry.findtext("connected") or "").strip().lower() == "yes", sync)
    return out


def read_fleet(client: PanosClient, location: Location,
               parents: dict[str, str | None] | None = None) -> Fleet:
    """The firewalls `location`'s device group reaches; `parents` skips `show dg-hierarchy` when known."""
    group = str(location.device_group)
    tree = read_hierarchy(client) if parents is None else parents
    fleet = Fleet(group, [group, *descendants(tree, group)])
    status = managed_devices(client)
    for g in fleet.groups:
        for serial, vsys in _assigned(client, g):
            st = status.get(serial, Status())
            fleet.devices.append(ManagedDevice(serial, st.name, g, vsys, st.connected, st.sync.get(vsys)))
    return fleet

