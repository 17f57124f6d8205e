"""Does each firewall behind Panorama allow exactly what the security groups allow?

The oracle is tests/generate's `expected_pairs` (state + policy -> per destination and service,
the sources AWS allows), written without awspan's code. Each firewall is asked through Panorama
with `test security-policy-match` and `target=SERIAL` (its pushed policy, resolved through its
own registrations; emulator/target.py), over HTTP with a plain `requests` caller: for every
protected address and every service the oracle names (plus a few it does not), sources at the
edges of each allowed CIDR and just outside them. A flow is allowed when the first rule that
matches it allows it.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import netaddr

from tests.emulator.helpers import Caller
from tests.generate.helpers import expected_pairs

ECHO = {1: 8, 58: 128}  # ICMP and ICMPv6 echo request, by protocol number
APP_FLOWS = {"ssh": (6, 22), "ping": (None, None), "ipsec-esp": (50, None), "ipv6-icmp": (58, None),
             "web-browsing": (6, 80)}
EXTRA_SOURCES = ("8.8.8.8", "192.0.2.10", "203.0.113.200", "2001:db8::1")


@dataclass(frozen=True)
class Probe:
    """One flow to one destination: a port (`app` None), an application, or an ICMP type."""

    destination: str
    source: str
    protocol: int | None
    port: int | None = None
    app: str | None = None
    icmp_type: int | None = None

    def xml(self) -> str:
        parts = [f"<from>untrust</from><to>trust</to><source>{self.source}</source>",
                 f"<destination>{self.destination}</destination>"]
        if self.protocol is not None:
            parts.append(f"<protocol>{self.protocol}</protocol>")
        if self.port is not None:
            parts.append(f"<destination-port>{self.port}</destination-port>")
        if self.app is not None:
            parts.append(f"<application>{self.app}</application>")
        if self.icmp_type is not None:
            parts.append(f"<icmp-type>{self.icmp_type}</icmp-type><icmp-code>0</icmp-code>")
        return "<test><security-policy-match>" + "".join(parts) + "</security-policy-match></test>"


def _version(ip: str) -> int:
    return netaddr.IPAddress(ip).version


def _covers(key: tuple, probe: Probe) -> bool:
    """Does the oracle's service key allow the probe's service?"""
    kind = key[0]
    if kind == "any":
        return True
    if kind in ("tcp", "udp"):
        number = 6 if kind == "tcp" else 17
        return probe.protocol == number and probe.port is not None and key[1] <= probe.port <= key[2]
    family = {1: "icmp", 58: "ipv6-icmp"}.get(probe.protocol or 0)
    if kind == "app":
        if probe.app is not None:
            return probe.app == key[1]
        if probe.icmp_type is None or family is None:
            return False
        return key[1] == family or key[1] == "ping" and probe.icmp_type == ECHO[probe.protocol]
    if kind == "icmp-type":
        proto = {"icmp": 1, "icmpv6": 58}[key[1]]
        return probe.protocol == proto and probe.icmp_type == key[2] and key[3] in (None, 0)
    raise AssertionError(key)


def _service_probes(key: tuple, destination: str) -> list[dict[str, Any]]:
    kind = key[0]
    if kind == "any":
        return [{"protocol": 6, "port": 1}, {"protocol": 17, "port": 53}]
    if kind in ("tcp", "udp"):
        number = 6 if kind == "tcp" else 17
        return [{"protocol": number, "port": p} for p in {key[1] - 1, key[1], key[2], key[2] + 1} if p > 0]
    if kind == "app":
        proto, port = APP_FLOWS[key[1]]
        if key[1] == "ping":
            proto = 1 if _version(destination) == 4 else 58
        return [{"protocol": proto, "port": port, "app": key[1]}]
    return [{"protocol": 1 if key[1] == "icmp" else 58, "icmp_type": key[2]},
            {"protocol": 1 if key[1] == "icmp" else 58, "icmp_type": key[2] + 1}]


def _edges(cidr: netaddr.IPNetwork) -> list[str]:
    """The first and last address of a CIDR and the addresses just outside it."""
    out = [cidr.first, cidr.last, cidr.first - 1, cidr.last + 1]
    top = 2**32 - 1 if cidr.version == 4 else 2**128 - 1
    return [str(netaddr.IPAddress(a, cidr.version)) for a in out if 0 <= a <= top]


def probes(state: dict[str, Any], policy: Any) -> tuple[list[Probe], dict[Probe, bool]]:
    """Every probe, and whether the oracle allows it: per protected address, each service its keys
    name (every key's service for an address the oracle allows nothing to, a stopped instance's),
    from the edges of the sources allowed for that service and from a few outside ones."""
    pairs = expected_pairs(state, policy)
    interfaces = [eni for vpc in state["vpcs"] for eni in vpc.get("interfaces", [])]  # state version 2
    interfaces += [eni for vpc in state["vpcs"] for inst in vpc.get("instances", [])
                   for eni in inst.get("interfaces", [])]  # version 1
    addresses = {a for eni in interfaces for a in eni.get("private_ips", []) + eni.get("ipv6_addresses", [])}
    destinations = sorted(addresses | {d for d, _ in pairs if "/" not in d}, key=str)
    everything = {key for _, key in pairs} | {("tcp", 443, 443), ("app", "web-browsing")}
    out: dict[Probe, bool] = {}
    for destination in destinations:
        own = {key: allowed for (dst, key), allowed in pairs.items() if dst == destination}
        family = _version(destination)
        for key in own or everything:
            for svc in _service_probes(key, destination):
                if svc["protocol"] == {4: 58, 6: 1}[family]:
                    continue  # ICMP to an IPv6 address, ICMPv6 to an IPv4 one: not a flow
                shape = Probe(destination, EXTRA_SOURCES[0 if family == 4 else -1], **svc)
                sources = {s for s in EXTRA_SOURCES if _version(s) == family}
                for other, allowed in own.items():
                    if _covers(other, shape):
                        sources.update(e for cidr in allowed.iter_cidrs() for e in _edges(cidr))
                for source in sorted(sources):
                    probe = Probe(destination, source, **svc)
                    out[probe] = any(_covers(k, probe) and netaddr.IPAddress(source) in allowed
                                     for k, allowed in own.items())
    return list(out), out


def allowed(caller: Caller, serial: str, probe: Probe) -> bool:
    """The firewall's own answer: is the first rule that matches the flow an allow rule?"""
    root = caller.ok(type="op", cmd=probe.xml(), target=serial)
    first = root.find("result/rules/entry")
    return first is not None and first.findtext("action") == "allow"


def mismatches(url: str, key: str, serial: str, state: dict[str, Any], policy: Any) -> list[str]:
    """Every probe where the firewall and the oracle disagree (empty: it allows exactly the SGs' traffic)."""
    found, oracle = probes(state, policy)
    local = threading.local()

    def ask(probe: Probe) -> bool:
        if not hasattr(local, "caller"):
            local.caller = Caller(url, key)
        return allowed(local.caller, serial, probe)

    with ThreadPoolExecutor(max_workers=4) as pool:  # the emulator serves requests in threads
        answers = list(pool.map(ask, found))
    return [f"{serial}: {probe} allowed={got}, the security groups say {oracle[probe]}"
            for probe, got in zip(found, answers, strict=True) if got != oracle[probe]]
