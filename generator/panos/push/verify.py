"""The two read-back checks of a push: the candidate after the batch, and running after the commit.

Both compare by containment (contain.py): what awspan set must be there, what the device adds is
tolerated. The candidate check also proves nothing else changed; the running check is what makes
a push's success honest: PAN-OS can answer a commit with success and still not hold the fragment
in running (another admin's commit took the batch, a partial commit of the wrong admin).
"""

from __future__ import annotations

from lxml import etree

from generator.panos.config.canonical import equal
from generator.panos.config.contain import differences, holds
from generator.panos.config.fragment import FragmentView
from generator.panos.config.view import DeviceConfig
from generator.panos.plan.changes import Plan
from generator.panos.plan.diff import KINDS, desired_entries

# --- the two read-back checks of a push ---------------------------------------------------

def check_candidate(after: DeviceConfig, before: DeviceConfig, fragment: FragmentView, plan: Plan, tag: str,
                    bottom_rule: str) -> list[str]:
    """Problems with the candidate after the batch; empty when it is what the plan promised."""
    problems: list[str] = []
    desired = desired_entries(fragment)
    for kind in KINDS:
        have = after.entries(kind)
        problems += _not_held(kind, have, desired[kind], missing="is missing", differs="differs")
        if kind != "tag":
            extra = sorted(set(after.managed(kind, tag)) - set(desired[kind]) - plan.kept.get(kind, set()))
            problems += [f"{kind} {n!r} should have been deleted" for n in extra]
        touched = plan.diff.scope.get(kind, set())
        for name, old in before.entries(kind).items():
            if name in touched:
                continue
            if not equal(have.get(name), old):
                problems.append(f"{kind} {name!r} is not awspan's, yet it changed")
    problems += placement_problems(after.rule_names, fragment.rule_names, bottom_rule)
    unmanaged_before = [n for n in before.rule_names if n not in plan.diff.scope.get("rules", set())]
    if [n for n in after.rule_names if n not in desired["rules"]] != unmanaged_before:
        problems.append("the operator's rules are no longer in their old order")
    return problems


def check_running(running: DeviceConfig, fragment: FragmentView, bottom_rule: str) -> list[str]:
    """Does running hold the fragment (objects, values, rule placement)? Empty when it does."""
    problems: list[str] = []
    desired = desired_entries(fragment)
    for kind in KINDS:
        problems += _not_held(kind, running.entries(kind), desired[kind], missing="is not in running",
                              differs="in running differs")
    problems += placement_problems(running.rule_names, fragment.rule_names, bottom_rule)
    return problems


def _not_held(kind: str, have: dict[str, etree._Element], want: dict[str, etree._Element], *,
              missing: str, differs: str) -> list[str]:
    """One problem per wanted entry that `have` lacks or holds with other values."""
    problems: list[str] = []
    for name, entry in want.items():
        got = have.get(name)
        if got is None:
            problems.append(f"{kind} {name!r} {missing}")
        elif not holds(got, entry, kind):
            problems.append(f"{kind} {name!r} {differs} from the fragment "
                            f"({', '.join(differences(got, entry, kind))})")
    return problems


def placement_problems(names: list[str], want_block: list[str], bottom_rule: str) -> list[str]:
    if bottom_rule not in names:
        return [f"the bottom rule {bottom_rule!r} is gone"]
    at = names.index(bottom_rule)
    block = names[at - len(want_block):at] if len(want_block) <= at else None
    if block != want_block:
        return [f"the managed rules are not contiguous, in fragment order, directly above {bottom_rule!r}"]
    return []
