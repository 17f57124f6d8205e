"""Benchmark of `awspan generate` on a synthetic estate (not a test: it prints, asserts nothing).

Estate: 50,000 instances, 5,000 security groups, 100,000 ingress permissions over 50 VPCs.
Printed: generate's wall time (in-process), the I/O floor (PyYAML's C loader reading the same
state.yaml + lxml writing an XML document of the fragment's size), their ratio, and the peak
RSS of a separate `python -m generator generate` process. Target: ratio <= 1.5, RSS < 2 GiB.

AWSPAN_BENCH_INSTANCES scales the estate down for a quick look (groups and permissions follow).
"""

from __future__ import annotations

import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

import yaml
from lxml import etree

from generator.generate.command import generate
from generator.yamlio import dump_yaml

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"
FW = "i-0f1e2d3c4b5a69780"

POLICY = f"""\
firewall:
  instance_id: {FW}
  route_targets: [vpce-0a1b2c3d4e5f60718]
  location: {{vsys: vsys1}}
rules:
  bottom_rule: clean-up
  from_zone: untrust
  to_zone: trust
  profile_group: strict
  internal_cidrs: [10.0.0.0/8]
  applications: {{tcp/22: ssh}}
aws:
  regions: [us-east-1]
"""


def _hex(n: int, width: int = 17) -> str:
    return format(n, f"0{width}x")


def estate(
    instances: int = 50_000, groups: int = 5_000, permissions: int = 100_000, vpcs: int = 50, seed: int = 7
) -> dict:
    """A deterministic synthetic state: most subnets behind the firewall, a few not, some IPv6."""
    rnd = random.Random(seed)
    ports = [22, 80, 443, 3306, 5432, 8080, 8443, 9000]
    out = []
    per_vpc_inst, per_vpc_sg, per_sg_perm = instances // vpcs, groups // vpcs, permissions // groups
    n_inst = n_sg = n_eni = 0
    for v in range(vpcs):
        vpc_id = f"vpc-{_hex(v)}"
        subnets = [f"subnet-{_hex(v * 100 + s)}" for s in range(8)]
        sgs = []
        for _ in range(per_vpc_sg):
            ingress = []
            for _ in range(per_sg_perm):
                kind = rnd.random()
                if kind < 0.6:
                    lo = rnd.choice(ports)
                    perm = {"protocol": "tcp", "from_port": lo, "to_port": lo}
                elif kind < 0.75:
                    lo = rnd.randrange(1024, 60000)
                    perm = {
                        "protocol": rnd.choice(["tcp", "udp"]),
                        "from_port": lo,
                        "to_port": lo + rnd.randrange(100),
                    }
                elif kind < 0.85:
                    perm = {"protocol": "icmp", "from_port": -1, "to_port": -1}
                else:
                    perm = {"protocol": "all", "from_port": None, "to_port": None}
                src = rnd.random()
                if src < 0.2:
                    cidrs = ["0.0.0.0/0"]
                elif src < 0.3:
                    cidrs = [f"10.{rnd.randrange(256)}.0.0/16"]
                else:
                    cidrs = [
                        f"{rnd.randrange(11, 223)}.{rnd.randrange(256)}.{rnd.randrange(256)}.0/24"
                        for _ in range(rnd.randrange(1, 4))
                    ]
                perm.update(
                    cidrs=sorted(set(cidrs)),
                    ipv6_cidrs=["::/0"] if src < 0.1 else [],
                    prefix_lists=[],
                    groups=[],
                    description=f"rule {rnd.randrange(10**6)}",
                )
                ingress.append(perm)
            sgs.append({"id": f"sg-{_hex(n_sg)}", "name": f"group-{n_sg}", "ingress": ingress})
            n_sg += 1
        insts = []
        for _ in range(per_vpc_inst):
            enis = []
            for _ in range(2 if rnd.random() < 0.1 else 1):
                s = rnd.randrange(8)
                enis.append(
                    {
                        "id": f"eni-{_hex(n_eni)}",
                        "subnet": subnets[s],
                        "private_ips": [f"10.{v}.{n_eni // 250 % 250}.{n_eni % 250 + 1}"],
                        "ipv6_addresses": [f"2600:1f18:{v:x}:{s:x}::{n_eni:x}"] if rnd.random() < 0.2 else [],
                        "public_ip": None,
                        "security_groups": sorted(
                            {rnd.choice(sgs)["id"] for _ in range(rnd.randrange(1, 3))}
                        ),
                    }
                )
                n_eni += 1
            insts.append(
                {
                    "id": f"i-{_hex(n_inst)}",
                    "name": f"host-{n_inst}",
                    "state": "running" if rnd.random() < 0.9 else "stopped",
                    "interfaces": enis,
                }
            )
            n_inst += 1
        out.append(
            {
                "id": vpc_id,
                "account": "111122223333",
                "region": "us-east-1",
                "cidrs": [f"10.{v}.0.0/16", f"2600:1f18:{v:x}::/56"],
                "route_tables": [
                    {
                        "id": f"rtb-{_hex(v * 2)}",
                        "main": True,
                        "subnets": [],
                        "routes": [
                            {"destination": "0.0.0.0/0", "target": FW},
                            {"destination": "::/0", "target": "vpce-0a1b2c3d4e5f60718"},
                        ],
                    },
                    {
                        "id": f"rtb-{_hex(v * 2 + 1)}",
                        "main": False,
                        "subnets": [subnets[7]],
                        "routes": [{"destination": "0.0.0.0/0", "target": "nat-0c3c3c3c3c3c3c3c3"}],
                    },
                ],
                "subnets": [
                    {"id": s, "cidr": f"10.{v}.{i}.0/24", "ipv6_cidr": None} for i, s in enumerate(subnets)
                ],
                "security_groups": sgs,
                "prefix_lists": [],
                "instances": insts,
            }
        )
    return {"version": 1, "vpcs": out}


def main() -> None:
    instances = int(os.environ.get("AWSPAN_BENCH_INSTANCES", "50000"))
    scale = instances / 50_000
    WORK.mkdir(parents=True, exist_ok=True)
    state = WORK / f"state-{instances}.yaml"
    policy = WORK / "policy.yaml"
    policy.write_text(POLICY)
    if not state.exists():
        t = time.perf_counter()
        data = estate(instances, max(50, int(5000 * scale)), max(100, int(100_000 * scale)))
        state.write_text(dump_yaml(data))
        print(
            f"   wrote {state.name} ({state.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s"
        )
    print(f"   estate: {instances:,} instances, state.yaml {state.stat().st_size / 1e6:.1f} MB")

    t = time.perf_counter()
    data, _, counts, _ = generate(str(policy), str(state))
    wall = time.perf_counter() - t
    print(f"   generate: {wall:.2f} s -> {len(data) / 1e6:.1f} MB, {counts}")

    t = time.perf_counter()
    yaml.load(state.read_text(), Loader=yaml.CSafeLoader)  # noqa: S506 - the safe C loader
    load = time.perf_counter() - t
    root = etree.fromstring(data, etree.XMLParser(huge_tree=True))
    out = WORK / "floor.xml"
    t = time.perf_counter()
    out.write_bytes(etree.tostring(root, pretty_print=True))
    write = time.perf_counter() - t
    floor = load + write
    print(f"   I/O floor: {floor:.2f} s (PyYAML C load {load:.2f} s + lxml write {write:.2f} s)")
    print(f"   ratio generate / floor: {wall / floor:.2f} (target <= 1.5)")

    # Peak RSS of a fresh process: VmHWM from /proc (ru_maxrss of a child would also count the
    # memory of this big benchmark process it was forked from).
    t = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _CHILD,
            "generate",
            "--config",
            str(policy),
            "--state",
            str(state),
            "--output",
            str(WORK / "fragment.xml"),
            "--no-rulebase",
        ],
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    sub = time.perf_counter() - t
    hwm = [line.split()[1] for line in proc.stderr.splitlines() if line.startswith("VmHWM")]
    peak = int(hwm[0]) // 1024 if hwm else resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    print(f"   separate process: {sub:.2f} s, peak RSS {peak} MiB (target < 2048 MiB)")


_CHILD = """
import sys
from generator.cli import main
rc = main(sys.argv[1:])
try:
    with open("/proc/self/status") as fh:
        print(*[line.strip() for line in fh if line.startswith("VmHWM")], file=sys.stderr)
except OSError:
    pass
sys.exit(rc)
"""
