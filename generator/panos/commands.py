"""The `awspan snapshot`, `plan` and `push` commands: read the options, run the step, pick the exit code.

Exit codes (design.md): 0 ok; 1 error (an AwspanError, printed by cli.py as one line);
plan with --detailed-exitcode: 0 no changes, 2 changes. A plan that shows a blocker
(something push would refuse whatever the flags) exits 1, so that a pull-request check
fails before anyone merges a change that cannot be pushed.
"""

from __future__ import annotations

import argparse
import logging
import sys

from generator.atomicio import write_atomic
from generator.panos.client import PanosClient
from generator.panos.device import read_location
from generator.panos.diff import build_plan
from generator.panos.fragment import load_fragment
from generator.panos.push import PushSettings, push
from generator.panos.report import load_precheck, render, render_text
from generator.panos.snapshot import take_snapshot
from generator.policy import Policy, load_policy
from generator.text import count

log = logging.getLogger(__name__)

PUSH_LISTING = 200
"""Lines of changes push prints (a CI log); `awspan plan --format json` has them all."""


def make_client(policy: Policy) -> PanosClient:
    fw = policy.firewall
    return PanosClient.from_env(fw.resolved_url(), ca_bundle=fw.resolved_ca_bundle(), timeout=fw.timeout)


def run_snapshot(args: argparse.Namespace) -> int:
    policy = load_policy(args.config)
    client = make_client(policy)
    data, count = take_snapshot(client, policy.firewall.location, candidate=args.candidate)
    write_atomic(args.output, data)
    log.info("wrote %s: %d security rules of %s (%s config)", args.output, count,
             policy.firewall.location.describe(), "candidate" if args.candidate else "running")
    return 0


def run_plan(args: argparse.Namespace) -> int:
    policy = load_policy(args.config)
    location = policy.firewall.location
    fragment = load_fragment(args.fragment, location, policy.rules.tag)
    precheck = load_precheck(args.fragment)
    client = make_client(policy)
    device = read_location(client, location)
    plan = build_plan(fragment, device, tag=policy.rules.tag, bottom_rule=policy.rules.bottom_rule,
                      max_delete_percent=policy.safety.max_delete_percent,
                      admin=policy.firewall.resolved_admin() or client.key_owner)
    sys.stdout.write(render(plan, args.format, precheck))
    sys.stdout.flush()
    if plan.blockers:
        return 1
    if args.detailed_exitcode and plan.has_changes:
        return 2
    return 0


def run_push(args: argparse.Namespace) -> int:
    policy = load_policy(args.config)
    location = policy.firewall.location
    fragment = load_fragment(args.fragment, location, policy.rules.tag)
    client = make_client(policy)
    settings = PushSettings(
        tag=policy.rules.tag,
        bottom_rule=policy.rules.bottom_rule,
        max_delete_percent=policy.safety.max_delete_percent,
        admin=policy.firewall.resolved_admin() or client.key_owner,
        commit_timeout=policy.firewall.commit_timeout,
        force=args.force,
        description=args.description,
    )
    result = push(client, fragment, settings)
    sys.stdout.write(render_text(result.plan, limit=PUSH_LISTING))
    for note in result.notes:
        print(f"  {note}")
    if result.job is not None:
        job = result.job
        detail = "; ".join(job.details)
        print(f"  commit job {job.id}: {job.status}/{job.result}" + (f": {detail}" if detail else ""))
    # every request of this run, keygen included (result.requests counts push's own)
    keygen = " (1 of them keygen)" if client.key_owner else ""
    print(f"  {count(client.request_count, 'firewall request')}{keygen}")
    return 0
