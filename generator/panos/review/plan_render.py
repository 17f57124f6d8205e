"""Text, markdown and JSON views of the plan document (plan/document.py).

One set of lines per change feeds both the terminal and the pull request, so they say the
same thing. The markdown is a PR body: the summary table first, the openings widest
first, then one collapsible `<details>` section per change, cut before GitHub's 65,536
character limit with "N more changes: see the JSON plan". AWS strings (descriptions,
Name tags) go into fenced blocks with backticks replaced, and into `<summary>` escaped,
so a Name tag cannot inject markdown or HTML into the body.
"""

from __future__ import annotations

import html
import json
from typing import Any

from generator.panos.plan.diff import KIND_LABEL
from generator.panos.review.fleet_render import devices_lines, fleet_membership_lines

MD_LIMIT = 60_000
"""Characters the markdown may use: GitHub's 65,536 minus room for the cut line and a workflow's own
header."""
MD_OPENINGS = 50
SIGN = {"create": "+", "delete": "-", "change": "~", "affected": "*", "move": ">"}


def render_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _list(values: Any) -> str:
    if isinstance(values, list):
        return "[" + ", ".join(map(str, values)) + "]"
    return "(none)" if values is None else repr(values) if values == "" else str(values)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def headline(doc: dict[str, Any]) -> str:
    s = doc["summary"]
    if not s["has_changes"]:
        return "no changes: the firewall's managed objects equal the fragment and nothing is pending"
    parts = [f"rules: {s['rules_opened']} opened, {s['rules_closed']} closed, {s['rules_changed']} changed"]
    if s["rules_affected"]:
        parts[0] += f", {s['rules_affected']} affected by object changes"
    parts.append(f"flows: {s['flows_opened']} opened, {s['flows_closed']} closed")
    if s["pending"]:
        parts.append(f"{s['pending']} pending (uncommitted)")
    return "; ".join(parts)


def _objects_line(doc: dict[str, Any]) -> str:
    o = doc["summary"]["objects"]
    text = (f"objects: {o['create']} to create, {o['change']} to change, {o['delete']} to delete, "
            f"{o['move']} to move")
    if doc["summary"]["drift"]:
        text += f" ({doc['summary']['drift']} edited by another admin, not yet committed)"
    return text


def _address(a: dict[str, Any]) -> str:
    if a.get("instance"):
        who = a["instance"] + (f" ({a['instance_name']})" if a.get("instance_name") else "")
        return f"{who} {a['ip']}"
    return str(a["ip"])


def _origin(o: dict[str, Any]) -> str:
    sgs = ", ".join(g["id"] + (f" ({g['name']})" if g.get("name") else "") for g in o["security_groups"])
    where = [x for x in (o.get("vpc"), o.get("account") and f"account {o['account']}", o.get("region")) if x]
    if not sgs and not where:
        return str(o.get("note") or "")
    text = (f"security group {sgs}" if sgs else "") + (" in " + ", ".join(where) if where else "")
    if o.get("instance"):
        text = f"instance {o['instance']}" + (f" ({o['instance_name']})" if o.get("instance_name") else "") \
            + "; " + text
    return text


def _source(s: dict[str, Any]) -> str:
    line = f"source {s['value']}"
    if s["prefix_lists"]:
        line += "  (" + ", ".join(str(p["id"]) + (f" {p['name']}" if p.get("name") else "")
                                  for p in s["prefix_lists"]) + ")"
    return line + ("  [ANY SOURCE]" if s["any"] else "")


def view_lines(v: dict[str, Any]) -> list[str]:
    """What one rule allows, a few lines."""
    out = [f"from {', '.join(v['from'])} to {', '.join(v['to'])}"
           + ("" if v["action"] == "allow" else f"  (action {v['action']})")
           + ("  (disabled)" if v["disabled"] else "")]
    origin = _origin(v["origin"])
    if origin:
        out.insert(0, f"origin: {origin}")
    out += [_source(s) for s in v["sources"]]
    for d in v["destinations"]:
        addrs = [_address(a) for a in d["addresses"]]
        if len(addrs) == 1 and addrs[0] == d["member"]:
            out.append(f"destination {d['member']}")
        else:
            out.append(f"destination {d['member']} -> " + (", ".join(addrs) if addrs else "(no members)"))
    ports = [p for s in v["services"] for p in s["ports"]]
    out.append(f"application {', '.join(v['applications'])}; service {', '.join(ports)}")
    return out


def change_lines(r: dict[str, Any]) -> tuple[str, list[str]]:
    """(title, body lines) of one rule change."""
    title = f"{SIGN[r['action']]} {r['action']} rule {r['name']}"
    body: list[str] = []
    if r["action"] == "move":
        return title + f" ({r['move']})", body
    flows = []
    if r["flows_opened"]:
        flows.append(f"{_plural(r['flows_opened'], 'flow')} opened")
    if r["flows_closed"]:
        flows.append(f"{_plural(r['flows_closed'], 'flow')} closed")
    if flows:
        title += " (" + ", ".join(flows) + ")"
    view = r["after"] or r["before"]
    if view and any(s["any"] for s in view["sources"]) and r["flows_opened"]:
        title += " [ANY SOURCE]"
    if r["action"] in ("create", "delete"):
        body += view_lines(view)
    else:
        if r["action"] == "affected":
            body.append(f"through changed objects: {', '.join(r['via'])}")
        origin = _origin(r["after"]["origin"])
        if origin:
            body.append(f"origin: {origin}")
        for f in r.get("fields", []):
            body.append(f"~ {f['field']}: {_list(f['before'])} -> {_list(f['after'])}")
        before = {_address(a) for d in r["before"]["destinations"] for a in d["addresses"]}
        after = {_address(a) for d in r["after"]["destinations"] for a in d["addresses"]}
        body += [f"+ destination {a}" for a in sorted(after - before)]
        body += [f"- destination {a}" for a in sorted(before - after)]
        old_src = {s["value"] for s in r["before"]["sources"]}
        body += [f"+ {_source(s)}" for s in r["after"]["sources"] if s["value"] not in old_src]
    if r.get("drift"):
        body.append(f"drift: {r['drift']}")
    for dec in r.get("verdicts", []):
        body.append(f"verdict: {_verdict(dec)}")
    return title, body


def object_lines(o: dict[str, Any]) -> tuple[str, list[str]]:
    title = f"{SIGN[o['action']]} {o['action']} {KIND_LABEL[o['kind']]} {o['name']}"
    body: list[str] = []
    if o["action"] in ("create", "delete"):
        value = o["value"]
        resolved = value.get("resolved")
        if isinstance(resolved, dict):
            body.append(f"address: {_address(resolved)}")
        elif isinstance(resolved, list):
            body += [f"member: {_address(a)}" for a in resolved]
        body += [f"{k}: {_list(v)}" for k, v in value.items() if k not in ("resolved", "static")]
    else:
        for a in o.get("members_added", []):
            body.append(f"+ member {a['name']}: {_address(a)}")
        for a in o.get("members_removed", []):
            body.append(f"- member {a['name']}: {_address(a)}")
        for f in o["fields"]:
            if o["kind"] == "address-group" and f["field"] == "static":
                continue
            body.append(f"~ {f['field']}: {_list(f['before'])} -> {_list(f['after'])}")
    if o.get("drift"):
        body.append(f"drift: {o['drift']}")
    return title, body


def _status_lines(doc: dict[str, Any]) -> list[str]:
    out = []
    for b in doc["blockers"]:
        out.append(f"ERROR (push will refuse): {b}")
    for g in doc["guards"]:
        out.append(f"REFUSED without --force: {g}")
    for ours, head in ((True, "push commits them"), (False, "another admin's, in the way")):
        items = [p for p in doc["pending"] if p["ours"] is ours]
        if not items:
            continue
        verb = "differs" if len(items) == 1 else "differ"
        out.append(f"PENDING: {_plural(len(items), 'awspan object')} {verb} between the candidate and the "
                   f"running config (not yet committed): {head}")
        for p in items[:20]:
            by = f" by {', '.join(p['admins'])}" if p["admins"] else ""
            out.append(f"  {p['state']} {KIND_LABEL[p['kind']]} {p['name']}{by}")
            out += [f"    ~ {f['field']}: {_list(f['before'])} -> {_list(f['after'])}" for f in p["fields"]]
        if len(items) > 20:
            out.append(f"  ... {len(items) - 20} more: see the JSON plan")
    out += [f"warning: {w}" for w in doc["warnings"]]
    return out


def _sources(e: dict[str, Any]) -> str:
    return ", ".join(e["sources"][:5]) + (f" (+{len(e['sources']) - 5})" if len(e["sources"]) > 5 else "")


def _exposure(e: dict[str, Any]) -> str:
    flag = "  [ANY SOURCE]" if e["any_source"] else ""
    return f"{e['rule']}: {_plural(e['flows'], 'flow')} from {_sources(e)}{flag}"


def _precheck_rest(doc: dict[str, Any]) -> tuple[list[dict], list[str]]:
    pc = doc.get("precheck") or {}
    shown = {r["name"] for r in doc["rules"]}
    return ([d for d in pc.get("decisions", []) if not (isinstance(d, dict) and d.get("rule") in shown)],
            list(pc.get("warnings", [])))


def _verdict(d: dict[str, Any]) -> str:
    """`partial (blocked in part by block-known-bad; kept whole)`: the covering rules are named
    once, by the reason when it names them, else after the verdict."""
    covering = d.get("covering")
    if not isinstance(covering, list):
        covering = [covering] if covering else []
    names = [str(c) for c in covering]
    reason = str(d.get("reason") or "")
    text = str(d.get("verdict", "?"))
    if names and not all(n in reason for n in names):
        text += f" by {', '.join(names)}"
    return text + (f" ({reason})" if reason else "")


def _decision(d: Any) -> str:
    if not isinstance(d, dict):
        return str(d)
    return f"{d.get('rule', '?')}: {_verdict(d)}"


MEMBERSHIP_LINES = 200
"""Registration lines shown in text and markdown; the JSON plan and registrations.yaml hold all."""


def membership_lines(m: dict[str, Any], limit: int = MEMBERSHIP_LINES) -> list[str]:
    """Membership dynamic: the User-ID registrations push would send (no commit needed)."""
    if "devices" in m:  # Panorama: each firewall's own (fleet_render.py)
        return fleet_membership_lines(m, limit)
    reg, unreg = m["register"], m["unregister"]
    if not reg and not unreg:
        return ["membership (User-ID registrations): the firewall holds exactly registrations.yaml"]
    lines = [f"  + register {e['ip']} {e['who'] or ''}: {', '.join(e['tags'])}" for e in reg]
    gone = "(not in registrations.yaml: stopped, gone, or registered by hand)"
    lines += [f"  - unregister {e['ip']} {e['who'] or gone}: {', '.join(e['tags'])}" for e in unreg]
    tags_in, tags_out = sum(len(e["tags"]) for e in reg), sum(len(e["tags"]) for e in unreg)
    head = (f"membership (User-ID registrations, no commit): {tags_in} tag(s) to register, "
            f"{tags_out} to unregister")
    more = len(lines) - limit
    return [head, *lines[:limit]] + ([f"  and {more} more: see the JSON plan"] if more > 0 else [])


def render_text(doc: dict[str, Any]) -> str:
    out = [f"awspan plan for {doc['location']}: {headline(doc)}", f"  {_objects_line(doc)}"]
    if doc.get("device"):
        out.append(f"  device: {doc['device']}")
    if doc.get("devices") is not None:
        out += [f"  {line}" for line in devices_lines(doc["devices"])]
    out += [f"  {line}" for line in _status_lines(doc)]
    if doc["openings"]:
        out.append("opened (widest first):")
        out += [f"  {_exposure(e)}" for e in doc["openings"]]
    if doc["closings"]:
        out.append("closed:")
        out += [f"  {_exposure(e)}" for e in doc["closings"]]
    for title, body in [change_lines(r) for r in doc["rules"]] + [object_lines(o) for o in doc["objects"]]:
        out.append(title)
        out += [f"    {line}" for line in body]
    decisions, warnings = _precheck_rest(doc)
    if doc.get("precheck") is not None:
        out.append(f"already-allowed check ({doc['precheck'].get('path', 'precheck.yaml')}): "
                   f"{_plural(len(doc['precheck'].get('decisions', [])), 'decision')}")
        out += [f"  = {_decision(d)}" for d in decisions]
        out += [f"  warning: {w}" for w in warnings]
    if doc.get("membership") is not None:
        out += membership_lines(doc["membership"])
    return "\n".join(out) + "\n"


def _cell(text: Any) -> str:
    return (html.escape(str(text), quote=False).replace("|", "\\|").replace("\n", " ")
            .replace("`", "'").replace("*", "\\*").replace("_", "\\_"))


def _block(lines: list[str]) -> list[str]:
    return ["```text", *(line.replace("`", "'") for line in lines), "```"]


def render_markdown(doc: dict[str, Any]) -> str:
    s = doc["summary"]
    out = [f"### awspan plan: {_cell(doc['location'])}", "", f"**{_cell(headline(doc))}**", ""]
    if doc.get("device"):
        out += [f"device: {_cell(doc['device'])}", ""]
    if doc.get("devices") is not None:
        head, *rows = devices_lines(doc["devices"])
        out += [_cell(head), "", *(f"- {_cell(row.strip())}" for row in rows), ""]
    if s["has_changes"]:
        out += ["| | rules | flows |", "|---|---:|---:|",
                f"| opened | {s['rules_opened']} | {s['flows_opened']} |",
                f"| closed | {s['rules_closed']} | {s['flows_closed']} |",
                f"| changed | {s['rules_changed']} | |",
                f"| affected by group/address changes | {s['rules_affected']} | |",
                f"| moved | {s['rules_moved']} | |", "",
                f"{_cell(_objects_line(doc))}; pending: {s['pending']}", ""]
    status = _status_lines(doc)
    if status:
        indent = {0: "- ", 2: "  - ", 4: "    - "}
        out += [indent[min(4, len(line) - len(line.lstrip()))] + _cell(line.strip()) for line in status]
        out.append("")
    if s["any_source_openings"]:
        out += [f"**:warning: {_plural(s['any_source_openings'], 'opening')} from any source "
                "(any, 0.0.0.0/0 or ::/0)**", ""]
    for label, rows in (("Opened", doc["openings"]), ("Closed", doc["closings"])):
        if not rows:
            continue
        out += [f"#### {label} (widest first)", "", "| rule | flows | sources | any source |",
                "|---|---:|---|---|"]
        for e in rows[:MD_OPENINGS]:
            src = _sources(e)
            out.append(f"| `{_cell(e['rule'])}` | {e['flows']} | {_cell(src)} | "
                       f"{'**yes**' if e['any_source'] else ''} |")
        if len(rows) > MD_OPENINGS:
            out.append(f"| {len(rows) - MD_OPENINGS} more | | see the JSON plan | |")
        out.append("")
    sections = [change_lines(r) for r in doc["rules"]] + [object_lines(o) for o in doc["objects"]]
    decisions, warnings = _precheck_rest(doc)
    tail: list[str] = []
    if doc.get("precheck") is not None and (decisions or warnings):
        lines = [_decision(d) for d in decisions] + [f"warning: {w}" for w in warnings]
        tail = [f"<details><summary>Already-allowed check: {_plural(len(decisions), 'other decision')}"
                "</summary>", "", *_block(lines), "", "</details>", ""]
    if doc.get("membership") is not None:
        head, *lines = membership_lines(doc["membership"])
        tail += [f"<details><summary>{html.escape(head)}</summary>", "", *_block(lines), "", "</details>", ""]
    size = sum(len(line) + 1 for line in out) + sum(len(line) + 1 for line in tail)
    for i, (title, body) in enumerate(sections):
        piece = [f"<details><summary>{html.escape(title)}</summary>", ""]
        piece += (_block(body) if body else []) + ["", "</details>", ""]
        cost = sum(len(line) + 1 for line in piece)
        if size + cost > MD_LIMIT:
            out += ["", f"**{len(sections) - i} more changes: see the JSON plan** "
                    "(`awspan plan --format json`)", ""]
            break
        out += piece
        size += cost
    out.append("")
    return "\n".join(out + tail)


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown}
