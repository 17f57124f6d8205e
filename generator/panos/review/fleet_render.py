"""Panorama in the plan: the firewalls push reaches, and each one's registrations.

On Panorama the plan document gets `devices` (every firewall of the device group and its
descendants, connected or not: what commit-all pushes to and where registrations go) and, with
membership dynamic, `membership.devices` (per firewall what push would register and unregister).
The JSON holds everything; text and markdown show one line per firewall and at most
MEMBERSHIP_LINES registration lines in all.
"""

from __future__ import annotations

from typing import Any

from generator.errors import shorten
from generator.panos.xmlapi.fleet import Fleet, ManagedDevice


def device_label(d: dict[str, Any] | ManagedDevice) -> str:
    """`SERIAL (name)` (with `/vsys` when not vsys1), from the plan document or a ManagedDevice."""
    if isinstance(d, ManagedDevice):
        return d.describe()
    vsys = d.get("vsys", "vsys1")
    text = shorten(d["serial"], 40) + (f"/{shorten(vsys, 31)}" if vsys != "vsys1" else "")
    return text + (f" ({shorten(d['name'], 63)})" if d.get("name") and d["name"] != d["serial"] else "")


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


def devices_lines(devices: list[dict[str, Any]]) -> list[str]:
    """`firewalls (N): SERIAL (name) in dg1: connected` lines."""
    out = [f"firewalls of the device group ({len(devices)}):"]
    for d in devices:
        state = "connected" if d["connected"] else "NOT CONNECTED"
        state += {True: ", in sync", False: ", out of sync"}.get(d.get("in_sync"), "")
        state += {"push": "; commit-all pushes to it", "none": "; no commit-all (nothing to push)"}.get(
            d.get("commit_all") or "", "")
        out.append(f"  {device_label(d)} in {shorten(d['device_group'], 63)}: {state}")
    return out


def _registration(sign: str, word: str, e: dict[str, Any], gone: str) -> str:
    return f"{sign} {word} {e['ip']} {e['who'] or gone}: {', '.join(e['tags'])}"


def fleet_membership_lines(m: dict[str, Any], limit: int) -> list[str]:
    """Membership dynamic on Panorama: per firewall, the registrations push would send."""
    reg, unreg = m["register"], m["unregister"]
    devices = m["devices"]
    tags_in = sum(len(e["tags"]) for d in devices for e in d["register"])
    tags_out = sum(len(e["tags"]) for d in devices for e in d["unregister"])
    head = (f"membership (User-ID registrations on {len(devices)} firewall(s), no commit): "
            f"{tags_in} tag(s) to register, {tags_out} to unregister")
    if not reg and not unreg and all(d["connected"] and not d.get("error") for d in devices):
        head = "membership (User-ID registrations): every firewall holds exactly registrations.yaml"
    gone = "(not in registrations.yaml: stopped, gone, or registered by hand)"
    lines: list[str] = []
    for d in devices:
        if not d["connected"]:
            lines.append(f"  firewall {device_label(d)}: not connected: not reconciled")
            continue
        if d.get("error"):
            lines.append(f"  firewall {device_label(d)}: {shorten(d['error'], 300)}")
            continue
        if not d["register"] and not d["unregister"]:
            lines.append(f"  firewall {device_label(d)}: holds exactly registrations.yaml")
            continue
        joined = " (holds none of awspan's: it gets them all)" if not d.get("registered") else ""
        lines.append(f"  firewall {device_label(d)}{joined}:")
        lines += [f"    {_registration('+', 'register', e, '')}" for e in d["register"]]
        lines += [f"    {_registration('-', 'unregister', e, gone)}" for e in d["unregister"]]
    more = len(lines) - limit
    return [head, *lines[:limit]] + ([f"  and {more} more: see the JSON plan"] if more > 0 else [])
