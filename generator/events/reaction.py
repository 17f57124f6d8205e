"""The reaction: run the declarative loop once for a batch of relevant decisions.

An event is only a *trigger*: when one or more records can change what the firewall must
allow, awspan runs collect -> snapshot -> generate -> push (mode push) or starts the GitOps
pipeline (mode pipeline), once per invocation however many records asked for it. A missed
or duplicated event therefore costs nothing: the next run converges anyway.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from generator.errors import AwspanError
from generator.events import fastpath, journal
from generator.events.accounts import remember
from generator.events.classify import Decision
from generator.events.dispatch import names_and_ids, run_pipeline
from generator.events.partial_collect import collect_changed, mark_full
from generator.events.secrets import firewall_api_key
from generator.inputs import os_reason

log = logging.getLogger(__name__)

MAX_DESCRIPTION_IDS = 10
"""Ids named in a commit description; a RunInstances of 500 instances must not make a huge one."""


def config_path() -> Path:
    """policy.yaml for the Lambda: $AWSPAN_CONFIG, else policy.yaml in the package root."""
    if os.environ.get("AWSPAN_CONFIG"):
        return Path(os.environ["AWSPAN_CONFIG"])
    return Path(os.environ.get("LAMBDA_TASK_ROOT", ".")) / "policy.yaml"


def describe_change(decisions: list[Decision]) -> str:
    """The commit description: the event names and the first affected ids."""
    names, ids = names_and_ids(decisions)
    shown = ", ".join(ids[:MAX_DESCRIPTION_IDS]) + (f" (+{len(ids) - MAX_DESCRIPTION_IDS} more)"
                                                     if len(ids) > MAX_DESCRIPTION_IDS else "")
    return f"awspan event: {'/'.join(names)}" + (f" {shown}" if shown else "")


def run_push(policy: Any, config: Path, decisions: list[Decision]) -> dict[str, Any]:
    """collect -> snapshot -> generate -> push, with every file in events.work_dir.

    With membership dynamic, a batch of starts and stops is served first by its User-ID delta
    alone when it can be (generator.events.fastpath: no state.yaml, no generate, no config read).
    Otherwise collect reads only the account/region pairs of the decisions when the last run's
    state.yaml is recent (generator.events.partial_collect), else everything.

    The steps are the library calls the command line makes (generator.pipeline, imported
    here so that the handler's import stays light), so that the Lambda does exactly what
    `make collect generate push` does in a pipeline. The API key fetched from Secrets
    Manager or SSM goes into the Credentials object only: never the environment, argv, a
    file or a log. snapshot refreshes the firewall's own rules for generate's
    already-allowed check, as the scheduled pipeline does. A failed step stops the chain:
    collect writes nothing on a partial read, and push never runs on a stale fragment.
    """
    from generator import pipeline
    from generator.panos.review.push_report import PUSH_LISTING, push_failure, push_report

    work = Path(policy.events.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    state, rulebase, fragment = work / "state.yaml", work / "rulebase.xml", work / "fragment.xml"
    # the secret first: when it cannot be read, nothing runs (and nothing is written)
    credentials = pipeline.Credentials.from_env(policy, api_key=firewall_api_key(policy))
    with _step("push"):  # membership dynamic: a start or stop is a User-ID delta (events.fastpath)
        served = fastpath.try_serve(policy, credentials, work, decisions)
    if served is not None:
        return {**served, "work_dir": str(work)}
    with _step("collect"):
        done = collect_changed(policy, work, decisions)
    if done is not None:
        log.info("awspan event: collected only %s; the other accounts/regions are from the last run",
                 ", ".join(done.pairs()))
    else:
        accounts: dict[int | None, Any] = {}
        with _step("collect"):
            pipeline.collect(policy, state, accounts=accounts)
            journal.clear(work)  # the new state.yaml holds what the fast path read, or newer
        remember(work, mark_full(work, policy), accounts)
    with _step("snapshot"):
        pipeline.snapshot(policy, credentials, str(rulebase))
    with _step("generate"):
        pipeline.generate(policy, str(state), str(fragment),
                          rulebase=str(rulebase) if rulebase.is_file() else None,
                          start_stop=fastpath.index_while_generating(policy, work))
    fastpath.forget_push(work)
    with _step("push"):
        pushed = pipeline.push(policy, credentials, str(fragment), description=describe_change(decisions))
    sys.stdout.write(push_report(pushed, limit=PUSH_LISTING))
    failure = push_failure(pushed)  # Panorama: firewalls left behind, after the others are done
    if failure is not None:
        raise AwspanError(f"push reaction: `awspan push` left firewalls behind: {failure}")
    fastpath.remember_push(work)  # only a push that went through is a baseline
    collected: dict[str, Any] = {"collected": "all"}
    if done is not None:
        collected = {"collected": done.pairs(), "read_by_id": done.patched, "read_whole": done.whole}
    return {"reaction": "push", "work_dir": str(work), "fragment": str(fragment), **collected}


@contextlib.contextmanager
def _step(name: str) -> Iterator[None]:
    """Run one step; its failure stops the chain with one message naming the step."""
    log.info("awspan event: running awspan %s", name)
    try:
        yield
    except (AwspanError, OSError) as exc:
        reason = str(exc) if isinstance(exc, AwspanError) else f"{exc.filename or ''}: {os_reason(exc)}"
        raise AwspanError(f"push reaction stopped: `awspan {name}` failed: {reason}; "
                          "the later steps did not run") from None


def collected_regions(policy: Any) -> set[str]:
    """Every region collect reads: aws.regions and the per-account regions."""
    regions = set(policy.aws.regions)
    for account in policy.aws.accounts:
        regions.update(account.regions or ())
    return regions


def in_scope(decision: Decision, policy: Any, own_account: str | None) -> bool:
    """True when collect reads the decision's account and region (unknown ones are kept).

    With aws.accounts, exactly those accounts, each in its own regions (or aws.regions).
    Without, collect reads the account of the default credentials: `own_account` when the
    caller knows it (the Lambda's own account), else any account.
    """
    region, account = decision.region, decision.account
    if policy.aws.accounts and account is not None:
        for acct in policy.aws.accounts:
            if acct.id == account:
                return region is None or region in (acct.regions or policy.aws.regions)
        return False
    if not policy.aws.accounts and own_account and account is not None and account != own_account:
        return False
    return region is None or region in collected_regions(policy)


def react(decisions: list[Decision], config: Path, own_account: str | None = None,
          policy: Any = None) -> dict[str, Any]:
    """Run the policy's reaction once for one or more relevant decisions.

    An event from an account or region that collect does not read cannot change the
    fragment (an organization trail holds every member account's), so it starts nothing;
    such decisions are counted in `outside`.
    """
    if policy is None:
        from generator.policy import load_policy

        policy = load_policy(config)
    kept = [d for d in decisions if in_scope(d, policy, own_account)]
    outside = len(decisions) - len(kept)
    if outside:
        log.info("awspan event: %d relevant record(s) from accounts/regions the policy does not collect "
                 "ignored", outside)
    if not kept:
        regions = sorted(collected_regions(policy))
        why = f"no relevant event in the policy's accounts/regions (regions {regions})"
        log.info("awspan event: no reaction: %s", why)
        return {"reaction": "none", "why": why, "outside": outside}
    mode = policy.events.mode
    if mode == "push":
        outcome = run_push(policy, config, kept)
    elif mode == "pipeline":
        outcome = run_pipeline(policy, kept)
    else:
        outcome = {"reaction": "log"}
    return {**outcome, "outside": outside}
