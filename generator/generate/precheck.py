"""The already-allowed check: leave out candidate rules the firewall's own rules already decide.

When out/rulebase.xml (from `awspan snapshot`) is present, every candidate rule is matched
against the unmanaged rules above the bottom rule (generator.rulematch). A candidate whose
traffic is wholly allowed there would never be hit; one wholly denied there would never
work; one whose every flow is decided there (some allowed, the rest denied) is shadowed and
adds nothing: all three are left out, said on stderr, and recorded with the reason in precheck.yaml
beside the fragment (precheck_file.py owns that format), so a reviewer sees in the pull request why
a rule is missing.

The check runs on the model, once, before the fragment is rendered (once): the candidates are
handed to the matcher as a bare tree of only what it reads (zones, members, address values,
service ports), built from the Fragment, never by rendering and parsing back the 100 MB
document. A site's --templates change how the fragment is written, not what it allows.
"""

from __future__ import annotations

import logging
from pathlib import Path

from lxml import etree

from generator.generate.model import Fragment
from generator.generate.precheck_file import precheck_text
from generator.policy import Policy

log = logging.getLogger(__name__)

LEFT_OUT = frozenset({"allowed", "blocked", "shadowed"})


def _members(parent: etree._Element, tag: str, names: tuple[str, ...] | list[str]) -> None:
    holder = etree.SubElement(parent, tag)
    for name in names:
        etree.SubElement(holder, "member").text = name


def candidate_tree(fragment: Fragment) -> etree._Element:
    """The fragment's objects and rules as the matcher reads them, along the location's path.

    Only the fields generator.rulematch looks at: a tree proportional to the rules checked,
    without the descriptions, tags and indentation of the rendered document."""
    root = etree.Element("config")
    node = root
    for tag, name in fragment.location.path_elements():
        node = etree.SubElement(node, tag, name=name) if name else etree.SubElement(node, tag)
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
    rules = node
    for tag in fragment.location.rulebase_elements():
        rules = etree.SubElement(rules, tag)
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


def run_precheck(fragment: Fragment, rulebase: str | Path, policy: Policy) -> tuple[Fragment, str]:
    """Return the fragment without left-out rules (`fragment` itself when none is) and the text
    of precheck.yaml."""
    from generator.rulematch import check_candidates, load_rulebase  # only a run with a snapshot needs it

    snapshot = load_rulebase(str(rulebase))
    root = candidate_tree(fragment)
    decisions, warnings = check_candidates(
        root,
        snapshot,
        location=policy.firewall.location,
        from_zone=policy.rules.from_zone,
        to_zone=policy.rules.to_zone,
        bottom_rule=policy.rules.bottom_rule,
        tag=policy.rules.tag,
    )
    decisions = sorted(decisions, key=lambda d: d.rule)
    for d in decisions:
        by = ", ".join(d.covering) or "-"
        if d.verdict == "allowed":
            log.info("left out %s: already allowed by rule(s) %s", d.rule, by)
        elif d.verdict == "blocked":
            log.warning("BLOCKED %s: denied by rule(s) %s above the managed rules (%s); left out",
                        d.rule, by, d.reason)
        elif d.verdict == "shadowed":
            log.info("left out %s: shadowed by rule(s) %s (%s)", d.rule, by, d.reason)
        elif d.verdict == "partial":  # the reason names the rules: "blocked in part by X; kept whole"
            said = d.reason.removesuffix("; kept whole") if d.reason else f"partly decided by rule(s) {by}"
            log.info("kept %s: %s (the rest of its traffic needs the rule)", d.rule, said)
    for w in sorted(warnings):
        log.warning("warning: %s", w)
    del root  # the candidates' tree is not needed to render
    left_out = {d.rule for d in decisions if d.verdict in LEFT_OUT}
    kept = fragment
    if left_out:
        kept = fragment.keep_rules(r.name for r in fragment.rules if r.name not in left_out)
    return kept, precheck_text(decisions, warnings)
