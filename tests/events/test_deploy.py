"""The deployment artefact of the Lambda: the SAM template lints and says what the issue asks.
(The GitHub workflow's checks are in tests/test_workflow.py.)"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from generator.events import RELEVANT_EVENTS

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation short-form tags (!Ref, !If, ...) as {"Fn": value} mappings."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict:
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {suffix: value}


_CfnLoader.add_multi_constructor("!", _tag)


@pytest.fixture(scope="module")
def template() -> dict:
    return yaml.load(TEMPLATE.read_text(), Loader=_CfnLoader)  # noqa: S506 - safe loader subclass


def _cfn_lint(path: Path) -> subprocess.CompletedProcess:
    """cfn-lint as a user runs it (its console script's entry), in a child process."""
    code = "import sys; from cfnlint.runner import main; sys.argv[0] = 'cfn-lint'; sys.exit(main())"
    return subprocess.run([sys.executable, "-c", code, str(path)],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_template_passes_cfn_lint():
    result = _cfn_lint(TEMPLATE)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_cfn_lint_would_catch_a_broken_template(tmp_path):
    broken = tmp_path / "template.yaml"
    broken.write_text(TEMPLATE.read_text().replace("ReservedConcurrentExecutions: 1",
                                                   "ReservedConcurrentExecutions: -1"))
    result = _cfn_lint(broken)
    assert result.returncode != 0
    assert "less than the minimum" in result.stdout


def _function(template: dict) -> dict:
    return template["Resources"]["AwspanFunction"]["Properties"]


def test_event_rule_lists_exactly_the_relevant_events(template):
    rule = template["Resources"]["Ec2ChangeRule"]
    assert rule["Condition"] == "UseEventBridge"
    assert rule["Properties"]["Targets"][0]["Arn"] == {"GetAtt": "AwspanFunction.Arn"}
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["detail-type"] == ["AWS API Call via CloudTrail"]
    assert pattern["source"] == ["aws.ec2"]
    assert pattern["detail"]["eventSource"] == ["ec2.amazonaws.com"]
    assert sorted(pattern["detail"]["eventName"]) == sorted(RELEVANT_EVENTS)
    assert pattern["detail"]["errorCode"] == [{"exists": False}]


def test_function_runs_one_at_a_time_and_points_at_the_real_handler(template):
    fn = _function(template)
    assert fn["ReservedConcurrentExecutions"] == 1
    module, _, name = fn["Handler"].rpartition(".")
    assert callable(getattr(importlib.import_module(module), name))
    assert fn["Runtime"] == f"python{sys.version_info.major}.{sys.version_info.minor}", \
        "the zip carries this interpreter's compiled wheels (lxml, PyYAML): the runtime must match"


def _statements(template: dict) -> list[dict]:
    out = []
    for policy in _function(template)["Policies"]:
        if "If" in policy:
            policy = policy["If"][1]
        out.extend(policy["Statement"])
    return out


def test_iam_is_least_privilege(template):
    statements = {s["Sid"]: s for s in _statements(template)}
    for s in statements.values():
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        assert all("*" not in a for a in actions), f"{s['Sid']}: wildcard action"
        assert s["Effect"] == "Allow"
    ec2 = statements["ReadEc2Inventory"]["Action"]
    assert all(re.fullmatch(r"ec2:(Describe|Get)[A-Za-z]+", a) for a in ec2)
    # every other statement names its one resource (a parameter), never "*"
    for sid in ("AssumeCollectRoles", "ReadFirewallApiKey", "ReadFirewallApiKeyParameter",
                "ReadPipelineToken", "StartPipeline", "ReadTrailLogFiles", "DecryptTrailLogFiles",
                "ConsumeTrailQueue"):
        assert statements[sid]["Resource"] != "*", sid
    assert statements["ReadFirewallApiKey"]["Action"] == "secretsmanager:GetSecretValue"
    assert statements["ReadFirewallApiKey"]["Resource"] == {"Ref": "ApiKeySecretArn"}
    assert statements["AssumeCollectRoles"]["Action"] == "sts:AssumeRole"
    assert statements["StartPipeline"]["Action"] == "codebuild:StartBuild"


def _conditional_statements(template: dict) -> dict[str, tuple[str, dict]]:
    """Sid -> (the condition that adds the statement, the statement)."""
    out = {}
    for policy in _function(template)["Policies"]:
        if "If" in policy:
            for statement in policy["If"][1]["Statement"]:
                out[statement["Sid"]] = (policy["If"][0], statement)
    return out


def test_the_trigger_is_a_parameter_and_each_choice_makes_only_its_own_resources(template):
    assert template["Parameters"]["Trigger"]["AllowedValues"] == ["EventBridge", "S3", "SNS", "SQS"]
    assert template["Parameters"]["Trigger"]["Default"] == "EventBridge"
    resources = template["Resources"]
    by_condition: dict[str, set[str]] = {}
    for name, resource in resources.items():
        by_condition.setdefault(resource.get("Condition", "-"), set()).add(name)
    assert by_condition["UseEventBridge"] == {"Ec2ChangeRule", "Ec2ChangeInvokePermission"}
    assert by_condition["UseS3"] == {"TrailBucketInvokePermission"}
    assert by_condition["UseSns"] == {"TrailTopicSubscription", "TrailTopicInvokePermission"}
    assert by_condition["UseSqs"] == {"TrailQueueMapping"}
    assert "Events" not in _function(template), "every trigger is a conditional resource"
    s3 = resources["TrailBucketInvokePermission"]["Properties"]
    assert s3["Principal"] == "s3.amazonaws.com" and "SourceAccount" in s3  # no confused deputy
    mapping = resources["TrailQueueMapping"]["Properties"]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert resources["TrailTopicSubscription"]["Properties"]["Protocol"] == "lambda"
    rules = template["Rules"]
    assert {"TrailTriggerNeedsItsSource", "SnsTriggerNeedsTopic", "SqsTriggerNeedsQueue"} <= set(rules)


def test_trail_triggers_read_only_the_trails_log_files(template):
    statements = _conditional_statements(template)
    condition, read = statements["ReadTrailLogFiles"]
    assert condition == "ReadsTrailBucket"
    assert read["Action"] == "s3:GetObject"  # no ListBucket, no Put, no Delete
    prefix = "arn:${AWS::Partition}:s3:::${TrailBucketName}/${TrailKeyPrefix}AWSLogs/*"
    assert read["Resource"] == {"Sub": prefix}
    assert statements["DecryptTrailLogFiles"][0] == "HasTrailKmsKey"
    assert statements["DecryptTrailLogFiles"][1]["Action"] == "kms:Decrypt"
    condition, queue = statements["ConsumeTrailQueue"]
    assert condition == "UseSqs" and queue["Resource"] == {"Ref": "TrailQueueArn"}
    assert sorted(queue["Action"]) == ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage",
                                       "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]
    conditions = template["Conditions"]
    assert conditions["ReadsTrailBucket"] == {"Not": [{"Condition": "UseEventBridge"}]}


def test_collect_needs_no_more_than_the_template_grants(template):
    """Each EC2 call the collector makes is in the read-only statement."""
    granted = set(_statements(template)[0]["Action"])
    source = (ROOT / "generator" / "collect" / "read_ec2.py").read_text()
    calls = set(re.findall(r'"((?:describe|get)_[a-z_]+)"', source))
    assert calls, "the collector's calls were not found"
    for call in calls:
        action = "ec2:" + "".join(part.capitalize() for part in call.split("_"))
        assert action in granted, action
