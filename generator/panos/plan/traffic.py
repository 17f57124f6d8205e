"""The traffic-level plan: what a change opens and closes, in terms a reviewer knows.

changes.py says which objects push writes; this module says what that means for traffic, as
parts of one JSON-ready document (schemas/plan.schema.json, assembled by document.py) that the
text and markdown views (review/) only format, so that they never disagree:

- each rule as it allows traffic: zones, sources (prefix-list ids and names from state.yaml),
  destinations resolved through address groups — static members, or for a dynamic group the
  IPs registered with its tag (User-ID) — to IP and owner (kind, id, Name), applications and
  ports, and where it comes from (its name's AWS ids looked up in state.yaml: inventory.py);
- flows (zone pair x source x destination address x service) opened and closed per rule, and
  which sources, destinations and services the opened or closed flows have: only what is new
  or gone, not every source of a changed rule.

Flows of one rule are a product of sets, so the flows two versions share are the product of
the intersections: counting never enumerates them (a 0.0.0.0/0 x 1,000 addresses rule costs
the same as a small one).
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from generator.groups import GROUP_DEPTH, filter_tags, static_members
from generator.panos.plan.inventory import Inventory
from generator.provenance import parse_address_name
from generator.vocab import PORT_PROTOCOLS

PLAN_FORMAT = 2
ANY_SOURCES = frozenset({"any", "0.0.0.0/0", "::/0"})
ACTION_ORDER = {"delete": 0, "create": 1, "change": 2, "affected": 3, "move": 4}

Tags = dict[str, frozenset[str]]


def _members(el: etree._Element | None, path: str) -> list[str]:
    if el is None:
        return []
    return [(m.text or "").strip() for m in el.iterfind(path)]


dynamic_tags = filter_tags
"""The tags a dynamic address group matches; None: a static group (generator.groups)."""


class Objects:
    """Looks objects up by name: the fragment's first (after), else the firewall's (before).

    `registered`: IP -> tags on the firewall's User-ID registry for this side of the change
    (the firewall's before, registrations.yaml after), for the members of dynamic groups.

    Each address, group and service is resolved once and the result shared by every rule that
    names it (read-only from then on): a group of 20 members behind 20 rules is resolved once,
    not 20 times, and the JSON plan encodes it once (generator.jsonindent). `shared`: the other
    side of the change, whose addresses (they depend on the name, value and inventory alone) and
    equal resolutions this side reuses: a rule's before and after then hold the same lists, and
    a group that did not change is encoded once, not once per side.
    """

    def __init__(self, *layers: dict[str, dict[str, etree._Element]], inventory: Inventory,
                 registered: Tags | None = None, shared: Objects | None = None) -> None:
        self.layers = layers
        self.inventory = inventory
        self.by_tag: dict[str, list[str]] = {}
        for ip, tags in (registered or {}).items():
            for tag in tags:
                self.by_tag.setdefault(tag, []).append(ip)
        self._addresses: dict[tuple[str, str], dict[str, Any]] = shared._addresses if shared else {}
        self._registered: dict[str, dict[str, Any]] = shared._registered if shared else {}
        # one list per sequence of address dicts (ids: the lists here keep the dicts alive)
        self._interned: dict[tuple[int, ...], list[dict[str, Any]]] = shared._interned if shared else {}
        self._resolved: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self._services: dict[tuple[str, int], list[str]] = {}

    def get(self, kind: str, name: str) -> etree._Element | None:
        for layer in self.layers:
            el = layer.get(kind, {}).get(name)
            if el is not None:
                return el
        return None

    def address(self, name: str, el: etree._Element) -> dict[str, Any]:
        value = (el.findtext("ip-netmask") or el.findtext("ip-range") or el.findtext("fqdn") or "").strip()
        found = self._addresses.get((name, value))
        if found is None:
            ip = value[:-3] if value.endswith("/32") else value[:-4] if value.endswith("/128") else value
            parsed = parse_address_name(name)
            found = self._addresses[(name, value)] = {
                "name": name, "ip": ip, "owner": self.inventory.owner(parsed[0], ip) if parsed else None}
        return found

    def registered(self, ip: str) -> dict[str, Any]:
        """A registered IP: no address object names its owner, state.yaml does."""
        found = self._registered.get(ip)
        if found is None:
            owners = self.inventory.owners_of(ip)
            found = self._registered[ip] = {"name": ip, "ip": ip, "owner": owners[0] if owners else None}
        return found

    def resolve(self, member: str, depth: int = 0) -> list[dict[str, Any]]:
        """A destination member as the addresses behind it (groups expanded); shared, read-only."""
        found = self._resolved.get((member, depth))
        if found is None:
            found = self._resolve(member, depth)
            found = self._resolved[(member, depth)] = self._interned.setdefault(tuple(map(id, found)), found)
        return found

    def _resolve(self, member: str, depth: int) -> list[dict[str, Any]]:
        if member == "any":
            return [{"name": "any", "ip": "any", "owner": None}]
        group = self.get("address-group", member)
        if group is not None:
            tags = dynamic_tags(group)
            if tags is not None:
                ips = sorted({ip for t in tags for ip in self.by_tag.get(t, [])})
                return [self.registered(ip) for ip in ips]
            if depth >= GROUP_DEPTH:
                return []
            return [a for m in static_members(group) or () for a in self.resolve(m, depth + 1)]
        addr = self.get("address", member)
        if addr is not None:
            return [self.address(member, addr)]
        return [{"name": member, "ip": member, "owner": None}]

    def service(self, member: str, depth: int = 0) -> list[str]:
        """A service member as `tcp/443` strings (`application-default` and `any` as themselves);
        shared, read-only."""
        found = self._services.get((member, depth))
        if found is None:
            found = self._services[(member, depth)] = self._service(member, depth)
        return found

    def _service(self, member: str, depth: int) -> list[str]:
        svc = self.get("service", member)
        if svc is not None:
            for proto in PORT_PROTOCOLS.values():
                port = svc.findtext(f"protocol/{proto}/port")
                if port:
                    return [f"{proto}/{p.strip()}" for p in port.split(",")]
        grp = self.get("service-group", member)
        if grp is not None and depth < GROUP_DEPTH:
            return [s for m in _members(grp, "members/member") for s in self.service(m, depth + 1)]
        return [member]


def rule_view(name: str, el: etree._Element, objs: Objects) -> dict[str, Any]:
    """What one rule allows, fully resolved."""
    inv = objs.inventory
    view = {
        "name": name,
        "from": _members(el, "from/member"),
        "to": _members(el, "to/member"),
        "sources": [{"value": s, "any": s in ANY_SOURCES, "prefix_lists": inv.prefix_lists_of(s)}
                    for s in _members(el, "source/member")],
        "destinations": [{"member": m, "addresses": objs.resolve(m)}
                         for m in _members(el, "destination/member")],
        "applications": _members(el, "application/member"),
        "services": [{"member": s, "ports": objs.service(s)} for s in _members(el, "service/member")],
        "action": (el.findtext("action") or "").strip(),
        "disabled": (el.findtext("disabled") or "no").strip() == "yes",
        "origin": inv.origin(name),
    }
    view["flows"] = flow_count(view)
    return view


def services_of(view: dict[str, Any]) -> set[str]:
    """What a rule allows on top of addresses: `tcp/443`, `ssh/application-default`, `ssh on tcp/22`."""
    ports = {p for s in view["services"] for p in s["ports"]}
    apps = set(view["applications"])
    if ports == {"application-default"}:
        return {f"{a}/application-default" for a in apps}
    if apps in (set(), {"any"}):
        return ports
    return {f"{a} on {p}" for a in apps for p in ports}


def _flow_sets(view: dict[str, Any] | None) -> tuple[set, set, set, set]:
    if view is None or view["action"] != "allow" or view["disabled"]:
        return set(), set(), set(), set()
    zones = {(f, t) for f in view["from"] for t in view["to"]}
    sources = {s["value"] for s in view["sources"]}
    dests = {a["ip"] for d in view["destinations"] for a in d["addresses"]}
    return zones, sources, dests, services_of(view)


def _product(sets: tuple[set, ...] | list[set]) -> int:
    n = 1
    for s in sets:
        n *= len(s)
    return n


def flow_count(view: dict[str, Any]) -> int:
    return _product(_flow_sets(view))


def flows_between(before: dict[str, Any] | None, after: dict[str, Any] | None) -> tuple[int, int]:
    """(opened, closed) flows going from `before` to `after` (either may be None)."""
    a, b = _flow_sets(after), _flow_sets(before)
    common = _product([x & y for x, y in zip(a, b, strict=True)])
    return _product(a) - common, _product(b) - common


def _gained(a: tuple[set, ...], b: tuple[set, ...]) -> list[set] | None:
    """Per dimension, the values the flows in `a` but not in `b` take (None: there are none).

    A value of one dimension is in such a flow when it is new in that dimension, or when any
    other dimension gained a value: so a changed rule's new source is listed alone, and a rule
    that gained a destination lists every source that now reaches it."""
    common = [x & y for x, y in zip(a, b, strict=True)]
    if _product(a) == _product(common):
        return None
    grew = [not x <= y for x, y in zip(a, b, strict=True)]
    return [set(a[k]) if any(g for j, g in enumerate(grew) if j != k) else a[k] - b[k] for k in range(4)]


def _addresses(*views: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for view in views:
        for d in (view or {}).get("destinations", []):
            for a in d["addresses"]:
                out.setdefault(a["ip"], a)
    return out


def exposure(rule: dict[str, Any], opened: bool) -> dict[str, Any] | None:
    """What the flows a rule opens (or closes) have: sources, destinations, services — only
    what is new (gone) unless another dimension changed too."""
    after, before = rule.get("after"), rule.get("before")
    if not opened:
        after, before = before, after
    parts = _gained(_flow_sets(after), _flow_sets(before))
    if parts is None:
        return None
    _, sources, dests, services = parts
    known = _addresses(after)
    return {"rule": rule["name"], "action": rule["action"],
            "flows": rule["flows_opened" if opened else "flows_closed"],
            "any_source": bool(sources & ANY_SOURCES),
            "sources": sorted(sources, key=_source_key), "destinations": [known[ip] for ip in sorted(dests)],
            "services": sorted(services)}


def _source_key(value: str) -> tuple[int, str]:
    return (0 if value in ANY_SOURCES else 1, value)


def destination_flows(rule: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """IP -> (flows opened, flows closed) to that destination by one rule's change."""
    a, b = _flow_sets(rule.get("after")), _flow_sets(rule.get("before"))
    rest_a, rest_b = _product([a[0], a[1], a[3]]), _product([b[0], b[1], b[3]])
    rest_common = _product([a[k] & b[k] for k in (0, 1, 3)])
    out = {}
    for ip in a[2] | b[2]:
        both = rest_common if ip in a[2] and ip in b[2] else 0
        opened = (rest_a if ip in a[2] else 0) - both
        closed = (rest_b if ip in b[2] else 0) - both
        if opened or closed:
            out[ip] = (opened, closed)
    return out


def destinations(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per destination address, the flows the whole change opens and closes to it, and by which
    rules: who gains or loses access (an instance that starts, stops or changes groups)."""
    acc: dict[str, dict[str, Any]] = {}
    for r in rules:
        if r["action"] == "move":
            continue
        known = _addresses(r.get("before"), r.get("after"))
        for ip, (opened, closed) in destination_flows(r).items():
            item = acc.setdefault(ip, {"ip": ip, "owner": known[ip].get("owner"), "flows_opened": 0,
                                       "flows_closed": 0, "rules": []})
            item["owner"] = item["owner"] or known[ip].get("owner")
            item["flows_opened"] += opened
            item["flows_closed"] += closed
            item["rules"].append(r["name"])
    return sorted(acc.values(), key=lambda d: (-(d["flows_opened"] + d["flows_closed"]), d["ip"]))


def membership_mode(entries: dict[str, dict[str, etree._Element]]) -> str | None:
    """`dynamic` when any of awspan's address groups is a dynamic one, `static` when awspan has rules
    or objects but no dynamic group, None when it has nothing (nothing to switch from)."""
    groups = entries.get("address-group", {})
    if any(g.find("dynamic") is not None for g in groups.values()):
        return "dynamic"
    return "static" if any(entries.get(k) for k in ("rules", "address", "address-group")) else None


def width_key(item: dict[str, Any]) -> tuple:
    """Widest openings first: any source, then most flows, then name."""
    return (not item["any_source"], -item["flows"], item["rule"])

