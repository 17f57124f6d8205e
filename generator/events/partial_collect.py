"""Collect only what changed: re-read the account/region pairs a batch of events names.

An organization trail delivers a log file per account and region every few minutes; a
full collect of every account for each batch would cost minutes and thousands of API
calls. When the push reaction has a state.yaml of its own from a recent run (same
`aws` section of policy.yaml, at most FULL_COLLECT_EVERY old), it re-reads only the pairs
the relevant events came from and keeps the other pairs' VPCs from that file. The result
is a complete state (every pair is either fresh or from the last read), written all or
nothing like collect's. Otherwise (first run in this Lambda environment, a policy change,
an event without region or account, an old file) it falls back to a full collect.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from generator.events.classify import Decision

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


def _fingerprint(policy: Any) -> str:
    return hashlib.sha256(json.dumps(asdict(policy.aws), sort_keys=True).encode()).hexdigest()


def mark_full(work: Path, policy: Any, now: float | None = None) -> None:
    """Record that state.yaml in `work` was just read in full for this policy's accounts."""
    from generator.atomicio import write_atomic

    doc = {"aws": _fingerprint(policy), "full_collect_at": time.time() if now is None else now}
    write_atomic(work / SCOPE_FILE, json.dumps(doc).encode())


def _cached_state(work: Path, policy: Any, now: float) -> dict[str, Any] | None:
    """The previous state.yaml when it is recent and of the same accounts, else None."""
    from generator.errors import AwspanError
    from generator.yamlio import load_yaml_file

    try:
        scope = json.loads((work / SCOPE_FILE).read_text())
        fresh = (scope.get("aws") == _fingerprint(policy)
                 and 0 <= now - float(scope.get("full_collect_at", 0)) <= FULL_COLLECT_EVERY)
        state = load_yaml_file(work / "state.yaml", "state file", fast=True) if fresh else None
    except (OSError, ValueError, TypeError, AttributeError, AwspanError):
        return None
    from generator.collect.normalize import STATE_VERSION

    if not isinstance(state, dict) or not isinstance(state.get("vpcs"), list):
        return None
    if state.get("version") != STATE_VERSION:  # another awspan's shape: its VPCs cannot be kept
        return None
    return state


def collect_changed(policy: Any, work: Path, decisions: list[Decision], now: float | None = None
                    ) -> list[str] | None:
    """Update work/state.yaml for the affected pairs only; None when a full collect is needed.

    Returns the pairs read, as "account region" (account "-" for the default credentials).
    """
    from generator.atomicio import write_atomic
    from generator.collect.collector import collect
    from generator.collect.normalize import build_state
    from generator.collect.step import state_bytes

    pairs = affected_pairs(decisions, policy)
    if not pairs:
        return None
    state = _cached_state(work, policy, time.time() if now is None else now)
    if state is None:
        return None
    fresh = collect(scoped_policy(policy, pairs))
    if policy.aws.accounts:
        reread = {(a, r) for a, regions in pairs.items() for r in regions}
        kept = [v for v in state["vpcs"] if (v.get("account"), v.get("region")) not in reread]
    else:  # one account (the default credentials'): every VPC of the file is its
        kept = [v for v in state["vpcs"] if v.get("region") not in pairs[None]]
    write_atomic(work / "state.yaml", state_bytes(build_state(kept + fresh["vpcs"])))
    return sorted(f"{a or '-'} {r}" for a, regions in pairs.items() for r in regions)
