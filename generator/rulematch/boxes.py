"""A whole firewall rule as boxes of traffic: source x destination x service x application.

resolve.py turns each name of a rule into sets; this module combines a rule's lists into
the `under` box (traffic it surely matches) and the `over` box (traffic it may match), and
cuts a candidate rule into the boxes the already-allowed check must find covered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from lxml import etree

from generator.icmp import parse_app_name
from generator.rulematch.config import Fields, text_of
from generator.rulematch.resolve import Resolved, Resolver
from generator.rulematch.sets import (
    ADDR_ALL,
    DEFAULT_PORTED,
    DEFAULT_PORTLESS,
    EMPTY,
    SVC_ALL,
    SVC_DEFAULTS,
    SVC_REAL,
    AppSet,
    Box,
    Intervals,
    app_empty,
    app_set,
    iv_and,
    iv_sub,
    normalize,
)

# Applications that are not tcp/udp/sctp at all: a port-based service can never match them.
PORTLESS_APPS = frozenset({"icmp", "ipv6-icmp", "ping", "gre", "ipsec-esp", "ipsec-ah"})
# Match criteria that awspan does not model: a rule that narrows on one of them never covers.
NARROWING_LISTS = ("source-user", "category", "source-hip", "destination-hip", "source-imei", "source-imsi")
_DEFAULT_PORTED_IV: Intervals = ((DEFAULT_PORTED, DEFAULT_PORTED),)
_DEFAULT_PORTLESS_IV: Intervals = ((DEFAULT_PORTLESS, DEFAULT_PORTLESS),)


@dataclass(frozen=True)
class RuleBoxes:
    """A firewall rule's traffic: `under` (surely matched; None = never counts), `over` (maybe)."""

    under: Box | None
    over: Box | None  # None: the rule cannot match anything
    unknown: tuple[str, ...]
    doubts: tuple[str, ...]  # why under and over differ, for the decision's reason


def _negated(res: Resolved, negate: bool) -> tuple[Intervals, Intervals]:
    if not negate:
        return res.under, res.over
    return iv_sub(ADDR_ALL, res.over), iv_sub(ADDR_ALL, res.under)


def _is_yes(entry: etree._Element, field: str) -> bool:
    return (text_of(entry, field) or "no") == "yes"


def rule_boxes(entry: etree._Element | Fields, resolver: Resolver) -> RuleBoxes:
    """Resolve one firewall rule (zones and action are the index's business)."""
    rule = entry if isinstance(entry, Fields) else Fields(entry, first=True)
    unknown: list[str] = []
    doubts: list[str] = []
    under_ok = True

    def named(field: str) -> list[str]:
        nonlocal under_ok
        names = rule.members(field)
        if not names:  # PAN-OS requires every one of them: a malformed rule may match, never covers
            under_ok = False
            doubts.append(f"no <{field}> members")
        return names

    src = resolver.addresses(named("source") or ["any"])
    dst = resolver.addresses(named("destination") or ["any"])
    apps = resolver.applications(named("application") or ["any"])
    svc_names = named("service") or ["any"]
    for res in (src, dst, apps):
        unknown.extend(res.unknown)
        doubts.extend(res.vague)
    src_under, src_over = _negated(src, (rule.text("negate-source") or "no") == "yes")
    dst_under, dst_over = _negated(dst, (rule.text("negate-destination") or "no") == "yes")

    if "application-default" in svc_names:
        svc_over = SVC_ALL
        if apps.under[0] or not apps.under[1]:
            svc_under = EMPTY  # "any application on its default ports" is not a set awspan knows
            doubts.append("application-default with application any")
        else:
            svc_under = SVC_DEFAULTS
            doubts.append("application-default: which ports that is, only App-ID knows")
    else:
        svc = resolver.services(svc_names)
        unknown.extend(svc.unknown)
        doubts.extend(svc.vague)
        svc_under = svc.under
        # an application's default ports may lie inside these ports: maybe, never surely
        svc_over = normalize(svc.over + _DEFAULT_PORTED_IV) if svc.over else EMPTY
        if svc.over and svc.over != SVC_ALL:
            doubts.append("an application-default candidate's ports may be among these")

    for field in NARROWING_LISTS:
        names = rule.members(field)
        if names and names != ["any"]:
            under_ok = False
            doubts.append(f"{field} {', '.join(names)}")
    if rule.child("schedule") is not None:
        under_ok = False
        doubts.append(f"schedule {rule.text('schedule')}")
    target = rule.child("target")
    if target is not None and (target.find("devices/entry") is not None or _is_yes(target, "negate")):
        under_ok = False
        doubts.append("limited to some target devices")
    if unknown:
        under_ok = False

    over: Box | None = (src_over, dst_over, svc_over, apps.over)
    if not (src_over and dst_over and svc_over) or app_empty(apps.over):
        over = None
    under: Box | None = (src_under, dst_under, svc_under, apps.under)
    if not under_ok or not (src_under and dst_under and svc_under) or app_empty(apps.under):
        under = None
    return RuleBoxes(under, over, tuple(unknown), tuple(doubts))


class Candidate(NamedTuple):
    """What the check reads of one candidate rule (a tuple: generate hands over 100,000 of them).

    Empty lists mean what an absent element means in a rule entry: the zones of the settings,
    `any` for the other fields."""

    name: str
    from_zones: tuple[str, ...]
    to_zones: tuple[str, ...]
    sources: tuple[str, ...]
    destinations: tuple[str, ...]
    applications: tuple[str, ...]
    services: tuple[str, ...]
    negate_source: bool = False
    negate_destination: bool = False

    @classmethod
    def of_entry(cls, entry: etree._Element | Fields, name: str = "") -> Candidate:
        """A candidate rule entry of a fragment tree, read in one pass."""
        f = entry if isinstance(entry, Fields) else Fields(entry)
        return cls(name, tuple(f.members("from")), tuple(f.members("to")), tuple(f.members("source")),
                   tuple(f.members("destination")), tuple(f.members("application")),
                   tuple(f.members("service")), f.text("negate-source") == "yes",
                   f.text("negate-destination") == "yes")


_ANY = ("any",)


class Traffic(NamedTuple):
    """What a candidate's service and application lists allow, and the names they could not
    resolve (`svc_unknown` is reported only when the candidate has traffic at all)."""

    pairs: tuple[tuple[Intervals, AppSet], ...]  # (service, applications) of each box
    app_unknown: tuple[str, ...]
    svc_unknown: tuple[str, ...]
    apps_empty: bool


def address_side(
    resolver: Resolver, names: tuple[str, ...], negate: bool
) -> tuple[Intervals, tuple[str, ...]]:
    """A candidate's sources or destinations: every address they may stand for, and unknown names."""
    res = resolver.addresses(names or _ANY)
    return (_negated(res, True)[1] if negate else res.over), res.unknown


def traffic(resolver: Resolver, services: tuple[str, ...], applications: tuple[str, ...]) -> Traffic:
    """A candidate's services and applications as (service, applications) pairs, one per box."""
    apps = resolver.applications(applications or _ANY)
    if app_empty(apps.over):
        return Traffic((), apps.unknown, (), True)
    svc_names = services or _ANY
    if "application-default" in svc_names:
        if apps.over[0]:
            return Traffic(((SVC_REAL, apps.over),), apps.unknown, (), False)
        pairs: list[tuple[Intervals, AppSet]] = []
        portless = {a for a in apps.over[1] if a in PORTLESS_APPS or parse_app_name(a) is not None}
        ported = apps.over[1] - portless
        if ported:
            pairs.append((_DEFAULT_PORTED_IV, app_set(ported)))
        if portless:
            pairs.append((_DEFAULT_PORTLESS_IV, app_set(portless)))
        return Traffic(tuple(pairs), apps.unknown, (), False)
    svc = resolver.services(svc_names)
    svc_over = iv_and(svc.over, SVC_REAL)
    return Traffic(((svc_over, apps.over),) if svc_over else (), apps.unknown, svc.unknown, False)


def candidate_boxes(
    entry: etree._Element | Fields | Candidate, resolver: Resolver
) -> tuple[list[Box], tuple[str, ...]]:
    """All the traffic a candidate rule allows, as boxes (over-approximated: more traffic to cover
    can only make "already allowed" or "blocked" less likely), and the names it could not resolve."""
    c = entry if isinstance(entry, Candidate) else Candidate.of_entry(entry)
    src_over, src_unknown = address_side(resolver, c.sources, c.negate_source)
    dst_over, dst_unknown = address_side(resolver, c.destinations, c.negate_destination)
    t = traffic(resolver, c.services, c.applications)
    unknown = src_unknown + dst_unknown + t.app_unknown
    if not src_over or not dst_over or t.apps_empty:
        return [], unknown
    return [(src_over, dst_over, svc, app) for svc, app in t.pairs], unknown + t.svc_unknown
