"""`awspan snapshot`: the firewall's own security rules, and what they reference, to out/rulebase.xml.

generate reads this file for the already-allowed check (is a candidate rule's traffic
already allowed, or blocked, by an operator's rule above the managed block?). So it holds
every security rule of the location in order (awspan's own included: they carry the tag,
and mark where the managed block is), and every object those rules name, resolved the way
PAN-OS resolves names: the location first, then /config/shared.

The document keeps the device's own config tree, so that one parser reads it, the
fragment and a device export alike:

    <config>
      <shared>            referenced shared objects (and, on Panorama, shared pre/post rules)
      <devices><entry name="localhost.localdomain"><vsys><entry name="vsys1">
        <tag/> <address/> <address-group/> <service/> <service-group/>   referenced only
        <rulebase><security><rules> every rule, in order </rules></security></rulebase>

(on Panorama: `device-group/entry[@name]` with `pre-rulebase` and `post-rulebase`). Objects
are sorted by name, rules keep their order; the attributes PAN-OS stamps on nodes (admin,
dirtyId, time, uuid) are dropped: same rules, same bytes.
"""

from __future__ import annotations

from lxml import etree

from generator.groups import filter_tags, static_members
from generator.location import SHARED_XPATH, Location, make_rules, rules_of
from generator.panos.config.canonical import strip_bookkeeping
from generator.panos.xmlapi.client import PanosClient, PanosError
from generator.panos.xmlapi.read_config import location_missing, read_node
from generator.vocab import RULEBASES, SNAPSHOT_KINDS

# Besides awspan's own object kinds, the check must see what an operator's rule can name in
# <application>: a group or filter name read as one application would mislabel decisions.


def _read(client: PanosClient, xpath: str, running: bool) -> etree._Element | None:
    try:
        return read_node(client, xpath, running=running)
    except PanosError as exc:
        if exc.answered and exc.code in ("7", "6"):  # no such node: an empty shared section
            return None
        raise


def _rules_containers(scope: etree._Element | None) -> list[tuple[str, etree._Element]]:
    out = []
    if scope is None:
        return out
    for base in RULEBASES:
        rules = rules_of(scope, base)
        if rules is not None:
            out.append((base, rules))
    return out


def _index(scope: etree._Element | None) -> dict[str, dict[str, etree._Element]]:
    if scope is None:
        return {k: {} for k in SNAPSHOT_KINDS}
    return {k: {e.get("name"): e for e in scope.iterfind(f"{k}/entry")} for k in SNAPSHOT_KINDS}


class _Resolver:
    """Collect referenced objects, location first then shared, following nested groups."""

    def __init__(self, local: etree._Element | None, shared: etree._Element | None) -> None:
        self.pools = [_index(local), _index(shared)]
        self.picked: list[dict[str, dict[str, etree._Element]]] = [_index(None), _index(None)]

    def want(self, kinds: tuple[str, ...], name: str) -> None:
        for i, pool in enumerate(self.pools):
            for kind in kinds:
                entry = pool[kind].get(name)
                if entry is None:
                    continue
                if name in self.picked[i][kind]:
                    return
                self.picked[i][kind][name] = entry
                self._follow(kind, entry)
                return

    def _follow(self, kind: str, entry: etree._Element) -> None:
        for t in entry.iterfind("tag/member"):
            self.want(("tag",), (t.text or "").strip())
        if kind == "address-group":
            for m in static_members(entry) or ():
                self.want(("address", "address-group"), m)
            tags = set(filter_tags(entry) or ())
            if tags:
                for tag in tags:
                    self.want(("tag",), tag)
                for pool in self.pools:  # the addresses the filter selects today
                    for name, addr in pool["address"].items():
                        if tags & {(m.text or "").strip() for m in addr.iterfind("tag/member")}:
                            self.want(("address",), name)
        elif kind == "service-group":
            for m in entry.iterfind("members/member"):
                self.want(("service", "service-group"), (m.text or "").strip())
        elif kind == "application-group":
            for m in entry.iterfind("members/member"):
                self.want(("application", "application-group", "application-filter"), (m.text or "").strip())

    def rule(self, rule: etree._Element) -> None:
        for field in ("source", "destination"):
            for m in rule.iterfind(f"{field}/member"):
                self.want(("address", "address-group"), (m.text or "").strip())
        for m in rule.iterfind("service/member"):
            self.want(("service", "service-group"), (m.text or "").strip())
        for m in rule.iterfind("application/member"):  # a custom application (awspan's ICMP ones) too
            self.want(("application", "application-group", "application-filter"), (m.text or "").strip())
        for m in rule.iterfind("tag/member"):
            self.want(("tag",), (m.text or "").strip())
        gt = rule.findtext("group-tag")
        if gt:
            self.want(("tag",), gt.strip())


def _objects_into(parent: etree._Element, picked: dict[str, dict[str, etree._Element]]) -> None:
    for kind in SNAPSHOT_KINDS:
        if picked[kind]:
            node = etree.SubElement(parent, kind)
            for name in sorted(picked[kind]):
                node.append(strip_bookkeeping(picked[kind][name], keep_uuid=False))


def _rules_into(parent: etree._Element, containers: list[tuple[str, etree._Element]]) -> None:
    for base, rules in containers:
        node = make_rules(parent, base)
        for rule in rules.iterfind("entry"):
            node.append(strip_bookkeeping(rule, keep_uuid=False))


def build_snapshot(local: etree._Element | None, shared: etree._Element | None, location: Location) -> bytes:
    """The rulebase.xml document (pure: same inputs, same bytes)."""
    resolver = _Resolver(local, shared)
    local_rules = _rules_containers(local)
    if location.is_panorama:
        local_rules = [(b, r) for b, r in local_rules if b != "rulebase"]
    else:
        local_rules = [(b, r) for b, r in local_rules if b == "rulebase"]
    if not local_rules:
        local_rules = [(location.rulebase_tag, etree.Element("rules"))]
    shared_rules = _rules_containers(shared) if location.is_panorama else []
    shared_rules = [(b, r) for b, r in shared_rules if b != "rulebase"]
    for _base, rules in shared_rules + local_rules:
        for rule in rules.iterfind("entry"):
            resolver.rule(rule)

    root = etree.Element("config")
    shared_out = etree.SubElement(root, "shared")
    _objects_into(shared_out, resolver.picked[1])
    _rules_into(shared_out, shared_rules)
    node = location.make_container(root)
    _objects_into(node, resolver.picked[0])
    _rules_into(node, local_rules)
    return etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8")


def take_snapshot(client: PanosClient, location: Location, *, candidate: bool = False) -> tuple[bytes, int]:
    """Read the location and /config/shared (two requests); return the document and the rule count."""
    running = not candidate
    local = _read(client, location.base_xpath, running)
    if local is None:
        raise location_missing(location)
    shared = _read(client, SHARED_XPATH, running)
    data = build_snapshot(local, shared, location)
    count = sum(len(r.findall("entry")) for _b, r in _rules_containers(local))
    return data, count
