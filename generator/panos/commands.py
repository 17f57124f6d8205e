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
from generator.generate.membership import registrations_path
from generator.panos.client import PanosClient
from generator.panos.device import read_location
from generator.panos.diff import build_plan
from generator.panos.fragment import load_fragment
from generator.panos.push import PushSettings, push
from generator.panos.registrations import Desired, delta, load_desired, read_registered, reconcile
from generator.panos.report import load_precheck, render, render_text
from generator.panos.snapshot import take_snapshot
from generator.policy import Policy, load_policy

log = logging.getLogger(__name__)

PUSH_LISTING = 200
"""Lines of changes push prints (a CI log); `awspan plan --format json` has them all."""


def make_client(policy: Policy) -> PanosClient:
    fw = policy.firewall
    return PanosClient.from_env(fw.resolved_url(), ca_bundle=fw.resolved_ca_bundle(), timeout=fw.timeout)


def load_membership(policy: Policy, fragment_path: str) -> Desired | None:
    """registrations.yaml beside the fragment when membership is dynamic, else None."""
    if policy.rules.membership != "dynamic":
        return None
    return load_desired(registrations_path(fragment_path), policy.rules.tag)


def membership_lines(desired: Desired, current: dict[str, frozenset[str]]) -> list[str]:
    """What push would register and unregister, one line per IP (plan's membership section)."""
    d = delta(desired.tags, current)
    lines = []
    for ip in sorted(set(d.register) | set(d.unregister)):
        who = desired.who.get(ip) or "(not in registrations.yaml: stopped, gone, or registered by hand)"
        adds = ", ".join(sorted(d.register.get(ip, ())))
        drops = ", ".join(sorted(d.unregister.get(ip, ())))
        if adds:
            lines.append(f"  + register {ip} {who}: {adds}")
        if drops:
            lines.append(f"  - unregister {ip} {who}: {drops}")
    reg, unreg = d.count()
    head = (f"membership (User-ID registrations, no commit): {reg} tag(s) to register, {unreg} to unregister"
            if lines else "membership (User-ID registrations): the firewall holds exactly registrations.yaml")
    return [head, *lines]


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
    membership_changes = False
    desired = load_membership(policy, args.fragment)
    if desired is not None:
        lines = membership_lines(desired, read_registered(client, location, desired.prefix))
        membership_changes = len(lines) > 1
        if args.format != "json":  # the json plan stays one document
            sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
    if plan.blockers:
        return 1
    if args.detailed_exitcode and (plan.has_changes or membership_changes):
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
    desired = load_membership(policy, args.fragment)
    before = None
    if desired is not None:  # first take away what must go: less is always safe
        before = reconcile(client, location, desired, phase="unregister")
    result = push(client, fragment, settings)
    if desired is not None:
        assert before is not None
        done = reconcile(client, location, desired, current=before.after, phase="all")
        result.notes.append(
            f"registrations: {done.registered} tag(s) registered, {before.unregistered} unregistered "
            f"({before.messages + done.messages} User-ID message(s), no commit); "
            f"{len(done.after)} address(es) hold awspan tags"
        )
        result.requests = client.request_count  # the registrations' round trips count too
    sys.stdout.write(render_text(result.plan, limit=PUSH_LISTING))
    for note in result.notes:
        print(f"  {note}")
    if result.job is not None:
        job = result.job
        detail = "; ".join(job.details)
        print(f"  commit job {job.id}: {job.status}/{job.result}" + (f": {detail}" if detail else ""))
    print(f"  {result.requests} firewall requests")
    return 0
