"""The AWS Lambda entry point (`generator.events.handler`).

One invocation, one reaction: an EventBridge event, or a batch of S3 ObjectCreated
notifications (direct, through SNS or through SQS) naming CloudTrail log files whose
records are all classified first; the reaction then runs once for the union of the
relevant ones. Failure semantics fit Lambda's retries:
- a relevant batch whose reaction failed raises, so the invocation is retried (the loop is
  idempotent);
- a log file that could not be read *now* fails the invocation (S3/SNS deliveries are
  retried) or, with SQS, only its message (`batchItemFailures`), so one bad message does
  not replay the others;
- a malformed file or message is reported and skipped: a retry would fail the same way.

Module-level imports stay light (stdlib and this package): boto3, the policy and the
pipeline steps load only when a reaction or an S3 read needs them.
"""

from __future__ import annotations

import logging
from typing import Any

from generator.errors import AwspanError
from generator.events.classify import Decision
from generator.events.intake import Intake, gather
from generator.events.reaction import config_path, in_scope, react
from generator.logsetup import THIRD_PARTY

log = logging.getLogger(__name__)


def own_account(context: Any) -> str | None:
    """The function's own account, from its ARN: the account of the default credentials."""
    arn = getattr(context, "invoked_function_arn", None)
    parts = arn.split(":") if isinstance(arn, str) else []
    return parts[4] if len(parts) > 4 and parts[4].isdigit() else None


class _PolicyOnce:
    """policy.yaml loaded on first use: an irrelevant event never reads it."""

    def __init__(self, account: str | None) -> None:
        self.account = account
        self.policy: Any = None

    def get(self) -> Any:
        if self.policy is None:
            from generator.policy import load_policy

            self.policy = load_policy(config_path())
        return self.policy

    def buckets(self) -> tuple[str, ...]:
        return self.get().events.trail_buckets

    def wanted(self, account: str, region: str) -> bool:
        return in_scope(Decision(False, "", region=region, account=account), self.get(), self.account)


def _report(intake: Intake) -> dict[str, Any]:
    return {
        "records": intake.counts(),
        "files": {"read": len(intake.files_read), "skipped": intake.files_skipped,
                  "failed": [f.url for f in intake.files_failed], "outside": intake.files_outside,
                  "refused": intake.files_refused, "repeated": intake.files_repeated},
        "notes": intake.batch.notes + intake.batch.bad_messages,
    }


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Classify everything the invocation holds, then react once for what is relevant."""
    for name in ("generator", "awspan"):  # Lambda's root logger defaults to WARNING
        logging.getLogger(name).setLevel(logging.INFO)
    for name in THIRD_PARTY:  # botocore's debug logs hold response bodies: the secrets fetched
        logging.getLogger(name).setLevel(logging.WARNING)
    policy = _PolicyOnce(own_account(context))
    intake = gather(event, wanted=policy.wanted, buckets=policy.buckets)
    result: dict[str, Any] = {}
    if intake.batch.single_event:
        result["decision"] = intake.decisions[0].as_dict()
    else:
        result.update(_report(intake))
        log.info("awspan event: %s", result["records"])
    relevant = intake.relevant
    result["decisions"] = [d.as_dict() for d in relevant]
    if relevant:
        outcome = react(relevant, config_path(), policy.account, policy.get())
        log.info("awspan event: reaction %s done", outcome["reaction"])
        result.update(outcome)
    else:
        result["reaction"] = "none"
    if intake.batch.sqs_messages and all(f.message for f in intake.files_failed):
        # SQS: exactly the partial batch response; the rest is in the log
        failures = [{"itemIdentifier": m} for m in intake.failed_messages()]
        return {"batchItemFailures": failures}
    if intake.files_failed:
        raise AwspanError(f"{len(intake.files_failed)} log file(s) could not be read now and will be "
                          f"retried: {', '.join(f.url for f in intake.files_failed[:5])}")
    return result
