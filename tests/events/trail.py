"""CloudTrail log files in a moto S3 bucket, and the notifications that announce them.

The files are shaped like CloudTrail's own: gzip'd `{"Records": [...]}` under
`AWSLogs/o-ORG/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_...json.gz`
(an organization trail), digest files under `CloudTrail-Digest/`. The records are the
EventBridge fixtures' `detail` documents (a CloudTrail record is exactly that), moved to
the account they belong to. The notifications follow the documented Lambda event shapes of
S3 (event message structure 2.1), SNS and SQS.
"""

from __future__ import annotations

import contextlib
import copy
import gzip
import json
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote_plus

import boto3
import requests

from tests.events.conftest import load_event
from tests.loopback import LoopbackServer

BUCKET = "acme-org-trail-logs"
ORG = "o-a1b2c3d4e5"
MEMBER = "111122223333"  # the fixtures' account: in the policy
OTHER = "444455556666"  # another member account of the organization: not in the policy
TOPIC = "arn:aws:sns:us-east-1:999988887777:acme-org-trail"
QUEUE = "arn:aws:sqs:us-east-1:999988887777:awspan-trail"


def record(fixture: str, account: str = MEMBER, region: str | None = None,
           replace: dict[str, str] | None = None) -> dict[str, Any]:
    """The CloudTrail record of a fixture, as delivered for `account` (and `region`)."""
    rec = copy.deepcopy(load_event(fixture, replace)["detail"])
    rec["recipientAccountId"] = account
    rec["userIdentity"]["accountId"] = account
    if region:
        rec["awsRegion"] = region
    return rec


def log_key(account: str, region: str = "us-east-1", stamp: str = "20261126T1005Z",
            prefix: str = "") -> str:
    return (f"{prefix}AWSLogs/{ORG}/{account}/CloudTrail/{region}/2026/11/26/"
            f"{account}_CloudTrail_{region}_{stamp}_{uuid.uuid4().hex[:16]}.json.gz")


def digest_key(account: str, region: str = "us-east-1") -> str:
    return (f"AWSLogs/{ORG}/{account}/CloudTrail-Digest/{region}/2026/11/26/"
            f"{account}_CloudTrail-Digest_{region}_acme-org-trail_{region}_20261126T100500Z.json.gz")


def gz(doc: Any) -> bytes:
    return gzip.compress(json.dumps(doc).encode(), mtime=0)


def put(key: str, body: bytes) -> str:
    s3 = boto3.client("s3", region_name="us-east-1")
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    return key


def put_log(account: str, records: list[Any], region: str = "us-east-1", prefix: str = "") -> str:
    return put(log_key(account, region, prefix=prefix), gz({"Records": records}))


def s3_event(*keys: str, bucket: str = BUCKET, size: int = 1024) -> dict[str, Any]:
    """S3's ObjectCreated notification for `keys` (keys form-encoded, as S3 writes them)."""
    return {"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-11-26T10:05:31.123Z", "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "AWS:AROAEXAMPLECLOUDTRAIL:regionalDeliverySession"},
        "requestParameters": {"sourceIPAddress": "203.0.113.9"},
        "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810",
                             "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHv"},
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "awspan-trail",
               "bucket": {"name": bucket, "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                          "arn": f"arn:aws:s3:::{bucket}"},
               "object": {"key": quote_plus(key, safe="/"), "size": size,
                          "eTag": "d41d8cd98f00b204e9800998ecf8427e", "sequencer": "0A1B2C3D4E5F678901"}},
    } for key in keys]}


def sns_envelope(message: dict[str, Any]) -> dict[str, Any]:
    """The SNS notification document (what an SQS subscriber without raw delivery receives)."""
    return {"Type": "Notification", "MessageId": str(uuid.uuid4()), "TopicArn": TOPIC,
            "Subject": "Amazon S3 Notification", "Message": json.dumps(message),
            "Timestamp": "2026-11-26T10:05:31.456Z", "SignatureVersion": "1",
            "Signature": "EXAMPLEpH+..", "SigningCertURL": "https://sns.us-east-1.amazonaws.com/x.pem",
            "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe"}


def sns_event(*messages: dict[str, Any]) -> dict[str, Any]:
    """SNS's Lambda event: one record per message."""
    out = []
    for message in messages:
        env = sns_envelope(message)
        env["SigningCertUrl"] = env.pop("SigningCertURL")
        env["UnsubscribeUrl"] = env.pop("UnsubscribeURL")
        out.append({"EventSource": "aws:sns", "EventVersion": "1.0",
                    "EventSubscriptionArn": f"{TOPIC}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55", "Sns": env})
    return {"Records": out}


def sqs_event(*bodies: Any) -> dict[str, Any]:
    """SQS's Lambda event: one record per message; messageId m1, m2, ..."""
    return {"Records": [{
        "messageId": f"m{i}", "receiptHandle": f"AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a{i}",
        "body": body if isinstance(body, str) else json.dumps(body),
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1764151531456",
                       "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                       "ApproximateFirstReceiveTimestamp": "1764151531460"},
        "messageAttributes": {}, "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
        "eventSource": "aws:sqs", "eventSourceARN": QUEUE, "awsRegion": "us-east-1",
    } for i, body in enumerate(bodies, 1)]}


_HOP_HEADERS = ("content-length", "transfer-encoding", "connection", "content-encoding")


class FlakyS3(LoopbackServer):
    """A loopback HTTP front of the moto server whose GetObject answers 503 SlowDown for keys
    holding `flaky`: S3's own transient error, on the wire, without touching the code."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.refused: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if self.command == "GET" and "flaky" in self.path:
                    outer.refused.append(self.path)
                    reply = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
                             b"<Message>Please reduce your request rate.</Message></Error>")
                    self.send_response(503)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                    return
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "content-length")}
                answer = requests.request(self.command, outer.upstream + self.path, headers=headers,
                                          data=body, timeout=30, allow_redirects=False)
                self.send_response(answer.status_code)
                for key, value in answer.headers.items():
                    if key.lower() not in _HOP_HEADERS:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _forward  # noqa: N815

        self.serve(ThreadingHTTPServer(("127.0.0.1", 0), Handler))
