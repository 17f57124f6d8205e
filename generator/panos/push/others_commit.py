"""Another admin's changes that look uncommitted may be in a commit job still running.

While a commit job is in progress its changes are not in running yet: the candidate keeps the
admin's stamps and pending state shows them (PAN-OS keeps changes uncommitted "until a commit
executes successfully": PAN-OS 10.1 new features, "Persistent Uncommitted Changes"). A plan
that called them "uncommitted changes ... ask them to commit" was wrong: they had committed.

So when the plan is blocked by another admin's pending changes (safety.OthersPending), plan
and push ask `show jobs all` (one request) for commit jobs of other admins that have not
finished. If there is one, they wait for it (polling `show jobs id N`, as for their own
commit), bounded by `firewall.commit_timeout`, then read and plan again: what that job
committed is then in running, and only what is really uncommitted still blocks. A job still
running at the deadline is named as such (safety.OthersCommitting), and nothing is changed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from generator.panos.plan.changes import Plan, others_listing
from generator.panos.push.commit import CommitOutcomeUnknown, wait_for_job
from generator.panos.xmlapi.client import PanosClient
from generator.panos.xmlapi.jobs import JobInfo, commits_in_progress
from generator.safety import OthersCommitting, OthersPending

log = logging.getLogger(__name__)

T = TypeVar("T")


def blocked_by_others(plan: Plan) -> bool:
    return any(isinstance(r, OthersPending) for r in plan.refusals)


def plan_after_others_commits(client: PanosClient, make_plan: Callable[[], T], plan_of: Callable[[T], Plan],
                              admin: str | None, timeout: float) -> T:
    """`make_plan()` (reads the device and plans); when another admin's pending changes block it and
    a commit job of another admin is running, wait for the job and `make_plan()` again.

    Costs nothing more unless the plan is blocked by others' changes: then one `show jobs all`,
    and when there is a job, its polls and one more read of candidate and running."""
    made = make_plan()
    if not blocked_by_others(plan_of(made)):
        return made
    jobs = [j for j in commits_in_progress(client) if j.user != admin]
    if not jobs:
        return made  # nothing is committing them: they are uncommitted, the refusal stands
    deadline = time.monotonic() + timeout
    ended = []
    for job in jobs:
        log.warning("waiting up to %.0f s (firewall.commit_timeout) for %s: it may hold the changes to "
                    "awspan's objects that are not in running yet", max(0.0, deadline - time.monotonic()),
                    job.describe())
        try:
            ended.append((job, wait_for_job(client, job.id, max(0.0, deadline - time.monotonic()))))
        except CommitOutcomeUnknown:
            _still_running(plan_of(made), job, timeout, admin)
            return made
    made = make_plan()
    failed = [f"{job.name} ended {done.status}/{done.result or '?'}"
              for job, done in ended if not done.ok]
    if failed and blocked_by_others(plan_of(made)):
        _annotate(plan_of(made), "; ".join(failed))
    return made


def _still_running(plan: Plan, job: JobInfo, timeout: float, admin: str | None) -> None:
    """Name the running job in place of "uncommitted changes"."""
    listed = others_listing(plan.pending.others(admin))
    _replace(plan, OthersCommitting(
        f"{job.describe()} is still running after awspan waited {timeout:g} s (firewall.commit_timeout): "
        f"the changes to awspan's objects ({listed}) are committed but not yet in running; run awspan "
        f"again once it ends (`show jobs id {job.id}`)"))


def _annotate(plan: Plan, note: str) -> None:
    for r in plan.refusals:
        if isinstance(r, OthersPending):
            _replace(plan, type(r)(f"{r.reason} ({note})"), r)
            return


def _replace(plan: Plan, new: OthersPending, old: OthersPending | None = None) -> None:
    old = old or next(r for r in plan.refusals if isinstance(r, OthersPending))
    plan.refusals[plan.refusals.index(old)] = new
    plan.blockers[plan.blockers.index(old.reason)] = new.reason
