"""The S3 trigger end to end in push mode: an instance started in a member account, the
CloudTrail log files that record it in a moto S3 bucket, an SQS batch announcing them
through SNS, and the PAN-OS emulator's running config showing the result: one
collect -> snapshot -> generate -> push (one commit) for the whole batch."""

from __future__ import annotations

import json

import boto3
import pytest

from devtools.seed import seed_estate
from tests.events.test_reactions import SECRET, addresses, push_mode_estate, rules_of
from tests.events.trail import BUCKET, MEMBER, digest_key, put_log, record, s3_event, sns_envelope, sqs_event
from tests.policies import write_policy

pytestmark = pytest.mark.slow  # the whole event loop against a moto server and the emulator

FIXTURE_INSTANCE = "i-0a1b2c3d4e5f60718"


class Context:
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:awspan"


def commits(emu) -> int:
    return sum(1 for r in emu.requests if r["type"] == "commit")


def test_s3_sqs_sns_batch_reaches_the_firewall_with_one_push(aws, emu, tmp_path, monkeypatch):
    from generator.events import handler

    estate, ec2 = push_mode_estate(aws, emu, tmp_path, monkeypatch)
    batch, batch_ip, batch_sg = (estate.instances["batch-1"], estate.private_ips["batch-1"],
                                 estate.security_groups["batch"])
    ec2.start_instances(InstanceIds=[batch])
    # moto's default account is the one collect reads (the policy names no aws.accounts)
    started = put_log("123456789012", [record("create_tags_ignored", "123456789012"),
                                       record("start_instances", "123456789012",
                                              replace={FIXTURE_INSTANCE: batch})])
    routed = put_log("123456789012", [record("create_route", "123456789012")])
    member = put_log(MEMBER, [record("stop_instances")])  # another account of the org trail
    emu.reset_counters()
    event = sqs_event(sns_envelope(s3_event(started)), sns_envelope(s3_event(routed, digest_key(MEMBER))),
                      s3_event(member))
    assert handler(event, Context()) == {"batchItemFailures": []}
    running = emu.running()
    assert batch_ip in addresses(running)
    assert rules_of(running, batch_sg), "the started instance's group has its rule"
    assert commits(emu) == 1, "one reaction for the batch"
    # nothing relevant in the next delivery: no collect, no push
    emu.reset_counters()
    quiet = put_log("123456789012", [record("create_tags_ignored", "123456789012")])
    assert handler(sqs_event(s3_event(quiet)), Context()) == {"batchItemFailures": []}
    assert emu.request_count == 0


def test_the_reaction_collects_only_the_pairs_the_events_name(aws, emu, tmp_path, monkeypatch):
    """After a full read, a batch from us-east-1 reads what it names in us-east-1 only, and one from
    eu-west-1 what it names there: a VPC made meanwhile in eu-west-1 (no event announced it)
    appears once the last full read is FULL_COLLECT_EVERY old (or the aws section changes)."""
    from devtools.seed import policy_for
    from generator.events import handler
    from generator.events.partial_collect import FULL_COLLECT_EVERY, SCOPE_FILE
    from generator.yamlio import load_yaml_file

    estate = seed_estate(aws)
    boto3.client("secretsmanager", region_name=estate.region).create_secret(
        Name=SECRET, SecretString=emu.api_key("automation"))
    base = policy_for(estate, url=emu.url)
    events = {"mode": "push", "work_dir": str(tmp_path / "work"), "api_key_secret": SECRET,
              "trail_buckets": [BUCKET]}
    write_policy(tmp_path, base=base, env=monkeypatch, events=events,
                 aws={"regions": ["us-east-1", "eu-west-1"]})
    state_file = tmp_path / "work" / "state.yaml"

    def eu_vpcs() -> int:  # moto gives every region a default VPC
        return sum(v["region"] == "eu-west-1" for v in load_yaml_file(state_file, "state")["vpcs"])

    def deliver(region: str) -> None:
        key = put_log("123456789012", [record("delete_route", "123456789012", region=region)], region=region)
        assert handler(sqs_event(s3_event(key)), Context()) == {"batchItemFailures": []}

    deliver("us-east-1")  # first run of this environment: everything
    assert eu_vpcs() == 1
    boto3.client("ec2", region_name="eu-west-1").create_vpc(CidrBlock="10.99.0.0/16")
    deliver("us-east-1")
    assert eu_vpcs() == 1, "eu-west-1 was not read again"
    deliver("eu-west-1")  # its route table is read by id: the new VPC no event named stays unseen ...
    assert eu_vpcs() == 1
    scope = json.loads((tmp_path / "work" / SCOPE_FILE).read_text())
    scope["full_collect_at"] -= FULL_COLLECT_EVERY + 1
    (tmp_path / "work" / SCOPE_FILE).write_text(json.dumps(scope))
    deliver("us-east-1")  # ... until the last full read is FULL_COLLECT_EVERY old
    assert eu_vpcs() == 2
    # a changed aws section (another region list) makes the next run read everything again
    boto3.client("ec2", region_name="eu-west-1").create_vpc(CidrBlock="10.98.0.0/16")
    write_policy(tmp_path, base=base, events=events, aws={"regions": ["eu-west-1", "us-east-1"]})
    deliver("us-east-1")
    assert eu_vpcs() == 3


def test_an_instance_started_in_a_member_account_reaches_the_firewall(aws, emu, tmp_path,
                                                                     monkeypatch, caplog):
    """The issue's "done when": the function runs in the security account, the organization
    trail's log file of a member account announces StartInstances, collect assumes the role
    in that member account, and the instance's address reaches the firewall's running config."""
    from devtools.seed import policy_for
    from generator.events import handler

    member_id, role = "444455556666", "arn:aws:iam::444455556666:role/awspan-collect"
    estate = seed_estate(aws)  # the security account's own VPCs and the firewall
    creds = boto3.client("sts", region_name="us-east-1").assume_role(
        RoleArn=role, RoleSessionName="seed")["Credentials"]
    member = boto3.client("ec2", region_name="us-east-1", aws_access_key_id=creds["AccessKeyId"],
                          aws_secret_access_key=creds["SecretAccessKey"],
                          aws_session_token=creds["SessionToken"])
    vpc = member.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnet = member.create_subnet(VpcId=vpc, CidrBlock="10.77.1.0/24")["Subnet"]["SubnetId"]
    # the member's default route leads to the inspection ENI, which the policy counts as the firewall
    eni = member.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
    table = member.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    member.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", NetworkInterfaceId=eni)
    member.associate_route_table(RouteTableId=table, SubnetId=subnet)
    group = member.create_security_group(GroupName="shop", Description="shop", VpcId=vpc)["GroupId"]
    member.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    instance = member.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=subnet,
                                    SecurityGroupIds=[group], PrivateIpAddress="10.77.1.10"
                                    )["Instances"][0]["InstanceId"]
    member.stop_instances(InstanceIds=[instance])

    boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name=SECRET, SecretString=emu.api_key("automation"))
    base = policy_for(estate, url=emu.url)
    write_policy(tmp_path, base=base, env=monkeypatch,
                 events={"mode": "push", "work_dir": str(tmp_path / "work"), "api_key_secret": SECRET,
                          "trail_buckets": [BUCKET]},
                 firewall={"route_targets": sorted([*base["firewall"]["route_targets"], eni])},
                 aws={"accounts": [{"id": "123456789012"}, {"id": member_id, "role_arn": role}]})

    full = handler(sqs_event(s3_event(put_log(member_id, [record("create_route", member_id)]))), Context())
    assert full == {"batchItemFailures": []}
    assert "10.77.1.10" not in addresses(emu.running()), "stopped: not protected yet"

    member.start_instances(InstanceIds=[instance])
    started = put_log(member_id, [record("start_instances", member_id, replace={FIXTURE_INSTANCE: instance})])
    stranger = put_log("777788889999", [record("start_instances", "777788889999")])
    emu.reset_counters()
    with caplog.at_level("INFO"):
        result = handler(sqs_event(sns_envelope(s3_event(started, stranger))), Context())
    assert result == {"batchItemFailures": []}
    assert "10.77.1.10" in addresses(emu.running())
    assert rules_of(emu.running(), group), "the member's group has its rule"
    assert commits(emu) == 1
    assert f"collected only {member_id} us-east-1" in caplog.text
    assert "1 log file(s) of accounts/regions the policy does not collect ignored" in caplog.text
