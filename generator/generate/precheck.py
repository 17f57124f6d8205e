"""The already-allowed check: leave out candidate rules the firewall's own rules already decide.

When out/rulebase.xml (from `awspan snapshot`) is present, every candidate rule is matched
against the unmanaged rules above the bottom rule (generator.rulematch). A candidate whose
traffic is wholly allowed there would never be hit; one wholly denied there would never
work; one whose every flow is decided there (some allowed, the rest denied) is shadowed and
adds nothing: all three are left out, said on stderr, and recorded with the reason in precheck.yaml
beside the fragment (precheck_file.py owns that format), so a reviewer sees in the pull request why
a rule is missing.

The check runs on the model, once, before the fragment is rendered (once): the candidates and
the fragment's objects are handed to the matcher as they are (rulematch.check_rules), never by
rendering and parsing back the 100 MB document, nor as an XML tree (candidate_tree builds the
tree they stand for: the tests hold the two to the same decisions). A site's --templates change
how the fragment is written, not what it allows.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree

from generator.gcpause import paused_gc
from generator.generate.objects import Fragment
from generator.generate.precheck_file import precheck_text
from generator.location import Location
from generator.policy import Policy

if TYPE_CHECKING:  # the matcher is imported only by a run with a snapshot
    from generator.rulematch import Candidate, OwnObjects

log = logging.getLogger(__name__)

LEFT_OUT = frozenset({"allowed", "blocked", "shadowed"})


def _members(parent: etree._Element, tag: str, names: tuple[str, ...] | list[str]) -> None:
    holder = etree.SubElement(parent, tag)
    for name in names:
        etree.SubElement(holder, "member").text = name


def candidate_tree(fragment: Fragment) -> etree._Element:
    """The fragment's objects and rules as the matcher reads them, along the location's path.

    Only the fields generator.rulematch looks at: a tree proportional to the rules checked,
    without the descriptions, tags and indentation of the rendered document. generate hands
    over candidates() and own_objects() instead; this is what they stand for."""
    root = etree.Element("config")
    node = fragment.location.make_container(root)
    addresses = etree.SubElement(node, "address")
    for a in fragment.addresses:
        etree.SubElement(etree.SubElement(addresses, "entry", name=a.name), "ip-netmask").text = a.value
    groups = etree.SubElement(node, "address-group")
    for g in fragment.groups:
        _members(etree.SubElement(groups, "entry", name=g.name), "static", g.members)
    services = etree.SubElement(node, "service")
    for s in fragment.services:
        protocol = etree.SubElement(etree.SubElement(services, "entry", name=s.name), "protocol")
        etree.SubElement(etree.SubElement(protocol, s.protocol), "port").text = s.port
    rules = fragment.location.make_rules(node)
    zones_from, zones_to = [fragment.from_zone], [fragment.to_zone]
    for r in fragment.rules:
        entry = etree.SubElement(rules, "entry", name=r.name)
        _members(entry, "from", zones_from)
        _members(entry, "to", zones_to)
        _members(entry, "source", r.sources)
        _members(entry, "destination", r.destinations)
        _members(entry, "application", r.applications)
        _members(entry, "service", r.services)
    return root


def _same_place(a: Location, b: Location) -> bool:
    return a.path_elements() == b.path_elements() and a.rulebase_elements() == b.rulebase_elements()


def own_objects(fragment: Fragment) -> OwnObjects:
    """The fragment's addresses, groups and services as the matcher resolves them (the first of
    a name wins, as in a tree); the same values candidate_tree would write."""
    from generator.rulematch import OwnObjects

    addresses: dict[str, str] = {}
    groups: dict[str, tuple[str, ...]] = {}
    services: dict[str, tuple[str, str]] = {}
    for a in reversed(fragment.addresses):
        addresses[a.name] = a.value
    for g in reversed(fragment.groups):
        groups[g.name] = g.members
    for s in reversed(fragment.services):
        services[s.name] = (s.protocol, s.port)
    return OwnObjects(addresses, groups, services)


def candidates(fragment: Fragment) -> list[Candidate]:
    """The fragment's rules as the matcher reads them: what candidate_tree would hold, stripped
    as a tree's members are read."""
    from generator.rulematch import Candidate

    zones_from, zones_to = (fragment.from_zone.strip(),), (fragment.to_zone.strip(),)
    return [Candidate(r.name, zones_from, zones_to, _stripped(r.sources), _stripped(r.destinations),
                      _stripped(r.applications), _stripped(r.services)) for r in fragment.rules]


def _stripped(names: tuple[str, ...]) -> tuple[str, ...]:
    for n in names:
        if n != n.strip():
            return tuple(m.strip() for m in names)
    return names


def _line(d: Any) -> tuple[int, str] | None:
    """What generate says about one decision, and at which level (None: nothing, it is kept)."""
    by = ", ".join(d.covering) or "-"
    if d.verdict == "allowed":
        return logging.INFO, f"left out {d.rule}: already allowed by rule(s) {by}"
    if d.verdict == "blocked":
        return logging.WARNING, (f"BLOCKED {d.rule}: denied by rule(s) {by} above the managed rules "
                                 f"({d.reason}); left out")
    if d.verdict == "shadowed":
        return logging.INFO, f"left out {d.rule}: shadowed by rule(s) {by} ({d.reason})"
    if d.verdict == "partial":  # the reason names the rules: "blocked in part by X; kept whole"
        said = d.reason.removesuffix("; kept whole") if d.reason else f"partly decided by rule(s) {by}"
        return logging.INFO, f"kept {d.rule}: {said} (the rest of its traffic needs the rule)"
    return None


def _say(decisions: list[Any]) -> None:
    """One line per decided rule, in rule order; consecutive lines of one level go out as one
    record (the same text on the command line: 25,000 records cost a third of a second)."""
    level, lines = logging.INFO, []
    for d in decisions:
        said = _line(d)
        if said is None:
            continue
        if said[0] != level and lines:
            log.log(level, "%s", "\n".join(lines))
            lines = []
        level = said[0]
        lines.append(said[1])
    if lines:
        log.log(level, "%s", "\n".join(lines))


def run_precheck(fragment: Fragment, rulebase: str | Path, policy: Policy) -> tuple[Fragment, str]:
    """Return the fragment without left-out rules (`fragment` itself when none is) and the text
    of precheck.yaml. Runs with the cyclic collector paused (generator.gcpause): the check makes a
    few 100,000 tuples that live until it ends and form no cycle, and each collection would walk
    them and the whole model (50,000 instances: about a second of the check's 2 s)."""
    with paused_gc():
        return _run(fragment, rulebase, policy)


def _run(fragment: Fragment, rulebase: str | Path, policy: Policy) -> tuple[Fragment, str]:
    # only a run with a snapshot needs the matcher
    from generator.rulematch import check_candidates, check_rules, load_rulebase

    snapshot = load_rulebase(str(rulebase))
    settings = {
        "location": policy.firewall.location,
        "from_zone": policy.rules.from_zone,
        "to_zone": policy.rules.to_zone,
        "bottom_rule": policy.rules.bottom_rule,
        "tag": policy.rules.tag,
    }
    if _same_place(fragment.location, policy.firewall.location):
        decisions, warnings = check_rules(candidates(fragment), own_objects(fragment), snapshot, **settings)
    else:  # never from generate; the tree says what such a mismatch means (no candidate is found)
        decisions, warnings = check_candidates(candidate_tree(fragment), snapshot, **settings)
    decisions = sorted(decisions, key=lambda d: d.rule)
    _say(decisions)
    for w in sorted(warnings):
        log.warning("warning: %s", w)
    left_out = {d.rule for d in decisions if d.verdict in LEFT_OUT}
    kept = fragment
    if left_out:
        kept = fragment.keep_rules(r.name for r in fragment.rules if r.name not in left_out)
    return kept, precheck_text(decisions, warnings)
