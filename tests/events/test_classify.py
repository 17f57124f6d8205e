"""Which CloudTrail events trigger a run, and what the log line says about them.

The fixtures mirror real EventBridge "AWS API Call via CloudTrail" documents (full
CloudTrail record in `detail`, EC2's query-API shapes such as
`requestParameters.instancesSet.items[].instanceId`). Each is classified here with the
ids a firewall engineer would look for in the log.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from generator.events import RELEVANT_EVENTS, classify, handler
from tests.policies import write_policy

FIXTURES = Path(__file__).parent / "fixtures"

# fixture -> (relevant, event name, region, affected ids)
EXPECTED = {
    "start_instances": (True, "StartInstances", "us-east-1", ["i-0a1b2c3d4e5f60718", "i-0f9e8d7c6b5a40312"]),
    "stop_instances": (True, "StopInstances", "us-east-1", ["i-0a1b2c3d4e5f60718"]),
    "terminate_instances": (True, "TerminateInstances", "eu-west-1", ["i-07c3d2e1f0a9b8c76"]),
    "run_instances": (True, "RunInstances", "us-east-1", [
        "eni-0c1d2e3f4a5b6c7d8", "eni-attach-0a9b8c7d6e5f4a3b2", "i-0b2c3d4e5f6071829",
        "sg-0aa11bb22cc33dd44",
        "subnet-0123456789abcdef0", "vpc-0fedcba9876543210"]),
    "authorize_security_group_ingress": (True, "AuthorizeSecurityGroupIngress", "us-east-1",
                                         ["sg-0aa11bb22cc33dd44", "sgr-0123abcd4567ef890"]),
    "revoke_security_group_ingress": (True, "RevokeSecurityGroupIngress", "us-east-1",
                                      ["sg-0bb22cc33dd44ee55", "sgr-0fedc9876ba543210"]),
    "modify_security_group_rules": (True, "ModifySecurityGroupRules", "us-east-1",
                                    ["sg-0aa11bb22cc33dd44", "sgr-0123abcd4567ef890"]),
    "modify_instance_attribute_groups": (True, "ModifyInstanceAttribute", "us-east-1",
                                         ["i-0a1b2c3d4e5f60718", "sg-0aa11bb22cc33dd44",
                                          "sg-0cc33dd44ee55ff66"]),
    "modify_instance_attribute_type_ignored": (False, "ModifyInstanceAttribute", "us-east-1",
                                               ["i-0a1b2c3d4e5f60718"]),
    "modify_network_interface_attribute_groups": (True, "ModifyNetworkInterfaceAttribute", "us-east-1",
                                                  ["eni-0c1d2e3f4a5b6c7d8", "sg-0cc33dd44ee55ff66"]),
    "modify_network_interface_attribute_srcdst_ignored": (
        False, "ModifyNetworkInterfaceAttribute", "us-east-1", ["eni-0d2e3f4a5b6c7d8e9"]),
    "create_route": (True, "CreateRoute", "us-east-1", ["eni-0f1e2d3c4b5a69788", "rtb-0a1b2c3d4e5f67890"]),
    "replace_route": (True, "ReplaceRoute", "us-east-1", ["rtb-0a1b2c3d4e5f67890"]),
    "delete_route": (True, "DeleteRoute", "us-east-1", ["rtb-0a1b2c3d4e5f67890"]),
    "associate_route_table": (True, "AssociateRouteTable", "us-east-1",
                              ["rtb-0a1b2c3d4e5f67890", "rtbassoc-0a9b8c7d6e5f4a3b2",
                               "subnet-0123456789abcdef0"]),
    "disassociate_route_table": (True, "DisassociateRouteTable", "us-east-1", ["rtbassoc-0a9b8c7d6e5f4a3b2"]),
    "replace_route_table_association": (True, "ReplaceRouteTableAssociation", "us-east-1",
                                        ["rtb-0b2c3d4e5f6a78901", "rtbassoc-0a9b8c7d6e5f4a3b2",
                                         "rtbassoc-0c1d2e3f4a5b6c7d8"]),
    # network interfaces, mostly created, scaled and deleted by services (fixtures/SOURCES.md)
    "create_network_interface_elb": (True, "CreateNetworkInterface", "us-east-1", [
        "eni-0e1f2a3b4c5d6e7f8", "sg-0dd44ee55ff66aa77", "subnet-0123456789abcdef0",
        "vpc-0fedcba9876543210"]),
    "create_network_interface_ecs": (True, "CreateNetworkInterface", "us-east-1", [
        "eni-0f2a3b4c5d6e7f809", "sg-0ee55ff66aa77bb88", "subnet-0123456789abcdef0",
        "vpc-0fedcba9876543210"]),
    "delete_network_interface": (True, "DeleteNetworkInterface", "us-east-1", ["eni-0e1f2a3b4c5d6e7f8"]),
    "attach_network_interface": (True, "AttachNetworkInterface", "us-east-1", [
        "eni-0a9b8c7d6e5f4a3b2", "eni-attach-0b1c2d3e4f5a6b7c8", "i-0a1b2c3d4e5f60718"]),
    "detach_network_interface": (True, "DetachNetworkInterface", "us-east-1",
                                 ["eni-attach-0b1c2d3e4f5a6b7c8"]),
    "assign_private_ip_addresses_prefix": (True, "AssignPrivateIpAddresses", "us-east-1",
                                           ["eni-0c1d2e3f4a5b6c7d9"]),
    "unassign_private_ip_addresses_prefix": (True, "UnassignPrivateIpAddresses", "us-east-1",
                                             ["eni-0c1d2e3f4a5b6c7d9"]),
    "assign_ipv6_addresses": (True, "AssignIpv6Addresses", "us-east-1", ["eni-0a9b8c7d6e5f4a3b2"]),
    "unassign_ipv6_addresses": (True, "UnassignIpv6Addresses", "us-east-1", ["eni-0a9b8c7d6e5f4a3b2"]),
    "create_network_interface_failed": (False, "CreateNetworkInterface", "us-east-1",
                                        ["sg-0ff66aa77bb88cc99", "subnet-0123456789abcdef0"]),
    "start_instances_failed": (False, "StartInstances", "us-east-1", ["i-0a1b2c3d4e5f60718"]),
    "authorize_security_group_ingress_failed": (False, "AuthorizeSecurityGroupIngress", "us-east-1",
                                                ["sg-0aa11bb22cc33dd44"]),
    "create_route_failed": (False, "CreateRoute", "us-east-1",
                            ["i-0123456789abcdef0", "rtb-0a1b2c3d4e5f67890"]),
    "authorize_security_group_egress_ignored": (False, "AuthorizeSecurityGroupEgress", "us-east-1",
                                                ["sg-0aa11bb22cc33dd44"]),
    "create_tags_ignored": (False, "CreateTags", "us-east-1", []),
    "iam_create_role_ignored": (False, "CreateRole", "us-east-1", []),
}


def load(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def test_every_fixture_has_an_expectation_and_every_event_name_a_fixture():
    on_disk = {p.stem for p in FIXTURES.glob("*.json")}
    assert on_disk == set(EXPECTED)
    relevant_names = {name for relevant, name, _r, _i in EXPECTED.values() if relevant}
    assert relevant_names == set(RELEVANT_EVENTS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_classification(name):
    relevant, event_name, region, ids = EXPECTED[name]
    decision = classify(load(name))
    assert decision.relevant is relevant, decision.reason
    assert decision.event_name == event_name
    assert decision.region == region
    assert decision.account == "111122223333"
    assert list(decision.ids) == ids
    summary = decision.summary()
    assert event_name in summary and region in summary
    for i in ids:
        assert i in summary


@pytest.mark.parametrize("name", ["create_network_interface_elb", "create_network_interface_ecs",
                                  "delete_network_interface", "assign_private_ip_addresses_prefix"])
@pytest.mark.parametrize("identity", [
    None,  # as recorded: a service-linked role (ELB, ECS) or a node's role (EKS's VPC CNI)
    {"type": "AWSService", "invokedBy": "lambda.amazonaws.com"},
    {"type": "IAMUser", "principalId": "AIDAEXAMPLE", "accountId": "111122223333", "userName": "alice"},
])
def test_interface_calls_are_relevant_whoever_the_caller(name, identity):
    """A load balancer scaling out, a Fargate task starting, EKS assigning a prefix: the caller is a
    service principal, and the call changes what the firewall must allow all the same."""
    event = load(name)
    if identity is not None:
        event["detail"]["userIdentity"] = identity
    decision = classify(event)
    assert decision.relevant, decision.reason
    assert decision.reason == RELEVANT_EVENTS[event["detail"]["eventName"]]


def test_failed_calls_say_why_they_are_ignored():
    decision = classify(load("authorize_security_group_ingress_failed"))
    assert "Client.InvalidPermission.Duplicate" in decision.reason


def test_a_bare_cloudtrail_record_is_classified_like_its_envelope():
    record = load("stop_instances")["detail"]
    decision = classify(record)
    assert decision.relevant and decision.account == "111122223333"
    assert decision.ids == ("i-0a1b2c3d4e5f60718",)


@pytest.mark.parametrize("event", [None, 42, "StartInstances", [], {}, {"detail": "x"},
                                   {"detail-type": "EC2 Instance State-change Notification",
                                    "source": "aws.ec2", "detail": {"instance-id": "i-0a1b2c3d4e5f60718",
                                                                    "state": "stopped"}}])
def test_odd_input_is_ignored_never_raises(event):
    assert classify(event).relevant is False


def test_modify_instance_attribute_with_the_groupset_attribute_form_is_relevant():
    event = load("modify_instance_attribute_type_ignored")
    event["detail"]["requestParameters"] = {"instanceId": "i-0a1b2c3d4e5f60718", "attribute": "groupSet",
                                            "value": "sg-0aa11bb22cc33dd44"}
    assert classify(event).relevant


def test_handler_ignores_irrelevant_events_without_reading_a_policy(tmp_path, monkeypatch):
    monkeypatch.setenv("AWSPAN_CONFIG", str(tmp_path / "missing.yaml"))
    result = handler(load("create_tags_ignored"), None)
    assert result["reaction"] == "none"
    assert result["decision"]["relevant"] is False


def test_handler_log_mode_reports_only(tmp_path, monkeypatch, caplog):
    write_policy(tmp_path, env=monkeypatch)
    with caplog.at_level("INFO", logger="generator.events"):
        result = handler(load("stop_instances"), None)
    assert result["reaction"] == "log"
    assert "StopInstances region=us-east-1" in caplog.text and "i-0a1b2c3d4e5f60718" in caplog.text


def _awspan(*args, stdin=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "generator", *args], input=stdin, capture_output=True,
                          text=True, cwd=cwd, timeout=60)


def test_cli_decide_only_from_a_file_and_from_stdin():
    result = _awspan("event", "--decide-only", str(FIXTURES / "revoke_security_group_ingress.json"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("relevant: RevokeSecurityGroupIngress region=us-east-1")
    assert "reaction: not run (--decide-only)" in result.stdout
    failed = (FIXTURES / "start_instances_failed.json").read_text()
    result = _awspan("event", "--decide-only", "-", stdin=failed)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ignored: StartInstances")
    assert "reaction: none" in result.stdout


def test_cli_reads_a_cloudtrail_log_file_with_several_records():
    records = {"Records": [load("create_tags_ignored")["detail"], load("delete_route")["detail"]]}
    result = _awspan("event", "--decide-only", "-", stdin=json.dumps(records))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("ignored: CreateTags") and lines[1].startswith("relevant: DeleteRoute")


def test_cli_bad_json_is_one_readable_error(tmp_path):
    bad = tmp_path / "event.json"
    bad.write_text('{"detail": ')
    result = _awspan("event", str(bad))
    assert result.returncode == 1
    assert result.stderr.startswith(f"awspan event: error: {bad}: not valid JSON")
    assert "Traceback" not in result.stderr


def test_cli_relevant_event_without_a_policy_file_names_it(tmp_path):
    result = _awspan("event", "--config", str(tmp_path / "nope.yaml"), str(FIXTURES / "stop_instances.json"))
    assert result.returncode == 1
    assert "nope.yaml" in result.stderr and "Traceback" not in result.stderr


def test_classify_does_not_modify_the_event():
    event = load("run_instances")
    before = copy.deepcopy(event)
    classify(event)
    assert event == before


def test_cli_log_mode_reports_and_does_nothing_else(tmp_path):
    policy = write_policy(tmp_path, events={"mode": "log", "work_dir": str(tmp_path / "w")})
    result = _awspan("event", "--config", str(policy), str(FIXTURES / "create_route.json"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "reaction: none (events.mode is log: report only)"
    assert not (tmp_path / "w").exists()
