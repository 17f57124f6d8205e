"""First-match coverage: is a candidate rule's traffic already decided by the rules above it?

PAN-OS takes the first rule that matches a session. A candidate's traffic is a set of boxes;
walking the counted rules in order, each rule decides the part of the remaining traffic it
surely matches (`under`) and leaves the rest to the rules below. A rule that only may match a
part (`over` minus `under`: an fqdn, an unknown name) is noted with its action, and that part
stays in play. "allowed" needs every piece decided by allow rules and no blocking rule that may
have matched first; "blocked" the reverse. Anything less keeps the candidate (partial or
uncovered), so what awspan cannot know never removes a rule from the fragment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from lxml import etree

from generator.errors import AwspanError, quote
from generator.location import Location
from generator.rulematch.atoms import BoxKey
from generator.rulematch.boxes import Candidate, Traffic, address_side, traffic
from generator.rulematch.config import RuleBase, tables_for
from generator.rulematch.index import ANY_ZONE, CountedRule, FirewallIndex, ZoneView
from generator.rulematch.resolve import OwnObjects, Resolver, ip_interval
from generator.rulematch.sets import (
    APP_ANY,
    OTHER_BASE,
    PORTS,
    PROTO_BASE,
    AppSet,
    Box,
    Intervals,
    app_set,
    box_and,
    box_overlaps,
    box_sub,
)
from generator.vocab import PORT_PROTOCOLS, PROTOCOL_NUMBERS

MAX_DOUBTS_SHOWN = 3  # a reason names this many unsure rules, then counts the rest
MAX_PIECES = 512  # a candidate cut into more pieces than this is given up on (kept: conservative)


class RuleVerdict(NamedTuple):  # a tuple: one per candidate, 100,000s of them
    """The verdict on one candidate rule; `covering` names the rules that surely decide part of it."""

    rule: str
    verdict: str  # "allowed" | "blocked" | "shadowed" | "partial" | "uncovered"
    covering: tuple[str, ...]
    reason: str


@dataclass
class _Walk:
    """What the walk over the counted rules found for one candidate."""

    allow: list[CountedRule]
    deny: list[CountedRule]
    doubt: dict[str, tuple[str, str]]  # rule name -> (action, why it only may match)
    remaining: bool = False
    gave_up: bool = False

    def covering(self) -> tuple[str, ...]:
        rules = {r.position: r.name for r in (*self.allow, *self.deny)}
        return tuple(rules[p] for p in sorted(rules))

    def can_be_allowed(self) -> bool:
        return not self.deny and all(action == "allow" for action, _ in self.doubt.values())

    def can_be_blocked(self) -> bool:
        return not self.allow and all(action == "deny" for action, _ in self.doubt.values())


def _walk(boxes: list[Box], rules: list[CountedRule], walk: _Walk) -> None:
    """Let each rule, in order, take the traffic it surely matches; note the rules that may match.

    Traffic a rule only may match stays in play: if that rule does not match it, the rules below
    decide it; if it does, its action does. Either way the outcome is sure only when both agree,
    which is what can_be_allowed / can_be_blocked check.
    """
    remaining = boxes
    for rule in rules:
        if not remaining:
            break
        over = rule.over
        under = rule.under
        hit = False
        kept: list[Box] = []
        for box in remaining:
            if not box_overlaps(box, over):
                kept.append(box)
                continue
            if under is not None and box_and(box, under) is not None:
                hit = True
                pieces = box_sub(box, under)
            else:
                pieces = [box]
            for piece in pieces:
                if rule.name not in walk.doubt and box_overlaps(piece, over):
                    walk.doubt[rule.name] = (rule.action, rule.doubt or "may match")
                kept.append(piece)
        if hit:
            (walk.allow if rule.action == "allow" else walk.deny).append(rule)
        remaining = kept
        # A candidate decided in part by allow and in part by deny rules is partial, or shadowed
        # when the rules above decide every one of its flows: the walk goes on to tell which.
        if len(remaining) > MAX_PIECES:
            walk.gave_up = True
            break
    walk.remaining = walk.remaining or bool(remaining)


def _names(items: list[CountedRule] | list[str]) -> str:
    return ", ".join(dict.fromkeys(i if isinstance(i, str) else i.name for i in items))


def _decide(name: str, walk: _Walk) -> RuleVerdict:
    covering = walk.covering()
    doubts = [f"{rule} may match ({why})" for rule, (_, why) in walk.doubt.items()]
    if len(doubts) > MAX_DOUBTS_SHOWN:
        doubts[MAX_DOUBTS_SHOWN:] = [f"{len(doubts) - MAX_DOUBTS_SHOWN} more rules may match"]
    doubt = "; ".join(doubts)
    if not walk.remaining and not walk.gave_up:
        note = f" ({doubt}; it allows too)" if doubt else ""
        if walk.allow and walk.can_be_allowed():
            return RuleVerdict(name, "allowed", covering, f"already allowed by {_names(walk.allow)}{note}")
        note = f" ({doubt}; it blocks too)" if doubt else ""
        if walk.deny and walk.can_be_blocked():
            return RuleVerdict(name, "blocked", covering, f"blocked by {_names(walk.deny)}{note}")
        if walk.allow or walk.deny:  # every flow is decided above: some allowed, the rest blocked
            parts = [f"allowed in part by {_names(walk.allow)}" if walk.allow else "",
                     f"blocked in part by {_names(walk.deny)}" if walk.deny else "", doubt]
            return RuleVerdict(name, "shadowed", covering,
                            "every flow is decided by rules above: " + "; ".join(p for p in parts if p)
                            + "; it adds nothing")
    if covering:
        parts = []
        if walk.allow:
            parts.append(f"allowed in part by {_names(walk.allow)}")
        if walk.deny:
            parts.append(f"blocked in part by {_names(walk.deny)}")
        if doubt:
            parts.append(doubt)
        if walk.gave_up:
            parts.append("too fragmented to finish")
        return RuleVerdict(name, "partial", covering, "; ".join(parts) + "; kept whole")
    reason = "no rule above the bottom rule matches its traffic"
    if doubt:
        reason = f"not surely covered: {doubt}"
    return RuleVerdict(name, "uncovered", (), reason)


def _index(rulebase: RuleBase, location: Location, bottom_rule: str | None, tag: str | None) -> FirewallIndex:
    """One index per loaded snapshot and settings (kept on the RuleBase: flows reuse it)."""
    key = (location, bottom_rule, tag)
    found = rulebase.indexes.get(key)
    if found is None:
        found = rulebase.indexes[key] = FirewallIndex(rulebase, location, bottom_rule, tag)
    return found


def check_candidates(
    fragment_root: etree._Element,
    rulebase: RuleBase,
    *,
    location: Location,
    from_zone: str,
    to_zone: str,
    bottom_rule: str | None,
    tag: str | None,
) -> tuple[list[RuleVerdict], list[str]]:
    """One RuleVerdict per candidate security rule of the fragment, in fragment order, and warnings.

    Candidates use their own <from>/<to> zones when they have them, `from_zone`/`to_zone` if not.
    Their names resolve in the fragment first (its own objects), then in the snapshot.
    """
    if isinstance(fragment_root, etree._ElementTree):
        fragment_root = fragment_root.getroot()
    entries = location.rule_entries(location.container(fragment_root))
    candidates = (Candidate.of_entry(e, e.get("name") or "") for e in entries)
    resolver = Resolver(tables_for([fragment_root, rulebase.root], location))
    index = _index(rulebase, location, bottom_rule, tag)
    return _check(candidates, resolver, index, from_zone, to_zone)


def check_rules(
    candidates: Iterable[Candidate],
    own: OwnObjects,
    rulebase: RuleBase,
    *,
    location: Location,
    from_zone: str,
    to_zone: str,
    bottom_rule: str | None,
    tag: str | None,
) -> tuple[list[RuleVerdict], list[str]]:
    """check_candidates on candidates handed over as they are (generate's model), not as XML:
    their names resolve in `own` first, then in the snapshot. Same decisions, same warnings."""
    resolver = Resolver(tables_for([rulebase.root], location), own)
    return _check(candidates, resolver, _index(rulebase, location, bottom_rule, tag), from_zone, to_zone)


def _check(candidates: Iterable[Candidate], resolver: Resolver, index: FirewallIndex, from_zone: str,
           to_zone: str) -> tuple[list[RuleVerdict], list[str]]:
    """Decide each candidate; candidates whose boxes touch the same atoms share one walk.

    A candidate's parts (its sources, its destinations, its services with its applications) are
    resolved and put on each view's atom lines once per list of names: 100,000 candidates name a
    few thousand groups and service pairs."""
    warnings = list(index.warnings)
    decisions: list[RuleVerdict] = []
    walks: dict[tuple[int, ...], tuple[str, tuple[str, ...], str]] = {}  # -> (verdict, covering, reason)
    sides: dict[tuple[tuple[str, ...], bool], tuple[Intervals, tuple[str, ...]]] = {}
    traffics: dict[tuple[tuple[str, ...], tuple[str, ...]], Traffic] = {}
    default_from, default_to = (from_zone,), (to_zone,)
    for position, c in enumerate(candidates):
        name = c.name or f"(unnamed candidate #{position + 1})"
        if index.unusable:
            decisions.append(RuleVerdict(name, "uncovered", (), index.unusable))
            continue
        src = sides.get((c.sources, c.negate_source))
        if src is None:
            src = sides[(c.sources, c.negate_source)] = address_side(resolver, c.sources, c.negate_source)
        dst = sides.get((c.destinations, c.negate_destination))
        if dst is None:
            dst = sides[(c.destinations, c.negate_destination)] = address_side(
                resolver, c.destinations, c.negate_destination)
        t = traffics.get((c.services, c.applications))
        if t is None:
            t = traffics[(c.services, c.applications)] = traffic(resolver, c.services, c.applications)
        unknown = src[1] + dst[1] + t.app_unknown  # as candidate_boxes says them
        pairs: tuple[tuple[Intervals, AppSet], ...] = ()
        if src[0] and dst[0] and not t.apps_empty:
            unknown += t.svc_unknown
            pairs = t.pairs
        if unknown:
            warnings.append(f"candidate rule {name!r} references unknown {_names(list(unknown))}; "
                            "that part is taken as any")
        views: list[tuple[ZoneView, tuple[BoxKey, ...]]] = []
        key: tuple[int, ...] = ()
        if pairs:
            for f in c.from_zones or default_from:
                for to in c.to_zones or default_to:
                    view = index.view(f, to)
                    box_keys = view.atoms.key([(src[0], dst[0], svc, app) for svc, app in pairs])
                    views.append((view, box_keys))
                    # views live as long as the index, atom sets as long as their view: ids stand
                    # for them (a tuple of a few ints hashes faster than the nested sets)
                    key += (id(view), *[id(part) for box_key in box_keys for part in box_key])
        found = walks.get(key)
        if found is None:
            walk = _Walk([], [], {})
            for view, box_keys in views:  # on the atom lines: the same walk, on shorter sets
                _walk(list(box_keys), view.atoms.overlapping(box_keys), walk)
            d = _decide("", walk)
            found = walks[key] = (d.verdict, d.covering, d.reason)
        decisions.append(RuleVerdict(name, *found))
    return decisions, warnings


# ---- single flows (for cross-checks against a device's `test security-policy-match`) ----------
@dataclass(frozen=True)
class Flow:
    """One session as `test security-policy-match` takes it."""

    from_zone: str
    to_zone: str
    source: str
    destination: str
    protocol: int | str  # number or tcp / udp / sctp / icmp / ipv6-icmp
    port: int | None = None  # destination port (tcp, udp, sctp)
    application: str | None = None  # None: not known, so application-specific rules only may match


@dataclass(frozen=True)
class FlowMatch:
    """The first counted rule that matches a flow. `certain` False: `rule` only may match it."""

    rule: str | None
    action: str | None
    certain: bool
    reason: str = ""


def _flow_box(flow: Flow) -> Box:
    try:
        src = ip_interval(flow.source)
        dst = ip_interval(flow.destination)
    except ValueError as exc:
        raise AwspanError(f"flow address {exc} is not an IP address") from None
    number = PROTOCOL_NUMBERS.get(str(flow.protocol))
    if number is None:
        try:
            number = int(flow.protocol)
        except ValueError:
            raise AwspanError(f"unknown protocol {quote(flow.protocol)}") from None
    name = PORT_PROTOCOLS.get(number)
    if name is not None:
        if flow.port is None or not 0 <= flow.port < PORTS:
            raise AwspanError(f"a {name} flow needs a destination port 0-65535")
        point = PROTO_BASE[name] + flow.port
    else:
        point = OTHER_BASE + number
    app = app_set((flow.application,)) if flow.application else APP_ANY
    return ((src,), (dst,), ((point, point),), app)


def first_match(
    rulebase: RuleBase,
    flow: Flow,
    *,
    location: Location,
    bottom_rule: str | None = None,
    tag: str | None = None,
) -> FlowMatch:
    """Which counted rule decides `flow` (None: none above the bottom rule, or no rule at all)."""
    index = _index(rulebase, location, bottom_rule, tag)
    if index.unusable:
        return FlowMatch(None, None, False, index.unusable)
    box = _flow_box(flow)
    if ANY_ZONE in (flow.from_zone, flow.to_zone):
        raise AwspanError("a flow has concrete zones, not any")
    for rule in index.view(flow.from_zone, flow.to_zone).rules_for(box[1]):
        if not box_overlaps(box, rule.over):
            continue
        if rule.under is not None and not box_sub(box, rule.under):
            return FlowMatch(rule.name, rule.action, True)
        return FlowMatch(rule.name, rule.action, False, rule.doubt or "may match")
    return FlowMatch(None, None, True)
