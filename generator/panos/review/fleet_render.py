"""Panorama in the plan: the firewalls push reaches, and each one's registrations.

On Panorama the plan document gets `devices` (every firewall of the device group and its
descendants, connected or not: what commit-all pushes to and where registrations go) and, with
membership dynamic, `membership.devices` (per firewall what push would register and unregister,
plan/fleet.py). The JSON holds everything; text and markdown show one line per firewall and the
registrations under it, cut like the firewall's own membership lines (plan_render, markdown).
Lines are made of awspan's words and Data (markup.py): a hostname is the device's string.
"""

from __future__ import annotations

from typing import Any

from generator.panos.review import lines as L
from generator.panos.review.markup import Data, Line, Message
from generator.panos.xmlapi.fleet import Fleet


def fleet_document(fleet: Fleet, committing: bool | None) -> list[dict[str, Any]]:
    """The plan's `devices`: one entry per firewall (and vsys), in the hierarchy's order.

    `committing`: with push_to_devices, whether push will commit on Panorama (then commit-all
    pushes every group); None without push_to_devices. Each entry's `commit_all` says what push's
    commit-all will do there: `push`, `none` (nothing committed and Panorama does not report it
    Out of Sync), `not connected`, or null (no push_to_devices)."""
    out = []
    for d in fleet.devices:
        if committing is None:
            action = None
        elif not d.connected:
            action = "not connected"
        else:
            action = "push" if committing or d.in_sync is False else "none"
        out.append({"serial": d.serial, "name": d.name or None, "device_group": d.device_group,
                    "vsys": d.vsys, "connected": d.connected, "in_sync": d.in_sync, "commit_all": action})
    return out


def fleet_warnings(fleet: Fleet, push_to_devices: bool) -> list[str]:
    """What a reviewer must know before push: firewalls that will not get the change."""
    if not fleet.devices:
        return [f"device group {fleet.device_group} (and its descendants) has no firewall assigned: "
                "nothing enforces these rules"]
    what = "neither the push nor its registrations" if push_to_devices else "not its registrations"
    return [f"firewall {d.describe()} of device group {d.device_group} is not connected to Panorama: it gets "
            f"{what}, and push exits 1 naming it after the others are done" for d in fleet.disconnected]


def device_label(d: dict[str, Any]) -> Line:
    """`SERIAL (name)`, with `/vsys` when not vsys1."""
    out: list[str] = [Data(d["serial"])]
    if d.get("vsys", "vsys1") != "vsys1":
        out += ["/", Data(d["vsys"])]
    if d.get("name") and d["name"] != d["serial"]:
        out += [" (", Data(d["name"]), ")"]
    return tuple(out)


def devices_lines(devices: list[dict[str, Any]]) -> list[Line]:
    """The head line, then one per firewall: `SERIAL (name) in dg1: connected, in sync; ...`."""
    out: list[Line] = [(f"firewalls of the device group ({len(devices)}):",)]
    for d in devices:
        state = "connected" if d["connected"] else "NOT CONNECTED"
        state += {True: ", in sync", False: ", out of sync"}.get(d.get("in_sync"), "")
        state += {"push": "; commit-all pushes to it", "none": "; no commit-all (nothing to push)"}.get(
            d.get("commit_all") or "", "")
        out.append(("  ", *device_label(d), " in ", Data(d["device_group"]), f": {state}"))
    return out


def membership_head(m: dict[str, Any]) -> Line:
    """The membership section's title; on Panorama counted over the firewalls."""
    if "devices" not in m:
        return L.membership_head(m)
    devices = m["devices"]
    if not m["register"] and not m["unregister"] and all(d["connected"] and not d.get("error")
                                                         for d in devices):
        return ("membership dynamic (User-ID registrations): every firewall holds exactly "
                "registrations.yaml",)
    return (f"membership dynamic (User-ID registrations on {L.plural(len(devices), 'firewall')}, no commit): "
            f"{L.plural(len(m['register']), 'address')} to register, {len(m['unregister'])} to unregister",)


def membership_lines(m: dict[str, Any]) -> list[Line]:
    """One line per IP push would register or unregister; on Panorama grouped by firewall."""
    if "devices" not in m:
        return L.membership_lines(m)
    out: list[Line] = []
    for d in m["devices"]:
        label = ("firewall ", *device_label(d))
        if not d["connected"]:
            out.append((*label, ": not connected: not reconciled"))
        elif d.get("error"):
            out.append((*label, ": ", Message(d["error"])))
        elif not d["register"] and not d["unregister"]:
            out.append((*label, ": holds exactly registrations.yaml"))
        else:
            joined = " (holds none of awspan's: it gets them all)" if not d.get("registered") else ""
            out.append((*label, f"{joined}:"))
            out += [("  ", *row) for row in L.membership_lines(d)]
    return out
