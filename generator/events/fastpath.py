"""Membership `dynamic`: a start or stop changes registrations only, so send only their delta.

With `rules.membership: dynamic` the rules of a stopped instance stay in the configuration and
allow nothing until its addresses are registered (generate.membership), so a StartInstances or
StopInstances changes no configuration, only the User-ID map. The full reaction would read the
region or patch a state the size of the estate, generate the whole fragment, read the whole
candidate config and send a batch; here the cost is the instance's:
1. the instances are read by id (DescribeInstances, DescribeNetworkInterfaces);
2. each is looked up in the index the last push left (events.fastindex): the read must differ
   from what the index holds only in what a start or stop changes (generate.start_stop: the
   instance's `state` within pending/running/stopping/stopped, its interfaces' `public_ip`), and
   the instance must be steady (no IPv6 prefix, no address shared with another interface);
3. the delta of its addresses' registrations is sent: one `uid-message` (as few as the request
   limit allows), and each address touched is read back (`show object registered-ip ip X`);
4. what was read goes into the state journal (events.journal), not into state.yaml, and the
   index rows are updated.
No state.yaml read or written, no generate, no config read, no batch, no commit.

Served only when it is safe to: membership dynamic on a firewall (Panorama's registrations go to
each managed firewall: push's fleet step), every decision a Start/StopInstances that names its
account and region, a recent full collect for this policy (partial_collect.full_collect_stamp:
the hourly full collect therefore always pushes), an index built for this policy and settled,
and the guard on mass unregistration (safety.max_delete_percent) holding against the
registrations the index counts. Otherwise `try_serve` returns None, with the reason logged, and
the reaction runs collect, snapshot, generate and push as before.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from generator.events import fastindex, journal
from generator.events.classify import Decision
from generator.events.fastindex import FastIndex, Row
from generator.events.partial_collect import (
    affected_pairs,
    fingerprint,
    full_collect_stamp,
    pair_label,
    pair_reader,
)
from generator.generate.start_stop import StartStop

log = logging.getLogger(__name__)

SERVED_EVENTS = frozenset({"StartInstances", "StopInstances"})


def eligible(policy: Any, work: Path, decisions: list[Decision]) -> str | None:
    """Why the fast path cannot serve this batch (None: it may try)."""
    if policy.rules.membership != "dynamic":
        return "membership is static"
    if policy.firewall.location.is_panorama:
        return "on Panorama the registrations go to each managed firewall (push's fleet step)"
    names = sorted({d.event_name or "?" for d in decisions} - SERVED_EVENTS)
    if names:
        return f"{', '.join(names)} may change the configuration"
    if not (work / fastindex.INDEX).is_file():
        return "no successful push recorded in work_dir yet"
    return None


class IndexWhileGenerating:
    """generate's `start_stop` sink: the index of the fragment about to be pushed, written beside
    the baseline (fastindex.PENDING) from the model generate has in hand, so that the reaction
    neither reads state.yaml nor builds the model a second time for it."""

    def __init__(self, policy: Any, work: Path) -> None:
        self.policy, self.work = policy, work

    def __call__(self, state: dict[str, Any], index: dict[str, StartStop], registered: int) -> None:
        fastindex.write_index(self.work, fastindex.build_rows(state, index), fingerprint(self.policy),
                              registered, name=fastindex.PENDING)


def index_while_generating(policy: Any, work: Path) -> IndexWhileGenerating | None:
    """The sink for the reaction's generate, when a later start or stop can use its index."""
    fastindex.drop_pending(work)
    if policy.rules.membership != "dynamic" or policy.firewall.location.is_panorama:
        return None
    return IndexWhileGenerating(policy, work)


def remember_push(work: Path) -> None:
    """After a successful push: its index becomes the baseline of the next fast path."""
    if fastindex.promote(work):
        log.info("awspan event: the next start or stop is served from this push's index")


def forget_push(work: Path) -> None:
    """Before a push: until it succeeds, what the firewall holds is not known."""
    fastindex.drop(work)


@dataclass
class _Served:
    """The rows a batch changes, and the registrations before and after, of the addresses touched."""

    rows: dict[str, Row] = field(default_factory=dict)
    before: dict[str, frozenset[str]] = field(default_factory=dict)
    after: dict[str, frozenset[str]] = field(default_factory=dict)
    read_by_id: dict[str, str] = field(default_factory=dict)  # "account region" -> what was read there


def try_serve(policy: Any, credentials: Any, work: Path, decisions: list[Decision],
              now: float | None = None) -> dict[str, Any] | None:
    """Serve a batch of starts and stops with the registrations' delta alone; None (the reason
    logged) when the full reaction must run."""
    stamp = _stamp_or_why(policy, work, decisions, time.time() if now is None else now)
    index = None if isinstance(stamp, str) else FastIndex.open(work)
    if isinstance(stamp, str) or index is None:
        log.info("awspan event: not the start/stop fast path: %s",
                 stamp if isinstance(stamp, str) else "the index of the last push cannot be read")
        return None
    try:
        return _serve(policy, credentials, work, decisions, index, stamp)
    finally:
        index.close()


def _stamp_or_why(policy: Any, work: Path, decisions: list[Decision], now: float) -> float | str:
    """The last full collect's time stamp (the reads by id use its credentials), or why not served."""
    why = eligible(policy, work, decisions)
    if why is not None:
        return why
    stamp = full_collect_stamp(work, policy, now)
    if stamp is None or affected_pairs(decisions, policy) is None:
        return "the full collect is due, or an event does not say its account and region"
    return stamp


def _serve(policy: Any, credentials: Any, work: Path, decisions: list[Decision], index: FastIndex,
           stamp: float) -> dict[str, Any] | None:
    from generator import pipeline
    from generator.registrations_file import tag_prefix

    if index.meta("policy") != fingerprint(policy) or index.meta("settled") != "1":
        log.info("awspan event: not the start/stop fast path: the index is of another policy, or unsettled")
        return None
    served = _read(policy, work, decisions, index, stamp)
    if isinstance(served, str):
        log.info("awspan event: not the start/stop fast path: %s", served)
        return None
    registered = int(index.meta("registered") or 0)
    leaving = sum(1 for ip in served.before if not served.after.get(ip))
    arriving = sum(1 for ip in served.after if not served.before.get(ip))
    guarded = policy.safety.registration_guards(registered, leaving)
    if guarded:  # the full push reads the firewall and refuses (or, with more context, allows)
        log.info("awspan event: %s: a full push decides", "; ".join(g.reason for g in guarded))
        return None
    # what AWS said, whatever the firewall answers
    journal.record(work, {i: {"vpc": r.vpc, "instance": r.instance, "interfaces": r.interfaces}
                          for i, r in served.rows.items()})
    index.unsettle()
    try:
        sent = send_delta(pipeline.connect(policy, credentials), policy.firewall.location,
                          tag_prefix(policy.rules.tag), served.before, served.after)
    except BaseException:
        fastindex.drop(work)  # the firewall may hold either side: the next reaction pushes in full
        raise
    index.settle(served.rows, registered - leaving + arriving)
    log.info("awspan event: registrations only: %d registered, %d unregistered (%d User-ID message(s), "
             "no config read, no commit)", *sent)
    return {"reaction": "registrations", "registered": sent[0], "unregistered": sent[1],
            "messages": sent[2], "collected": sorted(served.read_by_id), "read_by_id": served.read_by_id}


def _read(policy: Any, work: Path, decisions: list[Decision], index: FastIndex, stamp: float
          ) -> _Served | str:
    """Read the instances by id and compare them with the index: what changes, or why not served."""
    from generator.collect.normalize import placed
    from generator.collect.read_ec2 import RawRegion
    from generator.events.targets import Unserved, plan_reads

    served = _Served()
    for pair, wanted in sorted(plan_reads(decisions, bool(policy.aws.accounts)).items(),
                               key=lambda item: pair_label(item[0])):
        if isinstance(wanted, Unserved):
            return wanted.reason
        rows = index.rows(wanted.instances)
        reader = pair_reader(policy, work, stamp, pair)
        if reader is None:
            return "the policy does not collect this account"
        ids = sorted(wanted.instances)
        with reader.said(pair[1]):
            raw = RawRegion(instances=reader.instances(ids), interfaces=reader.interfaces_of_instances(ids))
        served.read_by_id[pair_label(pair)] = f"{len(ids)} instance(s) read by id ({reader.calls} EC2 calls)"
        read: dict[str, list[tuple[str, str | None, dict[str, Any]]]] = {}
        for kind, vpc_id, _, obj in placed(raw):
            owner = obj["id"] if kind == "instances" else obj.get("instance")
            read.setdefault(owner, []).append((kind, vpc_id, obj))
        for instance in ids:
            if instance not in rows:  # neither in the state nor in AWS: nothing to do, as a full collect
                if instance in read:
                    return f"instance {instance} is not in the last push's state"
                continue
            why = _changed(instance, rows[instance], read.get(instance, []), served)
            if why is not None:
                return f"{instance}: {why}"
    return served


def _changed(instance: str, row: Row, read: list[tuple[str, str | None, dict[str, Any]]],
             served: _Served) -> str | None:
    """Add one instance's change to `served`; why not, when it is more than a start or stop."""
    from generator.generate.start_stop import STEADY_STATES, live, only_started_or_stopped

    if row.unsteady:
        return row.unsteady
    found = [obj for kind, _, obj in read if kind == "instances"]
    interfaces = sorted((obj for kind, _, obj in read if kind == "interfaces"), key=lambda o: o["id"])
    if len(found) != 1 or any(vpc != row.vpc[2] for _, vpc, _ in read):
        return "not found where the last state had it"
    new = found[0]
    if new.get("state") not in STEADY_STATES or row.instance.get("state") not in STEADY_STATES:
        return f"state {row.instance.get('state')} -> {new.get('state')}"
    if not only_started_or_stopped("instances", row.instance, new):
        return "its entry changed beyond its state"
    if [n["id"] for n in interfaces] != [n["id"] for n in row.interfaces] or not all(
            only_started_or_stopped("interfaces", old, fresh)
            for old, fresh in zip(row.interfaces, interfaces, strict=True)):
        return "its interfaces changed beyond their public IP"
    tags = {ip: frozenset(t) for ip, t in row.tags.items()}
    for ip, t in tags.items():
        if live(row.instance.get("state")):
            served.before[ip] = t
        if live(new.get("state")):
            served.after[ip] = t
    served.rows[instance] = replace(row, instance=new, interfaces=interfaces)
    return None


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
