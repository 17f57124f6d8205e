"""Bench the already-allowed check: 100,000 candidate rules against 5,000 firewall rules.

Builds a synthetic snapshot and fragment (seeded, so every run measures the same work) in
bench/.work/, then times loading both and checking every candidate, and prints the verdict
counts so that a run that "got faster" by deciding nothing shows up at once.
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter

from lxml import etree

from bench.workdir import work_dir
from generator.location import Location
from generator.rulematch import Candidate, OwnObjects, check_candidates, check_rules, load_rulebase

WORK = work_dir("rulematch")  # other benches use the work dir too
FIREWALL_RULES = int(os.environ.get("AWSPAN_BENCH_FIREWALL_RULES", "5000"))
CANDIDATES = int(os.environ.get("AWSPAN_BENCH_CANDIDATES", "100000"))
SEED = 20261126
PORTS = (22, 80, 443, 3306, 5432, 8080, 8443, 25, 53, 123)


def _members(parent: etree._Element, tag: str, names: list[str]) -> None:
    holder = etree.SubElement(parent, tag)
    for n in names:
        etree.SubElement(holder, "member").text = n


def _container(root: etree._Element) -> etree._Element:
    return Location().make_container(root)


def _rule(rules: etree._Element, name: str, src: list[str], dst: list[str], svc: list[str], app: list[str],
          action: str, *, from_zone: str = "untrust", to_zone: str = "trust", tag: str | None = None,
          disabled: bool = False) -> None:
    e = etree.SubElement(rules, "entry", name=name)
    _members(e, "from", [from_zone])
    _members(e, "to", [to_zone])
    _members(e, "source", src)
    _members(e, "destination", dst)
    _members(e, "source-user", ["any"])
    _members(e, "application", app)
    _members(e, "service", svc)
    etree.SubElement(e, "action").text = action
    if tag:
        _members(e, "tag", [tag])
    if disabled:
        etree.SubElement(e, "disabled").text = "yes"


def _svc(holder: etree._Element, name: str, proto: str, ports: str) -> None:
    entry = etree.SubElement(holder, "entry", name=name)
    etree.SubElement(etree.SubElement(etree.SubElement(entry, "protocol"), proto), "port").text = ports


def build_snapshot(rng: random.Random, subnets: list[tuple[int, int]]) -> bytes:
    """5,000 rules over 10.0.0.0/8 subnets and hosts, a few any-destination rules, groups, fqdn.
    The (second, third) octets of every subnet used are appended to `subnets`."""
    root = etree.Element("config")
    vsys = _container(root)
    addresses = etree.SubElement(vsys, "address")
    groups = etree.SubElement(vsys, "address-group")
    services = etree.SubElement(vsys, "service")
    service_groups = etree.SubElement(vsys, "service-group")
    for port in PORTS:
        _svc(services, f"fw-tcp-{port}", "tcp", str(port))
    _svc(services, "fw-tcp-high", "tcp", "1024-65535")
    _svc(services, "fw-udp-dns", "udp", "53")
    sg = etree.SubElement(service_groups, "entry", name="fw-web")
    _members(sg, "members", ["fw-tcp-80", "fw-tcp-443", "service-http"])
    rules = Location().make_rules(vsys)
    for i in range(FIREWALL_RULES - 1):
        kind = rng.random()
        a, b = rng.randrange(256), rng.randrange(256)
        subnets.append((a, b))
        if kind < 0.45:  # a /24 subnet object
            name = f"net-{i}"
            entry = etree.SubElement(addresses, "entry", name=name)
            etree.SubElement(entry, "ip-netmask").text = f"10.{a}.{b}.0/24"
            dst = [name]
        elif kind < 0.75:  # a few hosts in a group
            name = f"grp-{i}"
            g = etree.SubElement(groups, "entry", name=name)
            hosts = []
            for j in range(3):
                host = f"h-{i}-{j}"
                entry = etree.SubElement(addresses, "entry", name=host)
                etree.SubElement(entry, "ip-netmask").text = f"10.{a}.{b}.{rng.randrange(1, 255)}"
                hosts.append(host)
            _members(g, "static", hosts)
            dst = [name]
        elif kind < 0.90:  # an ip-range literal
            start = rng.randrange(1, 200)
            dst = [f"10.{a}.{b}.{start}-10.{a}.{b}.{start + rng.randrange(1, 50)}"]
        elif kind < 0.905:
            name = f"fqdn-{i}"
            entry = etree.SubElement(addresses, "entry", name=name)
            etree.SubElement(entry, "fqdn").text = f"host{i}.example.net"
            dst = [name]
        elif kind < 0.995:
            dst = [f"10.{a}.0.0/16"]
        else:
            dst = ["any"]
        svc = [rng.choice([f"fw-tcp-{rng.choice(PORTS)}", "fw-web", "fw-tcp-high", "any", "fw-udp-dns"])]
        if dst == ["any"] or dst[0].startswith("fqdn"):  # broad rules are narrow in service, as in real life
            svc = [rng.choice(["fw-tcp-22", "fw-udp-dns", "fw-tcp-3306"])]
        app = ["any"]
        if rng.random() < 0.1:
            app, svc = [rng.choice(["ssh", "ssl", "web-browsing"])], ["application-default"]
        src = ["any"] if rng.random() < 0.7 else [f"198.51.{rng.randrange(256)}.0/24"]
        action = "allow" if rng.random() < 0.8 else rng.choice(["deny", "drop", "reset-both"])
        _rule(rules, f"fw-{i}", src, dst, svc, app, action,
              from_zone=rng.choice(["untrust", "untrust", "untrust", "dmz", "any"]),
              tag="awspan" if rng.random() < 0.02 else None, disabled=rng.random() < 0.02)
    _rule(rules, "clean-up", ["any"], ["any"], ["any"], ["any"], "deny", from_zone="any", to_zone="any")
    return etree.tostring(root)


def build_fragment(rng: random.Random, subnets: list[tuple[int, int]]) -> bytes:
    """100,000 candidates: one host each (half of them in the firewall rules' subnets), a source
    CIDR or any, a tcp port object, some icmp."""
    root = etree.Element("config")
    vsys = _container(root)
    addresses = etree.SubElement(vsys, "address")
    services = etree.SubElement(vsys, "service")
    for port in PORTS:
        _svc(services, f"tcp-{port}", "tcp", str(port))
    _svc(services, "tcp-8000-8100", "tcp", "8000-8100")
    rules = Location().make_rules(vsys)
    for i in range(CANDIDATES):
        a, b = rng.choice(subnets) if rng.random() < 0.5 else (rng.randrange(256), rng.randrange(256))
        host = f"10.{a}.{b}.{rng.randrange(1, 255)}"
        name = f"h-{host}"
        entry = etree.SubElement(addresses, "entry", name=name)
        etree.SubElement(entry, "ip-netmask").text = host
        src = ["any"] if rng.random() < 0.6 else [f"198.51.{rng.randrange(256)}.{rng.randrange(256)}/32"]
        if rng.random() < 0.05:
            svc, app = ["application-default"], ["icmp"]
        else:
            svc, app = [rng.choice([f"tcp-{rng.choice(PORTS)}", "tcp-8000-8100"])], ["any"]
        _rule(rules, f"cand-{i}", src, [name], svc, app, "allow", tag="awspan")
    return etree.tostring(root)


def _as_model(fragment: etree._Element) -> tuple[list[Candidate], OwnObjects]:
    """The candidates and their objects as generate's model holds them."""
    vsys = Location().container(fragment)
    addresses = {e.get("name"): e.findtext("ip-netmask") for e in vsys.iterfind("address/entry")}
    services = {}
    for e in vsys.iterfind("service/entry"):
        proto = e.find("protocol")[0]
        services[e.get("name")] = (proto.tag, proto.findtext("port"))
    entries = Location().rule_entries(vsys)
    return [Candidate.of_entry(e, e.get("name")) for e in entries], OwnObjects(addresses, {}, services)


def main() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)
    snapshot_path, fragment_path = WORK / "rulebase.xml", WORK / "fragment.xml"
    started = time.perf_counter()
    subnets: list[tuple[int, int]] = []
    snapshot_path.write_bytes(build_snapshot(rng, subnets))
    fragment_path.write_bytes(build_fragment(rng, subnets))
    print(f"   built {FIREWALL_RULES} firewall rules and {CANDIDATES} candidates "
          f"in {time.perf_counter() - started:.1f} s ({WORK})")

    started = time.perf_counter()
    cpu = time.process_time()
    rulebase = load_rulebase(snapshot_path)
    fragment = etree.parse(str(fragment_path), etree.XMLParser(huge_tree=True)).getroot()
    loaded = time.perf_counter()
    decisions, warnings = check_candidates(fragment, rulebase, location=Location(), from_zone="untrust",
                                           to_zone="trust", bottom_rule="clean-up", tag="awspan")
    done = time.perf_counter()
    cpu = time.process_time() - cpu
    counts = Counter(d.verdict for d in decisions)
    print(f"   load both files: {loaded - started:.2f} s")
    print(f"   check {len(decisions)} candidates: {done - loaded:.2f} s "
          f"({(done - loaded) / len(decisions) * 1e6:.0f} us each; target for load+check < 10 s)")
    print(f"   load + check: {done - started:.2f} s wall, {cpu:.2f} s CPU")
    # generate's path: the same candidates handed over as tuples with their objects, no XML read
    candidates, own = _as_model(fragment)
    rulebase = load_rulebase(snapshot_path)
    cpu = time.process_time()
    same = check_rules(candidates, own, rulebase, location=Location(), from_zone="untrust", to_zone="trust",
                       bottom_rule="clean-up", tag="awspan") == (decisions, warnings)
    print(f"   check them as generate hands them over (check_rules): {time.process_time() - cpu:.2f} s CPU; "
          f"same decisions: {'yes' if same else 'NO'}")
    verdicts = ("allowed", "blocked", "shadowed", "partial", "uncovered")
    print("   verdicts: " + ", ".join(f"{v} {counts.get(v, 0)}" for v in verdicts))
    print(f"   warnings: {len(warnings)}")
