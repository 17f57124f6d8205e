"""Collect only what changed: read by id what a batch of events names, patch the last state.

An organization trail delivers a log file per account and region every few minutes, and an
autoscaling burst hundreds of events; re-reading a region for each costs what the region costs
(50 pages of DescribeInstances at 50,000 instances), while one instance changed. When the push
reaction has a state.yaml of its own from a recent full collect (same `aws` section of
policy.yaml, at most FULL_COLLECT_EVERY old), it reads only the objects the events name
(events.targets, collect.patch) and patches them into that state; a pair whose events a patch
cannot make exact is re-read whole, and the other pairs' VPCs are kept from the file. The result
is a complete state, written all or nothing like collect's. Otherwise (first run in this Lambda
environment, a policy change, an event without region or account, an old file) the reaction
falls back to a full collect, which also happens at least every FULL_COLLECT_EVERY: a change no
event announced is picked up then.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.events import journal
from generator.events.classify import Decision

if TYPE_CHECKING:
    from generator.collect.patch import Wanted
    from generator.collect.targeted import Reader

log = logging.getLogger(__name__)

FULL_COLLECT_EVERY = 3600.0
"""Seconds after which the reaction reads every pair again, events or not: a change that
no event announced (a missed notification) is picked up within this time."""

SCOPE_FILE = "state.scope.json"


def affected_pairs(decisions: list[Decision], policy: Any) -> dict[str | None, set[str]] | None:
    """account -> regions to re-read (account None: the default credentials' account).

    None when some decision does not say where it happened: then everything is read.
    """
    pairs: dict[str | None, set[str]] = {}
    for decision in decisions:
        if decision.region is None or (policy.aws.accounts and decision.account is None):
            return None
        pairs.setdefault(decision.account if policy.aws.accounts else None, set()).add(decision.region)
    return pairs


def scoped_policy(policy: Any, pairs: dict[str | None, set[str]]) -> Any:
    """The policy with aws.accounts/aws.regions cut down to `pairs`."""
    if policy.aws.accounts:
        accounts = tuple(replace(a, regions=tuple(sorted(pairs[a.id])))
                         for a in policy.aws.accounts if a.id in pairs)
        return replace(policy, aws=replace(policy.aws, accounts=accounts))
    return replace(policy, aws=replace(policy.aws, regions=tuple(sorted(pairs[None]))))


def fingerprint(section: Any) -> str:
    """A digest of a policy dataclass (the `aws` section here; the whole policy for the start/stop
    index, events.fastpath): two loads of the same policy.yaml give the same one."""
    return hashlib.sha256(json.dumps(asdict(section), sort_keys=True, default=str).encode()).hexdigest()


def mark_full(work: Path, policy: Any, now: float | None = None) -> float:
    """Record that state.yaml in `work` was just read in full for this policy's accounts; returns
    the time stamp recorded (it keys what the reads by id may reuse: generator.events.accounts)."""
    from generator.atomicio import write_atomic

    stamp = time.time() if now is None else now
    doc = {"aws": fingerprint(policy.aws), "full_collect_at": stamp}
    write_atomic(work / SCOPE_FILE, json.dumps(doc).encode())
    return stamp


def full_collect_stamp(work: Path, policy: Any, now: float) -> float | None:
    """When state.yaml in `work` was last read in full, if that is recent (FULL_COLLECT_EVERY) and for
    the same `aws` section of the policy; else None (the next reaction reads everything)."""
    try:
        scope = json.loads((work / SCOPE_FILE).read_text())
        stamp = float(scope.get("full_collect_at", 0))
        fresh = scope.get("aws") == fingerprint(policy.aws) and 0 <= now - stamp <= FULL_COLLECT_EVERY
    except (OSError, ValueError, TypeError, AttributeError):
        return None
    return stamp if fresh else None


def _cached_state(work: Path, policy: Any, now: float) -> dict[str, Any] | None:
    """The previous state.yaml when it is recent and of the same accounts, else None."""
    from generator.collect.normalize import STATE_VERSION
    from generator.errors import AwspanError
    from generator.yamlio import load_yaml_file

    if full_collect_stamp(work, policy, now) is None:
        return None
    try:
        state = load_yaml_file(work / "state.yaml", "state file", fast=True)
    except (OSError, ValueError, TypeError, AttributeError, AwspanError):
        return None
    if not isinstance(state, dict) or not isinstance(state.get("vpcs"), list):
        return None
    if state.get("version") != STATE_VERSION:  # another awspan's shape: its VPCs cannot be kept
        return None
    if not journal.apply(state, work):  # what the start/stop fast path read since the file was written
        log.info("awspan event: the state journal names entries state.yaml does not hold: a full collect")
        return None
    return state


@dataclass
class Collected:
    """What a reaction read: per pair, patched by id (with what) or read whole (and why)."""

    patched: dict[str, str] = field(default_factory=dict)  # "account region" -> what was read by id
    whole: dict[str, str] = field(default_factory=dict)  # "account region" -> why it was read whole
    calls: int = 0  # EC2 calls of the reads by id

    def pairs(self) -> list[str]:
        return sorted({*self.patched, *self.whole})


def pair_label(pair: tuple[str | None, str]) -> str:
    return f"{pair[0] or '-'} {pair[1]}"


def collect_changed(policy: Any, work: Path, decisions: list[Decision],
                    now: float | None = None) -> Collected | None:
    """Update work/state.yaml for what the decisions name; None when a full collect is needed.

    Each account/region pair the decisions name is patched by id (generator.collect.patch: the
    objects named, read and normalized as collect would), or read whole when the patch cannot be
    exact (events.targets.Unserved, collect.patch.NotExact), the reason logged.
    """
    from generator.atomicio import write_atomic
    from generator.collect.collector import collect
    from generator.collect.normalize import build_state
    from generator.collect.step import state_bytes
    from generator.events.targets import Unserved, plan_reads

    pairs = affected_pairs(decisions, policy)
    if not pairs:
        return None
    now = time.time() if now is None else now
    stamp = full_collect_stamp(work, policy, now)
    state = _cached_state(work, policy, now)
    if state is None or stamp is None:
        return None
    done = Collected()
    whole: dict[str | None, set[str]] = {}
    for pair, wanted in sorted(plan_reads(decisions, bool(policy.aws.accounts)).items(),
                               key=lambda item: pair_label(item[0])):
        why = wanted.reason if isinstance(wanted, Unserved) else _patch(policy, work, stamp, state, pair,
                                                                         wanted, done)
        if why is not None:
            log.info("awspan event: %s read whole: %s", pair_label(pair), why)
            done.whole[pair_label(pair)] = why
            whole.setdefault(pair[0], set()).add(pair[1])
    vpcs = state["vpcs"]
    if whole:
        fresh = collect(scoped_policy(policy, whole))
        vpcs = [v for v in vpcs if not _in(v, whole, policy)] + fresh["vpcs"]
    write_atomic(work / "state.yaml", state_bytes(build_state(vpcs)))
    journal.clear(work)  # state.yaml holds it now
    return done


def _in(vpc: dict[str, Any], pairs: dict[str | None, set[str]], policy: Any) -> bool:
    """Whether a VPC of the state belongs to one of `pairs` (account None: the one account read)."""
    if policy.aws.accounts:
        return vpc.get("region") in pairs.get(vpc.get("account"), ())
    return vpc.get("region") in pairs.get(None, ())


def pair_reader(policy: Any, work: Path, stamp: float, pair: tuple[str | None, str]) -> Reader | None:
    """The reads by id of one account/region pair, with the credentials of the full collect at
    `stamp` (events.accounts); None when the policy does not collect the account."""
    from generator.collect.sessions import SessionFactory
    from generator.collect.targeted import Reader
    from generator.events.accounts import credentials, ec2_client, spec_for

    spec = spec_for(policy, pair[0], pair[1])
    if spec is None:
        return None
    factory = SessionFactory()
    creds = credentials(policy, spec, work, stamp, factory)
    return Reader(ec2_client(creds, pair[1], factory), account=creds.account_id)


def _patch(policy: Any, work: Path, stamp: float, state: dict[str, Any], pair: tuple[str | None, str],
           wanted: Wanted, done: Collected) -> str | None:
    """Patch one pair's VPCs by id; the reason when it cannot be exact (the pair is then read whole)."""
    from generator.collect.patch import NotExact, patch_pair

    reader = pair_reader(policy, work, stamp, pair)
    if reader is None:
        return "the policy does not collect this account"
    vpcs = [v for v in state["vpcs"] if _in(v, {pair[0]: {pair[1]}}, policy)]
    try:
        with reader.said(pair[1]):
            patch_pair(vpcs, wanted, reader)
    except NotExact as exc:
        return str(exc)
    done.calls += reader.calls
    done.patched[pair_label(pair)] = f"{wanted.describe()} read by id ({reader.calls} EC2 calls)"
    log.info("awspan event: %s patched: %s", pair_label(pair), done.patched[pair_label(pair)])
    return None
