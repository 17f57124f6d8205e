"""From one invocation's input to the decisions that matter: unwrap, read, classify, count.

Shared by the Lambda handler and `awspan event`, so both read the same shapes the same way.
Each record is classified on its own: a malformed one is warned about and ignored, and
never costs the other records of its file or batch.

The feed trusts nothing it is told (docs/events.md "The feed trusts nothing"): a notification
naming a bucket that `events.trail_buckets` does not list is refused unread; a key that nests
an `AWSLogs/` path inside another is refused unread; a record that contradicts its file's key
(another account or region) is malformed; an object named many times in one invocation is read
once. What is kept is bounded whatever the input: records stream through (logfiles.py), ignored
ones are only counted, and at most MAX_KEPT relevant decisions are kept (identical ones once);
beyond that, the account/region pairs of the others are kept, and the reaction reads those
pairs whole (a decision without an event name).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from generator.events.classify import Decision, classify
from generator.events.logfiles import (
    ReadFailed,
    Unreadable,
    key_account,
    key_scope,
    read_log_file,
    refusal,
    skip_reason,
)
from generator.events.notifications import Invocation, LogFile, unwrap
from generator.events.safetext import clean

log = logging.getLogger(__name__)

MAX_WARNINGS = 20
"""Malformed records warned about (and kept for `awspan event` to print) per invocation; the rest
are counted."""

MAX_LOGGED = 100
"""Relevant records given a log line of their own per invocation; the rest are counted."""

MAX_KEPT = 10_000
"""Distinct relevant decisions kept per invocation for the reaction; past this, only their
account/region pairs (each then read whole)."""

OVERFLOW_REASON = f"more than {MAX_KEPT:,} relevant records in one invocation"


@dataclass
class _Kept:
    """Relevant decisions kept, bounded: identical ones once, at most MAX_KEPT; past that only their
    account/region pairs (at most MAX_KEPT of them too, then `everything`: the reaction reads all)."""

    decisions: list[Decision] = field(default_factory=list)
    overflow: set[tuple[str | None, str | None]] = field(default_factory=set)
    everything: bool = False
    _seen: set[tuple[Any, ...]] = field(default_factory=set)

    def keep(self, decision: Decision) -> None:
        if not decision.relevant:
            self.decisions.append(decision)
            return
        same = (decision.event_name, decision.region, decision.account, decision.ids)
        if same in self._seen:
            return
        if len(self._seen) < MAX_KEPT:
            self._seen.add(same)
            self.decisions.append(decision)
        elif len(self.overflow) < MAX_KEPT:
            self.overflow.add((decision.account, decision.region))
        else:
            self.everything = True

    def add(self, other: _Kept) -> None:
        for decision in other.decisions:
            self.keep(decision)
        for account, region in other.overflow:
            self.keep(Decision(True, OVERFLOW_REASON, region=region, account=account))
        self.everything = self.everything or other.everything


@dataclass
class _Tally:
    """What one source (the invocation's events, or one log file) decided, kept until the source
    has been read to its end: a file that fails half-way contributes nothing."""

    kept: _Kept = field(default_factory=_Kept)  # relevant decisions, malformed ones (capped)
    relevant: int = 0
    ignored: int = 0
    malformed: int = 0


@dataclass
class Intake:
    """The decisions of one invocation and what happened on the way."""

    batch: Invocation
    files_read: list[str] = field(default_factory=list)
    files_skipped: list[str] = field(default_factory=list)  # "s3://...: why", reported, not retried
    files_refused: list[str] = field(default_factory=list)  # not read: another bucket, a nested key
    files_failed: list[LogFile] = field(default_factory=list)  # to be retried
    files_outside: int = 0  # log files of accounts/regions the policy does not collect
    files_repeated: int = 0  # names of an object already read in this invocation
    warned: int = 0
    logged: int = 0
    relevant_count: int = 0
    ignored_count: int = 0
    malformed_count: int = 0
    kept: _Kept = field(default_factory=_Kept)

    @property
    def decisions(self) -> list[Decision]:
        """The events' decisions and the records' kept ones, in order."""
        return self.kept.decisions

    @property
    def relevant(self) -> list[Decision]:
        """The relevant decisions; past MAX_KEPT, one without an event name per account/region pair
        (the reaction reads such a pair whole), or one naming no place at all (it reads everything)."""
        kept = [d for d in self.kept.decisions if d.relevant]
        pairs = sorted(self.kept.overflow, key=lambda p: (p[0] or "", p[1] or ""))
        kept += [Decision(True, OVERFLOW_REASON, region=r, account=a) for a, r in pairs]
        if self.kept.everything:
            kept.append(Decision(True, OVERFLOW_REASON))
        return kept

    def counts(self) -> dict[str, int]:
        return {"relevant": self.relevant_count, "ignored": self.ignored_count,
                "malformed": self.malformed_count}

    def failed_messages(self) -> list[str]:
        """SQS message ids whose files must be delivered again (arrival order, no repeats)."""
        failed = {f.message for f in self.files_failed}
        return [m for m in self.batch.sqs_messages if m in failed]

    def note(self, tally: _Tally, decision: Decision, *, verbose: bool) -> None:
        """Count one decision into `tally`, log it when it deserves a line, keep it when it matters."""
        if decision.malformed:
            tally.malformed += 1
            self.warned += 1
            if self.warned <= MAX_WARNINGS:
                log.warning("awspan event: %s", decision.summary())
                tally.kept.keep(decision)
            elif self.warned == MAX_WARNINGS + 1:
                log.warning("awspan event: more malformed records: counted, not shown")
            return
        if not decision.relevant:
            tally.ignored += 1
            if verbose:
                log.info("awspan event: %s", decision.summary())
                tally.kept.keep(decision)
            return
        tally.relevant += 1
        self.logged += 1
        if self.logged <= MAX_LOGGED:
            log.info("awspan event: %s", decision.summary())
        elif self.logged == MAX_LOGGED + 1:
            log.info("awspan event: more relevant records: counted, not shown one by one")
        tally.kept.keep(decision)

    def merge(self, tally: _Tally) -> None:
        """Add a source's decisions once it has been read whole."""
        self.relevant_count += tally.relevant
        self.ignored_count += tally.ignored
        self.malformed_count += tally.malformed
        self.kept.add(tally.kept)


def _s3_client() -> Any:
    import boto3  # only when there are log files to read

    return boto3.client("s3")


def _grouped(files: list[LogFile]) -> list[list[LogFile]]:
    """The files by object (bucket, key), in arrival order: an object named N times is read once."""
    groups: dict[tuple[str, str], list[LogFile]] = {}
    for log_file in files:
        groups.setdefault((log_file.bucket, log_file.key), []).append(log_file)
    return list(groups.values())


def gather(event: Any, *, wanted: Callable[[str, str], bool] | None = None,
           buckets: Callable[[], Collection[str]] | Collection[str] | None = None,
           s3_client: Callable[[], Any] = _s3_client) -> Intake:
    """Unwrap `event`, read its log files, classify every event and record.

    `wanted(account, region)` says whether a log file's account and region (from its key)
    are collected at all: an organization trail delivers every member account's files,
    and reading those the policy ignores would only cost time. `buckets`: the trail buckets
    whose objects may be read (policy.yaml `events.trail_buckets`, or a function giving them,
    called only when a notification names a file); a notification naming any other is refused
    unread (None or empty: every log file is refused).
    """
    intake = Intake(unwrap(event))
    batch = intake.batch
    for note in batch.notes:
        log.info("awspan event: %s", note)
    for report in batch.bad_messages:
        log.warning("awspan event: message skipped: %s", clean(report, 400))
    events = _Tally()
    for _message, item in batch.events:
        intake.note(events, classify(item), verbose=True)
    intake.merge(events)
    allowed: frozenset[str] | None = None
    s3 = None
    for group in _grouped(batch.files):
        log_file = group[0]
        if len(group) > 1:
            intake.files_repeated += len(group) - 1
            log.info("awspan event: %s named %d times in this invocation: read once",
                     clean(log_file.url, 400), len(group))
        if allowed is None:
            allowed = frozenset((buckets() if callable(buckets) else buckets) or ())
        refused = _refused(log_file, allowed)
        if refused is not None:
            log.warning("awspan event: %s refused: %s", clean(log_file.url, 400), refused)
            intake.files_refused.append(f"{clean(log_file.url, 400)}: {refused}")
            continue
        why = skip_reason(log_file.key)
        if why is not None:
            log.info("awspan event: %s skipped: %s", clean(log_file.url, 400), why)
            continue
        scope = key_scope(log_file.key)
        if wanted is not None and scope is not None and not wanted(*scope):
            intake.files_outside += 1
            continue
        s3 = s3 or s3_client()
        _read_one(intake, s3, group, scope)
    if intake.files_outside:
        log.info("awspan event: %d log file(s) of accounts/regions the policy does not collect ignored",
                 intake.files_outside)
    return intake


def _refused(log_file: LogFile, allowed: frozenset[str]) -> str | None:
    """Why an announced object must not be read at all, or None."""
    if log_file.bucket not in allowed:
        listed = ", ".join(sorted(clean(b, 80) for b in allowed)) or "none"
        return (f"bucket {clean(log_file.bucket, 80)} is not one of events.trail_buckets ({listed}): "
                "only the trail's own bucket is read")
    return refusal(log_file.key)


def _read_one(intake: Intake, s3: Any, group: list[LogFile], scope: tuple[str, str] | None) -> None:
    """Read one object (named by every file of `group`), classify its records against its key."""
    log_file = group[0]
    account, region = scope if scope is not None else (key_account(log_file.key), None)
    tally = _Tally()
    try:
        for record in read_log_file(s3, log_file):
            intake.note(tally, classify(record, account, region), verbose=False)
    except ReadFailed as exc:
        log.error("awspan event: %s", clean(str(exc), 600))
        intake.files_failed.extend(group)  # every message that named it is delivered again
        return
    except Unreadable as exc:
        log.error("awspan event: skipped: %s", clean(str(exc), 600))
        intake.files_skipped.append(clean(str(exc), 600))
        return
    intake.merge(tally)
    records = tally.relevant + tally.ignored + tally.malformed
    log.info("awspan event: %s: %d records, %d relevant", clean(log_file.url, 400), records, tally.relevant)
    intake.files_read.append(log_file.url)
