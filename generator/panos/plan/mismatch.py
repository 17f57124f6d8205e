"""How a saved plan's binding differs from the one push recomputes: short phrases for one line.

push --plan refuses when anything bound differs (binding.py); the person who reads the refusal
must see *what* moved, not only that something did: which object, which field, its value when
the plan was made and now; which IP's tags; which device or location. Every phrase is built
from values that may come from AWS or from a hand edit on the firewall (names, descriptions,
tags), so each value is quoted, escaped and cut (generator.errors.quote): a refusal cannot
print a second line or a terminal escape.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from generator.errors import quote
from generator.kinds import LABELS
from generator.panos.config.fields import field_changes
from generator.xmlsafe import safe_parser

VALUE = 60
"""Characters of one value shown in a phrase."""

_PARSER = safe_parser()


def _v(value: Any) -> str:
    if value is None:
        return "absent"
    if isinstance(value, list):
        return "[" + ", ".join(quote(x, VALUE) for x in value[:6]) + (", …" if len(value) > 6 else "") + "]"
    return quote(value, VALUE)


def _what(kind: str, name: str) -> str:
    return f"{LABELS.get(kind, kind)} {quote(name, VALUE)}"


def _fields(then: str, now: str) -> str:
    """The fields of one object that differ between two canonical forms: `source [..] then, [..] now`."""
    try:
        a, b = etree.fromstring(then.encode(), _PARSER), etree.fromstring(now.encode(), _PARSER)
    except etree.XMLSyntaxError:
        return "its value differs"
    parts = [f"{quote(c['field'], VALUE)} {_v(c['before'])} then, {_v(c['after'])} now"
             for c in field_changes(a, b)[:3]]
    return "; ".join(parts) or "its value differs"


def _objects(saved: list[dict[str, Any]], now: list[dict[str, Any]]) -> list[str]:
    then = {(o["kind"], o["name"]): o for o in saved}
    current = {(o["kind"], o["name"]): o for o in now}
    out = []
    for key in sorted(set(then) | set(current), key=lambda k: (k[0] != "rules", k)):  # rules first
        a, b = then.get(key), current.get(key)
        if a == b:
            continue
        what = _what(*key)
        if a is None:
            since = {"create": "deleted on the firewall since, or new in the fragment",
                     "change": "edited on the firewall since", "delete": "created on the firewall since"}
            out.append(f"{what}: not in the plan, now push would {b['op']} it ({since[b['op']]})")
        elif b is None:
            done = {"create": "it exists now, as the fragment has it",
                    "change": "the firewall holds the fragment's value now", "delete": "it is gone now"}
            out.append(f"{what}: the plan would {a['op']} it, {done.get(a['op'], 'nothing to do now')}")
        elif a["before"] != b["before"]:
            if a["before"] is None:
                out.append(f"{what}: absent from the firewall when planned, present now")
            elif b["before"] is None:
                out.append(f"{what}: on the firewall when planned, absent now")
            else:
                out.append(f"{what} on the firewall: {_fields(a['before'], b['before'])}")
        else:
            out.append(f"{what}: the value push would write differs from the planned one")
    return out


def _order(saved: dict[str, list[str]], now: dict[str, list[str]]) -> list[str]:
    out = []
    for side, label in (("before", "the rule order on the firewall"), ("after", "the rule order push makes")):
        a, b = saved[side], now[side]
        if a == b:
            continue
        gone, new = [n for n in a if n not in set(b)], [n for n in b if n not in set(a)]
        bits = [f"{_v(new)} added" if new else "", f"{_v(gone)} removed" if gone else ""]
        out.append(f"{label} differs: " + ("; ".join(x for x in bits if x) or "rules moved"))
        break  # the order after follows from the order before: say it once
    return out


def _registrations(saved: list[dict[str, Any]] | None, now: list[dict[str, Any]] | None) -> list[str]:
    if saved is None or now is None:
        if saved is None and now is None:
            return []
        return ["registrations: the plan was made with membership static, push runs with dynamic"
                if saved is None else
                "registrations: the plan was made with membership dynamic, push runs with static"]
    then = {r["ip"]: r for r in saved}
    current = {r["ip"]: r for r in now}
    out = []
    for ip in sorted(set(then) | set(current)):
        a, b = then.get(ip), current.get(ip)
        if a == b:
            continue
        if a is None:
            out.append(f"registration {quote(ip, VALUE)}: not in the plan, now {_v(b['before'])} -> "
                       f"{_v(b['after'])}")
        elif b is None:
            out.append(f"registration {quote(ip, VALUE)}: the plan would make it {_v(a['after'])}, the "
                       "firewall already holds that")
        elif a["before"] != b["before"]:
            out.append(f"registration {quote(ip, VALUE)}: the firewall held {_v(a['before'])} when planned, "
                       f"holds {_v(b['before'])} now")
        else:
            out.append(f"registration {quote(ip, VALUE)}: the plan would make it {_v(a['after'])}, now "
                       f"{_v(b['after'])}")
    return out


def differences(saved: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """Phrases naming what differs between two bindings (binding.bind), most telling first."""
    out: list[str] = []
    if saved["device"] != now["device"]:
        out.append(f"the plan was made on device {quote(saved['device']['serial'], VALUE)}, this is "
                   f"{quote(now['device']['serial'], VALUE)}")
    if saved["location"] != now["location"]:
        def where(loc: dict[str, str]) -> str:
            return ", ".join(f"{k} {quote(v, VALUE)}" for k, v in sorted(loc.items()))
        out.append(f"the plan was made for {where(saved['location'])}, this push is for "
                   f"{where(now['location'])}")
    if saved["policy"]["digest"] != now["policy"]["digest"]:
        a, b = saved["policy"]["values"], now["policy"]["values"]
        keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        out += [f"policy.yaml {quote(k, VALUE)}: {_v(a.get(k))} when planned, {_v(b.get(k))} now"
                for k in keys] or ["policy.yaml differs"]
    files = {"fragment": "the fragment", "registrations": "registrations.yaml"}
    for key, label in files.items():
        a, b = saved["files"][key], now["files"][key]
        if a != b:
            out.append(f"{label} is not the one planned" if a and b else
                       f"{label} {'was absent when planned' if b else 'is absent now'}")
    out += _objects(saved["objects"], now["objects"])
    if saved["pending"] != now["pending"]:
        out.append("the pending (uncommitted) state differs")
    out += _order(saved["rule_order"], now["rule_order"])
    out += _registrations(saved["registrations"], now["registrations"])
    return out
