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

On Panorama the firewalls of the device group enforce more than its own rules: shared and every
ancestor device group's pre-rules come first, and their objects resolve the names (Panorama
Administrator's Guide, "Device Group Policies"; a descendant's object overrides an ancestor's or
shared one of the same name, "Manage Precedence of Inherited Objects"). So the snapshot also
holds each ancestor (`show dg-hierarchy`, then one read each: Panorama nests at most four
levels) as its own `device-group/entry` with its rules and the objects found there, and the
hierarchy where Panorama keeps it, `readonly/devices/entry/device-group/entry[@name]/parent-dg`.
Names resolve as on the group's firewalls: the group first, then its ancestors nearest first,
then shared.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from lxml import etree

from generator.groups import filter_tags, static_members
from generator.location import DEVICE, SHARED_XPATH, Location, make_rules, rules_of
from generator.panos.config.canonical import strip_bookkeeping
from generator.panos.xmlapi.client import PanosClient, PanosError
from generator.panos.xmlapi.fleet import ancestors as ancestor_names
from generator.panos.xmlapi.fleet import read_hierarchy
from generator.panos.xmlapi.read_config import location_missing, read_node
from generator.vocab import RULEBASES, SNAPSHOT_KINDS

log = logging.getLogger(__name__)

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
    """Collect referenced objects, scope by scope (the location, its ancestors nearest first,
    shared: the first scope holding a name wins), following nested groups."""

    def __init__(self, *scopes: etree._Element | None) -> None:
        self.pools = [_index(scope) for scope in scopes]
        self.picked: list[dict[str, dict[str, etree._Element]]] = [_index(None) for _ in scopes]

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


def _panorama_rules(scope: etree._Element | None) -> list[tuple[str, etree._Element]]:
    return [(b, r) for b, r in _rules_containers(scope) if b != "rulebase"]


def build_snapshot(local: etree._Element | None, shared: etree._Element | None, location: Location,
                   ancestors: Sequence[tuple[str, etree._Element | None]] = ()) -> bytes:
    """The rulebase.xml document (pure: same inputs, same bytes). `ancestors`: on Panorama, the
    device group's ancestors (name, config), nearest first."""
    chain = list(ancestors) if location.is_panorama else []
    resolver = _Resolver(local, *(scope for _, scope in chain), shared)
    local_rules = _rules_containers(local)
    if location.is_panorama:
        local_rules = [(b, r) for b, r in local_rules if b != "rulebase"]
    else:
        local_rules = [(b, r) for b, r in local_rules if b == "rulebase"]
    if not local_rules:
        local_rules = [(location.rulebase_tag, etree.Element("rules"))]
    shared_rules = _panorama_rules(shared) if location.is_panorama else []
    chain_rules = [_panorama_rules(scope) for _, scope in chain]
    for _base, container in shared_rules + [c for each in chain_rules for c in each] + local_rules:
        for rule in container.iterfind("entry"):
            resolver.rule(rule)

    root = etree.Element("config")
    shared_out = etree.SubElement(root, "shared")
    _objects_into(shared_out, resolver.picked[-1])
    _rules_into(shared_out, shared_rules)
    node = location.make_container(root)
    _objects_into(node, resolver.picked[0])
    _rules_into(node, local_rules)
    if chain:
        holder = node.getparent()
        assert holder is not None
        for i, ((name, _), rules) in enumerate(zip(chain, chain_rules, strict=True)):
            group = etree.Element("entry", name=name)
            holder.insert(0, group)  # the top of the hierarchy first
            _objects_into(group, resolver.picked[1 + i])
            _rules_into(group, rules)
        _hierarchy_into(root, [str(location.device_group), *(name for name, _ in chain)])
    return etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8")


def _hierarchy_into(root: etree._Element, names: list[str]) -> None:
    """`readonly/devices/entry/device-group/entry[@name]/parent-dg`, as Panorama keeps it:
    `names` is the group and its ancestors, nearest first."""
    groups = etree.SubElement(etree.SubElement(etree.SubElement(
        etree.SubElement(root, "readonly"), "devices"), "entry", name=DEVICE), "device-group")
    for child, parent in sorted(zip(names[:-1], names[1:], strict=True)):
        etree.SubElement(etree.SubElement(groups, "entry", name=child), "parent-dg").text = parent


def take_snapshot(client: PanosClient, location: Location, *, candidate: bool = False) -> tuple[bytes, int]:
    """Read the location and /config/shared (two requests; on Panorama also `show dg-hierarchy`
    and one read per ancestor); return the document and the count of the location's own rules."""
    running = not candidate
    local = _read(client, location.base_xpath, running)
    if local is None:
        raise location_missing(location)
    shared = _read(client, SHARED_XPATH, running)
    chain: list[tuple[str, etree._Element | None]] = []
    if location.is_panorama:
        try:
            names = ancestor_names(read_hierarchy(client), str(location.device_group))
        except PanosError as exc:
            if not exc.answered:
                raise
            # without ancestors the check only keeps more rules (their allows are not seen, their
            # objects are unknown names taken as `any`): safe, but say so
            log.warning("warning: show dg-hierarchy was refused (%s): the snapshot holds no ancestor device "
                        "group; the already-allowed check keeps rules an ancestor's rules may decide", exc)
            names = []
        for name in names:
            scope = Location(vsys=None, device_group=name)
            chain.append((name, _read(client, scope.base_xpath, running)))
    data = build_snapshot(local, shared, location, chain)
    count = sum(len(r.findall("entry")) for _b, r in _rules_containers(local))
    return data, count
