"""The `awspan snapshot`, `plan` and `push` commands: read the options, run the step, pick the exit code.

The steps themselves are library calls (generator.pipeline); this module turns options into
their arguments, PANOS_* into Credentials, and results into output and exit codes.

Exit codes (design.md): 0 ok; 1 error (an AwspanError, printed by cli/main.py as one line);
plan with --detailed-exitcode: 0 no changes, 2 changes (pending, uncommitted objects count
as changes). A plan push would refuse (a blocker, or a guard that needs --force) exits 1
after showing itself, so that a pull-request check fails before anyone merges a change that
cannot be pushed.
"""

from __future__ import annotations

import argparse
import sys

from generator import pipeline
from generator.panos.review.markdown import render_markdown
from generator.panos.review.markup import code_span
from generator.panos.review.plan_render import RENDERERS
from generator.panos.review.push_report import PUSH_LISTING, push_failure, push_report
from generator.pipeline import Credentials
from generator.policy import load_policy
from generator.text import visible


def run_snapshot(args: argparse.Namespace) -> int:
    policy = load_policy(args.config)
    pipeline.snapshot(policy, Credentials.from_env(policy), args.output, candidate=args.candidate)
    return 0


def run_plan(args: argparse.Namespace) -> int:
    """Exit 1 (after showing the plan) when push would refuse it, with or without --detailed-exitcode."""
    policy = load_policy(args.config)
    planned = pipeline.plan(policy, Credentials.from_env(policy), args.fragment,
                            out=getattr(args, "out", None), state_path=getattr(args, "state", None))
    if args.format == "markdown":
        sys.stdout.write(render_markdown(planned.document, full_plan_note(args)))
    else:
        sys.stdout.write(RENDERERS[args.format](planned.document))
    sys.stdout.flush()
    if planned.refusal is not None:
        print(f"awspan plan: push would refuse this plan: {planned.refusal.reason}", file=sys.stderr)
        return 1
    if args.detailed_exitcode and planned.document["summary"]["has_changes"]:
        return 2
    return 0


def full_plan_note(args: argparse.Namespace) -> str | None:
    """Where the markdown says the full plan is: --full-plan-note, else the --out file (the workflow
    commits it as out/plan.json in the pull request's branch), else nothing known."""
    if getattr(args, "full_plan_note", None):
        return str(args.full_plan_note)
    out = getattr(args, "out", None)
    if out:
        return f"{code_span(visible(str(out)))} (JSON, every change; written with this plan by `plan --out`)"
    return None


def run_push(args: argparse.Namespace) -> int:
    policy = load_policy(args.config)
    pushed = pipeline.push(policy, Credentials.from_env(policy), args.fragment, force=args.force,
                           description=args.description, plan_file=getattr(args, "plan", None),
                           state_path=getattr(args, "state", None))
    sys.stdout.write(push_report(pushed, limit=PUSH_LISTING))
    sys.stdout.flush()
    failure = push_failure(pushed)  # Panorama: firewalls left behind, named after the others are done
    if failure is not None:
        print(f"awspan push: {failure}", file=sys.stderr)
        return 1
    return 0
