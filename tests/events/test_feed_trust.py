"""The S3/SNS/SQS feed trusts nothing it is told (issue 25): every case an attacker tried is
refused or bounded. The log files are real objects in a moto S3 bucket, read with a real boto3
client whose GetObject calls a botocore hook counts."""

from __future__ import annotations

import gzip
import json
import logging
import tracemalloc

import boto3
import pytest
from botocore.config import Config

from generator.events import intake as intake_module
from generator.events.intake import gather
from generator.events.logfiles import key_scope, refusal
from tests.events.trail import BUCKET, MEMBER, OTHER, gz, log_key, put, put_log, record, s3_event, sqs_event


class CountingS3:
    """A boto3 S3 client of the moto server; `gets` counts its GetObject calls."""

    def __init__(self) -> None:
        self.gets = 0
        self.client = boto3.client("s3", region_name="us-east-1")
        self.client.meta.events.register("before-call.s3.GetObject", self._count)

    def _count(self, **_: object) -> None:
        self.gets += 1

    def __call__(self) -> object:
        return self.client


def test_a_notification_naming_another_bucket_is_refused_unread(aws, caplog):
    key = put_log(MEMBER, [record("stop_instances")])
    s3 = CountingS3()
    with caplog.at_level(logging.WARNING):
        refused = gather(s3_event(key, bucket="attacker-bucket"), buckets=[BUCKET], s3_client=s3)
    assert s3.gets == 0 and refused.relevant == [] and refused.files_read == []
    assert "bucket attacker-bucket is not one of events.trail_buckets (acme-org-trail-logs)" in \
        refused.files_refused[0]
    assert "attacker-bucket" in caplog.text
    # no allow-list at all: nothing is read either
    assert gather(s3_event(key), buckets=None, s3_client=s3).files_refused and s3.gets == 0
    # the trail's own bucket is read
    read = gather(s3_event(key), buckets=[BUCKET], s3_client=s3)
    assert s3.gets == 1 and [d.event_name for d in read.relevant] == ["StopInstances"]


def test_the_allow_list_is_in_the_policy_schema(tmp_path):
    from generator.errors import AwspanError
    from generator.policy import parse_policy

    base = {"firewall": {"instance_id": "i-0123456789abcdef0"}, "aws": {"regions": ["us-east-1"]},
            "rules": {"bottom_rule": "clean-up", "from_zone": "untrust", "to_zone": "trust"}}
    policy = parse_policy({**base, "events": {"trail_buckets": [BUCKET]}})
    assert policy.events.trail_buckets == (BUCKET,)
    with pytest.raises(AwspanError, match="trail_buckets"):
        parse_policy({**base, "events": {"trail_buckets": ["Not A Bucket"]}})


def test_a_record_contradicting_its_key_is_malformed_not_believed(aws):
    # a file under MEMBER's us-east-1 path holding records of another account and another region
    key = put_log(MEMBER, [record("stop_instances", OTHER), record("start_instances", region="eu-west-1"),
                           record("delete_route")])
    got = gather(s3_event(key), buckets=[BUCKET], s3_client=CountingS3())
    assert got.counts() == {"relevant": 1, "ignored": 0, "malformed": 2}
    assert [d.event_name for d in got.relevant] == ["DeleteRoute"]
    reasons = sorted(d.reason for d in got.decisions if d.malformed)
    assert "its account 444455556666 is not the account of its log file's key (111122223333)" in reasons[0]
    assert "its region eu-west-1 is not the region of its log file's key (us-east-1)" in reasons[1]
    # a record without its own account is the key's (the recipient of an organization trail's file)
    bare = record("stop_instances")
    del bare["recipientAccountId"]
    got = gather(s3_event(put_log(MEMBER, [bare])), buckets=[BUCKET], s3_client=CountingS3())
    assert [d.account for d in got.relevant] == [MEMBER]


def test_a_key_nesting_a_collected_accounts_path_under_another_prefix_is_not_read(aws):
    inner = log_key(MEMBER)
    nested = put(f"AWSLogs/{OTHER}/CloudTrail/us-east-1/2026/11/26/{inner}",
                 gz({"Records": [record("start_instances")]}))
    assert key_scope(nested) is not None, "the key does end like a collected account's log file"
    assert refusal(nested) and refusal(inner) is None
    s3 = CountingS3()
    got = gather(s3_event(nested), buckets=[BUCKET], s3_client=s3)
    assert s3.gets == 0 and got.relevant == []
    assert "AWSLogs/ twice" in got.files_refused[0]
    # under another account's prefix in any shape: its records must be that account's
    odd = put(f"AWSLogs/{OTHER}/exports/2026-11-26.json.gz", gz({"Records": [record("start_instances")]}))
    got = gather(s3_event(odd), buckets=[BUCKET], s3_client=CountingS3())
    assert got.relevant == [] and got.counts()["malformed"] == 1


def test_the_same_object_named_ten_thousand_times_is_read_once(aws, caplog):
    key = put_log(MEMBER, [record("stop_instances"), record("delete_route")])
    event = sqs_event(*[s3_event(key) for _ in range(10_000)])
    s3 = CountingS3()
    with caplog.at_level(logging.INFO):
        got = gather(event, buckets=[BUCKET], s3_client=s3)
    assert s3.gets == 1
    assert got.files_repeated == 9_999 and len(got.files_read) == 1
    assert got.counts() == {"relevant": 2, "ignored": 0, "malformed": 0}
    assert len(caplog.records) <= 5, [r.getMessage() for r in caplog.records]
    assert "named 10000 times in this invocation: read once" in caplog.text


def test_a_repeated_object_that_cannot_be_read_now_fails_every_message_naming_it(aws):
    from tests.events.trail import FlakyS3

    key = put_log(MEMBER, [record("stop_instances")], prefix="flaky/")
    with FlakyS3(aws) as front:
        client = boto3.client("s3", region_name="us-east-1", endpoint_url=front.url,
                              config=Config(retries={"total_max_attempts": 1}))
        got = gather(sqs_event(s3_event(key), s3_event(key), s3_event(log_key(MEMBER))), buckets=[BUCKET],
                     s3_client=lambda: client)
        assert len(front.refused) == 1
    assert got.failed_messages() == ["m1", "m2"]


def test_reading_a_large_file_of_small_records_holds_one_chunk_not_the_file(aws):
    """16 MiB of the smallest records: read whole (the old reader), the text, its str and the
    records were held at once, 12 times the file; streamed, memory stays near one chunk."""
    tiny = json.dumps({"eventName": "CreateTags", "eventSource": "ec2.amazonaws.com"})
    count = (16 << 20) // (len(tiny) + 1)
    body = ('{"Records":[' + ",".join([tiny] * count) + "]}").encode()
    key = put(log_key(MEMBER), gzip.compress(body, compresslevel=1))
    del body
    s3 = CountingS3()
    tracemalloc.start()
    try:
        got = gather(s3_event(key), buckets=[BUCKET], s3_client=s3)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert got.counts() == {"relevant": 0, "ignored": count, "malformed": 0}
    assert peak < 12 << 20, f"peak {peak >> 20} MiB while reading a 16 MiB file (read whole: 116 MiB)"


def test_relevant_decisions_kept_are_bounded_and_the_rest_read_their_region_whole(aws, monkeypatch):
    monkeypatch.setattr(intake_module, "MAX_KEPT", 5)
    records = [record("stop_instances", replace={"i-0a1b2c3d4e5f60718": f"i-{n:017x}"}) for n in range(40)]
    records += [record("stop_instances")] * 40  # identical records: kept once
    got = gather(s3_event(put_log(MEMBER, records)), buckets=[BUCKET], s3_client=CountingS3())
    assert got.counts()["relevant"] == 80
    named = [d for d in got.relevant if d.event_name]
    assert len(named) == 5
    overflow = [d for d in got.relevant if not d.event_name]
    assert [(d.account, d.region) for d in overflow] == [(MEMBER, "us-east-1")]
