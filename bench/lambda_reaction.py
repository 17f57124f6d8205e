"""The Lambda reaction to one event in a 5,000-instance region, end to end on loopback.

A moto server holds the region (the devtools example estate plus `--instances` instances in a
firewall-routed subnet), the PAN-OS emulator plays the firewall, and one StartInstances event
goes through `generator.events.handler` (the public entry point only): classify -> collect the
region -> snapshot -> generate -> plan and push. Printed:
- the handler's import time in a fresh interpreter (goal <= 0.5 s), and as a ratio to
  importing boto3, which any handler that calls AWS pays;
- the reaction's total, and as a ratio to its floor measured in the same run: collecting the
  region alone (reading it from the AWS API at all). moto renders every instance in Python,
  far slower than EC2: read both as upper bounds.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3

from bench.fake_aws import fake_aws_env

INSTANCES = 5_000
BATCH = 500
SECRET = "awspan/panos-api-key"
IMPORT_GOAL_S = 0.5


def _import_seconds(statement: str) -> float:
    """Best of three fresh interpreters: the import time of `statement` alone."""
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    runs = [
        float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)
        for _ in range(3)
    ]
    return min(runs)


def _event(region: str, instance_id: str) -> dict[str, Any]:
    return {
        "version": "0",
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.ec2",
        "region": region,
        "detail": {
            "eventSource": "ec2.amazonaws.com",
            "eventName": "StartInstances",
            "awsRegion": region,
            "requestParameters": {"instancesSet": {"items": [{"instanceId": instance_id}]}},
        },
    }


PER_SUBNET = 32_000
"""Instances per /17 subnet (32,763 usable addresses); more go to /17s of a second VPC block."""


def _subnets(ec2: Any, estate: Any, count: int) -> list[str]:
    """Enough /17 subnets of the prod VPC behind the firewall for `count` instances: 10.0.128.0/17,
    then /17s of 10.100.0.0/16, a block added to the VPC (50,000 instances need two)."""
    cidrs = ["10.0.128.0/17", "10.100.0.0/17", "10.100.128.0/17"][: max(1, -(-count // PER_SUBNET))]
    if len(cidrs) > 1:
        ec2.associate_vpc_cidr_block(VpcId=estate.vpcs["prod"], CidrBlock="10.100.0.0/16")
    subnets = []
    for cidr in cidrs:
        subnet = ec2.create_subnet(VpcId=estate.vpcs["prod"], CidrBlock=cidr)["Subnet"]["SubnetId"]
        ec2.associate_route_table(RouteTableId=estate.route_tables["via-firewall"], SubnetId=subnet)
        subnets.append(subnet)
    return subnets


def _grow(ec2: Any, estate: Any, count: int) -> str:
    """`count` more instances in new subnets of the prod VPC behind the firewall; returns one of them."""
    subnets = _subnets(ec2, estate, count)
    groups = [estate.security_groups["web"], estate.security_groups["app"]]
    first = ""
    for i, start in enumerate(range(0, count, BATCH)):
        n = min(BATCH, count - start)
        made = ec2.run_instances(ImageId="ami-12c6146b", MinCount=n, MaxCount=n,
                                 SubnetId=subnets[start // PER_SUBNET], SecurityGroupIds=[groups[i % 2]])
        first = first or made["Instances"][0]["InstanceId"]
    return first


def main(instances: int | None = None) -> None:
    count = instances or INSTANCES
    handler_import = _import_seconds("from generator.events import handler")
    boto3_import = _import_seconds("import boto3")
    met = "met" if handler_import <= IMPORT_GOAL_S else "NOT met"
    print(
        f"   handler import: {handler_import:.2f} s ({handler_import / boto3_import:.1f}x importing boto3, "
        f"{boto3_import:.2f} s; goal <= {IMPORT_GOAL_S} s: {met})",
        flush=True,
    )
    with fake_aws_env():
        _reaction(count)


def _reaction(count: int) -> None:
    from devtools.moto_server import MotoServer
    from devtools.seed import policy_for, seed_estate
    from emulator import EmulatorServer
    from generator.collect.collector import collect
    from generator.collect.sessions import SessionFactory
    from generator.events import handler
    from generator.policy import load_policy
    from generator.yamlio import dump_yaml

    with MotoServer() as url, EmulatorServer() as emulator, tempfile.TemporaryDirectory() as tmp:
        os.environ["AWS_ENDPOINT_URL"] = str(url)
        started = time.perf_counter()
        estate = seed_estate(str(url))
        ec2 = boto3.client("ec2", region_name=estate.region)
        instance = _grow(ec2, estate, count)
        print(f"   seeded {count:,} instances in {time.perf_counter() - started:.1f} s", flush=True)
        boto3.client("secretsmanager", region_name=estate.region).create_secret(
            Name=SECRET, SecretString=emulator.api_key("automation")
        )
        config = Path(tmp) / "policy.yaml"
        events = {"mode": "push", "work_dir": str(Path(tmp) / "work"), "api_key_secret": SECRET}
        config.write_text(dump_yaml(policy_for(estate, url=emulator.url, events=events)))
        os.environ["AWSPAN_CONFIG"] = str(config)

        started = time.perf_counter()
        collect(load_policy(str(config)), SessionFactory())
        floor = time.perf_counter() - started

        started = time.perf_counter()
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            result = handler(_event(estate.region, instance), None)
        total = time.perf_counter() - started
        print(
            f"   reaction: {result.get('reaction')}; total {total:.2f} s = {total / floor:.1f}x the floor "
            f"(collecting the region alone: {floor:.2f} s)",
            flush=True,
        )
