"""The firewalls a Panorama manages: serials, connection, device groups, what each enforces.

A Panorama-managed fleet (VM-Series behind a Gateway Load Balancer, scaling in and out) is a
set of firewalls Panorama knows by serial number (Panorama > Managed Devices), each assigned to
one device group. What the emulator models, and the evidence:

- Membership lives in Panorama's config, `device-group/entry[@name=DG]/devices/entry[@name=SERIAL]`
  (pan-os-python `panos/panorama.py` `refresh_devices` reads it there); a serial a device group
  names but Panorama does not manage is ignored.
- `show devices all` lists every managed firewall, `show devices connected` the connected ones:
  `result/devices/entry[@name=SERIAL]` with `serial`, `connected` yes|no, `hostname`,
  `ip-address`, `model`, `sw-version`, `multi-vsys`, `vsys/entry[@name]` (PAN-OS and Panorama
  API guide, "Query a Firewall from Panorama (API)"; a live answer of Panorama 10.1 in
  cdot65/pan-os-upgrade `tests/test_flatten_xml_to_dict.py`; pan-os-python `panos/firewall.py`
  `refreshall_from_xml` reads `serial`, `connected`, `hostname`, `multi-vsys`). Each vsys entry
  carries `shared-policy-status`, "In Sync" or "Out of Sync" (the values pan-os-python's
  `FirewallState.set_shared_policy_synced` reads; empty in the live answer above, so clients must
  take an empty status as unknown): the emulator says In Sync when the firewall enforces what a
  push of Panorama's running config would give it now, Out of Sync otherwise (never pushed, or
  Panorama's running config changed since).
- commit-all for a device group pushes Panorama's running config to the firewalls assigned to
  that group itself: a parent group's push does not reach the firewalls of its children
  (pan-os-ansible issue #400: pushing a parent device group whose firewalls sit in child groups
  pushed nothing; "appliances have to be based in a parent group"). Each firewall that takes the
  push enforces the group's pushed policy (pushed.py). The job has one entry per firewall of the
  group; one that fails ends FAIL with its lines. How Panorama reports a disconnected firewall
  in the job is not published: the emulator lists it FAIL with "device is not connected" and
  pushes nothing to it (clients learn who is disconnected from `show devices`, not from wording).
- Each firewall keeps its own User-ID registrations (one registry per device), reached from
  Panorama with `target=SERIAL` (target.py).

A Fleet can be shared by the two Panorama of an HA pair: both manage the same firewalls.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree

from emulator.device import DeviceProfile
from emulator.pushed import pushed_policy
from emulator.responses import result_success
from emulator.userid import Registry

NOT_CONNECTED = "device is not connected"


@dataclass
class ManagedFirewall:
    """One firewall behind Panorama: what Panorama knows of it, and what it enforces."""

    serial: str
    hostname: str
    connected: bool = True
    failing: bool = False  # its commit of a push fails (a validation error on the firewall)
    registry: Registry = field(default_factory=Registry)  # its own User-ID registrations
    pushed: etree._Element | None = None  # its pushed policy (pushed.py); None until a push reached it
    device_group: str = ""  # of the last push it took
    pushes: int = 0  # pushes it took


@dataclass
class DeviceOutcome:
    """One firewall's line in a commit-all job."""

    serial: str
    name: str
    ok: bool
    errors: list[str] = field(default_factory=list)


class Fleet:
    """Serial -> ManagedFirewall, thread-safe."""

    def __init__(self, firewalls: Iterable[ManagedFirewall] = ()) -> None:
        self._lock = threading.RLock()
        self._firewalls = {fw.serial: fw for fw in firewalls}

    @classmethod
    def from_profile(cls, device: DeviceProfile) -> Fleet:
        return cls(ManagedFirewall(serial, f"fw-{serial[-4:]}",
                                   connected=serial not in device.disconnected_devices,
                                   failing=serial in device.failing_devices)
                   for serial in device.managed_devices)

    def get(self, serial: str) -> ManagedFirewall | None:
        with self._lock:
            return self._firewalls.get(serial)

    def __getitem__(self, serial: str) -> ManagedFirewall:
        found = self.get(serial)
        if found is None:
            raise KeyError(serial)
        return found

    def firewalls(self) -> list[ManagedFirewall]:
        with self._lock:
            return sorted(self._firewalls.values(), key=lambda fw: fw.serial)

    def add(self, serial: str, hostname: str | None = None) -> ManagedFirewall:
        """A firewall joins (scale-out: it registers with Panorama); assign it with the config."""
        with self._lock:
            fw = self._firewalls.setdefault(serial, ManagedFirewall(serial, hostname or f"fw-{serial[-4:]}"))
            fw.connected = True
            return fw

    def set_connected(self, serial: str, connected: bool) -> None:
        """A firewall loses its connection to Panorama (scale-in, a network fault) or gets it back."""
        with self._lock:
            self[serial].connected = connected

    def push(self, running: etree._Element, group: str) -> list[DeviceOutcome]:
        """commit-all of `group`: each of its firewalls takes the group's pushed policy, or fails."""
        with self._lock:
            outcomes = []
            for serial in members(running, group):
                fw = self._firewalls.get(serial)
                if fw is None:
                    continue  # named in the group, not managed by this Panorama
                if not fw.connected:
                    outcomes.append(DeviceOutcome(serial, fw.hostname, False, [NOT_CONNECTED]))
                elif fw.failing:
                    outcomes.append(DeviceOutcome(serial, fw.hostname, False,
                                                  ["Validation Error: injected device failure"]))
                else:
                    fw.pushed, fw.device_group = pushed_policy(running, group, serial), group
                    fw.pushes += 1
                    outcomes.append(DeviceOutcome(serial, fw.hostname, True))
            return outcomes


def members(root: etree._Element, group: str) -> list[str]:
    """The serials a device group's config assigns to it, in config order."""
    return [str(s) for s in root.xpath(
        "devices/entry/device-group/entry[@name=$g]/devices/entry/@name", g=group)]


def group_of(root: etree._Element, serial: str) -> str | None:
    found = root.xpath("devices/entry/device-group/entry[devices/entry/@name=$s]/@name", s=serial)
    return str(found[0]) if found else None


def sync_status(fw: ManagedFirewall, running: etree._Element) -> str:
    """"In Sync" when the firewall enforces what a push of `running` would give it, else "Out of Sync"."""
    group = group_of(running, fw.serial)
    if group is None:
        return ""
    if fw.pushed is None:
        return "Out of Sync"
    now = pushed_policy(running, group, fw.serial)
    return "In Sync" if etree.tostring(now) == etree.tostring(fw.pushed) else "Out of Sync"


def devices_answer(fleet: Fleet, connected_only: bool, running: etree._Element) -> etree._Element:
    """`show devices all` / `show devices connected`."""
    devices = etree.Element("devices")
    for fw in fleet.firewalls():
        if connected_only and not fw.connected:
            continue
        entry = etree.SubElement(devices, "entry", name=fw.serial)
        for tag, text in (("serial", fw.serial), ("connected", "yes" if fw.connected else "no"),
                          ("unsupported-version", "no"), ("deactivated", "no"), ("hostname", fw.hostname),
                          ("ip-address", "192.0.2.1"), ("ipv6-address", "unknown"), ("family", "vm"),
                          ("model", "PA-VM"), ("sw-version", "10.1.4"), ("multi-vsys", "no")):
            etree.SubElement(entry, tag).text = text
        vsys = etree.SubElement(etree.SubElement(entry, "vsys"), "entry", name="vsys1")
        etree.SubElement(vsys, "display-name").text = "vsys1"
        etree.SubElement(vsys, "shared-policy-status").text = sync_status(fw, running)
    return result_success([devices])
