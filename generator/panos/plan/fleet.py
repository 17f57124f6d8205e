"""Membership dynamic on Panorama in the plan: each firewall's registrations, and what they mean together.

Behind Panorama every firewall holds its own User-ID registrations (push/fleet_registrations.py),
so the plan's `membership` section says per firewall what push would register and unregister
there (`devices`), and `register` / `unregister` hold the union over the firewalls, each entry
naming its firewalls. The traffic view (flows a start or stop opens or closes, document.py)
needs one "before": it takes what every firewall it could read holds already (the
intersection), so a flow any firewall is about to gain shows as opened; a firewall that lost
its registrations (a reboot) or joined shows as such in `devices`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.addresses import sort_key
from generator.panos.plan.inventory import Inventory
from generator.panos.plan.membership import Registry, membership_section
from generator.registrations_file import Desired, Tags


@dataclass(frozen=True)
class FirewallRegistry:
    """One firewall (and vsys) behind Panorama: `device` as the plan's `devices` lists it
    (serial, name, device_group, vsys, connected), its registrations as read (`before`; None when
    not read: not connected, or the read failed, then `error` says why), and its label."""

    device: dict[str, Any]
    label: str
    before: Tags | None = None
    error: str | None = None


def shared_before(firewalls: list[FirewallRegistry]) -> Tags:
    """What every firewall that was read holds (IP -> the tags all of them hold)."""
    read = [f.before for f in firewalls if f.before is not None]
    if not read:
        return {}
    out: dict[str, frozenset[str]] = {}
    for ip, tags in read[0].items():
        common = tags.intersection(*(other.get(ip, frozenset()) for other in read[1:]))
        if common:
            out[ip] = frozenset(common)
    return out


def fleet_membership(section: dict[str, Any], firewalls: list[FirewallRegistry], desired: Desired,
                     inventory: Inventory) -> dict[str, Any]:
    """The `membership` section with `devices` and the union of their changes."""
    union: dict[str, dict[str, dict[str, Any]]] = {"register": {}, "unregister": {}}
    rows = []
    for fw in firewalls:
        row = dict(fw.device, error=fw.error, registered=None if fw.before is None else len(fw.before),
                   register=[], unregister=[])
        if fw.before is not None:
            own = membership_section(Registry(fw.before, desired), inventory, section["before"],
                                     section["after"])
            for kind in ("register", "unregister"):
                row[kind] = own[kind]
                for entry in own[kind]:
                    merged = union[kind].setdefault(entry["ip"], dict(entry, tags=set(), devices=[]))
                    merged["tags"] |= set(entry["tags"])
                    merged["devices"].append(fw.label)
        rows.append(row)
    out = dict(section, devices=rows)
    for kind in ("register", "unregister"):
        out[kind] = [dict(e, tags=sorted(e["tags"])) for _, e in
                     sorted(union[kind].items(), key=lambda item: sort_key(item[0]))]
    return out
