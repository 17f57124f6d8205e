"""Push benchmark: the whole `awspan push` sequence vs the same change applied rule by rule.

For 1,000, 10,000 and 50,000 managed rules, against the PAN-OS emulator on loopback, which
refuses any request over the XML API's 5 MB (as a device does):

- awspan: HA state, system info, lock, one read, the batch (every set and move) in as few
  multi-config requests as the 5 MB limit allows, verify read, partial commit, job polls,
  unlock: the request count grows only with the batch's size / 4.5 MB;
- rule by rule: one `set` and one `move` per rule (what the original Lambda and per-rule
  tools do), then one commit and its polls (run up to 10,000 rules: 100,000 requests at 50,000
  would only measure loopback).

Prints, for awspan, the requests in all, the multi-config requests among them and the largest
request's size on the wire (as the emulator received it), and wall times. The emulator's own
work (validation, moves in an lxml tree) is included in both columns, so the figures compare
round trips, not PAN-OS speed: on a real firewall each round trip costs far more than on
loopback. `AWSPAN_BENCH_SIZES=10,1000` limits the sizes.
"""

from __future__ import annotations

import os
import time

from emulator import EmulatorServer
from generator.location import Location
from generator.panos.config.fragment import parse_fragment
from generator.panos.push.apply import PushSettings, commit_cmd, push, wait_for_job
from generator.panos.xmlapi.client import PanosClient

LOC = Location()
SIZES = (1_000, 10_000, 50_000)
RULE_BY_RULE_MAX = 10_000


def _rule(i: int) -> str:
    return (f'<entry name="sg-{i:05d}-tcp-443"><from><member>untrust</member></from>'
            "<to><member>trust</member></to>"
            f"<source><member>any</member></source><destination><member>10.{i // 250 % 256}.{i % 250}.10"
            "</member></destination><source-user><member>any</member></source-user><category><member>any"
            "</member></category><application><member>any</member></application><service><member>"
            "application-default</member></service><action>allow</action><tag><member>awspan</member></tag>"
            "</entry>")


def _fragment(n: int) -> bytes:
    path = "".join(f"<{t}" + (f' name="{nm}"' if nm else "") + ">" for t, nm in LOC.path_elements())
    close = "".join(f"</{t}>" for t, _ in reversed(LOC.path_elements()))
    tag = '<tag><entry name="awspan"><color>color5</color></entry></tag>'
    rules = "".join(_rule(i) for i in range(n))
    body = f"{tag}<rulebase><security><rules>{rules}</rules></security></rulebase>"
    return f"<config>{path}{body}{close}</config>".encode()


def bench_batch(n: int) -> tuple[int, int, int, float]:
    """(requests, multi-config requests, largest request in bytes, seconds) of one push."""
    with EmulatorServer(commit_seconds=0) as emu:
        client = PanosClient(emu.url, api_key=emu.api_key("automation"))
        frag = parse_fragment(_fragment(n), LOC, "awspan", "bench")
        settings = PushSettings(tag="awspan", bottom_rule="clean-up", max_delete_percent=30,
                                admin="automation")
        start = time.perf_counter()
        result = push(client, frag, settings)
        elapsed = time.perf_counter() - start
        assert result.committed and not any(r.get("action") == "refused: too large" for r in emu.requests)
        return client.request_count, result.batch_requests, emu.largest_request, elapsed


def bench_rule_by_rule(n: int) -> tuple[int, float]:
    with EmulatorServer() as emu:
        client = PanosClient(emu.url, api_key=emu.api_key("automation"))
        start = time.perf_counter()
        client.set(LOC.xpath("tag"), '<entry name="awspan"><color>color5</color></entry>')
        for i in range(n):
            client.set(LOC.rules_xpath, _rule(i))
            client.move(LOC.entry_xpath("rules", f"sg-{i:05d}-tcp-443"), "before", "clean-up")
        job = client.commit(commit_cmd("automation", "rule by rule"))
        if job:
            assert wait_for_job(client, job, 900).ok
        return client.request_count, time.perf_counter() - start


def main() -> None:
    sizes = [int(s) for s in os.environ.get("AWSPAN_BENCH_SIZES", "").split(",") if s.strip()] or SIZES
    print(f"   {'rules':>7} | {'awspan push: requests (multi-config), largest request, time':>72} | "
          "rule by rule (set+move)")
    for n in sizes:
        req_b, batches, largest, t_b = bench_batch(n)
        line = (f"   {n:>7,} | {req_b:>5} requests ({batches} multi-config) largest {largest:>10,} bytes "
                f"{t_b:>7.2f} s")
        if n <= RULE_BY_RULE_MAX:
            req_r, t_r = bench_rule_by_rule(n)
            line += f" | {req_r:>8,} requests {t_r:>8.2f} s"
        else:
            line += " | (not run: one set and one move per rule)"
        print(line, flush=True)


if __name__ == "__main__":
    main()
