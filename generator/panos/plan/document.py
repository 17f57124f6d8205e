"""Build the plan document (schemas/plan.schema.json) from a planning.Plan and what it was read from.

Only what changes is resolved: with 20,000 managed rules and 1 % changed, the work is in
the 200 changed rules plus one pass over the rules' member lists to find those that a
changed group, address or service affects.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lxml import etree

from generator.kinds import OBJECT_KINDS
from generator.panos.config.fields import field_changes, field_value
from generator.panos.config.fragment import FragmentView
from generator.panos.config.view import DeviceConfig
from generator.panos.plan.changes import Plan
from generator.panos.plan.diff import KINDS, desired_entries
from generator.panos.plan.traffic import (
    ACTION_ORDER,
    PLAN_FORMAT,
    Objects,
    flows_between,
    rule_view,
    width_key,
)
from generator.safety import refusal
from generator.yamlio import load_yaml_file

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
    return set() if el is None else {(m.text or "").strip() for m in el.iterfind("static/member")}


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


def build_document(plan: Plan, fragment: FragmentView, device: DeviceConfig, *,
                   precheck: dict[str, Any] | None = None,
                   prefix_lists: dict[str, list[dict]] | None = None) -> dict[str, Any]:
    """The whole plan as plain data; text, markdown and json are views of it."""
    pl = prefix_lists or {}
    desired = desired_entries(fragment)
    have: Entries = {k: device.entries(k) for k in KINDS}
    after_objs, before_objs = Objects(desired, have), Objects(have)
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
        after = rule_view(name, el, after_objs, pl)
        if name in d.creates["rules"]:
            add("create", name, None, after)
        else:
            before = rule_view(name, have["rules"][name], before_objs, pl)
            add("change", name, before, after, fields=field_changes(have["rules"][name], el, "rules"))
    for name in d.deletes["rules"]:
        add("delete", name, rule_view(name, have["rules"][name], before_objs, pl), None)

    addr_changed, svc_changed = _affected_names(d, desired, have)
    for name, via in sorted(_users(fragment.rules, addr_changed, svc_changed).items()):
        if name in d.upserts["rules"] or name not in have["rules"]:
            continue
        el = desired["rules"][name]
        before = rule_view(name, have["rules"][name], before_objs, pl)
        after = rule_view(name, el, after_objs, pl)
        if flows_between(before, after) != (0, 0):
            add("affected", name, before, after, via=via)
    created = d.creates["rules"]
    for m in d.moves:
        if m.name not in created:
            rules.append({"action": "move", "name": m.name, "move": m.describe(),
                          "drift": drift.get(("rules", m.name)), "verdicts": verdicts.get(m.name, [])})
    rules.sort(key=lambda r: (ACTION_ORDER[r["action"]], r["name"]))

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
                    new_m, old_m = _group_members(el), _group_members(old)
                    item["members_added"] = [a for m in sorted(new_m - old_m) for a in after_objs.resolve(m)]
                    item["members_removed"] = [a for m in sorted(old_m - new_m)
                                               for a in before_objs.resolve(m)]
            objects.append(item)
        for name in d.deletes.get(kind, []):
            objects.append({"kind": kind, "name": name, "action": "delete", "drift": drift.get((kind, name)),
                            "value": _object_value(kind, name, have[kind][name], before_objs)})
    objects.sort(key=lambda o: (ACTION_ORDER[o["action"]], o["kind"], o["name"]))

    def exposure(r: dict[str, Any], flows: int, view: dict) -> dict[str, Any]:
        sources = [s["value"] for s in view["sources"]]
        return {"rule": r["name"], "action": r["action"], "flows": flows,
                "any_source": any(s["any"] for s in view["sources"]), "sources": sources}

    openings = sorted((exposure(r, r["flows_opened"], r["after"]) for r in rules
                       if r.get("flows_opened")), key=width_key)
    closings = sorted((exposure(r, r["flows_closed"], r["before"]) for r in rules
                       if r.get("flows_closed")), key=width_key)
    refused = refusal(plan)
    counts = plan.counts()
    others = {(p.kind, p.name) for p in plan.pending.others(plan.admin)}
    pending = [dict(p.as_dict(), ours=(p.kind, p.name) not in others) for p in plan.pending.items]
    by_action = {a: sum(1 for r in rules if r["action"] == a) for a in ACTION_ORDER}
    summary = {
        "has_changes": plan.has_changes or bool(pending),
        "refused": refused is not None,
        "rules_opened": by_action["create"], "rules_closed": by_action["delete"],
        "rules_changed": by_action["change"], "rules_affected": by_action["affected"],
        "rules_moved": by_action["move"],
        "flows_opened": sum(o["flows"] for o in openings), "flows_closed": sum(c["flows"] for c in closings),
        "any_source_openings": sum(1 for o in openings if o["any_source"]),
        "objects": {k: counts[k] for k in ("create", "change", "delete", "move")},
        "drift": counts["drift"], "pending": len(pending),
        "managed_rules": plan.managed_rules, "fragment_rules": plan.fragment_rules,
    }
    return {
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
        "rules": rules,
        "objects": objects,
        "precheck": precheck,
    }


def load_prefix_lists(fragment_path: str | Path) -> dict[str, list[dict]]:
    """CIDR -> the prefix lists (id, name) that hold it, from state.yaml beside the fragment.

    generate expands a prefix list into its CIDRs; the names a reviewer knows are only in the
    state. Without the file (a fragment made elsewhere), sources show as CIDRs alone.
    """
    path = Path(fragment_path).parent / "state.yaml"
    if not path.is_file():
        return {}
    data = load_yaml_file(path, "state file")
    out: dict[str, list[dict]] = {}
    for vpc in (data or {}).get("vpcs", []) if isinstance(data, dict) else []:
        for pl in vpc.get("prefix_lists", []) or []:
            for cidr in pl.get("cidrs", []) or []:
                ref = {"id": pl.get("id"), "name": pl.get("name")}
                if ref not in out.setdefault(str(cidr), []):
                    out[str(cidr)].append(ref)
    return out
