"""Event -> enforced against the region's size (issue 25): what one CloudTrail event costs.

For each region size (200 and 5,000 instances; `--instances N`: N alone, e.g. 50000), a moto server
behind a counting proxy (bench/awsproxy.py: every AWS call and the bytes AWS answered, on the
wire) holds the devtools example estate plus N instances in a firewall-routed subnet, the PAN-OS
emulator plays the firewall, and events go through `generator.events.handler` with
`membership: dynamic`, `events.mode: push`:
1. a StopInstances with no state yet: the full collect and push (the baseline);
2. a StartInstances and 3. a StopInstances of the same instance: read by id, User-ID delta only;
4. an AuthorizeSecurityGroupIngress: the group read by id, then the full push (snapshot, plan, batch,
   commit).
Printed per reaction: AWS calls (by operation), bytes AWS answered, firewall requests, wall time,
and the wall time less the time spent waiting for moto's answers (the proxy measures it): moto
filters a read by id by walking every instance it holds, a cost that grows with the region in
moto and not in EC2, so the second figure is the reaction's own. Then the one structure of the
estate's size that a dynamic start/stop touches, the index of the last push, at 200, 5,000 and
50,000 instances (seeding moto with 50,000 took 29 minutes, and moto then answers the full collect's
one page of 50,000 instances slower than botocore's 60 s read timeout).

moto answers DescribeInstances (and the other Describe calls collect makes) in one page whatever
its size, where EC2 pages at 1,000 instances: a full collect on EC2 makes ~N/1,000 calls more than
counted here (the bytes are the same). The reads by id ask for a few ids: one page on both.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3

from bench.awsproxy import CountingProxy
from bench.fake_aws import fake_aws_env
from bench.lambda_reaction import SECRET, _grow

SIZES = (200, 5_000)


def _event(region: str, name: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"version": "0", "detail-type": "AWS API Call via CloudTrail", "source": "aws.ec2",
            "region": region, "detail": {"eventSource": "ec2.amazonaws.com", "eventName": name,
                                         "awsRegion": region, "requestParameters": request}}


def _instances(instance: str) -> dict[str, Any]:
    return {"instancesSet": {"items": [{"instanceId": instance}]}}


def main(instances: int | None = None) -> None:
    sizes = (instances,) if instances else SIZES
    print("   instances | reaction                      | AWS calls | AWS answered | firewall requests "
          "| wall   | without moto", flush=True)
    for size in sizes:
        with fake_aws_env():
            _one_size(size)
    _index_scaling((*SIZES, 50_000))


def _index_scaling(sizes: tuple[int, ...]) -> None:
    """The one structure of the estate's size a dynamic start/stop touches: the index of the last push
    (generator.events.fastindex). Its open, lookup of one instance and settle, per index size, beside
    the time to write it (the full push's share); 50,000 instances without seeding moto with them."""
    from generator.events.fastindex import FastIndex, Row, write_index

    def rows(n: int) -> Any:
        for i in range(n):
            ip, inst = f"10.{i >> 16}.{(i >> 8) & 255}.{i & 255}", f"i-{i:017x}"
            eni = {"id": f"eni-{i:017x}", "subnet": "subnet-1", "instance": inst, "status": "in-use",
                   "private_ips": [ip], "public_ip": None, "security_groups": ["sg-1", "sg-2"]}
            yield inst, Row(["111122223333", "us-east-1", "vpc-1"], {"id": inst, "name": f"web-{i}",
                            "state": "running"}, [eni], {ip: ["awspan.sg-1", "awspan.sg-2"]}, None)

    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            write_index(Path(tmp), rows(n), "bench", n)
            written = time.perf_counter() - started
            started = time.perf_counter()
            index = FastIndex.open(Path(tmp))
            assert index is not None
            found = index.rows([f"i-{n // 2:017x}"])
            index.unsettle()
            index.settle(found, n)
            index.close()
            served = time.perf_counter() - started
        print(f"   index of {n:>6,} instances: open, look up one, settle {served * 1000:4.1f} ms "
              f"(written by the full push in {written:.2f} s)", flush=True)


def _one_size(count: int) -> None:
    from devtools.moto_server import MotoServer
    from emulator import EmulatorServer

    os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
    with MotoServer() as moto, EmulatorServer() as emulator, tempfile.TemporaryDirectory() as tmp:
        proxy = CountingProxy(str(moto))
        with proxy as url:
            _reactions(count, url, proxy, emulator, Path(tmp))


def _reactions(count: int, url: str, proxy: CountingProxy, emulator: Any, tmp: Path) -> None:
    from devtools.seed import policy_for, seed_estate
    from generator.events import handler
    from generator.yamlio import dump_yaml

    os.environ["AWS_ENDPOINT_URL"] = url
    started = time.perf_counter()
    estate = seed_estate(url)
    ec2 = boto3.client("ec2", region_name=estate.region)
    instance = _grow(ec2, estate, count - len(estate.instances))
    boto3.client("secretsmanager", region_name=estate.region).create_secret(
        Name=SECRET, SecretString=emulator.api_key("automation"))
    config = tmp / "policy.yaml"
    doc = policy_for(estate, url=emulator.url, events={
        "mode": "push", "work_dir": str(tmp / "work"), "api_key_secret": SECRET})
    doc["rules"]["membership"] = "dynamic"
    config.write_text(dump_yaml(doc))
    os.environ["AWSPAN_CONFIG"] = str(config)
    print(f"   ({count:,} instances seeded in {time.perf_counter() - started:.0f} s)", flush=True)
    group = estate.security_groups["web"]
    steps = [
        ("stop, no state yet (full)", lambda: ec2.stop_instances(InstanceIds=[instance]),
         _event(estate.region, "StopInstances", _instances(instance))),
        ("start (dynamic fast path)", lambda: ec2.start_instances(InstanceIds=[instance]),
         _event(estate.region, "StartInstances", _instances(instance))),
        ("stop (dynamic fast path)", lambda: ec2.stop_instances(InstanceIds=[instance]),
         _event(estate.region, "StopInstances", _instances(instance))),
        ("group rule added (by id, push)", lambda: ec2.authorize_security_group_ingress(
            GroupId=group, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 8081, "ToPort": 8081,
                                           "IpRanges": [{"CidrIp": "198.51.100.0/24"}]}]),
         _event(estate.region, "AuthorizeSecurityGroupIngress", {"groupId": group})),
    ]
    for label, change, event in steps:
        change()
        proxy.reset()
        emulator.reset_counters()
        started = time.perf_counter()
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            result = handler(event, None)
        wall = time.perf_counter() - started
        calls = ", ".join(f"{op} {n}" for op, n in sorted(proxy.calls.items()))
        print(f"   {count:>9,} | {label:<29} | {sum(proxy.calls.values()):>9} | "
              f"{proxy.answered / 1024:>8.0f} KiB | {emulator.request_count:>17} | {wall:5.2f} s "
              f"| {wall - proxy.waited:5.2f} s [{result.get('reaction')}; {calls}]", flush=True)
