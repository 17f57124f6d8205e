"""The check reads what `awspan snapshot` really writes: config on the PAN-OS emulator ->
take_snapshot over HTTP -> out/rulebase.xml -> load_rulebase -> check_candidates."""

from __future__ import annotations

from pathlib import Path

import emulator
from generator.location import Location
from generator.panos.xmlapi import client as client_mod
from generator.panos.xmlapi import snapshot
from generator.rulematch import load_rulebase
from tests.rulematch.build import TAG, Objects, Rule, check, config, to_bytes

FRAGMENT = Objects(
    address={"web-1": ("ip-netmask", "10.0.1.5"), "db-1": ("ip-netmask", "10.0.2.5")},
    services={"tcp-443": ("tcp", "443"), "tcp-5432": ("tcp", "5432")},
)


def _snapshot(tmp_path: Path, firewall_rules: list[Rule], objects: Objects, shared: Objects) -> Path:
    root = config(firewall_rules, objects, shared, below=[Rule("below", dst=("any",))])
    with emulator.EmulatorServer(config_xml=to_bytes(root)) as emu:
        client = client_mod.PanosClient(emu.url, api_key=emu.api_key("admin"))
        data, _count = snapshot.take_snapshot(client, Location())
    path = tmp_path / "rulebase.xml"
    path.write_bytes(data)
    return path


def _decide(path: Path, candidates: list[Rule]) -> dict[str, tuple[str, tuple[str, ...]]]:
    fragment = config(candidates, FRAGMENT, bottom=None)
    decisions, _ = check(fragment, load_rulebase(path))
    return {d.rule: (d.verdict, d.covering) for d in decisions}


def test_snapshot_from_the_emulator_drives_the_check(tmp_path: Path) -> None:
    shared = Objects(address={"corp-web": ("ip-netmask", "10.0.1.0/24")}, services={"https": ("tcp", "443")})
    local = Objects(address={"db-net": ("ip-range", "10.0.2.1-10.0.2.9")}, groups={"dbs": ("db-net",)})
    rules = [
        Rule("web-in", dst=("corp-web",), svc=("https",)),
        Rule("no-db", dst=("dbs",), action="drop"),
        Rule("old-managed", dst=("any",), tags=(TAG,)),
    ]
    path = _snapshot(tmp_path, rules, local, shared)
    got = _decide(
        path,
        [
            Rule("web", dst=("web-1",), svc=("tcp-443",), tags=(TAG,)),
            Rule("db", dst=("db-1",), svc=("tcp-5432",), tags=(TAG,)),
            Rule("web-pg", dst=("web-1",), svc=("tcp-5432",), tags=(TAG,)),
        ],
    )
    assert got == {
        "web": ("allowed", ("web-in",)),
        "db": ("blocked", ("no-db",)),
        "web-pg": ("uncovered", ()),  # "below" sits under the bottom rule; "old-managed" is awspan's
    }


def test_application_groups_reach_the_check(tmp_path: Path) -> None:
    objects = Objects(app_groups={"remote-admin": ("ssh", "ms-rdp")})
    rules = [
        Rule("no-remote", app=("remote-admin",), svc=("application-default",), action="deny"),
        Rule("all-in", dst=("any",)),
    ]
    path = _snapshot(tmp_path, rules, objects, Objects())
    got = _decide(
        path, [Rule("ssh", dst=("web-1",), app=("ssh",), svc=("application-default",), tags=(TAG,))]
    )
    assert got["ssh"] == ("blocked", ("no-remote",))
