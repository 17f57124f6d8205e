"""`awspan generate`: read policy.yaml and state.yaml, write fragment.xml (and precheck.yaml).

Nothing is written until everything has been read, checked, rendered and validated, and
then atomically: a failed run leaves the previous fragment exactly as it was.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from generator.atomicio import write_atomic
from generator.generate.membership import registrations_path, to_dynamic
from generator.generate.model import Built, build
from generator.generate.precheck import precheck_path, run_precheck
from generator.generate.render import render_fragment
from generator.generate.state import load_state
from generator.generate.suspicious import suspicious
from generator.policy import load_policy
from generator.text import count

log = logging.getLogger(__name__)


def generate(
    config: str, state_file: str, *, rulebase: str | None = None, templates: str | None = None
) -> tuple[bytes, str | None, dict[str, int], str | None]:
    """(fragment bytes, precheck.yaml text or None, counts by singular noun, registrations.yaml
    text or None with membership dynamic); writes nothing."""
    policy = load_policy(config)
    state = load_state(state_file)
    for warning in suspicious(state, policy):
        log.warning("warning: %s", warning)
    built = build(state, policy, where=state_file)
    fragment = built.fragment
    del state  # the model holds all that is needed: let the parsed YAML go before rendering
    report = None
    if rulebase is not None:  # the already-allowed check, on the model: then one render
        # (on the static form: membership dynamic allows the same traffic)
        fragment, report = run_precheck(fragment, rulebase, policy)
    registrations = None
    if policy.rules.membership == "dynamic":
        fragment, regs = to_dynamic(Built(fragment, built.members), policy.rules.tag, where=state_file)
        registrations = regs.to_yaml()
    data, _ = render_fragment(fragment, templates)
    counts = {
        "rule": len(fragment.rules),
        "address": len(fragment.addresses),
        "address group": len(fragment.groups),
        "service": len(fragment.services),
    }
    if registrations is not None:
        counts["registered address"] = len(regs.entries)
    return data, report, counts, registrations


def run(args: argparse.Namespace) -> int:
    rulebase = None if args.no_rulebase or not Path(args.rulebase).is_file() else args.rulebase
    data, report, counts, registrations = generate(
        args.config, args.state, rulebase=rulebase, templates=args.templates
    )
    side = precheck_path(args.output)
    regs = registrations_path(args.output)
    if report is not None:
        write_atomic(side, report)
    if registrations is not None:
        write_atomic(regs, registrations)
    write_atomic(args.output, data)
    if report is None and side.exists():
        side.unlink()  # a stale precheck.yaml would explain rules that are no longer left out
    if registrations is None and regs.exists():
        regs.unlink()  # membership static: push must not find registrations to reconcile
    summary = ", ".join(count(n, k) for k, n in counts.items())
    log.info("wrote %s: %s%s", args.output, summary, f"; checked against {rulebase}" if rulebase else "")
    return 0
