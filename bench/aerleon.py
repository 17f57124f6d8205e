"""awspan against Aerleon's PAN-OS generator (paloaltofw) on the same estate, one term per permission.

Aerleon is not a dependency and none of its code is here: the bench uses the `aerleon`
package when it is installed from PyPI (`pip install aerleon`) and says "not installed"
otherwise. The estate is bench/generate's synthetic one at 5,000 instances (`--instances N`).
Each security-group permission becomes one Aerleon term: its sources as a network, the
addresses of the interfaces carrying the group as another, its protocol and ports as a
service. Timed: awspan's `generate` (reading state.yaml included) against Aerleon's
`api.Generate` on the prepared dictionaries (its definitions parsed, YAML reading excluded:
the comparison favours Aerleon). Goal: awspan >= 10x faster at 5,000 instances.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import time
from typing import Any

from bench.generate import prepare
from generator.generate.step import generate
from generator.yamlio import load_yaml_file

INSTANCES = 5_000
GOAL = 10.0


def _token(text: str) -> str:
    return text.upper().replace("-", "_").replace(".", "_")


def aerleon_inputs(state: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], int]:
    """(definitions, policy, number of terms) for the estate: one term per permission."""
    networks: dict[str, Any] = {}
    services: dict[str, Any] = {}
    terms: list[dict[str, Any]] = []
    for vpc in state["vpcs"]:
        members: dict[str, list[str]] = {}
        for eni in vpc["interfaces"]:
            for sg in eni["security_groups"]:
                members.setdefault(sg, []).extend(eni["private_ips"] + eni["ipv6_addresses"])
        for group in vpc["security_groups"]:
            hosts = members.get(group["id"])
            if not hosts:
                continue
            dst = "D_" + _token(group["id"])
            networks[dst] = {"values": [{"address": h} for h in sorted(set(hosts))]}
            for k, perm in enumerate(group["ingress"]):
                sources = perm["cidrs"] + perm["ipv6_cidrs"]
                if not sources:
                    continue
                src = f"S_{_token(group['id'])}_{k}"
                networks[src] = {"values": [{"address": c} for c in sources]}
                term: dict[str, Any] = {
                    "name": f"{group['id']}-{k}",
                    "source-address": src,
                    "destination-address": dst,
                    "action": "accept",
                }
                proto = perm["protocol"]
                if proto in ("tcp", "udp"):
                    lo, hi = perm["from_port"], perm["to_port"]
                    port = str(lo) if lo == hi else f"{lo}-{hi}"
                    svc = f"P_{proto}_{port}".upper().replace("-", "_")
                    services[svc] = [{"port": port, "protocol": proto}]
                    term.update({"protocol": proto, "destination-port": svc})
                elif proto == "icmp":
                    term["protocol"] = "icmp"
                terms.append(term)
    header = {"targets": {"paloalto": "from-zone untrust to-zone trust"}}
    policy = {"filename": "awspan-bench", "filters": [{"header": header, "terms": terms}]}
    return {"networks": networks, "services": services}, policy, len(terms)


def main(instances: int | None = None) -> None:
    if importlib.util.find_spec("aerleon") is None:
        print("   aerleon: not installed (pip install aerleon to run this comparison)")
        return
    from aerleon import api
    from aerleon.lib import naming

    count = instances or INSTANCES
    state_file, policy_file, _ = prepare(count)
    definitions, policy, terms = aerleon_inputs(load_yaml_file(state_file, "state", fast=True))

    started = time.perf_counter()
    data, _, counts, _ = generate(str(policy_file), str(state_file))
    ours = time.perf_counter() - started

    started = time.perf_counter()
    names = naming.Naming()
    names.ParseDefinitionsObject(definitions, "bench")
    with contextlib.redirect_stderr(io.StringIO()):
        out = api.Generate([policy], names) or {}
    theirs = time.perf_counter() - started
    size = sum(len(text) for text in out.values())

    ratio = theirs / ours
    print(
        f"   {count:,} instances: awspan generate {ours:.2f} s "
        f"({counts['rule']:,} rules, {len(data) / 1e6:.1f} MB); "
        f"Aerleon paloaltofw {theirs:.2f} s ({terms:,} terms, {size / 1e6:.1f} MB)"
    )
    print(f"   awspan is {ratio:.1f}x faster (goal >= {GOAL:.0f}x: {'met' if ratio >= GOAL else 'NOT met'})")
