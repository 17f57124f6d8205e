"""The `awspan snapshot`, `plan` and `push` commands: read the options, run the step, pick the exit code.

Exit codes (design.md): 0 ok; 1 error (an AwspanError, printed by cli.py as one line);
plan with --detailed-exitcode: 0 no changes, 2 changes (pending, uncommitted objects count
as changes). A plan push would refuse (a blocker, or a guard that needs --force) exits 1
after showing itself, so that a pull-request check fails before anyone merges a change that
cannot be pushed.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from generator.atomicio import write_atomic
from generator.panos.client import PanosClient
from generator.panos.device import read_location
from generator.panos.diff import build_plan
from generator.panos.fragment import load_fragment
from generator.panos.ha import choose_active
from generator.panos.plan_build import build_document, load_prefix_lists
from generator.panos.plan_render import RENDERERS, render_json
from generator.panos.push import PushSettings, push
from generator.panos.report import load_precheck, render_text
from generator.panos.safety import refusal
from generator.panos.savedplan import load_saved_plan, saved_block
from generator.panos.snapshot import take_snapshot
from generator.panos.sysinfo import check_version, read_system_info
from generator.policy import Policy, load_policy
from generator.text import count

log = logging.getLogger(__name__)

PUSH_LISTING = 200
"""Lines of changes push prints (a CI log); `awspan plan --format json` has them all."""


def make_client(policy: Policy) -> PanosClient:
    """A client of the firewall; of an HA pair's active peer when firewall.url names both (ha.py)."""
    fw = policy.firewall
    urls = fw.resolved_urls() or (None,)
    return choose_active(urls, lambda url: PanosClient.from_env(
        url, ca_bundle=fw.resolved_ca_bundle(), timeout=fw.timeout,
        max_answer_bytes=int(fw.max_answer_mb * 2**20)))


def run_snapshot(args: argparse.Namespace) -> int:
    policy = load_policy(args.config)
    client = make_client(policy)
    data, count = take_snapshot(client, policy.firewall.location, candidate=args.candidate)
    write_atomic(args.output, data)
    log.info("wrote %s: %d security rules of %s (%s config)", args.output, count,
             policy.firewall.location.describe(), "candidate" if args.candidate else "running")
    return 0


def run_plan(args: argparse.Namespace) -> int:
    """Exit 1 (after showing the plan) when push would refuse it, with or without --detailed-exitcode."""
    policy = load_policy(args.config)
    location = policy.firewall.location
    fragment = load_fragment(args.fragment, location, policy.rules.tag)
    precheck = load_precheck(args.fragment)
    client = make_client(policy)
    info = read_system_info(client)  # plan refuses what push would refuse: the version gate
    device_warnings = check_version(info)
    device = read_location(client, location)
    running = read_location(client, location, running=True)
    plan = build_plan(fragment, device, tag=policy.rules.tag, bottom_rule=policy.rules.bottom_rule,
                      admin=policy.firewall.resolved_admin() or client.key_owner, safety=policy.safety,
                      running=running)
    doc = build_document(plan, fragment, device, precheck=precheck,
                         prefix_lists=load_prefix_lists(args.fragment))
    doc["device"] = info.describe()
    doc["warnings"] = [*device_warnings, *doc["warnings"]]
    out = getattr(args, "out", None)
    if out:
        saved = dict(doc, saved=saved_block(plan, device, _fragment_bytes(args.fragment)))
        write_atomic(out, render_json(saved))
    sys.stdout.write(RENDERERS[args.format](doc))
    sys.stdout.flush()
    problem = refusal(plan)
    if problem is not None:
        print(f"awspan plan: push would refuse this plan: {problem.reason}", file=sys.stderr)
        return 1
    if args.detailed_exitcode and doc["summary"]["has_changes"]:
        return 2
    return 0


def _fragment_bytes(path: str) -> bytes:
    """The fragment as read (load_fragment checked it): its digest ties a saved plan to it."""
    return Path(path).read_bytes()


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
        min_existing=policy.safety.min_existing,
        push_to_devices=policy.firewall.push_to_devices,
    )
    if getattr(args, "plan", None):
        settings.saved_plan = load_saved_plan(args.plan, _fragment_bytes(args.fragment))
    result = push(client, fragment, settings)
    sys.stdout.write(render_text(result.plan, limit=PUSH_LISTING))
    if result.system is not None:
        print(f"  device: {result.system.describe()}")
    for note in result.notes:
        print(f"  {note}")
    if result.job is not None:
        job = result.job
        detail = "; ".join(job.details)
        print(f"  commit job {job.id}: {job.status}/{job.result}" + (f": {detail}" if detail else ""))
    for device in result.devices:
        print(f"  device {device.describe()}")
    # every request of this run, keygen included (result.requests counts push's own)
    keygen = " (1 of them keygen)" if client.key_owner else ""
    print(f"  {count(client.request_count, 'firewall request')}{keygen}")
    return 0
