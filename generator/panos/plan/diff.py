"""The difference between desired and current objects within a scope (changes.py builds the
plan of a push on it).

One function compares a desired set of objects with what the device holds, within a
`scope` of names awspan may touch: forward (fragment vs the candidate's managed objects)
and backward (the config read before a push vs the config after it, for rollback). The
order of the operations in the batch (references first) is batch.py's business; this
module only says *what* differs; why a push must not start (blockers) or must be forced
(guards) is the plan's business (changes.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from generator.kinds import ALL_KINDS, LABELS, REFERENCES
from generator.panos.config.contain import covers
from generator.panos.config.fragment import FragmentView
from generator.panos.config.view import DeviceConfig
from generator.panos.plan.order import Move, apply_moves, plan_moves

KINDS = ALL_KINDS
"""Every kind push manages (generator.kinds); `rules` are the security rules of the location's rulebase."""

KIND_LABEL = LABELS


@dataclass
class Diff:
    """Desired vs current for one scope: the elements to write and the names to delete."""

    upserts: dict[str, dict[str, etree._Element]] = field(default_factory=dict)  # kind -> name -> desired
    creates: dict[str, set[str]] = field(default_factory=dict)
    deletes: dict[str, list[str]] = field(default_factory=dict)
    moves: list[Move] = field(default_factory=list)
    final_order: list[str] = field(default_factory=list)  # the whole rulebase after the batch
    scope: dict[str, set[str]] = field(default_factory=dict)  # the names this diff may touch

    def is_empty(self) -> bool:
        return not (any(self.upserts.values()) or any(self.deletes.values()) or self.moves)


def diff_objects(desired: dict[str, dict[str, etree._Element]], current: DeviceConfig,
                 scope: dict[str, set[str]]) -> Diff:
    """Objects (not rule order) to set/edit and delete so that `current` matches `desired` within scope."""
    d = Diff()
    for kind in KINDS:
        have = current.entries(kind)
        want = desired.get(kind, {})
        ups: dict[str, etree._Element] = {}
        creates: set[str] = set()
        for name, el in want.items():
            old = have.get(name)
            if old is None:
                ups[name] = el
                creates.add(name)
            elif not covers(old, el, kind):  # tolerant of what the device adds
                ups[name] = el
        d.upserts[kind] = ups
        d.creates[kind] = creates
        d.deletes[kind] = [n for n in have if n in scope.get(kind, set()) and n not in want]
    d.scope = {k: set(v) for k, v in scope.items()}
    return d


def rule_order_after(current: DeviceConfig, d: Diff) -> list[str]:
    """The rule order right after the deletes and sets of a batch: new rules land at the bottom."""
    gone = set(d.deletes.get("rules", []))
    order = [n for n in current.rule_names if n not in gone]
    order += [n for n in d.upserts.get("rules", {}) if n in d.creates.get("rules", set())]
    return order


REFERENCE_PATHS = REFERENCES


def desired_entries(fragment: FragmentView) -> dict[str, dict[str, etree._Element]]:
    """The fragment's entries per kind of KINDS (rules by name): the same view as the device's
    (view.py), copied so that a caller may edit its dicts."""
    return {k: dict(fragment.entries(k)) for k in KINDS}


def restore_diff(before: DeviceConfig, after: DeviceConfig, scope: dict[str, set[str]]) -> Diff:
    """What puts `after` back to `before` within scope (rollback): objects, then the rule order.

    Raises ValueError when the operator's rules no longer stand in the same order (someone
    else moved them): then no move list can restore the old order without touching them.
    """
    desired = {k: {n: e for n, e in before.entries(k).items() if n in scope.get(k, set())} for k in KINDS}
    d = diff_objects(desired, after, scope)
    current = rule_order_after(after, d)
    d.moves = plan_moves(current, before.rule_names, scope.get("rules", set()))
    d.final_order = apply_moves(current, d.moves)
    return d


def predict(before: DeviceConfig, d: Diff) -> DeviceConfig:
    """The config the batch of `d` leaves behind (used when it cannot be read back)."""
    out = DeviceConfig(location=before.location)
    for kind in KINDS:
        entries = dict(before.entries(kind))
        for name in d.deletes.get(kind, []):
            entries.pop(name, None)
        entries.update(d.upserts.get(kind, {}))
        if kind == "rules":
            out.rules = [entries[n] for n in d.final_order] if d.final_order else list(entries.values())
        else:
            out.objects[kind] = entries
    return out
