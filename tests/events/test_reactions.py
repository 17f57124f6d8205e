"""The reactions, end to end against real servers on loopback.

push: a moto server holds the seeded estate and the API key secret, the PAN-OS emulator
plays the firewall; the Lambda handler runs collect -> snapshot -> generate -> push and
the emulator's RUNNING config shows the result. pipeline: CodeBuild through moto, and a
repository dispatch to a real HTTPS server on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import boto3
import pytest
from lxml import etree

from devtools.seed import policy_for, seed_estate
from generator.errors import AwspanError
from generator.events import handler
from generator.location import Location
from generator.yamlio import load_yaml_file
from tests.events.conftest import load_event
from tests.policies import OMIT, write_policy

SECRET = "awspan/panos-api-key"
TOKEN_SECRET = "awspan/github-dispatch-token"
TOKEN = "ghp_exampleTOKENthatMustNeverBeLogged0001"
FIXTURE_INSTANCE = "i-0a1b2c3d4e5f60718"  # the instance id in start/stop_instances.json
TRAIL_BUCKET = "acme-org-trail-logs"  # tests/events/trail.py's BUCKET


def push_mode_estate(aws, emu, tmp_path, monkeypatch):
    """The seeded estate, the emulator's API key in Secrets Manager and a push-mode policy:
    (estate, EC2 client) for a test that starts or stops batch-1 and lets the handler react."""
    estate = seed_estate(aws)
    key = emu.api_key("automation")
    boto3.client("secretsmanager", region_name=estate.region).create_secret(Name=SECRET, SecretString=key)
    write_policy(tmp_path, base=policy_for(estate, url=emu.url), env=monkeypatch,
                 events={"mode": "push", "work_dir": str(tmp_path / "work"), "api_key_secret": SECRET,
                         "trail_buckets": [TRAIL_BUCKET]})
    return estate, boto3.client("ec2", region_name=estate.region)


def minimal_policy(tmp_path, monkeypatch, events: dict) -> str:
    """A policy for reactions that never reach collect (no estate needed)."""
    return str(write_policy(tmp_path, env=monkeypatch, firewall={"url": "https://fw.example.net"},
                            events=events))


def managed(running: etree._Element, tag: str = "awspan") -> dict[str, dict[str, etree._Element]]:
    """kind -> name -> entry, for the objects in vsys1 that carry the ownership tag."""
    loc = Location(vsys="vsys1")
    out: dict[str, dict[str, etree._Element]] = {}
    for kind in ("address", "address-group", "service", "rules"):
        entries = running.xpath(loc.xpath(kind) + "/entry")
        out[kind] = {e.get("name"): e for e in entries if tag in [m.text for m in e.findall("tag/member")]}
    return out


def addresses(running: etree._Element) -> set[str]:
    return {e.findtext("ip-netmask", "").split("/")[0] for e in managed(running)["address"].values()}


def rules_of(running: etree._Element, group_id: str) -> list[str]:
    return sorted(name for name in managed(running)["rules"] if name.startswith(group_id))


@pytest.mark.slow
def test_push_mode_start_adds_and_stop_removes_the_instance_rules(aws, emu, tmp_path, monkeypatch,
                                                                    caplog, capsys):
    estate, ec2 = push_mode_estate(aws, emu, tmp_path, monkeypatch)
    key = emu.api_key("automation")
    batch, batch_ip, batch_sg = (estate.instances["batch-1"], estate.private_ips["batch-1"],
                                 estate.security_groups["batch"])
    web_sg = estate.security_groups["web"]

    # batch-1 is stopped in the firewall-routed subnet `app`: it is started in AWS ...
    ec2.start_instances(InstanceIds=[batch])
    with caplog.at_level("INFO"):
        result = handler(load_event("start_instances", {FIXTURE_INSTANCE: batch}), None)
    assert result["reaction"] == "push" and result["decision"]["relevant"]
    assert batch in result["decision"]["ids"]
    running = emu.running()
    assert batch_ip in addresses(running)
    assert rules_of(running, batch_sg), "the batch group's rule is on the running config"
    assert rules_of(running, web_sg), "the rest of the estate is there too"
    logged = [r.getMessage() for r in caplog.records if "relevant: StartInstances" in r.getMessage()]
    assert logged and "region=us-east-1 account=111122223333" in logged[0] and batch in logged[0]

    # ... and stopped again: its address and its group's only rule go, the others stay
    ec2.stop_instances(InstanceIds=[batch])
    result = handler(load_event("stop_instances", {FIXTURE_INSTANCE: batch}), None)
    running = emu.running()
    assert batch_ip not in addresses(running)
    assert rules_of(running, batch_sg) == []
    assert rules_of(running, web_sg)
    assert (tmp_path / "work" / "fragment.xml").exists()

    # the API key went nowhere: not into the environment, the output, the logs or a file
    assert "PANOS_API_KEY" not in os.environ
    captured = capsys.readouterr()
    assert key not in caplog.text + captured.out + captured.err
    for artefact in (tmp_path / "work").iterdir():
        assert key.encode() not in artefact.read_bytes(), artefact


@pytest.mark.slow
def test_push_mode_a_task_starting_and_its_interface_going_reach_the_firewall(aws, emu, tmp_path,
                                                                              monkeypatch):
    """ECS starts a Fargate task in the firewall-routed subnet `app` (the interface ECS creates, with
    the task's group), CloudTrail records ECS's CreateNetworkInterface, the handler reacts: the
    task's address is on the running config; the interface is deleted, the next event removes it."""
    estate, ec2 = push_mode_estate(aws, emu, tmp_path, monkeypatch)
    prod = estate.vpcs["prod"]
    ec2.modify_vpc_attribute(VpcId=prod, EnableDnsHostnames={"Value": True})  # moto's ECS needs DNS names
    sg = ec2.create_security_group(GroupName="orders-task", Description="orders", VpcId=prod)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "198.51.100.0/24"}]}])
    ecs = boto3.client("ecs", region_name=estate.region)
    ecs.create_cluster(clusterName="prod")
    ecs.register_task_definition(
        family="orders", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "app", "image": "orders", "cpu": 256, "memory": 512}])
    task = ecs.run_task(cluster="prod", taskDefinition="orders", launchType="FARGATE", networkConfiguration={
        "awsvpcConfiguration": {"subnets": [estate.subnets["app"]], "securityGroups": [sg]}})
    details = {d["name"]: d["value"] for d in task["tasks"][0]["attachments"][0]["details"]}
    eni, ip = details["networkInterfaceId"], details["privateIPv4Address"]

    event = load_event("create_network_interface_ecs", {"eni-0f2a3b4c5d6e7f809": eni, "10.0.1.77": ip})
    result = handler(event, None)
    assert result["reaction"] == "push" and result["decision"]["relevant"]
    assert eni in result["decision"]["ids"]
    running = emu.running()
    assert ip in addresses(running)
    assert rules_of(running, sg) == [f"{sg}-tcp-8080"]

    ec2.delete_network_interface(NetworkInterfaceId=eni)
    handler(load_event("delete_network_interface", {"eni-0e1f2a3b4c5d6e7f8": eni}), None)
    running = emu.running()
    assert ip not in addresses(running) and rules_of(running, sg) == []
    assert rules_of(running, estate.security_groups["web"]), "the rest of the estate stays"


@pytest.mark.slow
def test_push_mode_reads_the_key_from_ssm_and_reports_a_failed_step(aws, emu, tmp_path, monkeypatch):
    estate = seed_estate(aws)
    ssm = boto3.client("ssm", region_name=estate.region)
    ssm.put_parameter(Name="/firewall/panos-api-key", Value="wrong-key", Type="SecureString")
    write_policy(tmp_path, base=policy_for(estate, url=emu.url), env=monkeypatch,
                 events={"mode": "push", "work_dir": str(tmp_path / "work"),
                         "api_key_parameter": "/firewall/panos-api-key"})
    with pytest.raises(AwspanError, match=r"`awspan snapshot` failed"):
        handler(load_event("revoke_security_group_ingress"), None)
    assert "PANOS_API_KEY" not in os.environ
    assert managed(emu.running())["rules"] == {}  # nothing was pushed

    ssm.put_parameter(Name="/firewall/panos-api-key", Value=emu.api_key("automation"),
                      Type="SecureString", Overwrite=True)
    assert handler(load_event("revoke_security_group_ingress"), None)["reaction"] == "push"
    assert managed(emu.running())["rules"]


def test_push_mode_missing_secret_is_one_readable_error(aws, tmp_path, monkeypatch):
    minimal_policy(tmp_path, monkeypatch,
                   {"mode": "push", "work_dir": str(tmp_path / "work"), "api_key_secret": "no/such"})
    with pytest.raises(AwspanError, match="Secrets Manager secret 'no/such'"):
        handler(load_event("stop_instances"), None)
    assert not (tmp_path / "work" / "state.yaml").exists()


def test_pipeline_mode_starts_the_codebuild_project(aws, tmp_path, monkeypatch):
    codebuild = boto3.client("codebuild", region_name="us-east-1")
    codebuild.create_project(
        name="awspan-propose", source={"type": "GITHUB", "location": "https://github.com/acme/fw-policy.git"},
        artifacts={"type": "NO_ARTIFACTS"}, serviceRole="arn:aws:iam::123456789012:role/awspan-codebuild",
        environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                     "computeType": "BUILD_GENERAL1_SMALL"})
    minimal_policy(tmp_path, monkeypatch,
                   {"mode": "pipeline", "pipeline": {"codebuild_project": "awspan-propose"}})
    result = handler(load_event("authorize_security_group_ingress"), None)
    assert result["reaction"] == "pipeline"
    builds = codebuild.list_builds_for_project(projectName="awspan-propose")["ids"]
    assert builds == [result["codebuild_build"]]
    assert handler(load_event("create_tags_ignored"), None)["reaction"] == "none"
    assert codebuild.list_builds_for_project(projectName="awspan-propose")["ids"] == builds


def _dispatch_policy(tmp_path, monkeypatch, aws, dispatch) -> str:
    boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name=TOKEN_SECRET, SecretString=json.dumps({"token": TOKEN}))
    return minimal_policy(tmp_path, monkeypatch, {"mode": "pipeline", "trail_buckets": [TRAIL_BUCKET],
                                                  "pipeline": {
        "dispatch_url": f"{dispatch.url}/repos/acme/fw-policy/dispatches", "token_secret": TOKEN_SECRET}})


def test_pipeline_mode_dispatches_over_https_with_the_token_in_a_header(aws, dispatch, tmp_path, monkeypatch,
                                                                         caplog):
    _dispatch_policy(tmp_path, monkeypatch, aws, dispatch)
    with caplog.at_level("DEBUG"):
        result = handler(load_event("revoke_security_group_ingress"), None)
    assert result["dispatch_status"] == 204
    [request] = dispatch.requests
    assert request["path"] == "/repos/acme/fw-policy/dispatches"
    assert request["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert request["body"]["event_type"] == "awspan-aws-change"
    [event] = request["body"]["client_payload"]["events"]
    assert event["event_name"] == "RevokeSecurityGroupIngress"
    assert event["ids"] == ["sg-0bb22cc33dd44ee55", "sgr-0fedc9876ba543210"]
    assert TOKEN not in caplog.text and TOKEN not in json.dumps(result)


def test_pipeline_dispatch_refused_is_an_error_without_the_token(aws, dispatch, tmp_path, monkeypatch):
    _dispatch_policy(tmp_path, monkeypatch, aws, dispatch)
    dispatch.status = 401
    with pytest.raises(AwspanError) as failure:
        handler(load_event("stop_instances"), None)
    assert "HTTP 401" in str(failure.value) and "Bad credentials" in str(failure.value)
    assert TOKEN not in str(failure.value)


def test_cli_runs_the_reaction_once_for_a_file_of_records(aws, dispatch, tmp_path, monkeypatch):
    policy = _dispatch_policy(tmp_path, monkeypatch, aws, dispatch)
    names = ("stop_instances", "delete_route", "create_tags_ignored")
    records = {"Records": [load_event(n)["detail"] for n in names]}
    events_file = tmp_path / "records.json"
    events_file.write_text(json.dumps(records))
    argv = [sys.executable, "-m", "generator", "event", "--config", policy, str(events_file)]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert "reaction: pipeline done (dispatch_status=204)" in result.stdout
    [request] = dispatch.requests
    sent = [e["event_name"] for e in request["body"]["client_payload"]["events"]]
    assert sent == ["StopInstances", "DeleteRoute"]
    assert TOKEN not in result.stdout + result.stderr


def test_an_event_from_a_region_that_is_not_collected_starts_nothing(aws, dispatch, tmp_path, monkeypatch):
    _dispatch_policy(tmp_path, monkeypatch, aws, dispatch)
    result = handler(load_event("terminate_instances"), None)  # eu-west-1; the policy reads us-east-1
    assert result["decision"]["relevant"] is True
    assert result["reaction"] == "none" and "us-east-1" in result["why"]
    assert dispatch.requests == []


def test_codebuild_ids_variable_holds_only_whole_ids():
    """CodeBuild gets the affected ids in one variable; when they do not all fit, none is cut in half."""
    from generator.events.dispatch import join_whole as _join_whole

    ids = [f"i-{n:017x}" for n in range(100)]  # 19 characters each
    joined = _join_whole(ids, 1000)
    assert len(joined) <= 1000
    assert joined.split(",") == ids[: len(joined.split(","))]
    assert len(joined.split(",")) == 50  # 50 * 19 + 49 commas = 999
    assert _join_whole(["sg-1", "sg-2"], 1000) == "sg-1,sg-2"


def _dags(running: etree._Element) -> dict[str, str | None]:
    """awspan's address groups in vsys1: name -> the dynamic filter (None: a static group)."""
    groups = managed(running)["address-group"]
    return {name: entry.findtext("dynamic/filter") for name, entry in groups.items()}


@pytest.mark.slow
def test_push_mode_keeps_a_dynamic_firewall_dynamic(aws, emu, tmp_path, monkeypatch, capsys):
    """Issue 23: in a trial the push reaction turned a dynamic firewall's groups back to static. The
    reaction runs the policy it is given (membership included): with `membership: dynamic` a start and
    a stop are registrations, the groups stay dynamic, and push's summary names no mode switch. A
    reaction whose policy says static (the trial's: a Lambda whose copy of policy.yaml lacked the key)
    switches back, and its summary says so loudly."""
    estate, ec2 = push_mode_estate(aws, emu, tmp_path, monkeypatch)
    dynamic = load_yaml_file(write_policy(tmp_path, base=load_yaml_file(tmp_path / "policy.yaml", "policy"),
                                          rules={"membership": "dynamic"}), "policy")
    batch, batch_ip = estate.instances["batch-1"], estate.private_ips["batch-1"]

    ec2.start_instances(InstanceIds=[batch])
    handler(load_event("start_instances", {FIXTURE_INSTANCE: batch}), None)
    groups = _dags(emu.running())
    assert groups and all(f == f"'awspan.{name}'" for name, f in groups.items()), groups
    assert any(t.startswith("awspan.") for t in emu.store.registry.snapshot().get(batch_ip, ()))

    capsys.readouterr()
    ec2.stop_instances(InstanceIds=[batch])
    stopped = handler(load_event("stop_instances", {FIXTURE_INSTANCE: batch}), None)
    pushed = capsys.readouterr().out
    # the stop is registrations only: answered by the fast path (events/fastpath.py), no push
    assert stopped["reaction"] == "registrations" and stopped["unregistered"] >= 1, stopped
    assert _dags(emu.running()) == groups  # still dynamic, the same groups
    assert batch_ip not in emu.store.registry.snapshot()  # the stop: one unregistration
    assert "MEMBERSHIP" not in pushed and "membership changes" not in pushed

    write_policy(tmp_path, base=dynamic, rules={"membership": OMIT})  # the trial's: without the key
    ec2.start_instances(InstanceIds=[batch])
    handler(load_event("start_instances", {FIXTURE_INSTANCE: batch}), None)
    pushed = capsys.readouterr().out.replace("\n  ↳ ", " ").replace("\n    ↳ ", " ")
    assert "MEMBERSHIP dynamic -> static" in pushed
    assert "WARNING: membership changes from dynamic to static (rules.membership)" in pushed
    assert all(f is None for f in _dags(emu.running()).values())
