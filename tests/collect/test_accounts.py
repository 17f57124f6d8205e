"""Several accounts: the default chain plus a role assumed through STS (moto maps the role's
temporary keys to the role's account, so each account sees only its own resources)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import boto3
import pytest

from generator.collect.collector import collect
from generator.collect.sessions import SessionFactory
from generator.policy import load_policy
from tests.collect.estate import build_estate
from tests.policies import write_policy

SPOKE = "111111111111"
ROLE = f"arn:aws:iam::{SPOKE}:role/awspan-collect"


@pytest.mark.slow
def test_assume_role_per_account_and_regions_per_account(mocked: None, tmp_path: Path) -> None:
    creds = boto3.client("sts", region_name="us-east-1").assume_role(
        RoleArn=ROLE, RoleSessionName="seed")["Credentials"]
    spoke = boto3.client(
        "ec2", region_name="eu-west-1", aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"],
    )
    spoke_ids = build_estate(spoke, "eu-west-1")
    hub_ids = build_estate(boto3.client("ec2", region_name="us-east-1"))

    seen: list[dict[str, Any]] = []

    def record_assume_role(params: dict[str, Any], **_: Any) -> None:
        seen.append(dict(params))

    policy = load_policy(write_policy(tmp_path, aws={"regions": ["us-east-1"], "accounts": [
        {"id": "123456789012"},
        {"id": SPOKE, "role_arn": ROLE, "external_id": "awspan-ext", "regions": ["eu-west-1"]},
    ]}))
    hook = ("provide-client-params.sts.AssumeRole", record_assume_role)
    state = collect(policy, SessionFactory(hooks=(hook,)))

    by_id = {v["id"]: v for v in state["vpcs"]}
    spoke_vpc, hub_vpc = by_id[spoke_ids["vpc"]], by_id[hub_ids["vpc"]]
    assert (spoke_vpc["account"], spoke_vpc["region"]) == (SPOKE, "eu-west-1")
    assert (hub_vpc["account"], hub_vpc["region"]) == ("123456789012", "us-east-1")
    assert {(v["account"], v["region"]) for v in state["vpcs"]} == {(SPOKE, "eu-west-1"),
                                                                   ("123456789012", "us-east-1")}
    spoke_instances = {i["id"] for i in spoke_vpc["instances"]}
    assert spoke_ids["i_web"] in spoke_instances and hub_ids["i_web"] not in spoke_instances
    assert seen == [{"RoleArn": ROLE, "RoleSessionName": "awspan-collect", "ExternalId": "awspan-ext"}]


def test_pairs_run_on_a_pool_bounded_by_max_workers(mocked: None, tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    regions = ["us-east-1", "us-east-2", "us-west-2"]
    threads: set[str] = set()

    def record_thread(**_: Any) -> None:
        threads.add(threading.current_thread().name)

    policy = load_policy(write_policy(tmp_path, aws={"regions": regions, "max_workers": 2}))
    with caplog.at_level(logging.INFO, logger="generator.collect"):
        state = collect(policy, SessionFactory(hooks=(("before-call.ec2", record_thread),)))
    assert {v["region"] for v in state["vpcs"]} == set(regions)  # moto's default VPC in each
    assert 1 <= len(threads) <= 2 and all(t.startswith("awspan-collect") for t in threads)
    progress = [r.getMessage() for r in caplog.records if r.name.startswith("generator.collect")]
    # from the first second: the pairs to read, then each pair as it starts and as it ends, with counts
    assert progress[0] == "collect: 3 account/region pairs in 1 account (2 at a time)"
    started = [line.split(":")[0] for line in progress if line.endswith(
        ": reading VPCs, subnets, route tables, security groups, network interfaces, instances")]
    done = [line.split(":")[0] for line in progress if ": 1 VPC, " in line and "security group" in line]
    assert sorted(started) == sorted(done) == sorted(f"123456789012 {r}" for r in regions)
