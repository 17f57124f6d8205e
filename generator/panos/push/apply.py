"""`awspan push`: make the firewall's managed objects equal to the fragment, safely.

The sequence (design.md "Ownership and push"), and why each step is there:

0. `show system info` (sysinfo.py): the version gate (multi-config needs 10.0+) and the
   lock scope (`shared` on a single-vsys firewall, as pan-os-python);
1. take the config lock of that scope: no one else edits the rules while
   awspan reads, decides and writes (a lock held by someone else stops the push here);
2. read the candidate with ONE `get` of the location (round trips must not grow with
   the number of rules);
3. plan, and check the blockers and guards before anything changes: among them every name
   the batch would use must be on the firewall (plan/references.py; shared and ancestors
   read only when a name is missing), and another admin's commit job still running is
   waited for before its changes are called uncommitted (others_commit.py); with membership
   dynamic, also read the registered tags (registrations.py); check the saved plan (push
   --plan); then send the unregistrations (less is always safe);
4. send the batch: every delete, set/edit and move in multi-config requests, as few as the
   XML API's 5 MB request limit allows (one up to ~2,000 rules; sendbatch.py, wire.py). PAN-OS
   applies each request all or nothing; across requests push keeps the promise itself: the
   lock is held throughout, and if request k fails the candidate is put back as it was read in
   step 2 (step 7), so a bad reference can never leave half a policy behind;
5. read back and verify (verify.py): what awspan set is there (the device's own additions
   tolerated), managed rules contiguous, in fragment order, directly above the bottom
   rule, every other object as it was;
6. partial commit of this admin's changes only (another admin's pending work stays
   pending), then poll the job (bounded by firewall.commit_timeout), check its result, and
   check that running holds the fragment (commit.py: "no changes to commit" after a batch
   is a failure); on Panorama with push_to_devices, commit-all (commitall.py);
   then the registrations, read back;
7. if anything after step 4 fails, put the candidate back as it was read in step 2 (the
   inverse batch; not `revert`, which would also drop this admin's unrelated edits),
   taking the lock again first when a commit came in between, and register again what step 3
   unregistered while running is unchanged;
8. release the lock, always.

A push that finds nothing to change sends no batch and no commit; one that changes only
registrations sends User-ID messages and no batch, no commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn

from generator.errors import AwspanError, shorten
from generator.interrupt import Interrupted, trap_signals
from generator.location import Location
from generator.panos.config.fragment import FragmentView
from generator.panos.config.view import DeviceConfig
from generator.panos.plan.changes import Plan, build_plan
from generator.panos.plan.diff import predict, restore_diff
from generator.panos.plan.saved import SavedPlanCheck
from generator.panos.push.batch import Batch, build_batch
from generator.panos.push.commit import (  # noqa: F401 - commit_cmd, wait_for_job: used by bench/push.py
    CommitOutcomeUnknown,
    commit_cmd,
    nothing_committed,
    running_problems,
    wait_for_job,
)
from generator.panos.push.commitall import DeviceResult, push_groups
from generator.panos.push.fleet_registrations import membership_step
from generator.panos.push.others_commit import plan_after_others_commits
from generator.panos.push.progress import Progress, interrupted
from generator.panos.push.sendbatch import BatchFailed, send_batch
from generator.panos.push.verify import check_candidate
from generator.panos.xmlapi.client import Job, PanosClient, PanosError
from generator.panos.xmlapi.fleet import Fleet
from generator.panos.xmlapi.lockinfo import lock_comment
from generator.panos.xmlapi.locks import (  # noqa: F401 - PushFailed: imported from here by callers
    PushFailed,
    key_admin,
    lock_owner,
    release_lock,
    retake_lock,
    take_lock,
)
from generator.panos.xmlapi.read_config import read_inherited, read_location
from generator.panos.xmlapi.sysinfo import (
    SystemInfo,
    check_version,
    lock_target,
    multi_config_hint,
    read_system_info,
)
from generator.registrations_file import Desired
from generator.safety import Safety, raise_if_unsafe

log = logging.getLogger(__name__)

ROLLBACK_TIMEOUT = 600.0


@dataclass
class PushSettings:
    tag: str
    bottom_rule: str
    max_delete_percent: float
    admin: str | None
    commit_timeout: float = 900.0
    force: bool = False
    description: str | None = None
    min_existing: int = 0  # safety.min_existing (policy default 10; 0: the percentage always applies)
    saved_plan: SavedPlanCheck | None = None  # push --plan FILE (plan/saved.py)
    push_to_devices: bool = False  # Panorama: commit-all to the device group afterwards (commitall.py)
    membership: Desired | None = None  # membership dynamic: registrations.yaml, checked against the state
    fleet: Fleet | None = None  # Panorama: the firewalls the device group reaches (xmlapi/fleet.py)


@dataclass
class PushResult:
    plan: Plan
    committed: bool = False
    job: Job | None = None
    system: SystemInfo | None = None
    devices: list[DeviceResult] = field(default_factory=list)  # commit-all: one result per firewall
    incomplete: list[str] = field(default_factory=list)  # firewalls left behind: push exits 1 after the rest
    requests: int = 0
    batch_requests: int = 0  # multi-config requests the batch took (the 5 MB limit cuts it)
    notes: list[str] = field(default_factory=list)
    device: DeviceConfig | None = None  # the candidate as read before the batch (for the summary)
    registrations_before: dict[str, frozenset[str]] | None = None  # membership dynamic: read under the lock


# --- commit ---

def default_description(plan: Plan) -> str:
    return f"awspan: {plan.counts_text()}"


# --- the sequence -----------------------------------------------------------------------

def _batch_error(exc: PanosError, batch: Batch) -> str:
    """Name the failing operation as awspan sees it (`create rule 'x'`), with PAN-OS's lines for it."""
    per_op: dict[str, list[str]] = {}
    for line in exc.lines:
        if line.startswith("[") and "]" in line:
            op_id, _, rest = line[1:].partition("]")
            per_op.setdefault(op_id, []).append(rest.strip())
    if not per_op:
        return shorten("; ".join(exc.lines) or str(exc), 300)
    return shorten(" | ".join(f"{batch.label(op_id)}: {'; '.join(lines)}" for op_id, lines in per_op.items()),
                   600)


def rollback(client: PanosClient, location: Location, before: DeviceConfig, plan: Plan) -> str:
    """Put the candidate's awspan objects back as read before the push; return what happened."""
    try:
        after = read_location(client, location)
    except PanosError as exc:
        log.warning("could not read the candidate for the rollback (%s); using the predicted state", exc)
        after = predict(before, plan.diff)
    try:
        d = restore_diff(before, after, plan.diff.scope)
    except ValueError as exc:
        raise PanosError(f"rollback impossible: {exc}; the candidate holds awspan's changes, revert them "
                         "by hand (`revert config`)") from None
    if d.is_empty():
        return "the candidate is as it was before the push"
    batch = build_batch(d, after, location)
    try:
        send_batch(client, batch.requests(), max(client.timeout[1], ROLLBACK_TIMEOUT))
    except (BatchFailed, ValueError) as exc:
        detail = _batch_error(exc.error, batch) if isinstance(exc, BatchFailed) else str(exc)
        raise PanosError(f"ROLLBACK FAILED ({detail}): the candidate still holds awspan's "
                         "uncommitted changes; revert them on the firewall (`revert config`)") from None
    return f"the candidate was put back as it was before the push ({len(batch)} operations)"


def push(client: PanosClient, fragment: FragmentView, settings: PushSettings) -> PushResult:
    """Run the whole sequence; raise AwspanError (after rollback and unlock) on any failure.

    SIGINT, SIGTERM and SIGHUP end the push like a failure: the candidate is put back (unless
    the commit was already requested), the lock released, and `Interrupted` says so.
    """
    location = fragment.location
    start_requests = client.request_count
    comment = lock_comment()
    info = read_system_info(client)  # before the lock: the version gate and the lock scope
    warnings = check_version(info)
    lock_at = lock_target(info, location)  # the lock's scope (shared on a single-vsys firewall)
    with trap_signals() as trap:
        try:
            take_lock(client, lock_at, comment)  # type: ignore[arg-type]  # scope + describe()
        except Interrupted as exc:  # the lock may have been granted just before the signal
            exc.outcome = "nothing was changed; " + _release_if_ours(client, lock_at, comment)  # type: ignore[arg-type]
            raise
        progress = Progress()
        result: PushResult | None = None
        error: BaseException | None = None
        try:
            result = _push_locked(client, fragment, settings, comment, progress,
                                  relock=lambda: retake_lock(client, lock_at, comment),  # type: ignore[arg-type]
                                  info=info)
            result.system = info
            result.notes[:0] = warnings
            if settings.push_to_devices and location.is_panorama:
                _push_to_devices(client, fragment, settings, result)
        except BaseException as exc:  # noqa: BLE001 - re-raised below, after the lock is released
            error = exc
        trap.cleaning = True  # from here on a signal must not cut the cleanup short
        if isinstance(error, KeyboardInterrupt):
            error = interrupted(progress, error, lambda: rollback(client, location, progress.before,
                                                                  progress.plan))
            restored = _restore_registrations(progress)
            if restored:
                error.outcome += f"; {restored}"
        unlock_error = release_lock(client, lock_at)  # type: ignore[arg-type]
    if isinstance(error, Interrupted):
        error.outcome += ("; the config lock was released" if not unlock_error else
                          f"; the config lock could not be released: {unlock_error}")
        raise error
    if error is not None:
        if unlock_error:
            raise PushFailed(f"{error}; and the config lock could not be released: {unlock_error}") from error
        raise error
    assert result is not None
    result.requests = client.request_count - start_requests
    if unlock_error:
        raise PushFailed(f"pushed{' and committed' if result.committed else ''}, but the config lock for "
                         f"{location.describe()} could not be released: {unlock_error}; remove it on the "
                         "firewall (`request config-lock remove`)")
    return result


def _release_if_ours(client: PanosClient, location: Location, comment: str) -> str:
    """After a signal during `config-lock add`: release the lock only if it carries our comment."""
    try:
        if lock_owner(client, location, comment) is None:
            return "awspan holds no config lock"
    except PanosError as exc:
        return f"whether the config lock was taken is unknown ({exc}); check `show config-locks`"
    problem = release_lock(client, location)
    return "the config lock was released" if problem is None else f"the config lock is still held: {problem}"


def _restore_registrations(progress: Progress) -> str:
    """After a failed push: register again what it unregistered, when running is as it was."""
    membership = progress.membership
    if membership is None or not membership.taken or not progress.running_unchanged:
        return ""
    return membership.restore()


def _push_locked(client: PanosClient, fragment: FragmentView, s: PushSettings, comment: str,
                 progress: Progress | None = None, *, relock: Callable[[], None] = lambda: None,
                 info: SystemInfo | None = None) -> PushResult:
    progress = progress or Progress()
    location = fragment.location
    admin = key_admin(client, location, comment, s.admin)
    safety = Safety(s.max_delete_percent, s.min_existing)

    def read_and_plan() -> tuple[DeviceConfig, DeviceConfig, Plan]:
        before = read_location(client, location)
        running = read_location(client, location, running=True)  # pending state: see pending.py
        return before, running, build_plan(
            fragment, before, tag=s.tag, bottom_rule=s.bottom_rule, admin=admin,
            safety=safety, running=running, inherited=lambda: read_inherited(client, location))

    # another admin's commit job still running: wait for it (others_commit.py)
    before, running, plan = plan_after_others_commits(client, read_and_plan, lambda made: made[2], admin,
                                                      s.commit_timeout)
    result = PushResult(plan=plan, device=before)
    progress.before, progress.plan = before, plan
    membership = None if s.membership is None else membership_step(client, location, s.membership, s.fleet)
    if membership is not None:  # read under the lock, sent only after every check below
        result.registrations_before = membership.read()
    if s.saved_plan is not None:  # push --plan: only the change set that was reviewed
        s.saved_plan.check(plan, before, serial=info.serial if info else "", panorama=location.is_panorama,
                           membership=None if membership is None else membership.binding())
    raise_if_unsafe(plan, s.force)
    if membership is not None and not s.force:
        for guard in membership.guards(safety):
            raise type(guard)(guard.reason, prefix="push refused, nothing was changed: ")
    if membership is None:
        return _apply_config(client, fragment, s, plan, before, admin, result, progress, relock, info)
    progress.membership = membership
    try:
        membership.unregister()
        _apply_config(client, fragment, s, plan, before, admin, result, progress, relock, info)
    except KeyboardInterrupt:
        raise  # push() undoes what it can (registrations included) and says so
    except BaseException as exc:
        restored = _restore_registrations(progress)
        if restored and isinstance(exc, AwspanError):
            raise PushFailed(f"{exc}; {restored}") from exc
        raise
    membership.register()
    result.notes.append(membership.note())
    result.incomplete += membership.problems()  # Panorama: firewalls left behind, named after the rest
    return result


def _apply_config(client: PanosClient, fragment: FragmentView, s: PushSettings, plan: Plan,
                  before: DeviceConfig, admin: str, result: PushResult, progress: Progress,
                  relock: Callable[[], None], info: SystemInfo | None) -> PushResult:
    """The config part: nothing, a commit of pending objects, or the batch, verify and commit."""
    location = fragment.location
    if not plan.has_changes:
        if not plan.pending:
            result.notes.append("the firewall already matches the fragment: no batch, no commit")
            return result
        # An earlier push left its changes uncommitted (a commit timeout): commit them now.
        result.notes.append(f"the candidate matches the fragment, but {len(plan.pending.items)} of awspan's "
                            "objects hold uncommitted changes: committing them")
        return _commit(client, fragment, before, plan, admin, s, result, operations=0, relock=relock,
                       progress=progress)

    batch = build_batch(plan.diff, before, location)
    try:
        elements = batch.requests()
    except ValueError as exc:
        raise PushFailed(f"the batch cannot be sent, nothing was changed: {exc}") from None
    log.info("pushing %d operations in %d multi-config request(s)", len(batch), len(elements))
    progress.batch_sent = True  # from the moment it leaves: it may land even if we never hear back
    try:
        send_batch(client, elements, max(client.timeout[1], s.commit_timeout))
    except BatchFailed as failed:
        exc = failed.error
        if failed.nothing_applied:  # PAN-OS refused the first request whole: nothing was applied
            hint = multi_config_hint(info, exc.lines)
            raise PushFailed("the firewall refused the batch, nothing was changed: "
                             + (hint or _batch_error(exc, batch))) from None
        if exc.answered:
            reason = (f"the firewall refused {failed.where()} ({_batch_error(exc, batch)}); the requests "
                      "before it had been applied")
        else:
            reason = f"{failed.where()} may not have been applied: {exc}"
        _fail_after_batch(client, location, before, plan, reason)
    result.batch_requests = len(elements)

    try:
        after = read_location(client, location)
    except PanosError as exc:
        _fail_after_batch(client, location, before, plan, f"cannot read the candidate back: {exc}")
    problems = check_candidate(after, before, fragment, plan, s.tag, s.bottom_rule)
    if problems:
        _fail_after_batch(client, location, before, plan,
                          "the candidate is not what the batch should have made it: "
                          + "; ".join(problems[:5]))

    return _commit(client, fragment, before, plan, admin, s, result, operations=len(batch), relock=relock,
                   progress=progress)


def _push_to_devices(client: PanosClient, fragment: FragmentView, s: PushSettings,
                     result: PushResult) -> None:
    """Panorama's commit reaches no firewall: commit-all (commitall.py `push_groups`); the firewalls
    left behind go to `result.incomplete`, named after the others got the push."""
    group = str(fragment.location.device_group)
    pushed = push_groups(client, group, s.fleet, committed=result.job is not None,
                         description=s.description or f"awspan: push device group {group}",
                         timeout=s.commit_timeout)
    result.devices += pushed.devices
    result.notes += pushed.notes
    result.incomplete += pushed.problems


def _commit(client: PanosClient, fragment: FragmentView, before: DeviceConfig, plan: Plan, admin: str,
            s: PushSettings, result: PushResult, *, operations: int, relock: Callable[[], None],
            progress: Progress | None = None) -> PushResult:
    """Commit, wait, and report success only when running holds the fragment (commit.py).

    A rollback that follows a commit attempt first takes the config lock again: PAN-OS may have
    released it with the commit (docs/panos-fidelity.md), and a rollback without it could
    interleave with another admin's edits.
    """
    location = fragment.location
    description = s.description or default_description(plan)
    if progress is not None:
        progress.commit_sent = True
    try:
        job_id = client.commit(commit_cmd(admin, description))
    except PanosError as exc:
        if not exc.answered:  # no answer: the commit may have been enqueued all the same
            raise PushFailed(f"the commit request got no answer ({exc}); it may have been taken: "
                             "the candidate keeps awspan's changes, see `show jobs all` on the firewall"
                             ) from None
        relock()
        if progress is not None:
            progress.commit_failed = True
        _fail_after_batch(client, location, before, plan, f"the commit was refused: {exc}")
    if job_id is None:
        if operations:
            _nothing_committed(client, fragment, before, plan, admin, s, operations, relock, progress)
        result.notes.append("PAN-OS: there are no changes to commit")
        result.committed = True
        return result
    try:
        job = wait_for_job(client, job_id, s.commit_timeout)
    except CommitOutcomeUnknown as exc:
        raise PushFailed(f"{exc}; the candidate keeps awspan's changes until the job ends") from None
    result.job = job
    if not job.ok:
        detail = shorten("; ".join(job.details), 300) or "(no details)"
        relock()
        if progress is not None:
            progress.commit_failed = True
        _fail_after_batch(client, location, before, plan,
                          f"commit job {job_id} ended {job.status}/{job.result or '?'}: {detail}")
    result.committed = True
    try:
        problems = running_problems(client, fragment, s.bottom_rule)
    except PanosError as exc:
        raise PushFailed(f"commit job {job_id} ended OK, but running could not be read back to check it "
                         f"({exc}); check the firewall's running config") from None
    if problems:
        raise PushFailed(f"commit job {job_id} ended OK, but running does not hold the fragment: "
                         + "; ".join(problems[:5]))
    return result


def _nothing_committed(client: PanosClient, fragment: FragmentView, before: DeviceConfig, plan: Plan,
                       admin: str, s: PushSettings, operations: int, relock: Callable[[], None],
                       progress: Progress | None = None) -> NoReturn:
    """After a non-empty batch, "no changes to commit" is a failure: say which kind."""
    reason = nothing_committed(admin, operations)
    try:
        problems = running_problems(client, fragment, s.bottom_rule)
    except PanosError:
        problems = ["running could not be read"]
    if not problems:  # someone else committed the batch: running is right, candidate too; no rollback
        raise PushFailed(f"{reason}; running holds the fragment, committed by someone else, not by this push")
    relock()
    if progress is not None:
        progress.commit_failed = True  # nothing was committed: running is as it was
    _fail_after_batch(client, fragment.location, before, plan, reason)


def _fail_after_batch(client: PanosClient, location: Location, before: DeviceConfig, plan: Plan,
                      reason: str) -> NoReturn:
    try:
        outcome = rollback(client, location, before, plan)
    except PanosError as exc:
        raise PushFailed(f"{reason}; {exc}") from None
    raise PushFailed(f"{reason}; running config unchanged, {outcome}")


@dataclass
class Pushed:
    """push's result, with every firewall request of the run counted (keygen included)."""

    result: PushResult
    requests: int
    keygen: bool
    document: dict[str, Any] | None = None  # the plan document of what was pushed (push's summary)
