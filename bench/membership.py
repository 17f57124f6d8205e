"""Membership benchmark: instance start/stop events in push mode, static vs dynamic.

Against the PAN-OS emulator with a commit that takes AWSPAN_BENCH_COMMIT_SECONDS (default 30,
the order of a real firewall's commit), each event toggles one instance of the example
estate, then runs what the push reaction runs after collect: generate, then push (which in
membership `dynamic` also reconciles the User-ID registrations). The figure per event is the
time from the start of generate to the moment the firewall enforces the change: push's
return (after the commit job in static mode; after the registration read-back in dynamic).

- dynamic: AWSPAN_BENCH_EVENTS events (default 100), all measured;
- static: the same events, but each waits for a commit, so only AWSPAN_BENCH_STATIC_EVENTS
  (default 2) are measured and the total for all events is extrapolated from them;
- then 10,000 instances' registrations reconciled from scratch: requests and time;
- Panorama: the same dynamic events on a device group of 2 and of 10 firewalls (each one's
  registrations through Panorama with target=SERIAL; docs/membership.md "Panorama").

collect is left out on purpose: it is the same in both modes (see bench/collect.py).
"""

from __future__ import annotations

import contextlib
import copy
import io
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path

import yaml
from lxml import etree

from emulator import EmulatorServer, default_config
from emulator.device import DeviceProfile
from generator.cli.main import main as awspan
from generator.location import Location
from generator.panos.push.registrations import Desired, reconcile
from generator.panos.xmlapi.client import PanosClient

ROOT = Path(__file__).resolve().parents[1]
TOGGLED = ("i-0a00000000000a001", "i-0a00000000000a002", "i-0a00000000000a003")


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _events(emu: EmulatorServer, work: Path, membership: str, count: int,
            panorama: bool = False) -> tuple[list[float], int, int]:
    """(seconds to enforcement per event, commits, requests) for `count` toggles."""
    policy = yaml.safe_load((ROOT / "examples" / "policy.yaml").read_text())
    policy["firewall"]["url"] = emu.url
    if panorama:
        policy["firewall"].update(location={"device_group": "dg1", "rulebase": "pre"}, push_to_devices=True)
    policy["firewall"]["commit_timeout"] = 600
    policy["rules"]["membership"] = membership
    (work / "policy.yaml").write_text(yaml.safe_dump(policy))
    state = yaml.safe_load((ROOT / "examples" / "state.yaml").read_text())
    common = ["--config", str(work / "policy.yaml")]
    fragment = str(work / "fragment.xml")
    os.environ["PANOS_API_KEY"] = emu.api_key("automation")  # as in CI: the key only in the environment

    def cycle(doc: dict) -> float:
        (work / "state.yaml").write_text(yaml.safe_dump(doc))
        said = io.StringIO()
        started = time.perf_counter()
        with contextlib.redirect_stdout(said), contextlib.redirect_stderr(said):
            ok = (
                awspan(
                    [
                        "generate",
                        *common,
                        "--state",
                        str(work / "state.yaml"),
                        "--no-rulebase",
                        "--output",
                        fragment,
                    ]
                )
                == 0
                and awspan(["push", *common, "--fragment", fragment]) == 0
            )
        elapsed = time.perf_counter() - started
        if not ok:
            raise RuntimeError(f"the {membership} cycle failed: {said.getvalue()[-2000:]}")
        return elapsed

    cycle(state)  # the first push: rules, groups and (dynamic) registrations; not an event
    emu.reset_counters()
    times = []
    for i in range(count):
        doc = copy.deepcopy(state)
        target = TOGGLED[i % len(TOGGLED)]
        for vpc in doc["vpcs"]:
            for inst in vpc["instances"]:
                if inst["id"] == target and i % 2 == 0:
                    inst["state"] = "stopped"
        times.append(cycle(doc))
    log = emu.api.recorded()
    return times, sum(1 for r in log if r["type"] == "commit"), len(log)


def _panorama(firewalls: int, events: int, commit: float) -> tuple[list[float], int, int]:
    """Dynamic events on Panorama's dg1 holding `firewalls` firewalls."""
    serials = tuple(f"0070510000{i:05d}" for i in range(1, firewalls + 1))
    config = etree.fromstring(default_config(panorama=True))
    devices = config.find("devices/entry/device-group/entry[@name='dg1']/devices")
    for entry in list(devices):
        devices.remove(entry)
    for serial in serials:
        etree.SubElement(devices, "entry", name=serial)
    with tempfile.TemporaryDirectory() as tmp, EmulatorServer(
            config_xml=etree.tostring(config), panorama=True, commit_seconds=commit, job_steps=0,
            device=DeviceProfile(managed_devices=serials)) as emu:
        return _events(emu, Path(tmp), "dynamic", events, panorama=True)


def _reconcile_from_scratch(n: int) -> tuple[int, float]:
    with EmulatorServer() as emu:
        client = PanosClient(emu.url, api_key=emu.api_key("automation"))
        tags = {
            f"10.{i // 62500}.{i // 250 % 250}.{i % 250 + 1}": frozenset({f"awspan.sg-{i % 500:05d}"})
            for i in range(n)
        }
        started = time.perf_counter()
        done = reconcile(client, Location(), Desired("awspan.", tags, {}))
        elapsed = time.perf_counter() - started
        assert done.registered == n and len(done.after) == n
        return client.request_count, elapsed


def main() -> None:
    commit = float(os.environ.get("AWSPAN_BENCH_COMMIT_SECONDS", 30))
    events = _env_int("AWSPAN_BENCH_EVENTS", 100)
    static_events = min(events, _env_int("AWSPAN_BENCH_STATIC_EVENTS", 2))
    logging.disable(logging.INFO)  # the steps' own progress lines would drown the figures
    try:
        with tempfile.TemporaryDirectory() as tmp, EmulatorServer(commit_seconds=commit, job_steps=0) as emu:
            work = Path(tmp)
            dyn, dyn_commits, dyn_requests = _events(emu, work, "dynamic", events)
        with tempfile.TemporaryDirectory() as tmp, EmulatorServer(commit_seconds=commit, job_steps=0) as emu:
            sta, sta_commits, sta_requests = _events(emu, Path(tmp), "static", static_events)
        n = _env_int("AWSPAN_BENCH_REGISTRATIONS", 10_000)
        requests, elapsed = _reconcile_from_scratch(n)
        fleets = {size: _panorama(size, min(events, 20), commit) for size in (2, 10)}
    finally:
        logging.disable(logging.NOTSET)
    print(f"   {events} instance start/stop events, push mode, commit takes {commit:g} s")
    print(
        f"   dynamic: {dyn_commits} commits, total {sum(dyn):.1f} s, per event median "
        f"{statistics.median(dyn):.2f} s, max {max(dyn):.2f} s (goal <= 2 s), "
        f"{dyn_requests / events:.1f} requests per event"
    )
    per = statistics.mean(sta)
    print(
        f"   static:  {sta_commits} commits in {static_events} measured events "
        f"({per:.1f} s each, {sta_requests / static_events:.1f} requests per event); "
        f"{events} events: {events} commits, about {per * events / 60:.0f} min"
    )
    print(f"   {n:,} registrations reconciled from scratch: {requests} requests, {elapsed:.1f} s")
    for size, (times, commits, requests) in fleets.items():
        print(f"   Panorama, {size} firewalls, {len(times)} dynamic events: {commits} commits (Panorama and "
              f"firewalls), per event median {statistics.median(times):.2f} s, "
              f"{requests / len(times):.1f} requests per event")


if __name__ == "__main__":
    main()
