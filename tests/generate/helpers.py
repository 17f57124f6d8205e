"""Shared pieces of the generate tests: paths, running the CLI, and the independent oracle.

The oracle (`expected_pairs`) computes what the firewall must allow straight from state.yaml
and the policy, with none of generator.generate's code: its own route-table walk, its own
netaddr containment, its own protocol table. `fragment_pairs` flattens a fragment's rules
back to the same shape by resolving every object. Both give {(destination, service): IPSet of
sources}, a destination being an address or a delegated prefix (CIDR); the semantic tests
compare them.
"""

from __future__ import annotations

import copy
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

import netaddr
import pytest
from lxml import etree

from generator.cli.main import main as cli_main
from generator.generate.membership import to_dynamic
from generator.generate.model import build, build_fragment
from generator.generate.render import render_fragment
from generator.generate.state import parse_state
from generator.policy import Policy, parse_policy
from generator.yamlio import load_yaml_file
from tests.policies import example_policy

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
POLICY = EXAMPLES / "policy.yaml"
STATE = EXAMPLES / "state.yaml"
GOLDEN = EXAMPLES / "out" / "fragment.xml"
BUILTIN_TEMPLATE = ROOT / "templates" / "fragment.xml.j2"


def compare_golden(actual: bytes, golden: Path) -> None:
    """Fail unless `actual` is byte-for-byte the golden file; on a mismatch (or no golden yet) the
    output is written beside it as *.actual, with the command that accepts it."""
    side = golden.with_name(golden.name + ".actual")
    if not golden.is_file() or actual != golden.read_bytes():
        side.write_bytes(actual)
        pytest.fail(
            f"{golden} differs from generate's output, written to {side}. Review the diff; "
            f"if the change is intended, accept it with: mv {side} {golden}"
        )
    side.unlink(missing_ok=True)


def fast_loader_required() -> bool:
    """True where the install rule (the yaml-rs dependency's environment marker) says the fast YAML
    loader must be installed: there a missing yaml_rs is a failure, not a reason to skip."""
    from importlib import metadata

    from packaging.requirements import Requirement

    wanted = [r for r in map(Requirement, metadata.requires("awspan") or []) if r.name == "yaml-rs"]
    return any(r.marker is None or r.marker.evaluate({"extra": ""}) for r in wanted)


def run_cli(capsys: Any, *argv: str) -> tuple[int, str, str]:
    rc = cli_main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def generate_argv(out: Path, *extra: str, policy: Path = POLICY, state: Path = STATE) -> list[str]:
    """The arguments of `awspan generate` writing `out` (the examples unless told otherwise)."""
    return ["generate", "--config", str(policy), "--state", str(state), "--output", str(out), *extra]


def generate_cli(
    capsys: Any, out: Path, *extra: str, policy: Path = POLICY, state: Path = STATE
) -> tuple[int, str, str]:
    """Run `awspan generate` in-process (see generate_argv); returns (exit code, stdout, stderr)."""
    return run_cli(capsys, *generate_argv(out, *extra, policy=policy, state=state))


def site_templates(tmp_path: Path, fragment: str | None) -> Path:
    """A --templates directory under tmp_path whose fragment.xml.j2 is `fragment` (absent if None)."""
    custom = tmp_path / "tpl"
    custom.mkdir(exist_ok=True)
    if fragment is not None:
        (custom / "fragment.xml.j2").write_text(fragment)
    return custom


def example_state_data() -> dict[str, Any]:
    return load_yaml_file(STATE, "state")


def generate_dynamic(state: dict[str, Any], policy: Policy) -> tuple[bytes, dict[str, list[str]]]:
    """The pure pipeline with membership dynamic: (fragment bytes, registrations ip -> tags)."""
    built = build(parse_state(copy.deepcopy(state)), policy)
    fragment, regs = to_dynamic(built, policy.rules.tag)
    data, _ = render_fragment(fragment)
    return data, {e.ip: list(e.tags) for e in regs.entries}


def generate_bytes(state: dict[str, Any], policy: Policy) -> bytes:
    """The pure pipeline on in-memory data (the state is copied: parse_state normalizes in place)."""
    fragment = build_fragment(parse_state(copy.deepcopy(state)), policy)
    data, _ = render_fragment(fragment)
    return data


def shuffle_lists(data: Any, rnd: random.Random) -> Any:
    """Every list at every depth in a random order (ids and values stay the same)."""
    if isinstance(data, dict):
        return {k: shuffle_lists(v, rnd) for k, v in data.items()}
    if isinstance(data, list):
        items = [shuffle_lists(v, rnd) for v in data]
        rnd.shuffle(items)
        return items
    return data


# -- the oracle ---------------------------------------------------------------------------------


ALL_ICMP = {"icmp": ("icmp", "ping"), "icmpv6": ("ipv6-icmp", "ping")}
"""PAN-OS names echo `ping` apart from `icmp`; never `traceroute` (its defaults open UDP)."""
ECHO = {"icmp": 8, "icmpv6": 128}


def _service_keys(perm: dict[str, Any], apps: dict[str, str]) -> list[tuple[Any, ...]]:
    proto = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "-1": "all"}.get(
        perm["protocol"], perm["protocol"]
    )
    if proto == "all":
        return [("any",)]
    if proto in ("tcp", "udp"):
        lo, hi = perm["from_port"], perm["to_port"]
        key = f"{proto}/{lo}" if lo == hi else f"{proto}/{lo}-{hi}"
        if key in apps:
            return [("app", apps[key])]
        return [(proto, lo, hi)]
    if proto in ALL_ICMP:
        icmp_type, code = perm["from_port"], perm["to_port"]
        if icmp_type == -1:
            return [("app", a) for a in ALL_ICMP[proto]]
        keys: list[tuple[Any, ...]] = [("icmp-type", proto, icmp_type, None if code == -1 else code)]
        if icmp_type == ECHO[proto] and code in (-1, 0):
            keys.append(("app", "ping"))
        return keys
    table = {"47": "gre", "50": "ipsec-esp", "51": "ipsec-ah"}
    return [("app", table[proto])]


def _destination(text: str) -> tuple[int, str]:
    """(IP version, key) of a destination: a host as its address, a network (a delegated
    prefix) as its CIDR."""
    net = netaddr.IPNetwork(text)
    host = net.prefixlen == (32 if net.version == 4 else 128)
    return net.version, str(net.ip) if host else str(net.cidr)


def expected_pairs(state: dict[str, Any], policy: Policy) -> dict[tuple[str, tuple], netaddr.IPSet]:
    """What AWS allows through the firewall, from the state alone (design.md "What generate
    allows"): every interface in use (its instance pending/running, or, when it is no instance's
    of the state, any status but `available`) in a subnet whose default route of a family goes to
    the firewall, its addresses and delegated prefixes of that family, its groups' permissions."""
    fw = policy.firewall.instance_id
    targets = {fw, *policy.firewall.route_targets}
    states = {}
    for vpc in state["vpcs"]:
        states.update({i["id"]: i["state"] for i in vpc.get("instances", [])})
        targets |= {e["id"] for e in vpc.get("interfaces", []) if e.get("instance") == fw}
    apps = dict(policy.rules.applications)
    out: dict[tuple[str, tuple], netaddr.IPSet] = defaultdict(netaddr.IPSet)
    for vpc in state["vpcs"]:
        tables = vpc.get("route_tables", [])
        main = [t for t in tables if t.get("main")]
        by_subnet = {s: t for t in tables for s in t.get("subnets", [])}
        inside = netaddr.IPSet([*vpc.get("cidrs", []), *policy.rules.internal_cidrs])
        groups = {g["id"]: g for g in vpc.get("security_groups", [])}
        plists = {p["id"]: p.get("cidrs", []) for p in vpc.get("prefix_lists", [])}
        for eni in vpc.get("interfaces", []):
            if eni["subnet"] is None or eni["id"] in targets:  # not in a subnet; the firewall's own
                continue
            owner = eni.get("instance")
            if owner in states:  # the instance decides
                in_use = states[owner] in ("pending", "running")
            else:  # a load balancer's, a task's, another account's instance's: attached to something
                in_use = eni["status"] != "available"
            if not in_use:
                continue
            table = by_subnet.get(eni["subnet"]) or (main[0] if main else {"routes": []})
            via = {
                netaddr.IPNetwork(r["destination"]).version
                for r in table.get("routes", [])
                if not r["destination"].startswith("pl-")
                and r.get("target") in targets
                and r.get("state", "active") not in ("blackhole", "filtered")  # AWS forwards nothing
                and netaddr.IPNetwork(r["destination"]).prefixlen == 0
            }
            keys = ("private_ips", "ipv6_addresses", "ipv4_prefixes", "ipv6_prefixes")
            dests = [_destination(a) for key in keys for a in eni.get(key, [])]
            dests = [d for d in dests if d[0] in via]
            for sg_id in eni.get("security_groups", []):
                for perm in groups[sg_id].get("ingress", []):
                    sources = list(perm.get("cidrs", [])) + list(perm.get("ipv6_cidrs", []))
                    for pl in perm.get("prefix_lists", []):
                        sources += plists[pl]
                    nets = [netaddr.IPNetwork(s) for s in sources]
                    nets = [n for n in nets if n not in inside]
                    for svc in _service_keys(perm, apps):
                        for version, key in dests:
                            for n in nets:
                                if n.version == version:
                                    out[(key, svc)].add(n)
    return {k: v for k, v in out.items() if v}


def fragment_pairs(
    xml: bytes, registrations: dict[str, list[str]] | None = None
) -> dict[tuple[str, tuple], netaddr.IPSet]:
    """What a fragment allows; a dynamic address group holds the IPs `registrations` (ip -> tags)
    gives its filter's tag, as the firewall would once push has registered them."""
    root = etree.fromstring(xml)
    addresses = {e.get("name"): e.findtext("ip-netmask") for e in root.iterfind(".//address/entry")}
    groups = {
        e.get("name"): [m.text for m in e.iterfind("static/member")]
        for e in root.iterfind(".//address-group/entry")
    }
    for e in root.iterfind(".//address-group/entry[dynamic]"):
        tag = e.findtext("dynamic/filter").strip().strip("'")
        members = [ip for ip, tags in (registrations or {}).items() if tag in tags]
        groups[e.get("name")] = members
        addresses.update({ip: ip for ip in members})
    services = {}
    for e in root.iterfind(".//service/entry"):
        proto = e.find("protocol")[0]
        port = proto.findtext("port")
        lo, _, hi = port.partition("-")
        services[e.get("name")] = (proto.tag, int(lo), int(hi or lo))
    custom = {}
    for e in root.iterfind(".//application/entry"):
        for proto, tag in (("icmp", "ident-by-icmp-type"), ("icmpv6", "ident-by-icmp6-type")):
            ident = e.find(f"default/{tag}")
            if ident is not None:
                code = ident.findtext("code")
                custom[e.get("name")] = ("icmp-type", proto, int(ident.findtext("type")),
                                         None if code is None else int(code))
    out: dict[tuple[str, tuple], netaddr.IPSet] = defaultdict(netaddr.IPSet)
    for rule in root.iterfind(".//rules/entry"):
        src = [m.text for m in rule.iterfind("source/member")]
        nets = [netaddr.IPNetwork(s) for s in (["0.0.0.0/0", "::/0"] if src == ["any"] else src)]
        dst: list[str] = []
        for m in rule.iterfind("destination/member"):
            dst += [addresses[x] for x in groups[m.text]] if m.text in groups else [addresses[m.text]]
        apps = [m.text for m in rule.iterfind("application/member")]
        svcs = [m.text for m in rule.iterfind("service/member")]
        if svcs == ["any"] and apps == ["any"]:
            keys = [("any",)]
        elif svcs == ["application-default"]:
            keys = [custom.get(a, ("app", a)) for a in apps]
        else:
            assert apps == ["any"], rule.get("name")
            keys = [services[s] for s in svcs]
        for d in dst:
            version, dest = _destination(d)
            for key in keys:
                for n in nets:
                    if n.version == version:
                        out[(dest, key)].add(n)
    return {k: v for k, v in out.items() if v}


def policy_with(**rules: Any) -> Policy:
    data = example_policy()
    data["rules"].update(rules)
    return parse_policy(data, "policy.yaml")
