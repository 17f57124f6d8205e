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
from typing import Any

from generator.addresses import sort_key
from generator.atomicio import write_atomic
from generator.generate.membership import registrations_path
from generator.panos.client import PanosClient
from generator.panos.device import read_location
from generator.panos.diff import build_plan
from generator.panos.fragment import load_fragment
from generator.panos.ha import choose_active
from generator.panos.plan_build import build_document, load_prefix_lists
from generator.panos.plan_render import RENDERERS, render_json
from generator.panos.push import PushSettings, push
from generator.panos.registrations import Desired, delta, load_desired, read_registered, reconcile
from generator.panos.report import load_precheck, render_text
from generator.panos.safety import Guarded, Safety, refusal
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


def load_membership(policy: Policy, fragment_path: str) -> Desired | None:
    """registrations.yaml beside the fragment when membership is dynamic, else None."""
    if policy.rules.membership != "dynamic":
        return None
    return load_desired(registrations_path(fragment_path), policy.rules.tag)


def registration_guards(safety: Safety, desired: Desired, current: dict[str, frozenset[str]]
                        ) -> list[Guarded]:
    """The guard on mass unregistration (safety.py): addresses that would lose every awspan tag."""
    leaving = sum(1 for ip in current if not desired.tags.get(ip))
    return safety.registration_guards(len(current), leaving)


def membership_delta(desired: Desired, current: dict[str, frozenset[str]]) -> dict[str, Any]:
    """What push would register and unregister, per IP with who stands behind it (the plan's
    `membership` section; an IP not in registrations.yaml is a stopped or gone instance, or a
    registration made by hand)."""
    d = delta(desired.tags, current)

    def items(tags: dict[str, frozenset[str]]) -> list[dict[str, Any]]:
        return [{"ip": ip, "who": desired.who.get(ip) or None, "tags": sorted(tags[ip])}
                for ip in sorted(tags, key=sort_key)]

    return {"register": items(d.register), "unregister": items(d.unregister)}


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
    desired = load_membership(policy, args.fragment)
    membership_refusal = None
    if desired is not None:  # membership dynamic: the registrations push would send, no commit
        current = read_registered(client, location, desired.prefix)
        doc["membership"] = membership_delta(desired, current)
        doc["summary"]["has_changes"] = doc["summary"]["has_changes"] or bool(
            doc["membership"]["register"] or doc["membership"]["unregister"])
        membership_refusal = next(iter(registration_guards(policy.safety, desired, current)), None)
    out = getattr(args, "out", None)
    if out:
        saved = dict(doc, saved=saved_block(plan, device, _fragment_bytes(args.fragment)))
        write_atomic(out, render_json(saved))
    sys.stdout.write(RENDERERS[args.format](doc))
    sys.stdout.flush()
    problem = refusal(plan) or membership_refusal
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
    desired = load_membership(policy, args.fragment)
    before = None
    if desired is not None:  # first take away what must go (less is always safe), unless it is too much
        current = read_registered(client, location, desired.prefix)
        for guard in [] if args.force else registration_guards(policy.safety, desired, current):
            raise type(guard)(guard.reason, prefix="push refused, nothing was changed: ")
        before = reconcile(client, location, desired, current=current, phase="unregister")
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
