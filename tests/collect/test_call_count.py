"""API calls grow with pages, never with instances, interfaces or groups (counted with botocore event
hooks)."""

from __future__ import annotations

import math
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pytest

from generator.collect.collector import collect
from generator.collect.read_ec2 import PAGE_SIZES
from generator.collect.sessions import SessionFactory
from generator.policy import load_policy
from tests.collect.estate import AMI
from tests.policies import write_policy

INSTANCES = 2000
GROUPS = 500
BATCH = 250  # run_instances MaxCount per call: quick to seed, several reservations


class CallCounter:
    """A `before-call` hook: counts every AWS operation a session makes (thread-safe)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.calls[model.name] += 1

    def factory(self) -> SessionFactory:
        return SessionFactory(hooks=(("before-call", self),))


def _seed(ec2: Any) -> tuple[str, list[str]]:
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/20")["Subnet"]["SubnetId"]
    pl = ec2.create_managed_prefix_list(PrefixListName="office", MaxEntries=2, AddressFamily="IPv4",
                                        Entries=[{"Cidr": "198.51.100.0/24"}])["PrefixList"]["PrefixListId"]
    groups = []
    for n in range(GROUPS):
        sg = ec2.create_security_group(GroupName=f"g{n}", Description="x", VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 1000 + n, "ToPort": 1000 + n,
            "IpRanges": [{"CidrIp": f"203.0.{n % 256}.0/24"}], "PrefixListIds": [{"PrefixListId": pl}]}])
        groups.append(sg)
    for start in range(0, INSTANCES, BATCH):
        ec2.run_instances(ImageId=AMI, MinCount=BATCH, MaxCount=BATCH, SubnetId=subnet,
                          SecurityGroupIds=[groups[(start // BATCH) % GROUPS]])
    return vpc, groups


@pytest.mark.slow  # ~15 s, nearly all of it moto rendering 2,000 instances as XML
def test_describe_calls_are_bounded_by_pages(mocked: None, tmp_path: Path) -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    policy = load_policy(write_policy(tmp_path))

    small = CallCounter()
    collect(policy, small.factory())  # moto's default VPC only

    vpc_id, groups = _seed(ec2)
    big = CallCounter()
    state = collect(policy, big.factory())

    vpc = next(v for v in state["vpcs"] if v["id"] == vpc_id)
    assert len(vpc["instances"]) == INSTANCES
    assert len(vpc["interfaces"]) == INSTANCES
    assert len(vpc["security_groups"]) == GROUPS + 1  # + the VPC's default group
    assert vpc["prefix_lists"][0]["cidrs"] == ["198.51.100.0/24"]

    objects = {  # what the region holds, per operation that lists it
        "DescribeVpcs": 2, "DescribeSubnets": 7, "DescribeRouteTables": 2,
        "DescribeSecurityGroups": GROUPS + 2, "DescribeInstances": INSTANCES,
        "DescribeNetworkInterfaces": INSTANCES,  # each instance's primary interface
        "DescribeManagedPrefixLists": 1, "GetManagedPrefixListEntries": 1,
    }
    for operation, count in objects.items():
        bound = math.ceil(count / PAGE_SIZES[operation])
        assert 1 <= big.calls[operation] <= bound, (operation, big.calls[operation], bound)
    # one STS identity call; nothing per instance or per group, no operation outside the list
    assert set(big.calls) == set(objects) | {"GetCallerIdentity"}
    assert big.calls["GetCallerIdentity"] == 1
    assert sum(big.calls.values()) <= sum(math.ceil(c / PAGE_SIZES[op]) for op, c in objects.items()) + 1
    # 2,000 instances and 500 groups cost no more describe calls than an empty account, beyond
    # the prefix-list reads that only exist because a group references a list
    grew = {op: big.calls[op] - small.calls[op] for op in big.calls if big.calls[op] != small.calls[op]}
    assert grew == {"DescribeManagedPrefixLists": 1, "GetManagedPrefixListEntries": 1}
