"""The traffic-level plan: what a change opens and closes, in terms a reviewer knows.

changes.py says which objects push writes; this module says what that means for traffic, as
one JSON-ready document (schemas/plan.schema.json) that the text and markdown views
(review/plan_render.py) only format, so the three never disagree:

- each created or deleted rule: zones, sources (prefix-list ids and names when
  out/state.yaml is beside the fragment), destinations resolved through address groups
  to instance id and Name tag (or interface id and what owns it) and IP, applications and
  ports, and where it comes from
  (security group id and name, VPC, account, region: generate writes them into the rule's
  description, so a deleted rule still says it);
- each changed object: before -> after per field; address groups: members added and
  removed with their instances;
- rules whose traffic changes only through a changed group, address or service
  ("affected"): a StartInstances adds a member to a group and opens flows without any rule
  changing;
- flows (zone pair x source x destination address x service) opened and closed per rule,
  widest first, with `any`, `0.0.0.0/0` and `::/0` sources flagged;
- the pending state (candidate != running) and why push would refuse.

Flows of one rule are a product of sets, so the flows two versions share are the product
of the intersections: counting never enumerates them (a 0.0.0.0/0 x 1,000 addresses rule
costs the same as a small one).
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

PLAN_FORMAT = 1
ANY_SOURCES = frozenset({"any", "0.0.0.0/0", "::/0"})
ACTION_ORDER = {"delete": 0, "create": 1, "change": 2, "affected": 3, "move": 4}

_ADDR_DESC = re.compile(r"^(?P<instance>i-[0-9a-zA-Z]+)(?: \((?P<name>.*)\))? (?P<eni>eni-[0-9a-zA-Z]+) "
                        r"in (?P<vpc>vpc-[0-9a-zA-Z]+)$")
_ENI_ADDR_DESC = re.compile(r"^(?P<eni>eni-[0-9a-zA-Z]+) \((?P<owner>.*)\) in (?P<vpc>vpc-[0-9a-zA-Z]+)$",
                            re.S)
"""An address of an interface that is no instance's: what owns it (generate.owners) in parentheses."""
_WHERE = r"(?P<vpc>vpc-[0-9a-zA-Z]+)(?: (?P<account>\d{12}))?(?: (?P<region>[a-z]{2}(?:-[a-z]+)+-\d+))?"
_SG_DESC = re.compile(r"^awspan: security group (?P<sg>sg-[0-9a-zA-Z]+)(?: \((?P<sgname>.*?)\))? in "
                      + _WHERE + r": (?P<note>.*)$", re.S)
_INST_DESC = re.compile(r"^awspan: instance (?P<instance>i-[0-9a-zA-Z]+)(?: \((?P<name>.*?)\))? in "
                        r"(?P<vpc>vpc-[0-9a-zA-Z]+)(?: (?P<eni>eni-[0-9a-zA-Z]+))?: (?P<note>.*)$", re.S)
_ENI_DESC = re.compile(r"^awspan: interface (?P<eni>eni-[0-9a-zA-Z]+)(?: \((?P<owner>.*?)\))? in "
                       r"(?P<vpc>vpc-[0-9a-zA-Z]+): (?P<note>.*)$", re.S)
_SG_ID = re.compile(r"\bsg-[0-9a-zA-Z]+\b")


def _members(el: etree._Element | None, path: str) -> list[str]:
    if el is None:
        return []
    return [(m.text or "").strip() for m in el.iterfind(path)]


class Objects:
    """Looks objects up by name: the fragment's first (after), else the firewall's (before)."""

    def __init__(self, *layers: dict[str, dict[str, etree._Element]]) -> None:
        self.layers = layers

    def get(self, kind: str, name: str) -> etree._Element | None:
        for layer in self.layers:
            el = layer.get(kind, {}).get(name)
            if el is not None:
                return el
        return None

    def address(self, name: str, el: etree._Element) -> dict[str, Any]:
        value = (el.findtext("ip-netmask") or el.findtext("ip-range") or el.findtext("fqdn") or "").strip()
        ip = value[:-3] if value.endswith("/32") else value[:-4] if value.endswith("/128") else value
        info: dict[str, Any] = {"name": name, "ip": ip}
        description = (el.findtext("description") or "").strip()
        m = _ADDR_DESC.match(description)
        if m:
            info.update(instance=m["instance"], instance_name=m["name"], eni=m["eni"], vpc=m["vpc"])
        elif m := _ENI_ADDR_DESC.match(description):
            info.update(eni=m["eni"], owner=m["owner"], vpc=m["vpc"])
        return info

    def resolve(self, member: str, depth: int = 0) -> list[dict[str, Any]]:
        """A destination member as the addresses behind it (groups expanded)."""
        if member == "any":
            return [{"name": "any", "ip": "any"}]
        group = self.get("address-group", member)
        if group is not None and depth < 8:
            return [a for m in _members(group, "static/member") for a in self.resolve(m, depth + 1)]
        addr = self.get("address", member)
        if addr is not None:
            return [self.address(member, addr)]
        return [{"name": member, "ip": member}]

    def service(self, member: str, depth: int = 0) -> list[str]:
        """A service member as `tcp/443` strings (`application-default` and `any` as themselves)."""
        svc = self.get("service", member)
        if svc is not None:
            for proto in ("tcp", "udp", "sctp"):
                port = svc.findtext(f"protocol/{proto}/port")
                if port:
                    return [f"{proto}/{p.strip()}" for p in port.split(",")]
        grp = self.get("service-group", member)
        if grp is not None and depth < 8:
            return [s for m in _members(grp, "members/member") for s in self.service(m, depth + 1)]
        return [member]


def _owner_origin(m: re.Match[str], **owner: str | None) -> dict[str, Any]:
    """A layout-instance rule: its owner (an instance, or an interface that is no instance's) and
    the groups its note names."""
    sgs = sorted(set(_SG_ID.findall(m["note"])))
    return {"security_groups": [{"id": s, "name": None} for s in sgs], "vpc": m["vpc"],
            "account": None, "region": None, **owner, "note": m["note"]}


def origin(description: str) -> dict[str, Any]:
    """Where generate says a rule comes from (its description), or just the text."""
    m = _SG_DESC.match(description)
    if m:
        return {"security_groups": [{"id": m["sg"], "name": m["sgname"]}], "vpc": m["vpc"],
                "account": m["account"], "region": m["region"], "note": m["note"]}
    m = _INST_DESC.match(description)
    if m:
        return _owner_origin(m, instance=m["instance"], instance_name=m["name"])
    m = _ENI_DESC.match(description)
    if m:
        return _owner_origin(m, interface=m["eni"], owner=m["owner"])
    return {"security_groups": [], "vpc": None, "account": None, "region": None, "note": description}


def rule_view(name: str, el: etree._Element, objs: Objects, prefix_lists: dict[str, list[dict]]
              ) -> dict[str, Any]:
    """What one rule allows, fully resolved."""
    apps = _members(el, "application/member")
    services = _members(el, "service/member")
    dests = [{"member": m, "addresses": objs.resolve(m)} for m in _members(el, "destination/member")]
    view = {
        "name": name,
        "from": _members(el, "from/member"),
        "to": _members(el, "to/member"),
        "sources": [{"value": s, "any": s in ANY_SOURCES, "prefix_lists": prefix_lists.get(s, [])}
                    for s in _members(el, "source/member")],
        "destinations": dests,
        "applications": apps,
        "services": [{"member": s, "ports": objs.service(s)} for s in services],
        "action": (el.findtext("action") or "").strip(),
        "disabled": (el.findtext("disabled") or "no").strip() == "yes",
        "origin": origin((el.findtext("description") or "").strip()),
    }
    view["flows"] = flow_count(view)
    return view


def _flow_sets(view: dict[str, Any]) -> tuple[set, set, set, set]:
    if view["action"] != "allow" or view["disabled"]:
        return set(), set(), set(), set()
    zones = {(f, t) for f in view["from"] for t in view["to"]}
    sources = {s["value"] for s in view["sources"]}
    dests = {a["ip"] for d in view["destinations"] for a in d["addresses"]}
    ports = {p for s in view["services"] for p in s["ports"]}
    apps = set(view["applications"])
    if ports == {"application-default"}:
        what = {f"{a}/application-default" for a in apps}
    elif apps in (set(), {"any"}):
        what = ports
    else:
        what = {f"{a} on {p}" for a in apps for p in ports}
    return zones, sources, dests, what


def flow_count(view: dict[str, Any]) -> int:
    n = 1
    for s in _flow_sets(view):
        n *= len(s)
    return n


def flows_between(before: dict[str, Any] | None, after: dict[str, Any] | None) -> tuple[int, int]:
    """(opened, closed) flows going from `before` to `after` (either may be None)."""
    a = _flow_sets(after) if after else (set(),) * 4
    b = _flow_sets(before) if before else (set(),) * 4
    na = nb = common = 1
    for x, y in zip(a, b, strict=True):
        na *= len(x)
        nb *= len(y)
        common *= len(x & y)
    return na - common, nb - common


def width_key(item: dict[str, Any]) -> tuple:
    """Widest openings first: any source, then most flows, then name."""
    return (not item["any_source"], -item["flows"], item["rule"])
