"""Cross-check: the offline first match equals the PAN-OS emulator's `test security-policy-match`.

Seeded random rulebases (addresses, ranges, nested groups, negation, service groups, predefined
services, applications, zones, rule types, disabled rules) are loaded into the emulator; random
flows are asked over real HTTP (key in the X-PAN-KEY header) and compared with
generator.rulematch.first_match on the same config. Where the offline matcher is not sure (an
fqdn, application-default on a concrete port), it says so and the flow is not compared; the test
asserts that at least a third of the flows (and some hits) are compared, so "unsure" cannot hide
disagreement.
"""

from __future__ import annotations

import random

import pytest
import requests
from lxml import etree

import emulator
from generator.location import Location
from generator.rulematch import Flow, RuleBase, first_match
from tests.rulematch.build import Objects, Rule, config, to_bytes

ZONES = ("untrust", "trust", "dmz")
APPS = ("ssh", "ssl", "web-browsing", "dns", "icmp")
PORTS = (22, 53, 80, 443, 8080, 3306)
SEEDS = (1, 2, 3, 4, 5, 6, 7, 8)
FLOWS_PER_CONFIG = 120
RULES = 40


def _objects(rng: random.Random) -> Objects:
    address = {}
    for i in range(7):
        kind = rng.random()
        base = f"10.{rng.randrange(2)}.{rng.randrange(2)}"
        if kind < 0.55:
            address[f"net{i}"] = (
                "ip-netmask",
                f"{base}.{rng.choice((0, 64, 128))}/{rng.choice((16, 24, 25, 26, 32))}",
            )
        elif kind < 0.9:
            start = rng.randrange(1, 200)
            address[f"net{i}"] = ("ip-range", f"{base}.{start}-{base}.{start + rng.randrange(60)}")
        else:
            address[f"net{i}"] = ("ip-netmask", f"2600:1f18:{rng.randrange(2)}::/64")
    address["net7"] = ("fqdn", "host7.example.net")
    groups = {"g0": ("net0", "net1"), "g1": ("g0", "net2"), "g2": ("g1", "net3", "10.3.3.0/24")}
    services = {
        "s-web": ("tcp", "80,443"),
        "s-alt": ("tcp", "8000-8090"),
        "s-dns": ("udp", "53"),
        "s-ssh": ("tcp", "22"),
        "s-db": ("tcp", "3306,5432"),
    }
    service_groups = {"sg-a": ("s-web", "service-http"), "sg-b": ("sg-a", "s-dns")}
    return Objects(
        address=address,
        groups=groups,
        services=services,
        service_groups=service_groups,
        app_groups={"ag-remote": ("ssh", "ms-rdp")},
    )


def _random_rule(rng: random.Random, i: int, objs: Objects) -> Rule:
    addr_names = [*objs.address, *objs.groups, "10.1.0.0/16", "10.2.2.2", "10.0.0.10-10.0.1.20"]

    def addrs() -> tuple[str, ...]:
        if rng.random() < 0.5:
            return ("any",)
        return tuple(rng.sample(addr_names, rng.randrange(1, 3)))

    services = rng.choice(
        [
            ("any",),
            ("any",),
            ("any",),
            ("s-web",),
            ("s-alt",),
            ("s-dns",),
            ("s-ssh", "s-db"),
            ("sg-b",),
            ("service-https",),
            ("service-http",),
            ("application-default",),
        ]
    )
    apps = rng.choice(
        [
            ("any",),
            ("any",),
            ("any",),
            ("any",),
            ("ssh",),
            ("ssl", "web-browsing"),
            ("dns",),
            ("ag-remote",),
            ("icmp",),
        ]
    )
    return Rule(
        f"r{i}",
        src=addrs(),
        dst=addrs(),
        svc=services,
        app=apps,
        action=rng.choice(["allow", "allow", "deny", "drop", "reset-both"]),
        from_=rng.choice([("any",), ("any",), ("untrust",), ("trust",), ("untrust", "dmz")]),
        to=rng.choice([("any",), ("any",), ("trust",), ("dmz",)]),
        disabled=rng.random() < 0.1,
        negate_source=rng.random() < 0.1,
        negate_destination=rng.random() < 0.1,
        rule_type=rng.choice([None, None, None, "intrazone", "interzone"]),
    )


def _random_flow(rng: random.Random) -> Flow:
    def ip() -> str:
        if rng.random() < 0.1:
            return f"2600:1f18:{rng.randrange(2)}::{rng.randrange(1, 9)}"
        last = rng.choice([0, 1, 5, 10, 20, 63, 64, 127, 128, 200, 255])
        return f"10.{rng.randrange(2)}.{rng.randrange(2)}.{last}"

    app = rng.choice(APPS)
    if app == "icmp":
        protocol, port = "icmp", None
    else:
        protocol, port = rng.choice(["tcp", "tcp", "udp"]), rng.choice(PORTS)
    src, dst = ip(), ip()
    if (":" in src) != (":" in dst):
        dst = src
    return Flow(rng.choice(ZONES), rng.choice(ZONES), src, dst, protocol, port, app)


def _ask(emu: object, key: str, flow: Flow) -> str | None:
    numbers = {"tcp": 6, "udp": 17, "icmp": 1}
    parts = [
        f"<from>{flow.from_zone}</from>",
        f"<to>{flow.to_zone}</to>",
        f"<source>{flow.source}</source>",
        f"<destination>{flow.destination}</destination>",
        f"<protocol>{numbers[str(flow.protocol)]}</protocol>",
        f"<application>{flow.application}</application>",
    ]
    if flow.port is not None:
        parts.append(f"<destination-port>{flow.port}</destination-port>")
    cmd = f"<test><security-policy-match>{''.join(parts)}</security-policy-match></test>"
    reply = requests.post(
        f"{emu.url}/api/", data={"type": "op", "cmd": cmd}, headers={"X-PAN-KEY": key}, timeout=30
    )
    reply.raise_for_status()
    root = etree.fromstring(reply.content)
    assert root.get("status") == "success", reply.text
    entry = root.find("result/rules/entry")
    return None if entry is None else entry.get("name")


@pytest.mark.parametrize("seed", SEEDS)
def test_offline_first_match_agrees_with_the_emulator(seed: int) -> None:
    rng = random.Random(seed)
    objs = _objects(rng)
    rules = [_random_rule(rng, i, objs) for i in range(RULES)]
    root = config(rules, objs, bottom=None)
    rulebase = RuleBase(root, f"seed-{seed}")
    compared = hits = 0
    with emulator.EmulatorServer(config_xml=to_bytes(root)) as emu:
        key = emu.api_key("admin")
        for _ in range(FLOWS_PER_CONFIG):
            flow = _random_flow(rng)
            offline = first_match(rulebase, flow, location=Location())
            if not offline.certain:
                continue
            assert offline.rule == _ask(emu, key, flow), f"{flow} (offline: {offline})"
            compared += 1
            hits += offline.rule is not None
    assert compared >= FLOWS_PER_CONFIG // 3, f"only {compared} of {FLOWS_PER_CONFIG} flows were comparable"
    assert hits >= 5, "too few flows hit a rule for the comparison to mean much"
