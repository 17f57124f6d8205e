"""The emulated device's state: running and candidate configs, the per-admin journal of
candidate changes, config/commit locks and commit jobs.

Why a journal: PAN-OS can commit only some admins' changes (partial commit by admin).
Every candidate write is kept as a `ConfigOp` with its admin; a partial commit replays
the named admins' operations onto the running config, and a revert rebuilds the
candidate from running plus the operations that are kept. All access goes through one
re-entrant lock, so the threaded HTTP server can share one store.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from emulator import xpath as xp
from emulator.commit import Job, Landing
from emulator.config_ops import (
    Applied,
    ConfigOp,
    Stamp,
    UndoLog,
    apply_op,
    strip_stamps,
)
from emulator.decorate import decorate
from emulator.device import DeviceProfile
from emulator.fleet import Fleet
from emulator.index import ChildIndex
from emulator.responses import (
    CODE_DENIED,
    CODE_INVALID_OBJECT,
    CODE_NOT_POSSIBLE,
    CODE_NOT_PRESENT,
    CODE_REFERENCE_COUNT,
    ApiError,
)
from emulator.userid import Registry
from emulator.validate import Validator
from emulator.xmlparse import parse, parser

_PARSER = parser(huge=True)


def now_text() -> str:
    return time.strftime("%Y/%m/%d %H:%M:%S", time.gmtime())


def parse_config(config_xml: bytes | str) -> etree._Element:
    data = config_xml.encode() if isinstance(config_xml, str) else config_xml
    root = parse(data, _PARSER)
    if root.tag != "config":
        raise ValueError(f"a PAN-OS configuration is rooted at <config>, not <{root.tag}>")
    return root


@dataclass
class Lock:
    admin: str
    scope: str
    comment: str
    created: str


class BatchError(Exception):
    """An operation of a batch failed: which one (0-based) and why."""

    def __init__(self, index: int, error: ApiError) -> None:
        self.index = index
        self.error = error
        super().__init__(str(error))


class _DeleteOrderError(Exception):
    def __init__(self, position: int, error: ApiError) -> None:
        self.position = position
        self.error = error
        super().__init__(str(error))


class Store:
    """Running + candidate configs and everything that changes them."""

    def __init__(self, config_xml: bytes | str, panorama: bool = False, job_steps: int = 2,
                 decorate: bool = True, device: DeviceProfile | None = None,
                 commit_seconds: float = 0.0, fleet: Fleet | None = None) -> None:
        self.mutex = threading.RLock()
        self.device = device or DeviceProfile()
        self.panorama = panorama
        self.decorate = decorate  # answers carry what a real device adds (decorate.py)
        self.job_steps = max(0, int(job_steps))
        self.commit_seconds = max(0.0, float(commit_seconds))  # a real commit takes tens of seconds
        self.registry = Registry()  # User-ID: registered IP -> tags (runtime state, not config)
        self.fleet = fleet if fleet is not None else Fleet.from_profile(self.device)  # Panorama's firewalls
        self.running = parse_config(config_xml)
        self.candidate = copy.deepcopy(self.running)
        self.journal: list[ConfigOp] = []
        self.config_locks: dict[str, Lock] = {}
        self.commit_locks: dict[str, Lock] = {}
        self.jobs: dict[int, Job] = {}
        self.landings: list[Landing] = []  # commits enqueued whose changes are not in running yet
        self._next_job = 1
        self._dirty = 0
        self.index = ChildIndex()  # of the candidate, kept current by every write
        self.running_index = ChildIndex()  # of running, replaced with running
        self.validator = Validator(panorama, self.index)

    # -- reads ------------------------------------------------------------------------
    def read(self, xpath: str | None, running: bool) -> list[etree._Element]:
        with self.mutex:
            self.settle()
            root, index = (self.running, self.running_index) if running else (self.candidate, self.index)
            found = xp.select_indexed(root, xpath, index)
            nodes = [copy.deepcopy(node) for node in found]
            if self.decorate:
                decorate(nodes, found)
            return nodes

    # -- writes -----------------------------------------------------------------------
    def check_write_lock(self, admin: str, xpath: str) -> None:
        """A config lock held by another admin refuses the write, as PAN-OS does."""
        for lock in self.config_locks.values():
            if lock.admin != admin and self._lock_covers(lock.scope, xpath):
                raise ApiError(
                    CODE_DENIED, f"Config for scope {lock.scope} is currently locked by {lock.admin}"
                )

    @staticmethod
    def _lock_covers(scope: str, xpath: str) -> bool:
        if scope == "shared":
            return True
        compact = xpath.replace('"', "'")
        names = [f"vsys/entry[@name='{scope}']", f"device-group/entry[@name='{scope}']"]
        if any(name in compact for name in names):
            return True
        # an xpath naming another vsys/device group is outside this scope
        return "vsys/entry[@name=" not in compact and "device-group/entry[@name=" not in compact

    def write(self, admin: str, ops: list[ConfigOp], strict: bool = False) -> list[Applied]:
        """Apply ops to the candidate, all or nothing; raise BatchError naming the failing one.

        `strict` is multi-config's strict-transactional=yes: refused while a commit job is
        active, and the admin's own uncommitted changes are rolled back first (restored if
        the batch fails).
        """
        with self.mutex:
            self.settle()
            if strict:
                return self._write_strict(admin, ops)
            return self._write(admin, ops)

    def _write_strict(self, admin: str, ops: list[ConfigOp]) -> list[Applied]:
        if any(job.status == "ACT" for job in self.jobs.values()):
            raise BatchError(0, ApiError(CODE_NOT_POSSIBLE, "strict-transactional: a commit is in progress"))
        saved = (copy.deepcopy(self.candidate), list(self.journal))
        if any(op.admin == admin for op in self.journal):
            self.revert({admin})
        try:
            return self._write(admin, ops)
        except BatchError:
            self.candidate, self.journal = saved
            self.index = ChildIndex()
            self.validator = Validator(self.panorama, self.index)
            raise

    def _write(self, admin: str, ops: list[ConfigOp]) -> list[Applied]:
        undo = UndoLog()
        results: list[Applied] = []
        deleted_at: dict[str, int] = {}  # object name -> the op that deleted it first
        try:
            for position, op in enumerate(ops):
                op.admin = admin
                self.check_write_lock(admin, op.xpath)
                self._dirty += 1
                stamp = Stamp(admin, str(self._dirty), now_text())
                applied = apply_op(self.candidate, op, undo, stamp, self.index)
                if applied.validate:
                    self.validator.check_entries(applied.entries)
                for name in applied.deleted:
                    deleted_at.setdefault(name, position)
                results.append(applied)
            if deleted_at:
                self._check_delete_order(results, deleted_at)
        except _DeleteOrderError as err:
            undo.undo()
            self.index.clear()
            raise BatchError(err.position, err.error) from None
        except ApiError as err:
            undo.undo()
            self.index.clear()
            raise BatchError(len(results), err) from None
        self.journal.extend(op for op, res in zip(ops, results, strict=True) if not res.missing)
        return results

    def _check_delete_order(self, results: list[Applied], deleted_at: dict[str, int]) -> None:
        """Deleting a referenced object fails, as each operation would on PAN-OS.

        Checked once per request (linear, not per operation): a reference still present at
        the end, or one that was removed only by a later operation of the batch, means the
        delete ran while the object was still in use.
        """
        for position, applied in enumerate(results):
            for name, referrer in applied.vanished:
                first = deleted_at.get(name)
                if first is not None and position > first:
                    raise _DeleteOrderError(
                        first,
                        ApiError(
                            CODE_REFERENCE_COUNT,
                            f"{name} cannot be deleted because of references from:",
                            referrer,
                        ),
                    )
        try:
            self.validator.check_no_references(self.candidate, set(deleted_at))
        except ApiError as err:
            name = err.lines[0].split(" ", 1)[0]
            raise _DeleteOrderError(deleted_at.get(name, max(deleted_at.values())), err) from None

    # -- pending changes, revert ------------------------------------------------------
    def pending_admins(self) -> list[str]:
        with self.mutex:
            self.settle()
            return sorted({op.admin for op in self.journal})

    def revert(self, admins: set[str] | None) -> bool:
        """Drop the changes of `admins` (all when None): candidate = running + the kept ops."""
        with self.mutex:
            self.settle()
            kept = [op for op in self.journal if admins is not None and op.admin not in admins]
            changed = len(kept) != len(self.journal)
            candidate = copy.deepcopy(self.running)
            index = ChildIndex()
            survivors = []
            for op in kept:
                undo = UndoLog()
                try:
                    apply_op(candidate, op, undo, Stamp(op.admin, str(self._dirty), now_text()), index)
                    survivors.append(op)
                except ApiError:
                    undo.undo()  # depended on a reverted change: dropped, as PAN-OS would lose it
                    index.clear()
            self.candidate = candidate
            self.journal = survivors
            self.index = index
            self.validator = Validator(self.panorama, index)
            return changed

    # -- commit -----------------------------------------------------------------------
    def check_commit_lock(self, admin: str) -> None:
        for lock in list(self.commit_locks.values()) + list(self.config_locks.values()):
            if lock.admin != admin:
                raise ApiError(
                    CODE_DENIED, f"Commit is blocked: {lock.scope} is currently locked by {lock.admin}"
                )

    def commit(
        self,
        admin: str,
        admins: set[str] | None,
        description: str,
        fail: Callable[[], tuple[str, ...] | None] | None = None,
    ) -> Job | None:
        """Enqueue a commit (full when `admins` is None); None when there is nothing to commit.

        `fail` (fault injection) is asked once a job is certain; detail lines it returns make
        the job end FIN/FAIL, leaving running unchanged. What the job commits lands (running,
        the journal, the stamps) when its time is up (`commit_seconds`; at once by default):
        until then the changes are still pending, as on PAN-OS (Landing).
        """
        with self.mutex:
            self.settle()
            self.check_commit_lock(admin)
            flying = {id(op) for landing in self.landings for op in landing.ops}
            waiting = [op for op in self.journal if id(op) not in flying]  # not in a job already
            ops = [op for op in waiting if admins is None or op.admin in admins]
            if not ops:
                return None
            failure = fail() if fail is not None else None
            details: list[str]
            # every pending change is theirs: same as a full commit
            if admins is None or {op.admin for op in waiting} <= admins:
                new_running = copy.deepcopy(self.candidate)
                strip_stamps(new_running)
            else:  # replayed onto what running will be once the jobs before this one land
                new_running = copy.deepcopy(self.landings[-1].running if self.landings else self.running)
                undo = UndoLog()
                index = ChildIndex()
                try:
                    for op in ops:
                        apply_op(new_running, op, undo, None, index)
                except ApiError as err:
                    new_running = None
                    details = ["Validation Error:", *err.lines, "Commit failed"]
            problems: list[str] = []
            if new_running is not None:
                problems = Validator(self.panorama).check_tree(new_running)
                details = ["Validation Error:", *problems, "Commit failed"] if problems else []
            ok = new_running is not None and not problems and not failure
            if self.device.release_config_locks_on_commit:  # a commit releases them (device.py)
                for scope in [s for s, lock in self.config_locks.items() if lock.admin == admin]:
                    del self.config_locks[scope]
            if failure:
                details = [*failure, "Commit failed"]
            ready = time.monotonic() + self.commit_seconds
            if ok:
                assert new_running is not None
                details = ["Configuration committed successfully"]
                self.landings.append(Landing(ready, new_running, ops, admin))
                self.settle()  # at once unless the job takes time
            job = Job(
                id=self._next_job,
                user=admin,
                description=description,
                ok=ok,
                details=details,
                polls_left=self.job_steps,
                enqueued=now_text(),
                ready_at=ready,
            )
            if self.job_steps == 0 and not self.commit_seconds:
                job.finished = job.enqueued
            self.jobs[job.id] = job
            self._next_job += 1
            return job

    def settle(self) -> None:
        """Land the commits whose time is up, in the order they were enqueued."""
        with self.mutex:
            while self.landings and self.landings[0].ready_at <= time.monotonic():
                landing = self.landings.pop(0)
                self.running = landing.running
                self.running_index = ChildIndex()
                done = {id(op) for op in landing.ops}
                self.journal = [op for op in self.journal if id(op) not in done]
                still = {op.admin for op in self.journal}  # their later changes keep their stamps
                strip_stamps(self.candidate, None if not still else {op.admin for op in landing.ops} - still)
                # PAN-OS releases the committer's commit locks after a commit (config locks stay)
                for scope in [s for s, lock in self.commit_locks.items() if lock.admin == landing.committer]:
                    del self.commit_locks[scope]

    def commit_all(self, admin: str, device_group: str, description: str, merge: bool = True) -> Job:
        """Panorama's push of a device group to its firewalls: a job with one result per firewall of
        the group (emulator/fleet.py), each that takes it enforcing the group's pushed policy.
        `merge`: merge-with-candidate-cfg, each firewall's own uncommitted changes committed along
        (kept on the job: the firewalls' local configs are not modelled)."""
        with self.mutex:
            self.settle()  # what Panorama pushes is its running config, commits that landed included
            groups = self.running.xpath("devices/entry/device-group/entry/@name")
            if device_group not in groups:
                raise ApiError(CODE_NOT_PRESENT, f"device-group {device_group} does not exist")
            devices = self.fleet.push(self.running, device_group)
            job = Job(id=self._next_job, user=admin, description=description,
                      ok=all(d.ok for d in devices), details=[], polls_left=self.job_steps,
                      enqueued=now_text(), type="CommitAll", devices=devices, merge_with_candidate=merge)
            job.details = ["Commit all succeeded" if job.ok else "Commit all failed on some devices"]
            if self.job_steps == 0:
                job.finished = job.enqueued
            self.jobs[job.id] = job
            self._next_job += 1
            return job

    def job(self, job_id: int) -> Job | None:
        with self.mutex:
            self.settle()
            job = self.jobs.get(job_id)
            if job is not None:
                job.poll(now_text())
            return job

    # -- locks ------------------------------------------------------------------------
    def add_lock(self, kind: str, admin: str, scope: str, comment: str) -> None:
        with self.mutex:
            locks = self.config_locks if kind == "config" else self.commit_locks
            holder = locks.get(scope)
            if holder is not None:
                if holder.admin == admin:
                    raise ApiError(CODE_DENIED, f"You already own a {kind} lock for scope {scope}")
                raise ApiError(
                    CODE_DENIED,
                    f"{kind.capitalize()} for scope {scope} is currently locked by {holder.admin}",
                )
            for other in locks.values():
                if other.admin != admin and (other.scope == "shared" or scope == "shared"):
                    raise ApiError(
                        CODE_DENIED,
                        f"{kind.capitalize()} for scope {other.scope} is currently locked by {other.admin}",
                    )
            locks[scope] = Lock(admin=admin, scope=scope, comment=comment, created=now_text())

    def remove_lock(self, kind: str, admin: str, scope: str) -> None:
        with self.mutex:
            locks = self.config_locks if kind == "config" else self.commit_locks
            holder = locks.get(scope)
            if holder is None:
                raise ApiError(
                    CODE_INVALID_OBJECT, f"{kind.capitalize()} is not currently locked for scope {scope}"
                )
            if holder.admin != admin:
                raise ApiError(
                    CODE_DENIED,
                    f"{kind.capitalize()} for scope {scope} is locked by {holder.admin}; "
                    f"only that admin can release it",
                )
            del locks[scope]


__all__ = ["BatchError", "Lock", "Store", "parse_config"]
