"""The plan as a pull-request body: markdown, under GitHub's 65,536 characters whatever the estate.

Layout: the headline and a summary table (the counts always cover everything), where the full
plan is, what push would refuse, then one section each for the destinations whose flows change,
the openings and the closings (widest first), the changes (one collapsible `<details>` each),
the User-ID registrations and the already-allowed check. Each section has its own cap in
characters (CAPS; the changes take what the others leave of MD_LIMIT), so a huge section cannot
push the others out; what a cap cuts is said with counts, and the body says where the full plan
is. AWS strings are Data (markup.py): code spans in prose and tables, `<code>` in summaries,
fenced blocks no line can close, visible escapes everywhere: no link, mention, issue reference,
HTML or extra line can come from AWS data (tests/panos/test_plan_hostile.py renders it with
cmark-gfm to check).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from generator.panos.review import fleet_render as F
from generator.panos.review import lines as L
from generator.panos.review.markup import Data, Line, Message, as_html, as_markdown, code_block, text_lines

MD_LIMIT = 60_000
"""Characters the body may use: GitHub's 65,536 less room for a workflow's own header."""
CAPS = {"status": 6_000, "destinations": 5_000, "openings": 7_000, "closings": 7_000, "membership": 4_000,
        "precheck": 3_000}
"""Characters each section may use; the changes take the rest (at least 24,000)."""
DETAILS_BODY = 3_000
"""Characters of one change's code block; the rest of it is counted."""
FOOTER = 1_000
"""Room kept for the closing lines (where the full plan is)."""
DEFAULT_FULL_PLAN = "the JSON plan: run `awspan plan --format json` where the firewall is reachable"


def _size(lines: list[str]) -> int:
    """Characters as GitHub may count them (UTF-16 code units: an emoji is two), newlines included."""
    return sum(len(line) + 1 + sum(1 for c in line if c > "\uffff") for line in lines)


def _fit(pieces: list[list[str]], budget: int, more: Callable[[int], list[str]]) -> tuple[list[str], int]:
    """Whole pieces while they fit in `budget`, keeping room for the lines that count the rest;
    (lines, pieces cut)."""
    reserve = _size(more(len(pieces)))
    out: list[str] = []
    used = 0
    for i, piece in enumerate(pieces):
        cost = _size(piece)
        if used + cost + reserve > budget:
            return out + more(len(pieces) - i), len(pieces) - i
        out += piece
        used += cost
    return out, 0


def _block(lines: list[Line], budget: int = DETAILS_BODY) -> list[str]:
    """Lines as a fenced code block of at most `budget` characters."""
    shown, _ = _fit([[t] for t in text_lines(lines)], budget,
                    lambda n: [f"... {n} more lines: see the full plan"] if n else [])
    return code_block(shown)


def _table(head: list[str], rows: list[list[Line]], budget: int, what: str) -> list[str]:
    if not rows:
        return []
    cells = [("| " + " | ".join(as_markdown(c, table=True) for c in row) + " |") for row in rows]
    header = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    def more(n: int) -> list[str]:
        return [f"| {n} more {what}: see the full plan |" + " |" * (len(head) - 1)] if n else []

    body, _ = _fit([[c] for c in cells], budget - _size(header), more)
    return header + body


def _details(title: Line, body: list[Line]) -> list[str]:
    return [f"<details><summary>{as_html(title)}</summary>", "", *(_block(body) if body else []), "",
            "</details>", ""]


def _heading(text: str, lines: list[str]) -> list[str]:
    return [f"#### {text}", "", *lines, ""] if lines else []


def _status(doc: dict[str, Any]) -> list[str]:
    status = L.status_lines(doc)
    if not status:
        return []
    if doc["blockers"] or doc["guards"]:
        head = "**:no_entry: push would refuse this plan**"
    elif L.switch_line(doc):
        head = "**:warning: the membership mode changes**"
    else:
        head = "**Pending changes and warnings**"
    return [head, "", *_block(status, CAPS["status"] - 200), ""]


def _summary_table(s: dict[str, Any]) -> list[str]:
    return ["| | rules | flows | destinations |", "|---|---:|---:|---:|",
            f"| opened | {s['rules_opened']} | {s['flows_opened']} | {s['destinations_opened']} |",
            f"| closed | {s['rules_closed']} | {s['flows_closed']} | {s['destinations_closed']} |",
            f"| changed | {s['rules_changed']} | | |",
            f"| affected by object or registration changes | {s['rules_affected']} | | |",
            f"| moved | {s['rules_moved']} | | |", ""]


def render_markdown(doc: dict[str, Any], full_plan: str | None = None) -> str:
    """The PR body. `full_plan`: markdown saying where the full plan is (the workflow's committed
    out/plan.json, a link); the body names it at the top and wherever a cap cut something."""
    s = doc["summary"]
    where = full_plan or DEFAULT_FULL_PLAN
    head = [f"### awspan plan: {as_markdown((Data(doc['location']),))}", "",
            f"**{as_markdown(L.headline(doc))}**", ""]
    if doc.get("device"):
        head += [f"device: {as_markdown((Data(doc['device']),))}", ""]
    if doc.get("devices") is not None:
        first, *rows = F.devices_lines(doc["devices"])
        head += [as_markdown(first), "", *(f"- {as_markdown(row[1:])}" for row in rows), ""]
    if s["has_changes"]:
        regs = s.get("registrations") or {"register": 0, "unregister": 0}
        head += _summary_table(s)
        head += [f"{as_markdown(L.objects_line(doc))}; registrations: {regs['register']} to register, "
                 f"{regs['unregister']} to unregister; pending: {s['pending']}", ""]
    head += [f"Full plan (nothing cut): {where}", ""]
    head += _status(doc)
    if s["any_source_openings"]:
        head += [f"**:warning: {L.plural(s['any_source_openings'], 'opening')} from any source "
                 "(any, 0.0.0.0/0 or ::/0)**", ""]

    dests = _heading("Destinations whose flows change", _table(
        ["destination", "opened", "closed", "rules"],
        [[L.address(d), (str(d["flows_opened"]),), (str(d["flows_closed"]),), _values(d["rules"])]
         for d in doc["destinations"]],
        CAPS["destinations"], "destinations"))
    sections = [dests]
    for label, key in (("Opened (widest first)", "openings"), ("Closed (widest first)", "closings")):
        sections.append(_heading(label, _table(
            ["rule", "flows", "sources", "destinations", "services", "any source"],
            [[(Data(e["rule"]),), (str(e["flows"]),), _values(e["sources"]), L.addresses(e["destinations"]),
              _values(e["services"]), (":warning: yes" if e["any_source"] else "",)] for e in doc[key]],
            CAPS[key], "rules")))
    tail = _membership(doc) + _precheck(doc)
    used = _size(head) + sum(map(_size, sections)) + _size(tail) + FOOTER
    changes = [_details(L.rule_title(r), L.rule_body(r)) for r in doc["rules"]]
    changes += [_details(L.object_title(o), L.object_body(o)) for o in doc["objects"]]
    listed, cut = _fit(changes, MD_LIMIT - used, lambda n: [
        f"**{n} more changes not shown here (this body stays under GitHub's limit)**: see the full plan", ""]
        if n else [])
    body = head + [line for sec in sections for line in sec]
    if changes:
        body += [f"#### Changes ({len(changes)})", "", *listed]
    body += tail
    if cut or any("more " in line and "see the full plan" in line for line in body):
        body += ["", f"Some sections above were cut to fit: the full plan is {where}"]
    return "\n".join(body) + "\n"


def _values(values: list[str]) -> Line:
    shown = L.join((Data(v),) for v in values[:L.ROW_VALUES])
    return shown + ((f" and {len(values) - L.ROW_VALUES} more",) if len(values) > L.ROW_VALUES else ())


def _membership(doc: dict[str, Any]) -> list[str]:
    m = doc.get("membership")
    if m is None:
        return []
    rows = F.membership_lines(m)
    title = F.membership_head(m)
    if not rows:
        return [as_markdown(title), ""]
    return _heading("Membership", [f"<details><summary>{as_html(title)}</summary>", "",
                                   *_block(rows, CAPS["membership"] - 600), "", "</details>"])


def _precheck(doc: dict[str, Any]) -> list[str]:
    decisions, warnings = L.precheck_rest(doc)
    if doc.get("precheck") is None or not (decisions or warnings):
        return []
    rows = [L.decision(d) for d in decisions] + [("warning: ", Message(str(w))) for w in warnings]
    title = (f"{L.plural(len(decisions), 'decision')} about rules not shown above",)
    return _heading("Already-allowed check", [f"<details><summary>{as_html(title)}</summary>", "",
                                              *_block(rows, CAPS["precheck"] - 300), "", "</details>"])
