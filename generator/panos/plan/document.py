"""Build the plan document (schemas/plan.schema.json) from a planning.Plan and what it was read from.

Only what changes is resolved: with 20,000 managed rules and 1 % changed, the work is in
the 200 changed rules plus one pass over the rules' member lists to find those that a
changed group, address or service affects.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from generator.groups import static_members
from generator.kinds import OBJECT_KINDS
from generator.panos.config.fields import field_changes, field_value
from generator.panos.config.fragment import FragmentView
from generator.panos.config.view import DeviceConfig
from generator.panos.plan.changes import Plan
from generator.panos.plan.diff import KINDS, desired_entries
from generator.panos.plan.inventory import Inventory
from generator.panos.plan.membership import Registry, membership_section
from generator.panos.plan.traffic import (
    ACTION_ORDER,
    PLAN_FORMAT,
    Objects,
    destinations,
    dynamic_tags,
    exposure,
    flows_between,
    membership_mode,
    rule_view,
    width_key,
)
from generator.safety import refusal

Entries = dict[str, dict[str, etree._Element]]


def _object_value(kind: str, name: str, el: etree._Element, objs: Objects) -> dict[str, Any]:
    """A created or deleted object, whole: its fields, and for addresses and groups who they are."""
    out: dict[str, Any] = {c.tag: field_value(c) for c in el if isinstance(c.tag, str) and c.tag != "tag"}
    if kind == "address":
        out["resolved"] = objs.address(name, el)
    elif kind == "address-group":
        out["resolved"] = objs.resolve(name)
    return out


def _group_members(el: etree._Element | None) -> set[str]:
    return set() if el is None else set(static_members(el) or ())


def _affected_names(d: Any, desired: Entries, have: Entries) -> tuple[set[str], set[str]]:
    """Names of changed address-like objects (addresses and the groups holding them) and services."""
    changed: dict[str, set[str]] = {}
    for kind in OBJECT_KINDS:
        ups = {n for n in d.upserts.get(kind, {}) if n not in d.creates.get(kind, set())}
        changed[kind] = ups | set(d.deletes.get(kind, []))
    addr = changed["address"] | changed["address-group"]
    if changed["address"]:
        for layer in (desired, have):
            for gname, g in layer.get("address-group", {}).items():
                if _group_members(g) & changed["address"]:
                    addr.add(gname)
    return addr, changed["service"] | changed["service-group"]


def _users(rules: list[etree._Element], addr: set[str], svc: set[str]) -> dict[str, list[str]]:
    """Rule name -> the changed objects it references (destination or service).

    One pass over the member elements of the rules container (no per-rule work): with 20,000
    rules and a few changed groups this is milliseconds.
    """
    out: dict[str, set[str]] = {}
    if not rules or not (addr or svc):
        return {}
    container = rules[0].getparent()
    for path, names in (("entry/destination/member", addr), ("entry/service/member", svc)):
        if not names:
            continue
        for m in container.iterfind(path):
            text = (m.text or "").strip()
            if text in names:
                out.setdefault(m.getparent().getparent().get("name"), set()).add(text)
    return {k: sorted(v) for k, v in out.items()}


def _registry_changes(registry: Registry, desired: Entries, have: Entries) -> set[str]:
    """Dynamic groups whose members change through registrations alone (a start or stop)."""
    def by_tag(tags: dict[str, frozenset[str]]) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for ip, ts in tags.items():
            for t in ts:
                out.setdefault(t, set()).add(ip)
        return out

    before, after = by_tag(registry.before), by_tag(registry.after)
    moved = {t for t in set(before) | set(after) if before.get(t) != after.get(t)}
    names = set()
    for layer in (desired, have):
        for name, group in layer.get("address-group", {}).items():
            if moved & set(dynamic_tags(group) or ()):
                names.add(name)
    return names


def build_document(plan: Plan, fragment: FragmentView, device: DeviceConfig, *,
                   precheck: dict[str, Any] | None = None, inventory: Inventory | None = None,
                   registry: Registry | None = None) -> dict[str, Any]:
    """The whole plan as plain data; text, markdown and json are views of it.

    `inventory`: state.yaml's names (inventory.py); `registry`: the User-ID registrations before
    and after (membership.py), so that a start or stop in membership dynamic shows as the flows
    it opens or closes, like one in static."""
    inv = inventory or Inventory()
    reg = registry or Registry({})
    desired = desired_entries(fragment)
    have: Entries = {k: device.entries(k) for k in KINDS}
    after_objs = Objects(desired, have, inventory=inv, registered=reg.after)
    before_objs = Objects(have, inventory=inv, registered=reg.before)
    d = plan.diff
    drift = {(c.kind, c.name): c.drift for c in plan.changes if c.drift}
    verdicts: dict[str, list[dict]] = {}
    for dec in (precheck or {}).get("decisions", []):
        if isinstance(dec, dict) and dec.get("rule"):
            verdicts.setdefault(str(dec["rule"]), []).append(dec)

    rules: list[dict[str, Any]] = []

    def add(action: str, name: str, before: dict | None, after: dict | None, **extra: Any) -> None:
        opened, closed = flows_between(before, after)
        item = {"action": action, "name": name, "before": before, "after": after,
                "flows_opened": opened, "flows_closed": closed, "drift": drift.get(("rules", name)),
                "verdicts": verdicts.get(name, [])}
        item.update(extra)
        rules.append(item)

    for name, el in d.upserts["rules"].items():
        after = rule_view(name, el, after_objs)
        if name in d.creates["rules"]:
            add("create", name, None, after)
        else:
            before = rule_view(name, have["rules"][name], before_objs)
            add("change", name, before, after, fields=field_changes(have["rules"][name], el, "rules"))
    for name in d.deletes["rules"]:
        add("delete", name, rule_view(name, have["rules"][name], before_objs), None)

    addr_changed, svc_changed = _affected_names(d, desired, have)
    registered = _registry_changes(reg, desired, have)
    for name, via in sorted(_users(fragment.rules, addr_changed | registered, svc_changed).items()):
        if name in d.upserts["rules"] or name not in have["rules"]:
            continue
        el = desired["rules"][name]
        before = rule_view(name, have["rules"][name], before_objs)
        after = rule_view(name, el, after_objs)
        if flows_between(before, after) != (0, 0):
            add("affected", name, before, after, via=[v for v in via if v in addr_changed | svc_changed],
                via_registrations=[v for v in via if v in registered])
    created = d.creates["rules"]
    for m in d.moves:
        if m.name not in created:
            rules.append({"action": "move", "name": m.name, "move": m.describe(),
                          "drift": drift.get(("rules", m.name)), "verdicts": verdicts.get(m.name, [])})
    rules.sort(key=lambda r: (ACTION_ORDER[r["action"]], r["name"]))

    objects = _objects(d, have, drift, after_objs, before_objs)
    openings = sorted(filter(None, (exposure(r, True) for r in rules if r.get("flows_opened"))),
                      key=width_key)
    closings = sorted(filter(None, (exposure(r, False) for r in rules if r.get("flows_closed"))),
                      key=width_key)
    reached = destinations(rules)
    managed = {k: {n: e for n, e in have[k].items() if n in d.scope.get(k, ())} for k in KINDS}
    modes = membership_mode(managed), membership_mode(desired)
    membership = membership_section(reg, inv, *modes) if "dynamic" in modes or reg.desired else None
    refused = refusal(plan)
    counts = plan.counts()
    others = {(p.kind, p.name) for p in plan.pending.others(plan.admin)}
    pending = [dict(p.as_dict(), ours=(p.kind, p.name) not in others) for p in plan.pending.items]
    by_action = {a: sum(1 for r in rules if r["action"] == a) for a in ACTION_ORDER}
    registrations = {"register": len(membership["register"]) if membership else 0,
                     "unregister": len(membership["unregister"]) if membership else 0}
    summary = {
        "has_changes": plan.has_changes or bool(pending) or any(registrations.values()),
        "refused": refused is not None,
        "rules_opened": by_action["create"], "rules_closed": by_action["delete"],
        "rules_changed": by_action["change"], "rules_affected": by_action["affected"],
        "rules_moved": by_action["move"],
        "flows_opened": sum(r.get("flows_opened", 0) for r in rules),
        "flows_closed": sum(r.get("flows_closed", 0) for r in rules),
        "destinations_opened": sum(1 for x in reached if x["flows_opened"]),
        "destinations_closed": sum(1 for x in reached if x["flows_closed"]),
        "any_source_openings": sum(1 for o in openings if o["any_source"]),
        "objects": {k: counts[k] for k in ("create", "change", "delete", "move")},
        "registrations": registrations,
        "membership": {"before": modes[0], "after": modes[1],
                       "switch": None not in modes and modes[0] != modes[1]},
        "drift": counts["drift"], "pending": len(pending),
        "managed_rules": plan.managed_rules, "fragment_rules": plan.fragment_rules,
    }
    doc = {
        "format_version": PLAN_FORMAT,
        "location": plan.location,
        "summary": summary,
        "refusal": None if refused is None else {"type": type(refused).__name__,
                                                  "forceable": refused.forceable, "message": refused.reason},
        "blockers": list(plan.blockers),
        "guards": list(plan.guards),
        "warnings": list(plan.warnings),
        "pending": pending,
        "openings": openings,
        "closings": closings,
        "destinations": reached,
        "rules": rules,
        "objects": objects,
        "precheck": precheck,
    }
    if membership is not None:
        doc["membership"] = membership
    return doc


def _objects(d: Any, have: Entries, drift: dict, after_objs: Objects, before_objs: Objects
             ) -> list[dict[str, Any]]:
    """Each created, changed or deleted object; address groups with the addresses they gain and lose
    (static members, or registered IPs of a dynamic group)."""
    objects: list[dict[str, Any]] = []
    for kind in OBJECT_KINDS:
        for name, el in d.upserts.get(kind, {}).items():
            item: dict[str, Any] = {"kind": kind, "name": name, "drift": drift.get((kind, name))}
            if name in d.creates.get(kind, set()):
                item.update(action="create", value=_object_value(kind, name, el, after_objs))
            else:
                old = have[kind][name]
                item.update(action="change", fields=field_changes(old, el, kind))
                if kind == "address-group":
                    new_m = {a["ip"]: a for a in after_objs.resolve(name)}
                    old_m = {a["ip"]: a for a in before_objs.resolve(name)}
                    item["members_added"] = [new_m[ip] for ip in sorted(set(new_m) - set(old_m))]
                    item["members_removed"] = [old_m[ip] for ip in sorted(set(old_m) - set(new_m))]
            objects.append(item)
        for name in d.deletes.get(kind, []):
            objects.append({"kind": kind, "name": name, "action": "delete", "drift": drift.get((kind, name)),
                            "value": _object_value(kind, name, have[kind][name], before_objs)})
    objects.sort(key=lambda o: (ACTION_ORDER[o["action"]], o["kind"], o["name"]))
    return objects


