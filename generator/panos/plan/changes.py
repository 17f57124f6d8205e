"""The plan of a push: what it would create, change, delete and move, and what it refuses.

build_plan compares the fragment with the candidate (diff.py says *what* differs within the
scope awspan may touch), adds the blockers and guards (safety.py), the pending state of
other admins (pending.py), the objects an operator's rules still use (left in place), the
moves that put the managed rules above the bottom rule (order.py), and one human line per
object (review/push_report.py, document.py and review/plan_render.py show it).

Drift: PAN-OS marks every node it changes with the `admin` who changed it. A managed
object that carries another admin's name was edited by hand since awspan last wrote it;
the plan says so, and push overwrites it (the fragment is the source of truth).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from generator.kinds import OBJECT_KINDS
from generator.panos.config.canonical import canonical_text, tagged_with
from generator.panos.config.contain import added_by_device
from generator.panos.config.fragment import FragmentView
from generator.panos.config.view import DeviceConfig
from generator.panos.plan.diff import (
    KIND_LABEL,
    KINDS,
    REFERENCE_PATHS,
    Diff,
    desired_entries,
    diff_objects,
    rule_order_after,
)
from generator.panos.plan.order import apply_moves, plan_moves
from generator.panos.plan.pending import (
    Pending,
    PendingState,
    edited_by,
    find_pending,
    stamped_names,
    tagged_entries,
)
from generator.panos.plan.references import Inherited, looked_in, unresolved_references
from generator.safety import (
    BottomRuleProblem,
    OthersPending,
    OwnershipConflict,
    Safety,
    UnknownReference,
    UnsafePlan,
)


@dataclass
class Change:
    kind: str  # an OBJECT_KINDS value or "rules"
    name: str
    action: str  # create | change | delete | move
    detail: str = ""
    drift: str | None = None  # "edited by NAME" when someone else changed a managed object

    def as_dict(self) -> dict:
        out = {"kind": self.kind, "name": self.name, "action": self.action}
        if self.detail:
            out["detail"] = self.detail
        if self.drift:
            out["drift"] = self.drift
        return out


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)  # push must not start, --force or not
    guards: list[str] = field(default_factory=list)  # push refuses unless --force
    warnings: list[str] = field(default_factory=list)
    diff: Diff = field(default_factory=Diff)
    managed_rules: int = 0
    fragment_rules: int = 0
    kept: dict[str, set[str]] = field(default_factory=dict)  # managed objects left because others use them
    location: str = ""
    refusals: list[UnsafePlan] = field(default_factory=list)  # typed blockers and guards (safety.py)
    pending: PendingState = field(default_factory=PendingState)  # candidate != running (pending.py)
    admin: str | None = None  # the admin whose changes push commits (None: unknown)

    def refuse(self, problem: UnsafePlan) -> None:
        """Record a problem found while planning: typed for safety.py, as text for the reports."""
        self.refusals.append(problem)
        (self.guards if problem.forceable else self.blockers).append(problem.reason)

    @property
    def has_changes(self) -> bool:
        return not self.diff.is_empty()

    def counts(self) -> dict[str, int]:
        out = {"create": 0, "change": 0, "delete": 0, "move": 0, "drift": 0}
        for c in self.changes:
            out[c.action] += 1
            out["drift"] += bool(c.drift)
        return out

    def counts_text(self) -> str:
        c = self.counts()
        return (f"{c['create']} to create, {c['change']} to change, {c['delete']} to delete, "
                f"{c['move']} to move")


def _changed_fields(want: etree._Element, have: etree._Element, kind: str) -> str:
    """Which top-level fields of an entry differ (`source, service`): enough for a review."""
    def fields(el: etree._Element) -> dict[str, str]:
        out: dict[str, str] = {}
        for child in el:
            if isinstance(child.tag, str):
                out[child.tag] = out.get(child.tag, "") + canonical_text(child)
        return out

    a, b = fields(want), fields(have)
    names = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k)
                   and (k in a or not added_by_device(kind, k, b[k])))
    return ", ".join(names)


def others_listing(others: list[Pending]) -> str:
    """`rule 'a', address 'b' and 3 more`: the pending objects of other admins, for a message."""
    listed = ", ".join(f"{KIND_LABEL[p.kind]} {p.name!r}" for p in others[:5])
    return listed + (f" and {len(others) - 5} more" if len(others) > 5 else "")


def operator_references(device: DeviceConfig, tag: str,
                        owned: dict[str, dict[str, etree._Element]] | None = None) -> dict[str, set[str]]:
    """Names used by objects awspan does not own -> who uses them (`rule 'x'`).

    `owned`: the managed entries per kind when the caller has them (saves a tag check per entry).
    """
    users: dict[str, set[str]] = {}
    for kind, paths in REFERENCE_PATHS.items():
        mine = owned.get(kind) if owned is not None else None
        for name, entry in device.entries(kind).items():
            if (name in mine) if mine is not None else tagged_with(entry, tag):
                continue
            for path in paths:
                for m in entry.iterfind(path):
                    users.setdefault((m.text or "").strip(), set()).add(f"{KIND_LABEL[kind]} {name!r}")
    return users


def build_plan(fragment: FragmentView, device: DeviceConfig, *, tag: str, bottom_rule: str,
               max_delete_percent: float | None = None, admin: str | None,
               safety: Safety | None = None, running: DeviceConfig | None = None,
               inherited: Callable[[], Inherited] | None = None) -> Plan:
    """Compare the fragment with the candidate's managed objects (and, given `running`, find
    what is pending). `safety` holds the guards' thresholds; `max_delete_percent` alone means
    a guard without a floor (the callers that predate safety.min_existing). `inherited` reads
    what the location inherits (shared, ancestors) when a name push writes is missing from the
    fragment and the location (references.py); without it names are not checked (no firewall)."""
    if safety is None:
        safety = Safety(max_delete_percent=30.0 if max_delete_percent is None else max_delete_percent,
                        min_existing=0)
    plan = Plan(location=fragment.location.describe(), fragment_rules=len(fragment.rules), admin=admin)
    desired = desired_entries(fragment)

    # Scope: what awspan may touch. Tags are containers of ownership, never deleted.
    scope: dict[str, set[str]] = {}
    owned = {kind: tagged_entries(device, kind, tag) for kind in KINDS}  # once, in one pass per kind
    for kind in KINDS:
        managed = set() if kind == "tag" else set(owned[kind])
        scope[kind] = managed | set(desired[kind])
        entries = device.entries(kind)  # once: for rules it is built from the list
        for name in desired[kind]:
            have = entries.get(name)
            if have is not None and kind != "tag" and name not in owned[kind]:
                plan.refuse(OwnershipConflict(
                    f"{KIND_LABEL[kind]} {name!r} exists on the firewall without the tag {tag!r}: it is "
                    "not awspan's, and push will not overwrite it (rename one of them, or tag it "
                    f"{tag!r} to hand it over)"))

    names = device.rule_names
    bottom = device.rule(bottom_rule)
    if bottom is None:
        plan.refuse(BottomRuleProblem(f"the bottom rule {bottom_rule!r} (rules.bottom_rule) is not in the "
                                      f"rulebase of {plan.location}: awspan places its rules directly "
                                      "above it"))
    elif tagged_with(bottom, tag) or bottom_rule in desired["rules"]:
        plan.refuse(BottomRuleProblem(f"the bottom rule {bottom_rule!r} carries the tag {tag!r} or is in the "
                                      "fragment; it must be an operator's rule"))

    d = diff_objects(desired, device, scope)
    # An operator's rule or group may have started to use one of awspan's objects: deleting it
    # would fail the whole batch (PAN-OS refuses to delete a referenced object), so it stays.
    users = operator_references(device, tag, owned)
    for kind in OBJECT_KINDS:
        for name in [n for n in d.deletes[kind] if n in users]:
            d.deletes[kind].remove(name)
            plan.kept.setdefault(kind, set()).add(name)
            plan.warnings.append(f"{KIND_LABEL[kind]} {name!r} is no longer in the fragment but "
                                 f"{', '.join(sorted(users[name])[:3])} (not awspan's) use it: left in place")
    if inherited is not None:  # what PAN-OS would refuse: a name push writes that nothing defines
        where = looked_in(fragment.location)
        for problem in unresolved_references(fragment, device, d.upserts, inherited, deleted=d.deletes):
            if problem.doubt:
                plan.warnings.append(f"{problem.describe(where)} (not refused: {problem.doubt}, and it may "
                                     "be in an ancestor)")
            else:
                plan.refuse(UnknownReference(problem.describe(where)))
    managed_rules = owned["rules"]
    plan.managed_rules = len(managed_rules)
    for problem in safety.guards(len(managed_rules), len(d.deletes["rules"]), len(fragment.rules)):
        plan.refuse(problem)
    if running is not None:
        plan.pending = find_pending(device, running, tag, scope, admin)
        others = plan.pending.others(admin)
        if others:
            who = sorted({a for p in others for a in p.admins if a != admin})
            plan.refuse(OthersPending(
                f"{', '.join(who)} has uncommitted changes to awspan's objects ({others_listing(others)}): "
                "awspan's partial commit would leave them pending; ask them to commit or revert first"))

    if not [r for r in plan.refusals if not r.forceable and not isinstance(r, OthersPending)]:
        current = rule_order_after(device, d)
        unmanaged = [n for n in current if n not in desired["rules"]]
        at = unmanaged.index(bottom_rule)
        target = unmanaged[:at] + fragment.rule_names + unmanaged[at:]
        d.moves = plan_moves(current, target, desired["rules"])
        d.final_order = apply_moves(current, d.moves)
    else:
        d.final_order = list(names)
    plan.diff = d

    # The human view: one line per object and action.
    for kind in KINDS:
        have = device.entries(kind)
        for name, el in d.upserts[kind].items():
            if name in d.creates[kind]:
                plan.changes.append(Change(kind, name, "create"))
            else:
                plan.changes.append(Change(kind, name, "change", _changed_fields(el, have[name], kind),
                                           _drift(have[name], admin)))
        for name in d.deletes[kind]:
            plan.changes.append(Change(kind, name, "delete", drift=_drift(have[name], admin)))
    created = d.creates["rules"]
    for m in d.moves:
        if m.name not in created:
            plan.changes.append(Change("rules", m.name, "move", m.describe()))
    for kind in KINDS:  # drift on objects push leaves alone is worth a line too
        deleting = set(d.deletes[kind])
        for name in sorted(stamped_names(device, kind) & set(owned[kind])):
            if name in d.upserts[kind] or name in deleting:
                continue
            who = _drift(owned[kind][name], admin)
            if who:
                plan.warnings.append(f"{KIND_LABEL[kind]} {name!r} was {who} but equals the fragment")
    return plan


def _drift(entry: etree._Element, admin: str | None) -> str | None:
    if not admin:
        return None
    others = sorted(edited_by(entry) - {admin})
    return f"edited by {', '.join(others)}" if others else None
