"""Unwrap what invokes the handler into CloudTrail events and S3 log files to read.

The handler is invoked by:
- EventBridge: one "AWS API Call via CloudTrail" event;
- S3 ObjectCreated notifications (`Records[].s3`), one or more log files per invocation;
- SNS (`Records[].Sns.Message`), holding an S3 notification or CloudTrail's own delivery
  notification (`{"s3Bucket": ..., "s3ObjectKey": [...]}`);
- SQS (`Records[].body`), holding an S3 notification, or an SNS envelope holding one;
and `awspan event` also passes a local CloudTrail file (`{"Records": [CloudTrail records]}`).

S3 test events (`s3:TestEvent`, sent when a notification is configured) and SNS
subscription confirmations are noted and ignored. A message that cannot be parsed is
reported and dropped: replaying it would fail the same way forever.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from generator.errors import AwspanError
from generator.events.jsondoc import parse_json
from generator.events.safetext import clean

MAX_ENVELOPES = 4
"""Envelopes unwrapped inside one another (SQS around SNS around S3 is three)."""


@dataclass(frozen=True)
class LogFile:
    """One S3 object named by a notification; `message` is the SQS message that carried it."""

    bucket: str
    key: str
    message: str | None = None
    size: int | None = None

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass
class Invocation:
    """What one invocation holds, in arrival order."""

    events: list[tuple[str | None, Any]] = field(default_factory=list)  # (SQS message id, event)
    files: list[LogFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    bad_messages: list[str] = field(default_factory=list)  # reports; the messages are not retried
    sqs_messages: list[str] = field(default_factory=list)  # every SQS message id, in order
    single_event: bool = False  # an EventBridge event or one bare record, not a batch


def _s3_record(record: Mapping[str, Any], message: str | None, batch: Invocation) -> None:
    """One S3 event notification record: an ObjectCreated object becomes a LogFile."""
    name = record.get("eventName")
    s3 = record["s3"]
    bucket = s3.get("bucket", {}).get("name") if isinstance(s3.get("bucket"), Mapping) else None
    obj = s3.get("object") if isinstance(s3.get("object"), Mapping) else {}
    key = obj.get("key")
    if not isinstance(name, str) or not name.startswith("ObjectCreated:"):
        batch.notes.append(f"S3 {clean(name)} notification ignored (only ObjectCreated delivers log files)")
    elif not isinstance(bucket, str) or not isinstance(key, str) or not bucket or not key:
        batch.bad_messages.append(f"S3 notification without a bucket name and object key ({message or '-'})")
    else:
        size = obj.get("size") if isinstance(obj.get("size"), int) else None
        # S3 writes keys form-encoded in notifications: a space is "+", other characters %XX
        batch.files.append(LogFile(bucket, unquote_plus(key), message, size))


def _unwrap(doc: Any, message: str | None, batch: Invocation, depth: int) -> None:
    """Add what `doc` holds to the batch; `message` is the SQS message id it came in."""
    if depth > MAX_ENVELOPES:
        batch.bad_messages.append(f"more than {MAX_ENVELOPES} envelopes in one another ({message or '-'})")
        return
    if not isinstance(doc, Mapping):
        batch.events.append((message, doc))  # classify says what it is not
        return
    if doc.get("Event") == "s3:TestEvent":
        batch.notes.append(f"S3 test event for bucket {clean(doc.get('Bucket'))} ignored "
                           "(S3 sends it when the notification is set up)")
        return
    if doc.get("Type") in ("SubscriptionConfirmation", "UnsubscribeConfirmation"):
        batch.notes.append(f"SNS {clean(doc.get('Type'))} ignored")
        return
    if doc.get("Type") == "Notification" and "Message" in doc:  # an SNS envelope (in an SQS body)
        _inner(doc.get("Message"), "SNS message", message, batch, depth)
        return
    if isinstance(doc.get("s3Bucket"), str) and isinstance(doc.get("s3ObjectKey"), list):
        # CloudTrail's own SNS notification: the keys of the files it just delivered (not encoded)
        for key in doc["s3ObjectKey"]:
            if isinstance(key, str) and key:
                batch.files.append(LogFile(doc["s3Bucket"], key, message))
        return
    records = doc.get("Records")
    if not isinstance(records, list):
        batch.events.append((message, doc))  # EventBridge, a bare record, or something else
        return
    for record in records:
        _unwrap_record(record, message, batch, depth)


def _unwrap_record(record: Any, message: str | None, batch: Invocation, depth: int) -> None:
    if isinstance(record, Mapping) and record.get("eventSource") == "aws:sqs":
        mid = record.get("messageId")
        mid = mid if isinstance(mid, str) and mid else None
        if mid is not None:
            batch.sqs_messages.append(mid)
        _inner(record.get("body"), "SQS message body", mid, batch, depth)
    elif isinstance(record, Mapping) and record.get("EventSource") == "aws:sns":
        sns = record.get("Sns")
        _inner(sns.get("Message") if isinstance(sns, Mapping) else None, "SNS message", message, batch, depth)
    elif isinstance(record, Mapping) and isinstance(record.get("s3"), Mapping):
        _s3_record(record, message, batch)
    else:
        batch.events.append((message, record))  # a CloudTrail record of a local log file


def _inner(text: Any, what: str, message: str | None, batch: Invocation, depth: int) -> None:
    """Parse the JSON string inside an envelope and unwrap it; a bad one is reported."""
    if not isinstance(text, str):
        batch.bad_messages.append(f"{what} is not a string ({message or '-'})")
        return
    try:
        doc = parse_json(text, what)
    except AwspanError as exc:
        batch.bad_messages.append(f"{exc} ({message or '-'})")
        return
    _unwrap(doc, message, batch, depth + 1)


def unwrap(event: Any) -> Invocation:
    """Everything one invocation (or one `awspan event` input) holds."""
    batch = Invocation()
    _unwrap(event, None, batch, 0)
    batch.single_event = not (isinstance(event, Mapping) and isinstance(event.get("Records"), list)) \
        and len(batch.events) == 1 and not batch.files
    return batch
