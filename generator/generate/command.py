"""`awspan generate`: read policy.yaml and state.yaml, write fragment.xml (and precheck.yaml).

Nothing is written until everything has been read, checked, rendered and validated, and
then atomically: a failed run leaves the previous fragment exactly as it was.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from generator.atomicio import write_atomic
from generator.generate.membership import registrations_path, to_dynamic
from generator.generate.model import Built, build
from generator.generate.precheck import precheck_path, run_precheck
from generator.generate.render import render_fragment
from generator.generate.state import load_state
from generator.policy import load_policy


def generate(
    config: str, state_file: str, *, rulebase: str | None = None, templates: str | None = None
) -> tuple[bytes, str | None, dict[str, int], str | None]:
    """(fragment bytes, precheck.yaml text or None, counts, registrations.yaml text or None) for
    the given files; writes nothing."""
    policy = load_policy(config)
    state = load_state(state_file)
    built = build(state, policy, where=state_file)
    fragment = built.fragment
    report = None
    data: bytes | None = None
    if rulebase is not None:
        # the check runs on the static form: membership dynamic allows the same traffic
        data, root = render_fragment(fragment, templates, tree=True)
        kept, report = run_precheck(fragment, root, rulebase, policy)
        if kept is not fragment:  # rules were left out: render what remains
            fragment, data = kept, None
    registrations = None
    if policy.rules.membership == "dynamic":
        fragment, regs = to_dynamic(Built(fragment, built.members), policy.rules.tag,
                                    where=state_file)
        registrations, data = regs.to_yaml(), None
    if data is None:
        data, _ = render_fragment(fragment, templates)
    counts = {
        "rules": len(fragment.rules),
        "addresses": len(fragment.addresses),
        "address-groups": len(fragment.groups),
        "services": len(fragment.services),
    }
    if registrations is not None:
        counts["registered addresses"] = len(regs.entries)
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
    summary = ", ".join(f"{n} {k}" for k, n in counts.items())
    print(
        f"wrote {args.output}: {summary}" + (f"; checked against {rulebase}" if rulebase else ""),
        file=sys.stderr,
    )
    return 0
