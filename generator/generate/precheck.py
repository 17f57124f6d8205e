"""The already-allowed check: leave out candidate rules the firewall's own rules already decide.

When out/rulebase.xml (from `awspan snapshot`) is present, every candidate rule is matched
against the unmanaged rules above the bottom rule (generator.rulematch). A candidate whose
traffic is wholly allowed there would never be hit; one wholly denied there would never
work: both are left out, said on stderr, and recorded with the reason in precheck.yaml
beside the fragment, so a reviewer sees in the pull request why a rule is missing.
"""

from __future__ import annotations

import logging
from pathlib import Path

from lxml import etree

from generator.generate.model import Fragment
from generator.policy import Policy
from generator.yamlio import dump_yaml

log = logging.getLogger(__name__)

PRECHECK_FILE = "precheck.yaml"
LEFT_OUT = frozenset({"allowed", "blocked"})


def precheck_path(output: str | Path) -> Path:
    return Path(output).parent / PRECHECK_FILE


def run_precheck(
    fragment: Fragment, root: etree._Element, rulebase: str | Path, policy: Policy
) -> tuple[Fragment, str]:
    """Return the fragment without left-out rules (`fragment` itself when none is) and the text
    of precheck.yaml."""
    from generator.rulematch import check_candidates, load_rulebase  # only a run with a snapshot needs it

    snapshot = load_rulebase(str(rulebase))
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
        elif d.verdict == "partial":  # the reason names the rules: "blocked in part by X; kept whole"
            said = d.reason.removesuffix("; kept whole") if d.reason else f"partly decided by rule(s) {by}"
            log.info("kept %s: %s (the rest of its traffic needs the rule)", d.rule, said)
    for w in sorted(warnings):
        log.warning("warning: %s", w)
    left_out = {d.rule for d in decisions if d.verdict in LEFT_OUT}
    kept = fragment
    if left_out:
        kept = fragment.keep_rules(r.name for r in fragment.rules if r.name not in left_out)
    report = {
        "version": 1,
        "decisions": [
            {"rule": d.rule, "verdict": d.verdict, "covering": list(d.covering), "reason": d.reason}
            for d in decisions
        ],
        "warnings": sorted(warnings),
    }
    return kept, dump_yaml(report)
