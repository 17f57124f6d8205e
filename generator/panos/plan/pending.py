"""Pending state: awspan's objects that differ between the candidate and the running config.

An earlier push whose batch landed but whose commit did not (a timeout, Ctrl-C), or a hand
edit not yet committed, leaves the candidate ahead of running. The fragment may then equal
the candidate, and a plan that compared only those two would say "no changes" while the
firewall enforces something else. So plan and push also read running (one more request)
and compare awspan's objects there: what differs is pending, counted as a change, and push
commits it. A pending change stamped by another admin is in the way (awspan's partial
commit would leave it pending): that is a blocker (safety.OthersPending).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from generator.kinds import ALL_KINDS
from generator.panos.config.canonical import fast_equal, tagged_with
from generator.panos.config.fields import field_changes
from generator.panos.config.view import DeviceConfig

PENDING_KINDS = ALL_KINDS


@dataclass(frozen=True)
class Pending:
    """One managed object whose candidate differs from running."""

    kind: str
    name: str
    state: str  # created | changed | deleted | moved (rules whose order differs) | edited (see below)
    admins: tuple[str, ...] = ()  # who the candidate's stamps name (empty: unknown)
    fields: tuple[dict, ...] = ()  # changed: running -> candidate per field (fields.py)

    def as_dict(self) -> dict:
        return {"kind": self.kind, "name": self.name, "state": self.state, "admins": list(self.admins),
                "fields": list(self.fields)}


@dataclass
class PendingState:
    items: list[Pending] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.items)

    def others(self, admin: str | None) -> list[Pending]:
        """Pending objects stamped by someone other than `admin`."""
        if not admin:
            return []
        return [p for p in self.items if any(a != admin for a in p.admins)]


_ADMINS = etree.XPath("descendant-or-self::*/@admin")


def edited_by(entry: etree._Element) -> set[str]:
    """Admins named on the entry or any node inside it (PAN-OS's per-node `admin` attribute):
    the admins with uncommitted changes there. One compiled XPath: C speed over 20,000 rules."""
    return {str(a) for a in _ADMINS(entry) if a}


_STAMPED = etree.XPath("entry[descendant-or-self::*/@admin]/@name")


def _container(device: DeviceConfig, kind: str) -> etree._Element | None:
    """The element holding the entries of a kind (the rules, the addresses...), or None when empty."""
    first = device.rules[0] if kind == "rules" and device.rules else next(
        iter(device.objects.get(kind, {}).values()), None) if kind != "rules" else None
    return None if first is None else first.getparent()


def stamped_names(device: DeviceConfig, kind: str) -> set[str]:
    """Names of the entries of a kind that carry an `admin` stamp anywhere (uncommitted edits)."""
    node = _container(device, kind)
    return set() if node is None else {str(n) for n in _STAMPED(node)}


def tagged_entries(device: DeviceConfig, kind: str, tag: str) -> dict[str, etree._Element]:
    """device.managed(kind, tag), by one pass over the container's `entry/tag/member` elements
    instead of a tag check per entry (the same answer: a member whose stripped text is `tag`)."""
    node = _container(device, kind)
    if node is None:
        return {}
    entries = device.entries(kind)
    if len(node.findall("entry")) != len(entries):  # entries of several containers (a built config)
        return device.managed(kind, tag)
    out: dict[str, etree._Element] = {}
    for m in node.iterfind("entry/tag/member"):
        if (m.text or "").strip() == tag:
            name = m.getparent().getparent().get("name")
            if name in entries:
                out[name] = entries[name]
    return {n: e for n, e in entries.items() if n in out}  # device order, as managed() gives


def _same_container(candidate: DeviceConfig, running: DeviceConfig, kind: str) -> bool:
    """Byte-identical containers: nothing of this kind is pending (settles 20,000 rules in one call)."""
    a, b = _container(candidate, kind), _container(running, kind)
    if a is None or b is None or a is b:  # the same tree: the device answered both reads alike
        return a is b
    if len(a.findall("entry")) != len(candidate.entries(kind)) or len(b.findall("entry")) != len(
            running.entries(kind)):
        return False  # entries of several containers (a built config): compare them one by one
    return etree.tostring(a, with_tail=False) == etree.tostring(b, with_tail=False)


def _stamps(entry) -> tuple[str, ...]:  # noqa: ANN001 - an lxml element
    return tuple(sorted(edited_by(entry)))


def find_pending(candidate: DeviceConfig, running: DeviceConfig, tag: str,
                 names: dict[str, set[str]], admin: str | None = None) -> PendingState:
    """Compare awspan's objects (named in `names`: the candidate's tagged ones and the fragment's;
    or tagged in running) between two configs.

    An object equal on both sides but stamped by `admin` (awspan's own, e.g. deleted and set
    back by an interrupted run) is pending too (state `edited`): PAN-OS still holds it as
    a change of that admin, and push commits it so that the next plan is clean.
    """
    out = PendingState()
    order_scope: set[str] = set()
    for kind in PENDING_KINDS:
        if kind == "rules":
            order_scope = set(names.get(kind, ()))
        if _same_container(candidate, running, kind):
            continue
        cand, run = candidate.entries(kind), running.entries(kind)
        scope = set(names.get(kind, ()))
        scope |= {n for n, e in run.items() if n not in scope and tagged_with(e, tag)}  # gone from candidate
        if kind == "rules":
            order_scope = scope
        mine = stamped_names(candidate, kind) if admin else set()
        for name in sorted(scope):
            c, r = cand.get(name), run.get(name)
            if c is None and r is None:
                continue
            if fast_equal(c, r):
                if name in mine and admin in _stamps(c):
                    out.items.append(Pending(kind, name, "edited", _stamps(c)))
                continue
            state = "created" if r is None else "deleted" if c is None else "changed"
            fields = tuple(field_changes(r, c)) if state == "changed" else ()
            out.items.append(Pending(kind, name, state, _stamps(c) if c is not None else (), fields))
    # Order: a rule whose neighbour above differs between candidate and running was moved
    # (one move names the rule and the one now below it, not every rule after it).
    listed = {p.name for p in out.items if p.kind == "rules"}
    both = set(candidate.rule_names) & set(running.rule_names)
    cand_rel = [n for n in candidate.rule_names if n in both]
    run_rel = [n for n in running.rule_names if n in both]
    if cand_rel != run_rel:
        cand_rules = candidate.entries("rules")
        above_run = {n: (run_rel[i - 1] if i else None) for i, n in enumerate(run_rel)}
        for i, name in enumerate(cand_rel):
            above = cand_rel[i - 1] if i else None
            if name in order_scope and name not in listed and above_run.get(name) != above:
                out.items.append(Pending("rules", name, "moved", _stamps(cand_rules[name])))
                listed.add(name)
    return out
