"""From one invocation's input to the decisions that matter: unwrap, read, classify, count.

Shared by the Lambda handler and `awspan event`, so both read the same shapes the same way.
Each record is classified on its own: a malformed one is warned about and ignored, and
never costs the other records of its file or batch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from generator.events.classify import Decision, classify
from generator.events.logfiles import ReadFailed, Unreadable, key_scope, read_log_file, skip_reason
from generator.events.notifications import Invocation, LogFile, unwrap
from generator.events.safetext import clean

log = logging.getLogger(__name__)

MAX_WARNINGS = 20
"""Malformed records warned about one by one per invocation; the rest are counted."""


@dataclass
class Intake:
    """The decisions of one invocation and what happened on the way."""

    batch: Invocation
    decisions: list[Decision] = field(default_factory=list)  # every record's, in order
    files_read: list[str] = field(default_factory=list)
    files_skipped: list[str] = field(default_factory=list)  # "s3://...: why", reported, not retried
    files_failed: list[LogFile] = field(default_factory=list)  # to be retried
    files_outside: int = 0  # log files of accounts/regions the policy does not collect
    warned: int = 0

    @property
    def relevant(self) -> list[Decision]:
        return [d for d in self.decisions if d.relevant]

    def counts(self) -> dict[str, int]:
        malformed = sum(d.malformed for d in self.decisions)
        relevant = len(self.relevant)
        return {"relevant": relevant, "ignored": len(self.decisions) - relevant - malformed,
                "malformed": malformed}

    def failed_messages(self) -> list[str]:
        """SQS message ids whose files must be delivered again (arrival order, no repeats)."""
        failed = {f.message for f in self.files_failed}
        return [m for m in self.batch.sqs_messages if m in failed]

    def add(self, decision: Decision, *, verbose: bool) -> None:
        self.decisions.append(decision)
        if decision.malformed:
            self.warned += 1
            if self.warned <= MAX_WARNINGS:
                log.warning("awspan event: %s", decision.summary())
            elif self.warned == MAX_WARNINGS + 1:
                log.warning("awspan event: more malformed records: counted, not shown")
        elif verbose or decision.relevant:
            log.info("awspan event: %s", decision.summary())


def _s3_client() -> Any:
    import boto3  # only when there are log files to read

    return boto3.client("s3")


def gather(event: Any, *, wanted: Callable[[str, str], bool] | None = None,
           s3_client: Callable[[], Any] = _s3_client) -> Intake:
    """Unwrap `event`, read its log files, classify every event and record.

    `wanted(account, region)` says whether a log file's account and region (from its key)
    are collected at all: an organization trail delivers every member account's files,
    and reading those the policy ignores would only cost time.
    """
    intake = Intake(unwrap(event))
    batch = intake.batch
    for note in batch.notes:
        log.info("awspan event: %s", note)
    for report in batch.bad_messages:
        log.warning("awspan event: message skipped: %s", clean(report, 400))
    for _message, item in batch.events:
        intake.add(classify(item), verbose=True)
    s3 = None
    for log_file in batch.files:
        why = skip_reason(log_file.key)
        scope = key_scope(log_file.key)
        if why is not None:
            log.info("awspan event: %s skipped: %s", clean(log_file.url, 400), why)
            continue
        if wanted is not None and scope is not None and not wanted(*scope):
            intake.files_outside += 1
            continue
        s3 = s3 or s3_client()
        try:
            records = read_log_file(s3, log_file)
        except ReadFailed as exc:
            log.error("awspan event: %s", clean(str(exc), 600))
            intake.files_failed.append(log_file)
            continue
        except Unreadable as exc:
            log.error("awspan event: skipped: %s", clean(str(exc), 600))
            intake.files_skipped.append(clean(str(exc), 600))
            continue
        before = len(intake.decisions)
        for record in records:
            intake.add(classify(record), verbose=False)
        mine = intake.decisions[before:]
        relevant = sum(d.relevant for d in mine)
        log.info("awspan event: %s: %d records, %d relevant", clean(log_file.url, 400), len(mine), relevant)
        intake.files_read.append(log_file.url)
    if intake.files_outside:
        log.info("awspan event: %d log file(s) of accounts/regions the policy does not collect ignored",
                 intake.files_outside)
    return intake
