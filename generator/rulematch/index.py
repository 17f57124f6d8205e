"""The firewall rules that can pre-empt a managed rule, resolved once and indexed.

Only unmanaged, enabled rules above the bottom rule count. They are resolved to boxes once per
snapshot and filtered per zone pair. A flow looks at the handful of rules whose destination
overlaps its own (an index by destination interval); candidates go through the view's atoms
(atoms.py): one walk per group of candidates that no rule tells apart, over only the rules
that overlap them, so the check is not candidates x rules.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from lxml import etree

from generator.location import Location
from generator.rulematch.atoms import Atoms, CountedRule
from generator.rulematch.boxes import rule_boxes
from generator.rulematch.config import Fields, RuleBase, tables_for
from generator.rulematch.resolve import Resolver
from generator.rulematch.sets import ADDR_ALL, APP_ANY, SVC_ALL, Box, Intervals

ALLOW_ACTIONS = frozenset({"allow"})
DENY_ACTIONS = frozenset({"deny", "drop", "reset-client", "reset-server", "reset-both"})
ANY_ZONE = "any"
_EVERYTHING: Box = (ADDR_ALL, ADDR_ALL, SVC_ALL, APP_ANY)


@dataclass(frozen=True)
class _Resolved:
    position: int
    name: str
    action: str
    from_zones: tuple[str, ...]
    to_zones: tuple[str, ...]
    rule_type: str
    under: Box | None
    over: Box
    doubt: str


def _zone_fit(zones: tuple[str, ...], zone: str) -> tuple[bool, bool]:
    """(surely, maybe): does a rule's zone list hold the candidate's zone?"""
    if not zones:
        return False, True
    if ANY_ZONE in zones:
        return True, True
    if zone == ANY_ZONE:  # the candidate means every zone; the rule names a few
        return False, True
    return zone in zones, zone in zones


def _rule_type_fit(rule_type: str, from_zone: str, to_zone: str) -> tuple[bool, bool]:
    if rule_type == "universal":
        return True, True
    if ANY_ZONE in (from_zone, to_zone):
        return False, True
    same = from_zone == to_zone
    if rule_type == "intrazone":
        return same, same
    if rule_type == "interzone":
        return not same, not same
    return False, True


WIDE_CLASS = 25          # destinations of 2**24 addresses or more: checked for every flow


class ZoneView:
    """The counted rules that may match traffic from one zone to another, indexed by destination.

    Destination intervals are grouped by size class (bit length of the size); within a class an
    interval [s, e] overlapping [qs, qe] must start in [qs - 2**k + 1, qe], one bisect away.
    Very wide destinations (any, fqdn, /8) would be hits for every query, so they are kept apart.
    That serves single flows (first_match); candidate rules go through `atoms` (atoms.py), which
    also shares one walk between candidates that no rule tells apart.
    """

    def __init__(self, rules: list[CountedRule]) -> None:
        self.rules = rules
        by_class: dict[int, list[tuple[int, int, int]]] = {}
        wide: set[int] = set()
        for idx, rule in enumerate(rules):
            for lo, hi in rule.over[1]:
                k = (hi - lo + 1).bit_length()
                if k >= WIDE_CLASS:
                    wide.add(idx)
                else:
                    by_class.setdefault(k, []).append((lo, hi, idx))
        self._wide = sorted(wide)
        self._classes: list[tuple[int, list[int], list[int], list[int]]] = []
        for k, items in sorted(by_class.items()):
            items.sort()
            starts = [i[0] for i in items]
            self._classes.append((1 << k, starts, [i[1] for i in items], [i[2] for i in items]))
        self._wide_rules = [rules[i] for i in self._wide]
        self._atoms: Atoms | None = None

    @property
    def atoms(self) -> Atoms:
        """The view's atoms and overlap masks (built on first use: flows do not need them)."""
        if self._atoms is None:
            self._atoms = Atoms(self.rules)
        return self._atoms

    def rules_for(self, destinations: Intervals) -> list[CountedRule]:
        """The rules whose destination overlaps `destinations`, in rule order; others cannot match.
        The list returned may be shared: callers must not change it."""
        hits: list[int] = []
        for width, starts, ends, ids in self._classes:
            for qs, qe in destinations:
                lo = bisect_left(starts, qs - width + 1)
                for j in range(lo, bisect_right(starts, qe, lo)):
                    if ends[j] >= qs:
                        hits.append(ids[j])
        if not hits:
            return self._wide_rules
        rules = self.rules
        return [rules[i] for i in sorted(set(hits).union(self._wide))]


class FirewallIndex:
    """Every counted rule of a snapshot for one location, bottom rule and ownership tag."""

    def __init__(self, rulebase: RuleBase, location: Location, bottom_rule: str | None,
                 tag: str | None) -> None:
        self.warnings: list[str] = []
        self.unusable: str | None = None  # set when no rule can count (the decision's reason)
        self._views: dict[tuple[str, str], ZoneView] = {}
        self._rules: list[_Resolved] = []
        ordered = rulebase.ordered_rules(location)
        if not rulebase.has_location(location):
            self.unusable = f"the snapshot {rulebase.path} has no {location.describe()}; no rule counts"
            self.warnings.append(self.unusable)
            return
        own = location.rulebase_tag
        if bottom_rule is not None:
            cut = next((i for i, (entry, where) in enumerate(ordered)
                        if entry is not None and where == own and entry.get("name") == bottom_rule), None)
            if cut is None:
                self.unusable = (f"bottom rule {bottom_rule!r} is not in the snapshot {rulebase.path}; "
                                 "no rule counts as covering")
                self.warnings.append(self.unusable)
                return
            ordered = ordered[:cut]
        resolver = Resolver(tables_for([rulebase.root], location))
        for position, (entry, where) in enumerate(ordered):
            if entry is None:  # a Panorama post-rulebase: the firewall's local rules come first
                self.warnings.append("post-rulebase: the firewalls' local rules come before post-rules and "
                                     "are not in a Panorama snapshot, so no post-rule surely decides traffic")
                self._rules.append(_Resolved(
                    position, "(local device rules)", "unknown", (ANY_ZONE,), (ANY_ZONE,), "universal",
                    None, _EVERYTHING, "the firewall's own rules are not in a Panorama snapshot"))
                continue
            self._add(position, entry, where, resolver, tag)

    def _add(self, position: int, entry: etree._Element, where: str, resolver: Resolver,
             tag: str | None) -> None:
        name = entry.get("name") or f"(unnamed rule #{position + 1})"
        rule = Fields(entry, first=True)  # one pass over the entry's children, as find() reads them
        if (rule.text("disabled") or "no") == "yes":
            return
        if tag is not None and tag in rule.members("tag"):
            return
        boxes = rule_boxes(rule, resolver)
        if boxes.unknown:
            self.warnings.append(f"firewall rule {name!r} ({where}) references unknown "
                                 f"{', '.join(boxes.unknown)}; it never counts as covering")
        if boxes.over is None:
            return
        raw_action = rule.text("action") or ""
        action = raw_action
        if raw_action in ALLOW_ACTIONS:
            action = "allow"
        elif raw_action in DENY_ACTIONS:
            action = "deny"
        under = boxes.under
        doubts = list(boxes.doubts)
        if action not in ("allow", "deny"):
            under = None
            doubts.append(f"action {raw_action or '(none)'}")
        self._rules.append(_Resolved(position, name, action, tuple(rule.members("from")),
                                     tuple(rule.members("to")), rule.text("rule-type") or "universal",
                                     under, boxes.over, "; ".join(doubts)))

    def view(self, from_zone: str, to_zone: str) -> ZoneView:
        """The counted rules for one zone pair (built on first use, then kept)."""
        key = (from_zone, to_zone)
        found = self._views.get(key)
        if found is not None:
            return found
        rules = []
        for r in self._rules:
            f_sure, f_maybe = _zone_fit(r.from_zones, from_zone)
            t_sure, t_maybe = _zone_fit(r.to_zones, to_zone)
            k_sure, k_maybe = _rule_type_fit(r.rule_type, from_zone, to_zone)
            if not (f_maybe and t_maybe and k_maybe):
                continue
            sure = f_sure and t_sure and k_sure
            doubt = r.doubt if sure else "; ".join(x for x in (r.doubt, "zones") if x)
            rules.append(CountedRule(r.position, r.name, r.action, r.under if sure else None, r.over, doubt))
        view = self._views[key] = ZoneView(rules)
        return view
