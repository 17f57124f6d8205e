"""What the plan document says, as lines of awspan's words and Data (markup.py): one source for the
text plan, the markdown plan and push's summary, so they never say different things.

Signs: `+` create / opened / added, `-` delete / closed / removed, `~` change, `*` affected (an
unchanged rule whose traffic changes through a changed group, address, service or registration),
`>` move. Body lines of a changed rule start with their own sign, or two spaces for the unchanged
context (zones, sources, destinations, service) shown beside what changed.
"""

from __future__ import annotations

from typing import Any

from generator.kinds import LABELS
from generator.panos.review.markup import Data, Line, Message, join
from generator.text import count

SIGN = {"create": "+", "delete": "-", "change": "~", "affected": "*", "move": ">"}
CONTEXT = 10
"""Unchanged sources or destinations shown beside a change (the rest are counted)."""
HEADLINE_NAMES = 2
"""Destinations named in the headline per direction (opened to, closed to)."""
ROW_VALUES = 3
"""Sources or destinations named in one opened/closed row."""
VIEW_FIELDS = frozenset({"from", "to", "source", "destination", "application", "service", "action",
                         "disabled"})
"""Rule fields a rule view shows resolved; any other changed field is shown before -> after."""


def plural(n: int, word: str) -> str:
    """`1 flow`, `2 flows`, `3 addresses`."""
    return count(n, word)


def value(v: Any) -> Line:
    """A field's value: a list of members, a text, or none."""
    if isinstance(v, list):
        return ("[", *join([(Data(x),) for x in v]), "]")
    return ("(none)",) if v is None else ("''",) if v == "" else (Data(str(v)),)


# --- addresses, owners, origins, sources -----------------------------------------------------------

def owner(o: dict[str, Any] | None) -> Line:
    """`i-0abc (web-1)`; another kind says its kind: `interface eni-0abc (…)`."""
    if not o:
        return ()
    out: list[str] = [] if o.get("kind") in ("instance", None) else [f"{o['kind']} "]
    out.append(Data(o["id"]))
    if o.get("name"):
        out += [" (", Data(o["name"]), ")"]
    return tuple(out)


def address(a: dict[str, Any]) -> Line:
    """`i-0abc (web-1) 10.0.1.10`, or the IP alone when no owner is known."""
    who = owner(a.get("owner"))
    return (*who, " ", Data(a["ip"])) if who else (Data(a["ip"]),)


def addresses(items: list[dict[str, Any]], limit: int = ROW_VALUES) -> Line:
    shown = join(address(a) for a in items[:limit])
    return shown + ((f" and {len(items) - limit} more",) if len(items) > limit else ())


def origin(o: dict[str, Any]) -> Line:
    """Where a rule comes from: its name's AWS ids, described by state.yaml's fields."""
    groups = join(((Data(g["id"]),) + ((" (", Data(g["name"]), ")") if g.get("name") else ()))
                  for g in o["security_groups"])
    if o.get("kind") == "security-group":
        text: Line = ("security group ", *groups)
    elif o.get("kind") == "instance":
        inst = o["instance"]
        text = ("instance ", Data(inst["id"]), *((" (", Data(inst["name"]), ")") if inst.get("name") else ()))
        if o.get("interface"):
            text += (", interface ", Data(o["interface"]))
        if groups:
            text += ("; security groups ", *groups)
    else:
        return ()
    if not o.get("vpc"):
        return text + (" (not in state.yaml)",)
    where = [(Data(o["vpc"]),)] + ([("account ", Data(o["account"]))] if o.get("account") else []) \
        + ([(Data(o["region"]),)] if o.get("region") else [])
    return text + (" in ",) + join(where)


def source(s: dict[str, Any]) -> Line:
    out: Line = ("source ", Data(s["value"]))
    if s["prefix_lists"]:
        out += ("  (",) + join(((Data(p["id"] or "?"),) + ((" ", Data(p["name"])) if p.get("name") else ()))
                               for p in s["prefix_lists"]) + (")",)
    return out + (("  [ANY SOURCE]",) if s["any"] else ())


def _destination_lines(view: dict[str, Any]) -> list[tuple[tuple[str, str], Line]]:
    """(key, line) per destination address: `destination sg-0abc -> i-0abc (web-1) 10.0.1.10`."""
    out = []
    for d in view["destinations"]:
        if d["member"] == "any":
            out.append(((d["member"], "any"), ("destination any",)))
        elif not d["addresses"]:
            out.append(((d["member"], ""), ("destination ", Data(d["member"]), " -> (no members)")))
        for a in d["addresses"] if d["member"] != "any" else []:
            out.append(((d["member"], a["ip"]), ("destination ", Data(d["member"]), " -> ", *address(a))))
    return out


def _zones(v: dict[str, Any]) -> Line:
    out: Line = ("from ", *join((Data(z),) for z in v["from"]), " to ", *join((Data(z),) for z in v["to"]))
    if v["action"] != "allow":
        out += ("  (action ", Data(v["action"]), ")")
    return out + (("  (disabled)",) if v["disabled"] else ())


def _what(v: dict[str, Any]) -> Line:
    ports = [p for s in v["services"] for p in s["ports"]]
    return ("application ", *join((Data(a),) for a in v["applications"]), "; service ",
            *join((Data(p),) for p in ports))


def view_lines(v: dict[str, Any]) -> list[Line]:
    """What one rule allows, a few lines (a created or deleted rule)."""
    out = [("origin: ", *origin(v["origin"]))] if origin(v["origin"]) else []
    out.append(_zones(v))
    out += [source(s) for s in v["sources"]]
    out += [ln for _, ln in _destination_lines(v)]
    out.append(_what(v))
    return out


def _marked(before: list[tuple[Any, Line]], after: list[tuple[Any, Line]], what: str) -> list[Line]:
    """The union of two keyed lists: added `+`, removed `-`, unchanged `  ` (at most CONTEXT of those)."""
    old = {k for k, _ in before}
    new = {k for k, _ in after}
    out: list[Line] = []
    same = [ln for k, ln in after if k in old]
    out += [("  ", *ln) for ln in same[:CONTEXT]]
    if len(same) > CONTEXT:
        out.append((f"  ... and {len(same) - CONTEXT} more unchanged {what}",))
    out += [("+ ", *ln) for k, ln in after if k not in old]
    out += [("- ", *ln) for k, ln in before if k not in new]
    return out


def _pair(before: Line, after: Line) -> list[Line]:
    return [("  ", *after)] if before == after else [("- ", *before), ("+ ", *after)]


def changed_rule_lines(r: dict[str, Any]) -> list[Line]:
    """A changed or affected rule: what changed, each line signed, beside the unchanged context."""
    b, a = r["before"], r["after"]
    out: list[Line] = []
    o = origin(a["origin"])
    if o:
        out.append(("  origin: ", *o))
    if r.get("via"):
        out.append(("  through changed objects: ", *join((Data(x),) for x in r["via"])))
    if r.get("via_registrations"):
        out.append(("  through registrations (membership dynamic) of: ",
                    *join((Data(x),) for x in r["via_registrations"])))
    out += _pair(_zones(b), _zones(a))
    out += _marked([(s["value"], source(s)) for s in b["sources"]],
                   [(s["value"], source(s)) for s in a["sources"]], "sources")
    out += _marked(_destination_lines(b), _destination_lines(a), "destinations")
    out += _pair(_what(b), _what(a))
    for f in r.get("fields", []):
        if f["field"] in VIEW_FIELDS:
            continue
        out.append((f"~ {f['field']}:",))
        out += [("    - ", *value(f["before"])), ("    + ", *value(f["after"]))]
    return out


def _flows(r: dict[str, Any]) -> str:
    flows = [f"{plural(r[k], 'flow')} {w}"
             for k, w in (("flows_opened", "opened"), ("flows_closed", "closed")) if r.get(k)]
    return " (" + ", ".join(flows) + ")" if flows else ""


def rule_title(r: dict[str, Any], fields: bool = False) -> Line:
    """`+ create rule NAME (2 flows opened) [ANY SOURCE]`; with `fields`, a change names its fields."""
    title: Line = (f"{SIGN[r['action']]} {r['action']} rule ", Data(r["name"]))
    if r["action"] == "move":
        return title + (" (", Data(r["move"]), ")")
    if fields and r.get("fields"):
        title += (" [", ", ".join(f["field"] for f in r["fields"]), "]")
    title += (_flows(r),)
    view = r["after"] or r["before"]
    if view and any(s["any"] for s in view["sources"]) and r["flows_opened"]:
        title += (" [ANY SOURCE]",)
    return title


def rule_body(r: dict[str, Any]) -> list[Line]:
    if r["action"] == "move":
        body: list[Line] = []
    elif r["action"] in ("create", "delete"):
        body = view_lines(r["after"] or r["before"])
    else:
        body = changed_rule_lines(r)
    if r.get("drift"):
        body.append(("drift: ", Message(r["drift"])))
    body += [("verdict: ", *verdict(dec)) for dec in r.get("verdicts", [])]
    return body


def object_title(o: dict[str, Any], fields: bool = False) -> Line:
    title: Line = (f"{SIGN[o['action']]} {o['action']} {LABELS[o['kind']]} ", Data(o["name"]))
    if fields and o.get("fields"):
        title += (" [", ", ".join(f["field"] for f in o["fields"]), "]")
    return title


def object_body(o: dict[str, Any]) -> list[Line]:
    body: list[Line] = []
    if o["action"] in ("create", "delete"):
        resolved = o["value"].get("resolved")
        if isinstance(resolved, dict):
            body.append(("address: ", *address(resolved)))
        elif isinstance(resolved, list):
            body += [("member: ", *address(a)) for a in resolved]
        body += [(f"{k}: ", *value(v)) for k, v in o["value"].items() if k not in ("resolved", "static")]
    else:
        body += [("+ member ", *address(a)) for a in o.get("members_added", [])]
        body += [("- member ", *address(a)) for a in o.get("members_removed", [])]
        for f in o["fields"]:
            if o["kind"] == "address-group" and f["field"] == "static":
                continue
            body.append((f"~ {f['field']}:",))
            body += [("    - ", *value(f["before"])), ("    + ", *value(f["after"]))]
    if o.get("drift"):
        body.append(("drift: ", Message(o["drift"])))
    return body


# --- the summary ---------------------------------------------------------------------------------

def _reach(doc: dict[str, Any], key: str, verb: str) -> Line:
    """`closed to i-0abc (web-2) 10.0.1.11, 10.0.2.7 and 3 more destinations`: the owners first
    named (most flows first), each with its addresses."""
    by_owner: dict[str, list[dict[str, Any]]] = {}
    for d in doc.get("destinations", []):
        if d[key]:
            by_owner.setdefault((d.get("owner") or {}).get("id") or d["ip"], []).append(d)
    if not by_owner:
        return ()
    named = list(by_owner.values())[:HEADLINE_NAMES]
    shown = join((*owner(group[0].get("owner")), *((" ",) if group[0].get("owner") else ()),
                  *join((Data(d["ip"]),) for d in group[:ROW_VALUES]),
                  *((f" and {len(group) - ROW_VALUES} more",) if len(group) > ROW_VALUES else ()))
                 for group in named)
    rest = sum(len(g) for g in list(by_owner.values())[HEADLINE_NAMES:])
    return (f"{verb} to ", *shown, *((f" and {plural(rest, 'more destination')}",) if rest else ()))


def headline(doc: dict[str, Any]) -> Line:
    """One line: rules, flows (naming the destinations that gain or lose them), registrations, a
    membership switch, pending."""
    s = doc["summary"]
    if not s["has_changes"]:
        return ("no changes: the firewall's managed objects equal the fragment and nothing is pending",)
    rules = f"rules: {s['rules_opened']} opened, {s['rules_closed']} closed, {s['rules_changed']} changed"
    if s["rules_affected"]:
        rules += f", {s['rules_affected']} affected by object or registration changes"
    out: Line = (rules, f"; flows: {s['flows_opened']} opened, {s['flows_closed']} closed")
    reach = [x for x in (_reach(doc, "flows_opened", "opened"), _reach(doc, "flows_closed", "closed")) if x]
    if reach:
        out += (" (", *join(reach, "; "), ")")
    regs = s.get("registrations") or {}
    if regs.get("register") or regs.get("unregister"):
        out += (f"; registrations: {regs['register']} to register, {regs['unregister']} to unregister",)
    mode = s.get("membership") or {}
    if mode.get("switch"):
        out += (f"; MEMBERSHIP {mode['before']} -> {mode['after']}",)
    if s["pending"]:
        out += (f"; {s['pending']} pending (uncommitted)",)
    return out


def objects_line(doc: dict[str, Any]) -> Line:
    o = doc["summary"]["objects"]
    text = (f"objects: {o['create']} to create, {o['change']} to change, {o['delete']} to delete, "
            f"{o['move']} to move")
    if doc["summary"]["drift"]:
        text += f" ({doc['summary']['drift']} edited by another admin, not yet committed)"
    return (text,)


SWITCH = {
    ("static", "dynamic"):
        "push replaces the static address groups by dynamic ones and registers their addresses through "
        "User-ID after the commit: until then the new groups match nothing",
    ("dynamic", "static"):
        "push replaces the dynamic address groups by static ones; awspan's User-ID registrations stay on "
        "the firewall, matching nothing, and push no longer reconciles them (check that rules.membership "
        "is meant to be static: the Lambda's copy of policy.yaml too)",
}


def switch_line(doc: dict[str, Any]) -> Line | None:
    mode = doc["summary"].get("membership") or {}
    if not mode.get("switch"):
        return None
    why = SWITCH.get((mode["before"], mode["after"]), "")
    return (f"WARNING: membership changes from {mode['before']} to {mode['after']} (rules.membership): "
            f"{why}",)


def status_lines(doc: dict[str, Any], pending_limit: int = 20) -> list[Line]:
    """What push would refuse, a membership switch, the pending objects, the warnings."""
    out: list[Line] = [("ERROR (push will refuse): ", Message(b)) for b in doc["blockers"]]
    out += [("REFUSED without --force: ", Message(g)) for g in doc["guards"]]
    switch = switch_line(doc)
    if switch:
        out.append(switch)
    for ours, head in ((True, "push commits them"), (False, "another admin's, in the way")):
        items = [p for p in doc["pending"] if p["ours"] is ours]
        if not items:
            continue
        verb = "differs" if len(items) == 1 else "differ"
        out.append((f"PENDING: {plural(len(items), 'awspan object')} {verb} between the candidate and the "
                    f"running config (not yet committed): {head}",))
        for p in items[:pending_limit]:
            by = (" by ", *join((Data(a),) for a in p["admins"])) if p["admins"] else ()
            out.append((f"  {p['state']} {LABELS[p['kind']]} ", Data(p["name"]), *by))
            out += [(f"    ~ {f['field']}: ", *value(f["before"]), " -> ", *value(f["after"]))
                    for f in p["fields"]]
        if len(items) > pending_limit:
            out.append((f"  ... {len(items) - pending_limit} more: see the full plan",))
    out += [("warning: ", Message(w)) for w in doc["warnings"]]
    return out


def exposure_line(e: dict[str, Any]) -> Line:
    """`NAME: 2 flows from 203.0.113.7/32 to i-0abc (web-1) 10.0.1.10 on tcp/443  [ANY SOURCE]`."""
    src = join((Data(s),) for s in e["sources"][:ROW_VALUES])
    if len(e["sources"]) > ROW_VALUES:
        src += (f" and {len(e['sources']) - ROW_VALUES} more",)
    svc = join((Data(s),) for s in e["services"][:ROW_VALUES])
    return (Data(e["rule"]), f": {plural(e['flows'], 'flow')} from ", *src,
            " to ", *addresses(e["destinations"]), " on ", *svc,
            *(("  [ANY SOURCE]",) if e["any_source"] else ()))


def destination_line(d: dict[str, Any]) -> Line:
    """`+ i-0abc (web-3) 10.0.1.12: 2 flows opened (sg-0abc-tcp-443, sg-0abc-tcp-22)`."""
    sign = "~" if d["flows_opened"] and d["flows_closed"] else "+" if d["flows_opened"] else "-"
    flows = ", ".join(f"{plural(d[k], 'flow')} {w}" for k, w in (("flows_opened", "opened"),
                                                                  ("flows_closed", "closed")) if d[k])
    rules = join((Data(r),) for r in d["rules"][:ROW_VALUES])
    more = (f" and {len(d['rules']) - ROW_VALUES} more",) if len(d["rules"]) > ROW_VALUES else ()
    return (f"{sign} ", *address(d), f": {flows} (", *rules, *more, ")")


def membership_head(m: dict[str, Any]) -> Line:
    reg, unreg = m["register"], m["unregister"]
    if m["after"] != "dynamic" and not reg and not unreg:
        return (f"membership {m['after'] or 'static'}: push leaves awspan's "
                f"{plural(m['registered'], 'registered address')} alone (User-ID); no dynamic group of "
                "awspan's matches them once push has run",)
    if not reg and not unreg:
        return ("membership dynamic (User-ID registrations): the firewall holds exactly registrations.yaml",)
    return ("membership dynamic (User-ID registrations, no commit): "
            f"{plural(len(reg), 'address')} to register, {len(unreg)} to unregister",)


GONE = "(in neither state.yaml nor registrations.yaml: registered by hand, or gone)"


def membership_lines(m: dict[str, Any]) -> list[Line]:
    """One line per IP push would register or unregister, with who holds it."""
    out: list[Line] = []
    for sign, verb, items in (("+", "register", m["register"]), ("-", "unregister", m["unregister"])):
        for e in items:
            who = owner(e["owner"]) or (GONE,)
            tags = join((Data(t),) for t in e["tags"])
            out.append((f"{sign} {verb} ", Data(e["ip"]), " ", *who, ": ", *tags))
    return out


def verdict(d: dict[str, Any]) -> Line:
    """`partial (blocked in part by block-known-bad; kept whole)`: the covering rules are named
    once, by the reason when it names them, else after the verdict."""
    covering = d.get("covering")
    if not isinstance(covering, list):
        covering = [covering] if covering else []
    names = [str(c) for c in covering]
    reason = str(d.get("reason") or "")
    out: Line = (Message(str(d.get("verdict", "?"))),)
    if names and not all(n in reason for n in names):
        out += (" by ", *join((Data(n),) for n in names))
    return out + ((" (", Message(reason), ")") if reason else ())


def decision(d: Any) -> Line:
    if not isinstance(d, dict):
        return (Data(str(d)),)
    return (Data(str(d.get("rule", "?"))), ": ", *verdict(d))


def precheck_rest(doc: dict[str, Any]) -> tuple[list[Any], list[str]]:
    """Decisions about rules the plan does not show, and the check's warnings."""
    pc = doc.get("precheck") or {}
    shown = {r["name"] for r in doc["rules"]}
    return ([d for d in pc.get("decisions", []) if not (isinstance(d, dict) and d.get("rule") in shown)],
            list(pc.get("warnings", [])))

