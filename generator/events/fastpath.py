"""Membership `dynamic`: a start or stop changes registrations only, so send only their delta.

With `rules.membership: dynamic` the rules of a stopped instance stay in the configuration and
allow nothing until its addresses are registered (generate.membership), so a StartInstances or
StopInstances changes no configuration, only the User-ID map. The full reaction would still
read the whole candidate config, send a batch and, with nothing to commit, stop; here it
reads the instance by id (partial_collect: DescribeInstances and DescribeNetworkInterfaces),
generates locally against the last snapshot, and, when the fragment is byte-identical to the
one the last successful push applied, sends the difference between the registrations the last
push left on the firewall and the new ones: one `uid-message` (as few as the request limit
allows) and a read-back of the addresses it touched (`show object registered-ip ip X`, the
PAN-OS API's per-address filter). No config read, no batch, no commit.

Served only when it is safe to: the guard on mass unregistration (safety.max_delete_percent)
holds against the last push's registrations, every decision is a Start/StopInstances, the state was patched
by id (a pair read whole, or a full collect, takes the full reaction: the hourly full collect
therefore always pushes), and the last push's fragment and registrations are in work_dir
(`PUSHED_FRAGMENT`, `PUSHED_REGISTRATIONS`, written only after a push succeeded). Otherwise
`serve` returns None and the reaction runs snapshot, generate and push as before.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from generator.events.classify import Decision

log = logging.getLogger(__name__)

PUSHED_FRAGMENT = "pushed.fragment.xml"
PUSHED_REGISTRATIONS = "pushed.registrations.yaml"
SERVED_EVENTS = frozenset({"StartInstances", "StopInstances"})


def eligible(policy: Any, work: Path, decisions: list[Decision]) -> str | None:
    """Why the fast path cannot serve this batch (None: it may, once the state was patched by id)."""
    if policy.rules.membership != "dynamic":
        return "membership is static"
    if policy.firewall.location.is_panorama:
        return "on Panorama the registrations go to each managed firewall (push's fleet step)"
    names = sorted({d.event_name or "?" for d in decisions} - SERVED_EVENTS)
    if names:
        return f"{', '.join(names)} may change the configuration"
    if not (work / PUSHED_FRAGMENT).is_file() or not (work / PUSHED_REGISTRATIONS).is_file():
        return "no successful push recorded in work_dir yet"
    return None


def remember_push(policy: Any, work: Path, fragment: Path) -> None:
    """After a successful push: keep what it applied, the baseline of the next fast path."""
    if policy.rules.membership != "dynamic":
        return
    from generator.registrations_file import registrations_path

    shutil.copyfile(fragment, work / PUSHED_FRAGMENT)
    shutil.copyfile(registrations_path(fragment), work / PUSHED_REGISTRATIONS)


def forget_push(work: Path) -> None:
    """Before a push: until it succeeds, what the firewall holds is not known."""
    for name in (PUSHED_FRAGMENT, PUSHED_REGISTRATIONS):
        (work / name).unlink(missing_ok=True)


def serve(policy: Any, credentials: Any, work: Path) -> dict[str, Any] | None:
    """Generate from the patched state; when the configuration is unchanged, send the registrations'
    delta and return the outcome; None when the configuration changed (the caller pushes)."""
    from generator import pipeline
    from generator.panos.plan.membership import registration_guards
    from generator.registrations_file import load_desired, registrations_path, tag_prefix

    fragment, rulebase = work / "fragment.xml", work / "rulebase.xml"
    pipeline.generate(policy, str(work / "state.yaml"), str(fragment),
                      rulebase=str(rulebase) if rulebase.is_file() else None)
    if fragment.read_bytes() != (work / PUSHED_FRAGMENT).read_bytes():
        log.info("awspan event: the configuration changes too: a full push")
        return None
    tag = policy.rules.tag
    before = load_desired(work / PUSHED_REGISTRATIONS, tag)
    after = load_desired(registrations_path(fragment), tag)
    guarded = registration_guards(policy.safety, after, dict(before.tags))
    if guarded:  # the full push reads the firewall and refuses (or, with more context, allows)
        log.info("awspan event: %s: a full push decides", "; ".join(g.reason for g in guarded))
        return None
    sent = send_delta(pipeline.connect(policy, credentials), policy.firewall.location, tag_prefix(tag),
                      before.tags, after.tags)
    shutil.copyfile(registrations_path(fragment), work / PUSHED_REGISTRATIONS)
    log.info("awspan event: registrations only: %d registered, %d unregistered (%d User-ID message(s), "
             "no config read, no commit)", *sent)
    return {"reaction": "registrations", "registered": sent[0], "unregistered": sent[1],
            "messages": sent[2]}


def send_delta(client: Any, location: Any, prefix: str, before: dict[str, frozenset[str]],
               after: dict[str, frozenset[str]]) -> tuple[int, int, int]:
    """Send what changed between two IP -> tags maps, unregisters first, and read back each address
    touched; (tags registered, tags unregistered, messages sent)."""
    from generator.errors import AwspanError
    from generator.panos.plan.membership import Delta, delta
    from generator.panos.push.registrations import read_registered_ip, send, uid_messages

    d = delta(after, before)
    if d.empty:
        return 0, 0, 0
    vsys = str(location.vsys)
    messages = [*uid_messages(Delta(unregister=d.unregister), vsys=vsys),
                *uid_messages(Delta(register=d.register), vsys=vsys)]
    send(client, location, messages)
    for ip in sorted({*d.register, *d.unregister}):
        held = read_registered_ip(client, location, prefix, ip)
        if held != after.get(ip, frozenset()):
            raise AwspanError(f"the firewall accepted the User-ID messages but {ip} holds "
                              f"{sorted(held) or 'no awspan tag'}, not {sorted(after.get(ip, ())) or 'none'} "
                              "(the next push sends them again)")
    registered, unregistered = d.count()
    return registered, unregistered, len(messages)
