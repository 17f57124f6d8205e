"""Push benchmark: the whole `awspan push` sequence vs the same change applied rule by rule.

For 10, 1,000 and 10,000 managed rules, against the PAN-OS emulator on loopback:

- awspan: lock, one read, ONE multi-config (every set and move), verify read, partial
  commit, job polls, unlock — the request count stays the same whatever the rule count;
- rule by rule: one `set` and one `move` per rule (what the original Lambda and per-rule
  tools do), then one commit and its polls.

Prints requests and wall time for each. The emulator's own work (validation, moves in an
lxml tree) is included in both columns, so the figures compare round trips, not PAN-OS
speed: on a real firewall each round trip costs far more than on loopback.
`AWSPAN_BENCH_SIZES=10,1000` limits the sizes (the 10,000 rule-by-rule run is the long one).
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
SIZES = (10, 1_000, 10_000)


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


def bench_batch(n: int) -> tuple[int, float]:
    with EmulatorServer() as emu:
        client = PanosClient(emu.url, api_key=emu.api_key("automation"))
        frag = parse_fragment(_fragment(n), LOC, "awspan", "bench")
        settings = PushSettings(tag="awspan", bottom_rule="clean-up", max_delete_percent=30,
                                admin="automation")
        start = time.perf_counter()
        result = push(client, frag, settings)
        elapsed = time.perf_counter() - start
        assert result.committed
        return client.request_count, elapsed


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
    print(f"   {'rules':>7} | {'awspan push':>22} | {'rule by rule (set+move)':>26}")
    for n in sizes:
        req_b, t_b = bench_batch(n)
        req_r, t_r = bench_rule_by_rule(n)
        print(f"   {n:>7,} | {req_b:>5} requests {t_b:>7.2f} s | {req_r:>8,} requests {t_r:>8.2f} s",
              flush=True)


if __name__ == "__main__":
    main()
