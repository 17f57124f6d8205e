"""The short object listing push prints (a CI log), and precheck.yaml beside the fragment.

`awspan plan`'s own formats (what traffic opens and closes; text, markdown, json) are in
plan_render.py. push prints one line per object it writes, what it refuses, and the pending
objects it commits, cut at a limit. precheck.yaml holds the already-allowed decisions
generate made (rules left out because the firewall already allows their traffic, or
reported because an operator's deny rule blocks it); the plan shows them beside its rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from generator.panos.plan.changes import Plan
from generator.panos.plan.diff import KIND_LABEL
from generator.text import count

if TYPE_CHECKING:
    from generator.panos.push.apply import Pushed

PUSH_LISTING = 200
"""Lines of changes push prints (a CI log); `awspan plan --format json` has them all."""


ACTION_ORDER = {"delete": 0, "create": 1, "change": 2, "move": 3}


def _sorted_changes(plan: Plan) -> list:
    return sorted(plan.changes, key=lambda c: (ACTION_ORDER[c.action], c.kind, c.name))


def _summary(plan: Plan) -> str:
    c = plan.counts()
    if not plan.has_changes and plan.pending:
        text = (f"no object to write, but {len(plan.pending.items)} of awspan's objects are pending "
                "(candidate differs from running): push commits them")
    elif not plan.has_changes:
        text = "no changes: the firewall's managed objects equal the fragment"
    else:
        text = plan.counts_text()
    if c["drift"]:
        text += f" ({c['drift']} edited by hand since awspan wrote them)"
    return text


def _decision_line(d: Any) -> str:
    if not isinstance(d, dict):
        return str(d)
    text = f"{d.get('rule', '?')}: {d.get('verdict', '?')}"
    covering = d.get("covering")
    if covering:
        covering = ", ".join(map(str, covering)) if isinstance(covering, list) else str(covering)
        text += f" by {covering}"
    if d.get("reason"):
        text += f" ({d['reason']})"
    return text


def render_text(plan: Plan, precheck: dict[str, Any] | None = None, limit: int | None = None) -> str:
    out = [f"awspan plan for {plan.location}: {_summary(plan)}"]
    for b in plan.blockers:
        out.append(f"  ERROR: {b}")
    for g in plan.guards:
        out.append(f"  REFUSED without --force: {g}")
    for w in plan.warnings:
        out.append(f"  warning: {w}")
    for p in plan.pending.items[:limit or None]:  # what a commit of the pending state would take
        by = f" by {', '.join(p.admins)}" if p.admins else ""
        out.append(f"  pending: {p.state} {KIND_LABEL[p.kind]} {p.name}{by}")
    sign = {"create": "+", "change": "~", "delete": "-", "move": ">"}
    changes = _sorted_changes(plan)
    if limit is not None and len(changes) > limit:
        out.append(f"  ({len(changes) - limit} more changes not listed: see `awspan plan --format json`)")
        changes = changes[:limit]
    for c in changes:
        line = f"  {sign[c.action]} {c.action:<6} {KIND_LABEL[c.kind]:<13} {c.name}"
        if c.detail:
            line += f"  ({c.detail})"
        if c.drift:
            line += f"  [drift: {c.drift}]"
        out.append(line)
    if precheck is not None:
        out.append(f"already-allowed check ({precheck['path']}): {len(precheck['decisions'])} decisions")
        out += [f"  = {_decision_line(d)}" for d in precheck["decisions"]]
        out += [f"  warning: {w}" for w in precheck["warnings"]]
    return "\n".join(out) + "\n"


def push_report(pushed: Pushed, limit: int | None = None) -> str:
    """What `awspan push` prints: the changes (cut at `limit`), the device, notes, the commit
    job, the devices of a commit-all, and every firewall request of the run."""
    result = pushed.result
    out = [render_text(result.plan, limit=limit).rstrip("\n")]
    if result.system is not None:
        out.append(f"  device: {result.system.describe()}")
    out += [f"  {note}" for note in result.notes]
    if result.job is not None:
        job = result.job
        detail = "; ".join(job.details)
        out.append(f"  commit job {job.id}: {job.status}/{job.result}" + (f": {detail}" if detail else ""))
    out += [f"  device {device.describe()}" for device in result.devices]
    keygen = " (1 of them keygen)" if pushed.keygen else ""
    out.append(f"  {count(pushed.requests, 'firewall request')}{keygen}")
    return "\n".join(out) + "\n"
