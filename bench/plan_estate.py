"""The plan bench's estates, as state.yaml: what `awspan collect` would write for an AWS estate
whose generated fragment holds 20,000 managed rules, before and after a 1 % change.

Two shapes of 20,000 rules (layout group: one rule per security group and port):
- `bench`: 2,000 groups x 10 permissions, 10,000 instances in one group each (5 per group);
- `wide`: 1,000 groups x 20 permissions, 10,000 instances in two groups each (20 per group),
  the shape of issue 25's measurement (6.3 s of CPU for a 1 % change).

The change (1 % of the rules, 1 % of the instances): of every 100 permissions, one gets
another source, one goes, one moves to another port (a rule closed, another opened); of every
100 instances one stops (its groups lose a member: in membership static their rules are
affected, in dynamic it is unregistered). A few permissions per hundred come from a documentation
network that the rulebase snapshot (`snapshot`) already allows, so that generate's
already-allowed check leaves their rules out and precheck.yaml says why.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path
from typing import Any

from lxml import etree

from bench.workdir import work_dir
from generator.collect.normalize import STATE_VERSION
from generator.location import Location

FIREWALL = "i-0f1e2d3c4b5a69780"
# groups, permissions per group, groups per instance
SHAPES = {"bench": (2_000, 10, 1), "wide": (1_000, 20, 2)}
VPCS = 10
PORTS = (22, 80, 443, 3306, 5432, 6379, 8080, 8443, 9000, 9200, 25, 53, 110, 143, 389, 636, 993, 995,
         1433, 1521, 2049, 2379, 5601, 5672, 6443, 7000, 8000, 8081, 8888, 9090, 9092, 9300)
ALLOWED_NET = "198.18.0.0/15"  # the rulebase snapshot's allow rule: benchmarking addresses (RFC 2544)


def policy(url: str, membership: str) -> str:
    return (f"firewall:\n  instance_id: {FIREWALL}\n  url: {url}\n  admin: automation\n"
            "  commit_timeout: 600\n"
            f"rules:\n  bottom_rule: clean-up\n  from_zone: untrust\n  to_zone: trust\n"
            f"  internal_cidrs: [10.0.0.0/8]\n  membership: {membership}\n"
            "aws:\n  regions: [us-east-1]\nsafety:\n  max_delete_percent: 30\n")


def _hex(n: int) -> str:
    return format(n, "017x")


def _ingress(group: int, perms: int, changed: bool) -> list[dict[str, Any]]:
    out = []
    for p in range(perms):
        i = group * perms + p  # the permission's number across the estate
        if changed and i % 100 == 1:
            continue  # a rule closed
        port = PORTS[p]
        if changed and i % 100 == 2:
            port = PORTS[p] + 1  # a rule closed, another opened
        cidrs = [f"{(i // 65536) % 100 + 100}.{i // 256 % 256}.{i % 256}.0/24"]
        if i % 50 == 5:
            cidrs = [f"198.18.{i // 256 % 256}.{i % 256}/32"]  # already allowed by the rulebase
        elif i % 10 == 3:
            cidrs = ["0.0.0.0/0"]
        elif changed and i % 100 == 4:
            cidrs.append("192.0.2.77/32")  # a source added
        out.append({"protocol": "tcp", "from_port": port, "to_port": port, "cidrs": cidrs,
                    "ipv6_cidrs": [], "prefix_lists": [], "groups": [], "description": f"rule {i}"})
    return out


def estate(shape: str, instances: int = 10_000, changed: bool = False, rules: int = 20_000) -> dict[str, Any]:
    """The state for `shape` scaled to `rules` rules and `instances` instances."""
    groups, perms, per_instance = SHAPES[shape]
    groups = max(VPCS, groups * rules // 20_000)
    vpcs, per_vpc_groups, per_vpc_inst = [], groups // VPCS, max(1, instances // VPCS)
    n = 0
    for v in range(VPCS):
        sgs = [{"id": f"sg-{_hex(g)}", "name": f"app-{g}",
                "ingress": _ingress(g, perms, changed)}
               for g in range(v * per_vpc_groups, (v + 1) * per_vpc_groups)]
        insts, enis = [], []
        for k in range(per_vpc_inst):
            first = k % per_vpc_groups
            chosen = [first, (first + 1 + k // per_vpc_groups) % per_vpc_groups][:per_instance]
            stopped = changed and n % 100 == 50
            insts.append({"id": f"i-{_hex(n)}", "name": f"host-{n}",
                          "state": "stopped" if stopped else "running"})
            enis.append({
                "id": f"eni-{_hex(n)}", "subnet": f"subnet-{_hex(v * 4 + k % 4)}", "instance": f"i-{_hex(n)}",
                "status": "in-use", "type": "interface", "requester_managed": False, "requester_id": None,
                "description": None,
                "private_ips": [f"10.{v}.{k % 4 * 64 + k // 4 // 250}.{k // 4 % 250 + 4}"],
                "ipv6_addresses": [], "ipv4_prefixes": [], "ipv6_prefixes": [], "public_ip": None,
                "security_groups": sorted({sgs[c]["id"] for c in chosen}),
            })
            n += 1
        vpcs.append({
            "id": f"vpc-{_hex(v)}", "account": "111122223333", "region": "us-east-1",
            "cidrs": [f"10.{v}.0.0/16"],
            "route_tables": [{"id": f"rtb-{_hex(v)}", "main": True, "subnets": [],
                              "routes": [{"destination": "0.0.0.0/0", "target": FIREWALL},
                                         {"destination": f"10.{v}.0.0/16", "target": "local"}]}],
            "subnets": [{"id": f"subnet-{_hex(v * 4 + s)}", "cidr": f"10.{v}.{s * 64}.0/18",
                         "ipv6_cidr": None} for s in range(4)],
            "security_groups": sgs, "prefix_lists": [], "instances": insts, "interfaces": enis,
        })
    return {"version": STATE_VERSION, "vpcs": vpcs}


def snapshot() -> bytes:
    """rulebase.xml: an admin's rule allowing ALLOWED_NET to anything, above the clean-up rule."""
    root = etree.Element("config")
    node = root
    for tag, name in Location().path_elements():
        node = etree.SubElement(node, tag, name=name) if name else etree.SubElement(node, tag)
    rules = etree.SubElement(etree.SubElement(etree.SubElement(node, "rulebase"), "security"), "rules")
    for name, source, action in (("bench-partners", ALLOWED_NET, "allow"), ("clean-up", "any", "deny")):
        entry = etree.SubElement(rules, "entry", name=name)
        for tag, value in (("from", "any"), ("to", "any"), ("source", source), ("destination", "any"),
                           ("source-user", "any"), ("application", "any"), ("service", "any")):
            etree.SubElement(etree.SubElement(entry, tag), "member").text = value
        etree.SubElement(entry, "action").text = action
    return etree.tostring(root)


def _prepare(shape: str, rules: int, instances: int) -> Path:
    """bench/.work/plan-estate/SHAPE-RULES-INSTANCES/{clean,changed}/: state.yaml, rulebase.xml and
    what `awspan generate` made of them (fragment.xml, precheck.yaml), built once and kept: the
    generates take longer than the plans measured."""
    from generator import pipeline
    from generator.policy import load_policy
    from generator.yamlio import dump_yaml

    base = work_dir("plan-estate", f"{shape}-{rules}-{instances}")
    done = base / "ready"
    if done.is_file():
        return base
    base.mkdir(parents=True, exist_ok=True)
    (base / "rulebase.xml").write_bytes(snapshot())
    (base / "policy-generate.yaml").write_text(policy("https://127.0.0.1:1", "static"))
    gen_policy = load_policy(str(base / "policy-generate.yaml"))
    for side, changed in (("clean", False), ("changed", True)):
        out = base / side
        out.mkdir(exist_ok=True)
        (out / "state.yaml").write_text(dump_yaml(estate(shape, instances, changed, rules)))
        with contextlib.redirect_stderr(io.StringIO()):  # the firewall is no instance of the estate
            pipeline.generate(gen_policy, str(out / "state.yaml"), str(out / "fragment.xml"),
                              rulebase=str(base / "rulebase.xml"))
    done.write_text("")
    return base


def _firewall(base: Path) -> bytes:
    """The emulator's config: the default one, the admin's rule of rulebase.xml, and the clean
    fragment's objects and rules above clean-up (what the last push left)."""
    from bench.plan import install
    from emulator.server import default_config

    loc = Location()
    root = etree.fromstring(default_config())
    vsys = root.xpath(loc.base_xpath)[0]
    rules = vsys.find("rulebase/security/rules")
    admin = etree.fromstring(snapshot()).xpath(loc.base_xpath)[0].find("rulebase/security/rules/entry")
    rules.insert(list(rules).index(rules.find("entry[@name='clean-up']")), admin)
    install(vsys, etree.parse(str(base / "clean" / "fragment.xml")).getroot().xpath(loc.base_xpath)[0])
    return etree.tostring(root)


def run(shape: str = "wide", rules: int = 20_000, instances: int = 10_000) -> None:
    """`awspan plan` as the policy repository's workflow runs it (markdown, --out plan.json, with
    state.yaml and precheck.yaml beside the fragment), clean and after the 1 % change; the
    process's own CPU (bench/plan.py's _run_wait4)."""
    from bench.plan import _run_wait4
    from emulator import EmulatorServer

    base = _prepare(shape, rules, instances)
    with EmulatorServer(config_xml=_firewall(base)) as emu:
        (base / "policy.yaml").write_text(policy(emu.url, "static"))
        env = dict(os.environ, PANOS_API_KEY=emu.api_key("automation"))
        print(f"   issue 25's estate ({shape}): {rules:,} rules, {instances:,} instances, state.yaml "
              f"{(base / 'changed' / 'state.yaml').stat().st_size / 1e6:.1f} MB", flush=True)
        for side in ("clean", "changed"):
            argv = [sys.executable, "-m", "generator", "plan", "--config", str(base / "policy.yaml"),
                    "--fragment", str(base / side / "fragment.xml"), "--format", "markdown",
                    "--detailed-exitcode", "--out", str(base / side / "plan.json")]
            wall, rss, code, _size, cpu = _run_wait4(argv, env)
            label = "clean plan" if side == "clean" else "1 % change"
            size = (base / side / "plan.json").stat().st_size / 1e6
            print(f"   {label:<10}: {cpu:4.2f} s CPU, {wall:5.2f} s wall, peak RSS {rss:4.0f} MiB, "
                  f"exit {code}, plan.json {size:.1f} MB", flush=True)


if __name__ == "__main__":
    run(*sys.argv[1:2])
