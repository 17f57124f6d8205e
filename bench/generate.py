"""Benchmark of `awspan generate` on a synthetic estate (not a test: it prints, asserts nothing).

Estate: 50,000 instances, 5,000 security groups, 100,000 ingress permissions over 50 VPCs
(`--instances N` scales it; groups and permissions follow). Each figure is printed as a ratio
to its floor measured in the same run, so a loaded machine slows both alike, and each is the
median of REPEATS runs with the floor's and generate's interleaved:
- floor: yaml_rs loading the state (the fastest way to read the input at all) + lxml
  serialising the produced fragment (the fastest way to write the output), in a fresh process
  as generate runs in one;
- generate as a user runs it (`awspan generate`, a separate process, default install):
  goal <= 2.5x the floor; with a 5,000-rule rulebase snapshot (the already-allowed check):
  goal <= 3x; the peak RSS of each process: goal < 1 GiB.
`--profile` also times each step in this process (docs/performance.md has the figures).
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.workdir import work_dir
from generator.collect.normalize import STATE_VERSION
from generator.yamlio import dump_yaml

ROOT = Path(__file__).resolve().parent.parent
WORK = work_dir()
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
        insts, enis = [], []
        for _ in range(per_vpc_inst):
            inst_id = f"i-{_hex(n_inst)}"
            for _ in range(2 if rnd.random() < 0.1 else 1):
                s = rnd.randrange(8)
                enis.append(
                    {
                        "id": f"eni-{_hex(n_eni)}",
                        "subnet": subnets[s],
                        "instance": inst_id,
                        "status": "in-use",
                        "type": "interface",
                        "requester_managed": False,
                        "requester_id": None,
                        "description": None,
                        "private_ips": [f"10.{v}.{n_eni // 250 % 250}.{n_eni % 250 + 1}"],
                        "ipv6_addresses": [f"2600:1f18:{v:x}:{s:x}::{n_eni:x}"] if rnd.random() < 0.2 else [],
                        "ipv4_prefixes": [],
                        "ipv6_prefixes": [],
                        "public_ip": None,
                        "security_groups": sorted(
                            {rnd.choice(sgs)["id"] for _ in range(rnd.randrange(1, 3))}
                        ),
                    }
                )
                n_eni += 1
            insts.append(
                {
                    "id": inst_id,
                    "name": f"host-{n_inst}",
                    "state": "running" if rnd.random() < 0.9 else "stopped",
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
                "interfaces": enis,
            }
        )
    return {"version": STATE_VERSION, "vpcs": out}


GOALS = {"plain": 2.5, "rulebase": 3.0}
RSS_GOAL_MIB = 1024


def prepare(instances: int) -> tuple[Path, Path, Path]:
    """The estate's state.yaml, policy.yaml and a 5,000-rule rulebase.xml (cached in the work dir)."""
    scale = instances / 50_000
    WORK.mkdir(parents=True, exist_ok=True)
    state = WORK / f"state-v{STATE_VERSION}-{instances}.yaml"
    policy = WORK / "policy.yaml"
    policy.write_text(POLICY)
    if not state.exists():
        t = time.perf_counter()
        data = estate(instances, max(50, int(5000 * scale)), max(100, int(100_000 * scale)))
        state.write_text(dump_yaml(data))
        print(
            f"   wrote {state.name} ({state.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s"
        )
    from bench.rulematch import FIREWALL_RULES, SEED, build_snapshot

    rulebase = WORK / f"rulebase-{FIREWALL_RULES}.xml"
    if not rulebase.exists():

        rulebase.write_bytes(build_snapshot(random.Random(SEED), []))
    return state, policy, rulebase


def floor(state: Path, fragment: Path) -> tuple[float, float]:
    """(yaml_rs load of the state, lxml serialisation of the fragment), in seconds, measured in a
    fresh process as generate is: a process that grows to hundreds of MB pays for every page it
    touches the first time, and the floor must pay what generate pays."""
    proc = subprocess.run(
        [sys.executable, "-c", _FLOOR_CHILD, str(state), str(fragment), str(WORK / "floor.xml")],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    load, write = proc.stdout.split()
    return float(load), float(write)


_FLOOR_CHILD = """
import sys, time
import yaml_rs
from lxml import etree
state, fragment, out = sys.argv[1:]
with open(state, encoding="utf-8") as fh:
    text = fh.read()
t = time.perf_counter()
yaml_rs.loads(text, parse_datetime=False)
load = time.perf_counter() - t
del text
root = etree.parse(fragment, etree.XMLParser(huge_tree=True, remove_blank_text=True)).getroot()
t = time.perf_counter()
with open(out, "wb") as fh:
    fh.write(etree.tostring(root, pretty_print=True))
print(load, time.perf_counter() - t)
"""


def run_generate(state: Path, policy: Path, out: Path, rulebase: Path | None) -> tuple[float, int, str]:
    """`awspan generate` in a fresh process: (its wall time around cli.main, peak RSS in MiB, stderr)."""
    argv = ["generate", "--config", str(policy), "--state", str(state), "--output", str(out)]
    argv += ["--rulebase", str(rulebase)] if rulebase else ["--no-rulebase"]
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, *argv], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"generate failed: {proc.stderr.strip()[-2000:]}")
    figures = dict(line.split(None, 1) for line in proc.stderr.splitlines() if line.startswith("BENCH_"))
    return float(figures["BENCH_WALL"]), int(figures["BENCH_HWM_KB"]) // 1024, proc.stderr


def _verdict(ratio: float, goal: float) -> str:
    return f"goal <= {goal}x: {'met' if ratio <= goal else 'NOT met'}"


REPEATS = 3
"""Each figure is the median of this many runs, the floor's and generate's interleaved, so that a
burst of load on the shared machine moves one run of each rather than a whole figure."""


def main(instances: int | None = None, profile: bool = False) -> None:
    instances = instances or int(os.environ.get("AWSPAN_BENCH_INSTANCES", "50000"))
    state, policy, rulebase = prepare(instances)
    print(f"   estate: {instances:,} instances, state.yaml {state.stat().st_size / 1e6:.1f} MB")
    runs: dict[str, list[tuple[float, int]]] = {"plain": [], "rulebase": []}
    floors: list[tuple[float, float]] = []
    summaries = {}
    for _ in range(REPEATS):
        for name, rb in (("plain", None), ("rulebase", rulebase)):
            out = WORK / f"fragment-{name}.xml"
            wall, peak, err = run_generate(state, policy, out, rb)
            runs[name].append((wall, peak))
            summaries[name] = next((line for line in err.splitlines() if line.startswith("wrote ")), "")
        floors.append(floor(state, WORK / "fragment-plain.xml"))
    load = statistics.median(f[0] for f in floors)
    write = statistics.median(f[1] for f in floors)
    base = statistics.median(f[0] + f[1] for f in floors)
    for name, figures in runs.items():
        walls = ", ".join(f"{w:.2f}" for w, _ in figures)
        print(f"   generate ({name}): {walls} s, peak RSS {max(p for _, p in figures)} MiB; "
              f"{summaries[name].split(': ', 1)[-1]}")
    print(f"   floor: {base:.2f} s (median of {REPEATS}: yaml_rs load {load:.2f} s + lxml serialisation "
          f"{write:.2f} s, each in a fresh process)")
    for name, figures in runs.items():
        wall = statistics.median(w for w, _ in figures)
        peak = max(p for _, p in figures)
        rules = int(rulebase.stem.split("-")[-1])
        label = "generate" if name == "plain" else f"generate with a {rules:,}-rule rulebase"
        print(
            f"   {label}: median {wall:.2f} s = {wall / base:.2f}x the floor "
            f"({_verdict(wall / base, GOALS[name])}); "
            f"peak RSS {peak} MiB (goal < {RSS_GOAL_MIB} MiB: {'met' if peak < RSS_GOAL_MIB else 'NOT met'})"
        )
    if profile:
        from bench.profile import profile_steps

        for name, rb in (("plain", None), ("rulebase", rulebase)):
            steps = profile_steps(state, policy, rb)
            print(f"   steps ({name}): " + ", ".join(f"{k} {v:.2f} s" for k, v in steps.items()))


_CHILD = """
import sys, time
from generator.cli.main import main
t = time.perf_counter()
rc = main(sys.argv[1:])
print("BENCH_WALL", time.perf_counter() - t, file=sys.stderr)
with open("/proc/self/status") as fh:
    print(*["BENCH_HWM_KB " + line.split()[1] for line in fh if line.startswith("VmHWM")], file=sys.stderr)
sys.exit(rc)
"""
