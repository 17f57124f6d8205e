"""Collect an estate of 10,000 instances from a moto server: API calls by operation, wall time.

The server is a real subprocess on 127.0.0.1 (devtools.moto_server), so the
figures include HTTP, moto's XML rendering and botocore's parsing. moto is much slower
than EC2 per object (it renders the XML of every instance in Python, and botocore parses
it), so read the wall time as an upper bound; the call counts are what carries over to
AWS (they grow with pages, not with objects). moto pages DescribeInstances by
reservation, so its 10,000 instances in 20 reservations come back in one page; EC2 would
send ceil(10,000 / 1,000) = 10.

`AWSPAN_BENCH_INSTANCES=2000 python -m bench collect` runs a smaller estate.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import boto3

from bench.fake_aws import fake_aws_env
from devtools.moto_server import MotoServer
from generator.collect.collector import collect
from generator.collect.sessions import SessionFactory
from generator.collect.step import state_bytes
from generator.policy import parse_policy

INSTANCES = int(os.environ.get("AWSPAN_BENCH_INSTANCES", "10000"))
GROUPS = 200
BATCH = 500
AMI = "ami-12c6146b"


def seed(ec2: Any) -> None:
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{n * 64}.0/18")["Subnet"]["SubnetId"]
               for n in range(4)]
    pl = ec2.create_managed_prefix_list(PrefixListName="office", MaxEntries=4, AddressFamily="IPv4",
                                        Entries=[{"Cidr": "198.51.100.0/24"}])["PrefixList"]["PrefixListId"]
    groups = []
    for n in range(GROUPS):
        sg = ec2.create_security_group(GroupName=f"app-{n}", Description="bench", VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
             "PrefixListIds": [{"PrefixListId": pl}]},
            {"IpProtocol": "tcp", "FromPort": 8000 + n, "ToPort": 8000 + n,
             "IpRanges": [{"CidrIp": f"203.0.{n % 256}.0/24", "Description": f"partner {n}"}]},
        ])
        groups.append(sg)
    for i, start in enumerate(range(0, INSTANCES, BATCH)):
        count = min(BATCH, INSTANCES - start)
        ec2.run_instances(ImageId=AMI, MinCount=count, MaxCount=count, SubnetId=subnets[i % len(subnets)],
                          SecurityGroupIds=[groups[i % GROUPS], groups[(i + 1) % GROUPS]])


def main() -> None:
    with fake_aws_env():  # fake credentials for this bench only
        run()


def run() -> None:
    policy = parse_policy({
        "firewall": {"instance_id": "i-0123456789abcdef0"},
        "rules": {"bottom_rule": "clean-up", "from_zone": "untrust", "to_zone": "trust"},
        "aws": {"regions": ["us-east-1"]},
    }, "bench-policy")
    calls: Counter[str] = Counter()
    lock = threading.Lock()

    def count(model: Any, **_: Any) -> None:
        with lock:
            calls[model.name] += 1

    with MotoServer() as url:
        started = time.perf_counter()
        seed(boto3.client("ec2", region_name="us-east-1", endpoint_url=url))
        print(f"   seeded {INSTANCES:,} instances, {GROUPS} groups in {time.perf_counter() - started:.1f} s",
              flush=True)

        started = time.perf_counter()
        state = collect(policy, SessionFactory(endpoint_url=url, hooks=(("before-call", count),)))
        read_s = time.perf_counter() - started
        started = time.perf_counter()
        data = state_bytes(state)
        dump_s = time.perf_counter() - started
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            (Path(tmp) / "state.yaml").write_bytes(data)
            write_s = time.perf_counter() - started

    instances = sum(len(v["instances"]) for v in state["vpcs"])
    print(f"   collected {instances:,} instances: read+normalize {read_s:.1f} s, "
          f"YAML dump {dump_s:.1f} s ({len(data) / 1e6:.1f} MB), write {write_s:.2f} s", flush=True)
    print(f"   API calls: {sum(calls.values())} in total", flush=True)
    for operation, n in sorted(calls.items()):
        print(f"     {operation:32s} {n:5d}", flush=True)
