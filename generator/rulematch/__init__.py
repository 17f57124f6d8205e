"""The offline "already allowed" check: does the firewall already decide a candidate rule's traffic?

`awspan snapshot` saves the firewall's rules (out/rulebase.xml); generate asks this package, for
every candidate rule of the fragment, whether the unmanaged rules above the managed block already
allow (or block) all of its traffic, the way PAN-OS's first match would. See
docs/already-allowed.md for the semantics and the conservative choices.

    rb = load_rulebase(path)
    decisions, warnings = check_candidates(fragment_root, rb, location=..., from_zone=...,
                                           to_zone=..., bottom_rule=..., tag=...)

`check_rules(candidates, own_objects, rb, ...)` is the same check on candidates handed over as
`Candidate` tuples with their objects (generate's model), without building XML.
`first_match` answers the same question for one flow, as `test security-policy-match` does.
"""

from generator.rulematch.boxes import Candidate
from generator.rulematch.config import RuleBase, load_rulebase
from generator.rulematch.match import Flow, FlowMatch, RuleVerdict, check_candidates, check_rules, first_match
from generator.rulematch.resolve import OwnObjects

__all__ = ["Candidate", "RuleVerdict", "Flow", "FlowMatch", "OwnObjects", "RuleBase", "check_candidates",
           "check_rules", "first_match", "load_rulebase"]
