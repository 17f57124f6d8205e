"""The S3 trigger: CloudTrail log files of an organization trail, announced by S3 directly,
through SNS or through SQS, read from a moto S3 bucket and answered with one reaction.

The reaction here is the pipeline's repository dispatch to a real HTTPS server on
127.0.0.1, so that "one reaction per batch" is a count of requests and the union of the
decisions is what the request carries. tests/events/test_s3_push.py runs the push mode.
"""

from __future__ import annotations

import json

import boto3
import pytest

from generator.errors import AwspanError
from generator.events import handler
from tests.events.test_reactions import TOKEN, TOKEN_SECRET
from tests.events.trail import (
    BUCKET,
    MEMBER,
    OTHER,
    FlakyS3,
    digest_key,
    gz,
    log_key,
    put,
    put_log,
    record,
    s3_event,
    sns_envelope,
    sns_event,
    sqs_event,
)
from tests.policies import write_policy


class Context:
    """What the handler reads of Lambda's context: the function's ARN (its own account)."""

    invoked_function_arn = "arn:aws:lambda:us-east-1:999988887777:function:awspan"


@pytest.fixture
def policy(aws, dispatch, tmp_path, monkeypatch):
    """Pipeline mode, member account 111122223333 in us-east-1 only."""
    boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name=TOKEN_SECRET, SecretString=json.dumps({"token": TOKEN}))
    return write_policy(tmp_path, env=monkeypatch, firewall={"url": "https://fw.example.net"},
                        aws={"accounts": [{"id": MEMBER}]},
                        events={"mode": "pipeline", "trail_buckets": [BUCKET], "pipeline": {
                            "dispatch_url": f"{dispatch.url}/repos/acme/fw-policy/dispatches",
                            "token_secret": TOKEN_SECRET}})


@pytest.fixture
def delivery(policy):
    """One delivery of an organization trail: the keys S3 announces in one notification."""
    member = put_log(MEMBER, [
        record("stop_instances"),
        record("create_tags_ignored"),
        {**record("start_instances"), "eventName": 42},  # malformed: never fails its file
        record("delete_route"),
    ])
    other_account = put_log(OTHER, [record("start_instances", OTHER)])
    other_region = put_log(MEMBER, [record("terminate_instances", region="eu-west-1")], region="eu-west-1")
    # a copy under a key of another shape: its records are sorted out one by one
    mixed = put("archive/mixed trail/2026-11-26.json.gz", gz({"Records": [
        record("revoke_security_group_ingress"), record("authorize_security_group_ingress", OTHER)]}))
    digest = put(digest_key(MEMBER), gz({"awsAccountId": MEMBER, "digestStartTime": "2026-11-26T09:05:00Z"}))
    corrupt = put(log_key(MEMBER, stamp="20261126T1010Z"), b"\x1f\x8b\x08\x00 not really gzip")
    not_trail = put(log_key(MEMBER, stamp="20261126T1015Z"), gz({"hello": "world"}))
    not_json = put(log_key(MEMBER, stamp="20261126T1020Z"), gzip_text("Records: [not json"))
    readme = put("AWSLogs/README.txt", b"not a log file")
    return [member, other_account, other_region, mixed, digest, corrupt, not_trail, not_json, readme]


def gzip_text(text: str) -> bytes:
    import gzip

    return gzip.compress(text.encode(), mtime=0)


def sent_events(dispatch) -> list[tuple[str, str]]:
    """(event name, account) of each decision the one dispatch request carried."""
    [request] = dispatch.requests
    return sorted((e["event_name"], e["account"]) for e in request["body"]["client_payload"]["events"])


EXPECTED = [("DeleteRoute", MEMBER), ("RevokeSecurityGroupIngress", MEMBER), ("StopInstances", MEMBER)]


def _check_report(result: dict) -> None:
    assert result["reaction"] == "pipeline" and result["dispatch_status"] == 204
    # member file + mixed file read; other account's and region's files not even fetched
    assert result["files"]["read"] == 2 and result["files"]["outside"] == 2
    skipped = "\n".join(result["files"]["skipped"])
    assert "not a complete gzip file" in skipped and 'no "Records" list' in skipped
    assert "not valid JSON" in skipped and len(result["files"]["skipped"]) == 3
    assert result["records"] == {"relevant": 4, "ignored": 1, "malformed": 1}
    assert result["outside"] == 1  # the mixed file's record of the other account
    assert result["files"]["failed"] == []


def test_direct_s3_notification_of_several_files_gives_one_reaction(delivery, dispatch, caplog):
    with caplog.at_level("INFO"):
        result = handler(s3_event(*delivery), Context())
    _check_report(result)
    assert sent_events(dispatch) == EXPECTED
    assert "CloudTrail digest file" in caplog.text and "not a .json.gz log file" in caplog.text
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "eventName is not a string (int)" in warnings[0].getMessage()


def test_sns_wrapped_notifications_give_one_reaction(delivery, dispatch):
    half = len(delivery) // 2
    result = handler(sns_event(s3_event(*delivery[:half]), s3_event(*delivery[half:])), Context())
    _check_report(result)
    assert sent_events(dispatch) == EXPECTED


def test_sqs_wrapped_notifications_raw_and_through_sns_give_one_reaction(delivery, dispatch):
    bodies = [s3_event(key) if i % 2 else sns_envelope(s3_event(key)) for i, key in enumerate(delivery)]
    result = handler(sqs_event(*bodies), Context())
    assert result == {"batchItemFailures": []}  # malformed files are not replayed
    assert sent_events(dispatch) == EXPECTED


def test_cloudtrails_own_sns_notification_names_the_files(policy, dispatch):
    key = put_log(MEMBER, [record("stop_instances")])
    message = {"s3Bucket": BUCKET, "s3ObjectKey": [key, digest_key(MEMBER)]}
    result = handler(sns_event(message), Context())
    assert result["files"]["read"] == 1
    assert sent_events(dispatch) == [("StopInstances", MEMBER)]


def test_url_encoded_keys_are_decoded(policy, dispatch):
    key = put_log(MEMBER, [record("delete_route")], prefix="trail logs+archive/café:1/")
    event = s3_event(key)
    assert "trail+logs%2Barchive/caf%C3%A9%3A1/" in event["Records"][0]["s3"]["object"]["key"]
    assert handler(event, Context())["files"]["read"] == 1


def test_s3_test_event_and_irrelevant_files_start_nothing(policy, dispatch):
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2026-11-26T10:00:00.000Z",
                  "Bucket": BUCKET, "RequestId": "5582815E1AEA5ADF", "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3"}
    result = handler(sqs_event(test_event), Context())
    assert result == {"batchItemFailures": []}
    quiet = put_log(MEMBER, [record("create_tags_ignored"), record("start_instances_failed")])
    result = handler(sns_event(test_event, s3_event(quiet)), Context())
    assert result["reaction"] == "none" and any("S3 test event" in n for n in result["notes"])
    assert result["records"] == {"relevant": 0, "ignored": 2, "malformed": 0}
    assert dispatch.requests == []


def test_without_aws_accounts_only_the_functions_own_account_counts(aws, dispatch, tmp_path,
                                                                     monkeypatch):
    from tests.events.test_reactions import _dispatch_policy

    _dispatch_policy(tmp_path, monkeypatch, aws, dispatch)  # aws.regions only, no aws.accounts
    own = put_log("999988887777", [record("stop_instances", "999988887777")])
    member = put_log(MEMBER, [record("delete_route")])
    result = handler(s3_event(own, member), Context())
    assert result["files"] == {"read": 1, "skipped": [], "failed": [], "outside": 1, "refused": [],
                               "repeated": 0}
    assert sent_events(dispatch) == [("StopInstances", "999988887777")]


def test_a_transient_read_error_fails_the_invocation_after_reacting_to_the_rest(
        delivery, dispatch, aws, monkeypatch, caplog):
    flaky = put_log(MEMBER, [record("start_instances")], prefix="flaky/")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with FlakyS3(aws) as front:
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", front.url)
        with pytest.raises(AwspanError, match=r"1 log file\(s\) could not be read now and will be retried"):
            handler(s3_event(delivery[0], flaky), Context())
        assert front.refused, "the flaky object was asked for"
    assert "SlowDown" in caplog.text
    assert sent_events(dispatch) == [("DeleteRoute", MEMBER), ("StopInstances", MEMBER)]


def test_sqs_reports_only_the_message_whose_file_could_not_be_read(delivery, dispatch, aws,
                                                                  monkeypatch):
    flaky = put_log(MEMBER, [record("start_instances")], prefix="flaky/")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with FlakyS3(aws) as front:
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", front.url)
        result = handler(sqs_event(s3_event(delivery[0]), sns_envelope(s3_event(flaky)),
                                   s3_event(delivery[5]), "not json at all"), Context())
    # m2 is replayed; m3 (corrupt file) and m4 (unparseable body) are reported, not replayed
    assert result == {"batchItemFailures": [{"itemIdentifier": "m2"}]}
    assert sent_events(dispatch) == [("DeleteRoute", MEMBER), ("StopInstances", MEMBER)]


def test_a_deleted_object_is_skipped_not_retried(policy, dispatch):
    result = handler(sqs_event(s3_event(log_key(MEMBER))), Context())
    assert result == {"batchItemFailures": []}
    assert dispatch.requests == []


def test_size_caps_stop_oversized_files_and_gzip_bombs(policy, dispatch, monkeypatch):
    from generator.events import logfiles

    monkeypatch.setattr(logfiles, "MAX_LOG_BYTES", 1 << 20)
    bomb = put(log_key(MEMBER), gzip_text('{"Records": [' + " " * (4 << 20) + "]}"))
    announced_big = put_log(MEMBER, [record("stop_instances")])
    event = s3_event(bomb)
    event["Records"] += s3_event(announced_big, size=logfiles.MAX_COMPRESSED_BYTES + 1)["Records"]
    result = handler(event, Context())
    skipped = "\n".join(result["files"]["skipped"])
    assert "over 1,048,576 bytes once gunzipped" in skipped
    assert f"over the {logfiles.MAX_COMPRESSED_BYTES:,}-byte limit" in skipped
    assert result["reaction"] == "none" and dispatch.requests == []


def test_cli_reads_the_files_a_notification_names(delivery, aws, tmp_path):
    """`awspan event` on a saved SQS batch reads the same files from S3 and decides the same."""
    import os
    import subprocess
    import sys

    saved = tmp_path / "batch.json"
    saved.write_text(json.dumps(sqs_event(s3_event(*delivery[:4]))))
    result = subprocess.run([sys.executable, "-m", "generator", "event", "--decide-only", "--trail-bucket",
                             BUCKET, str(saved)],
                            capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    relevant = sorted(line.split()[1] for line in result.stdout.splitlines() if line.startswith("relevant:"))
    # without the Lambda's context every account's file is read: the other account's records show too
    assert relevant == ["AuthorizeSecurityGroupIngress", "DeleteRoute", "RevokeSecurityGroupIngress",
                        "StartInstances", "StopInstances", "TerminateInstances"]
    assert "malformed: StartInstances" not in result.stdout  # the name was 42: shown as "?"
    assert "malformed: ?" in result.stdout
    assert result.stdout.rstrip().endswith("reaction: not run (--decide-only)")
