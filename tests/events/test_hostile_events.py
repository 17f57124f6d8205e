"""Hostile and broken events (issue 11, events): a bad record costs only itself, event text
cannot forge log lines, deep or huge documents end in one clear error, and stdin and files
are read alike."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.events import classify, handler
from tests.events.conftest import load_event
from tests.policies import write_policy


def _awspan(*args, stdin: bytes | None = None):
    return subprocess.run([sys.executable, "-m", "generator", *args], input=stdin, capture_output=True,
                          timeout=60)


@pytest.fixture
def log_policy(tmp_path, monkeypatch):
    return write_policy(tmp_path, env=monkeypatch)


@pytest.mark.parametrize("bad", [42, ["StartInstances"], {"n": "StartInstances"}, None, 1.5, True])
def test_a_non_string_event_name_is_one_warning_and_the_batch_goes_on(log_policy, caplog, bad):
    records = [load_event("stop_instances")["detail"],
               {**load_event("delete_route")["detail"], "eventName": bad},
               load_event("create_route")["detail"]]
    with caplog.at_level("INFO", logger="generator.events"):
        result = handler({"Records": records}, None)
    assert result["reaction"] == "log"
    assert [d["event_name"] for d in result["decisions"]] == ["StopInstances", "CreateRoute"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    if bad is None:  # a missing name is no CloudTrail call at all: ignored, not malformed
        assert result["records"]["malformed"] == 0 and not warnings
    else:
        assert result["records"]["malformed"] == 1 and len(warnings) == 1
        assert "malformed" in warnings[0] and "eventName is not a string" in warnings[0]


@pytest.mark.parametrize("field", ["eventSource", "awsRegion", "recipientAccountId", "errorCode",
                                   "eventTime"])
def test_wrong_types_in_other_fields_are_malformed_not_fatal(field):
    record = load_event("stop_instances")["detail"]
    record[field] = {"nested": ["x"]}
    decision = classify(record)
    assert decision.malformed and not decision.relevant and field in decision.reason


FORGED = "StopInstances\nrelevant: StartInstances region=us-east-1 \x1b[2K\x1b[1A\r\u2028x"


def test_event_text_cannot_forge_log_lines(log_policy, caplog):
    event = load_event("stop_instances")
    event["detail"]["eventName"] = FORGED
    event["detail"]["awsRegion"] = "us-east-1\nFAKE"
    event["detail"]["errorCode"] = "Client.Nope\n\x1b[31mrelevant"
    event["detail"]["requestParameters"]["instancesSet"]["items"][0]["instanceId"] = "i-0abc\nrelevant: x"
    with caplog.at_level("INFO", logger="generator.events"):
        result = handler(event, None)
    assert result["reaction"] == "none"
    messages = [r.getMessage() for r in caplog.records]
    assert messages, "the decision was logged"
    for message in messages:
        assert not any(c in message for c in ("\n", "\r", "\x1b", "\u2028")), message
    assert "\\n" in messages[0] and "\\x1b" in messages[0]
    assert "i-0abc" not in result["decision"]["ids"]  # not an id: not named


def test_cli_output_is_escaped_too():
    event = load_event("stop_instances")
    event["detail"]["eventName"] = FORGED
    result = _awspan("event", "--decide-only", "-", stdin=json.dumps(event).encode())
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().count("\n") == 2  # one decision line, one reaction line
    assert b"\x1b" not in result.stdout


def test_a_huge_value_is_cut_in_the_log_line():
    record = load_event("stop_instances")["detail"]
    record["eventName"] = "X" * 1_000_000
    summary = classify(record).summary()
    assert len(summary) < 1_000 and "more)" in summary


@pytest.mark.parametrize("depth", [100_000, 5_000])
def test_deep_json_on_stdin_and_in_a_file_is_one_clear_error(tmp_path, depth):
    deep = ('{"detail": ' * depth + "{}" + "}" * depth).encode()
    path = tmp_path / "deep.json"
    path.write_bytes(deep)
    for result, where in ((_awspan("event", "--decide-only", "-", stdin=deep), "<stdin>"),
                          (_awspan("event", "--decide-only", str(path)), str(path))):
        err = result.stderr.decode()
        assert result.returncode == 1
        assert err.startswith(f"awspan event: error: {where}: JSON nested too deeply"), err
        assert "Traceback" not in err and "RecursionError" not in err and len(err.splitlines()) == 1


def test_a_deep_record_inside_a_readable_batch_is_malformed_only(log_policy, caplog):
    nested: dict = {"instanceId": "i-0a1b2c3d4e5f60718"}
    for _ in range(200):
        nested = {"items": [nested]}
    deep = {**load_event("start_instances")["detail"], "requestParameters": nested}
    with caplog.at_level("INFO", logger="generator.events"):
        result = handler({"Records": [deep, load_event("delete_route")["detail"]]}, None)
    assert result["records"] == {"relevant": 1, "ignored": 0, "malformed": 1}
    assert "nested deeper than 64 levels" in caplog.text


def test_a_deep_sns_message_is_reported_not_raised(log_policy, caplog):
    message = "[" * 100_000 + "]" * 100_000
    event = {"Records": [{"EventSource": "aws:sns", "Sns": {"Type": "Notification", "Message": message}}]}
    with caplog.at_level("INFO", logger="generator.events"):
        result = handler(event, None)
    assert result["reaction"] == "none"
    assert any("JSON nested too deeply" in n for n in result["notes"])


@pytest.mark.parametrize("payload", [b'{"detail": "caf\xe9"}', b"\xff\xfe{}", b'\xef\xbb\xbf{"a": 1}'])
def test_stdin_and_files_are_decoded_alike(tmp_path, payload):
    path = tmp_path / "event.json"
    path.write_bytes(payload)
    from_stdin = _awspan("event", "--decide-only", "-", stdin=payload)
    from_file = _awspan("event", "--decide-only", str(path))
    assert from_stdin.returncode == from_file.returncode == 1
    assert from_stdin.stderr.replace(b"<stdin>", b"F") == from_file.stderr.replace(str(path).encode(), b"F")
    assert b"not UTF-8" in from_file.stderr or b"not valid JSON" in from_file.stderr


def test_size_cap_and_non_regular_files(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    result = _awspan("event", "--decide-only", str(fifo))  # would block forever if opened for reading
    # opening a FIFO blocks until a writer comes: awspan must refuse it from its type first
    assert result.returncode == 1 and b"not a regular file" in result.stderr
    result = _awspan("event", "--decide-only", "/dev/zero")
    assert result.returncode == 1 and b"not a regular file" in result.stderr


def test_a_gzipped_log_file_reads_like_the_plain_one(tmp_path):
    import gzip

    records = {"Records": [load_event("create_tags_ignored")["detail"], load_event("delete_route")["detail"]]}
    path = tmp_path / "111122223333_CloudTrail_us-east-1_20261126T1005Z_x.json.gz"
    path.write_bytes(gzip.compress(json.dumps(records).encode()))
    result = _awspan("event", "--decide-only", str(path))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    assert lines[0].startswith("ignored: CreateTags") and lines[1].startswith("relevant: DeleteRoute")
    path.write_bytes(gzip.compress(json.dumps(records).encode())[:-20])
    result = _awspan("event", "--decide-only", str(path))
    assert result.returncode == 1 and b"not a complete gzip file" in result.stderr


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (st.lists(children, max_size=4)
                      | st.dictionaries(st.text(max_size=12), children, max_size=4)),
    max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(base=st.sampled_from(["stop_instances", "run_instances", "modify_instance_attribute_groups"]),
       field=st.sampled_from(["eventName", "eventSource", "awsRegion", "requestParameters",
                              "responseElements", "errorCode", "recipientAccountId", "userIdentity",
                              "detail-type", "account"]),
       value=json_values)
def test_classify_never_raises_and_summaries_are_one_line(base, field, value):
    event = load_event(base)
    target = event if field in ("detail-type", "account") else event["detail"]
    target[field] = value
    decision = classify(event)
    assert "\n" not in decision.summary()
    json.dumps(decision.as_dict())
    assert not (decision.relevant and decision.malformed)


def test_the_json_size_cap_names_the_input():
    from generator.errors import AwspanError
    from generator.events.jsondoc import parse_json

    with pytest.raises(AwspanError, match=r"^big\.json: 11 bytes of JSON, over the 10-byte limit$"):
        parse_json(b'{"a": "bb"}', "big.json", limit=10)
    assert parse_json(b'{"a": "b"}', "ok.json", limit=10) == {"a": "b"}
