"""Show a plan to people: a terminal (text), a pipeline (json), a pull request (markdown).

The markdown fits a PR comment (GitHub caps one at 65,536 characters): a summary line,
then what stops or needs --force, then one table row per change, cut with a count when
long. Beside the plan it shows the already-allowed decisions generate wrote to
precheck.yaml (next to the fragment): rules left out because the firewall already allows
their traffic, or reported because an operator's deny rule blocks it. A reviewer needs
both to judge the change.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from generator.errors import AwspanError
from generator.panos.diff import KIND_LABEL, Plan
from generator.yamlio import load_yaml_file

MAX_ROWS = 400
ACTION_ORDER = {"delete": 0, "create": 1, "change": 2, "move": 3}


def load_precheck(fragment_path: str | Path) -> dict[str, Any] | None:
    """precheck.yaml beside the fragment, when generate wrote one; None when absent."""
    path = Path(fragment_path).parent / "precheck.yaml"
    if not path.is_file():
        return None
    data = load_yaml_file(path, "precheck file")
    if not isinstance(data, dict) or not isinstance(data.get("decisions", []), list):
        raise AwspanError("expected a mapping with a `decisions` list", where=str(path))
    return {"path": str(path), "decisions": data.get("decisions") or [],
            "warnings": data.get("warnings") or []}


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


def as_dict(plan: Plan, precheck: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "location": plan.location,
        "has_changes": plan.has_changes,
        "summary": plan.counts(),
        "managed_rules": plan.managed_rules,
        "fragment_rules": plan.fragment_rules,
        "blockers": plan.blockers,
        "guards": plan.guards,
        "warnings": plan.warnings,
        "changes": [c.as_dict() for c in _sorted_changes(plan)],
        "precheck": precheck,
    }


def render_json(plan: Plan, precheck: dict[str, Any] | None = None) -> str:
    return json.dumps(as_dict(plan, precheck), indent=2, sort_keys=False) + "\n"


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


def _md(text: Any) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def render_markdown(plan: Plan, precheck: dict[str, Any] | None = None) -> str:
    out = [f"### awspan plan: {_md(plan.location)}", "", f"**{_md(_summary(plan))}**", ""]
    if plan.blockers:
        out += ["**Push will fail:**", ""] + [f"- {_md(b)}" for b in plan.blockers] + [""]
    if plan.guards:
        out += ["**Push refuses this without `--force`:**", ""] + [f"- {_md(g)}" for g in plan.guards] + [""]
    if plan.warnings:
        out += [f"- warning: {_md(w)}" for w in plan.warnings] + [""]
    changes = _sorted_changes(plan)
    if changes:
        out += ["| action | kind | name | detail |", "|---|---|---|---|"]
        for c in changes[:MAX_ROWS]:
            detail = c.detail + (f" **drift: {c.drift}**" if c.drift else "")
            out.append(f"| {c.action} | {KIND_LABEL[c.kind]} | `{_md(c.name)}` | {_md(detail)} |")
        if len(changes) > MAX_ROWS:
            out.append(f"| ... | | {len(changes) - MAX_ROWS} more | see `awspan plan --format json` |")
        out.append("")
    if precheck is not None:
        decisions = precheck["decisions"]
        out += ["<details><summary>Already-allowed check: "
                f"{len(decisions)} decision{'s' if len(decisions) != 1 else ''}</summary>", ""]
        if decisions:
            out += ["| rule | verdict | covering rule | reason |", "|---|---|---|---|"]
            for d in decisions[:MAX_ROWS]:
                d = d if isinstance(d, dict) else {"rule": d}
                cov = d.get("covering")
                cov = ", ".join(map(str, cov)) if isinstance(cov, list) else (cov or "")
                out.append(f"| `{_md(d.get('rule', '?'))}` | {_md(d.get('verdict', ''))} | {_md(cov)} | "
                           f"{_md(d.get('reason', ''))} |")
        out += [f"- warning: {_md(w)}" for w in precheck["warnings"]]
        out += ["", "</details>", ""]
    return "\n".join(out)


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown}


def render(plan: Plan, fmt: str, precheck: dict[str, Any] | None = None) -> str:
    return RENDERERS[fmt](plan, precheck)
