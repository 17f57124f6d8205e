"""The examples' estate on a Panorama device group, driven through the command line (tests/panos).

`Estate` writes policy.yaml (location dg1, push_to_devices, the membership asked), state.yaml
and the fragment, runs generate, plan and push as a user would, and asks each firewall behind
Panorama what it allows (fleet_probe.py).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from emulator import EmulatorServer
from generator.cli.main import main
from generator.policy import parse_policy
from tests.panorama_hierarchy import CLEAN_UP, SERIALS, address, panorama_config, rule
from tests.panos.fleet_probe import mismatches
from tests.policies import example_policy, policy_document, write_policy

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FW1, FW2 = SERIALS
WEB_2 = "i-0a00000000000a002"
DG = "/config/devices/entry[@name='localhost.localdomain']/device-group/entry[@name='dg1']"

OPERATORS = panorama_config(
    shared_pre=rule("quarantine", src="192.0.2.66", action="deny"),
    shared_post=rule("shared-deny-all", action="deny"),
    parent_objects="<address>" + address("bastion", "10.0.0.5") + "</address>",
    parent_pre=rule("aws-admin-ssh", dst="bastion", app="ssh", service="application-default"),
    dg_pre=CLEAN_UP,
)
"""Operator rules at every level of the hierarchy, none of them on the estate's traffic."""


class Estate:
    """The examples' estate pushed to Panorama's dg1: files, the command line, the firewalls' view."""

    def __init__(self, emu: EmulatorServer, tmp_path: Path, monkeypatch, capsys, membership: str,
                 urls: list[str] | None = None) -> None:
        self.emu, self.tmp, self.capsys = emu, tmp_path, capsys
        if urls is None:
            monkeypatch.setenv("PANOS_API_KEY", emu.api_key("automation"))
        data = policy_document(urls or emu.url, base=example_policy(), rules={"membership": membership},
                               firewall={"location": {"device_group": "dg1", "rulebase": "pre"},
                                         "push_to_devices": True})
        write_policy(tmp_path, urls or emu.url, base=data)
        self.policy = parse_policy(data, "policy.yaml")
        self.state = yaml.safe_load((EXAMPLES / "state.yaml").read_text())
        self.fragment = tmp_path / "out" / "fragment.xml"

    def run(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main([argv[0], "--config", str(self.tmp / "policy.yaml"), *argv[1:]])
        out = self.capsys.readouterr()
        return code, out.out, out.err

    def set_state(self, instance: str, value: str) -> None:
        for vpc in self.state["vpcs"]:
            for inst in vpc["instances"]:
                if inst["id"] == instance:
                    inst["state"] = value

    def generate(self, rulebase: Path | None = None) -> str:
        """state.yaml beside the fragment (out/), where plan and push check registrations.yaml against it."""
        state = self.fragment.parent / "state.yaml"
        state.parent.mkdir(parents=True, exist_ok=True)
        state.write_text(yaml.safe_dump(self.state))
        check = ["--rulebase", str(rulebase)] if rulebase else ["--no-rulebase"]
        code, _, err = self.run("generate", "--state", str(state), *check, "--output", str(self.fragment))
        assert code == 0, err
        return err

    def plan(self, fmt: str = "text") -> tuple[int, str]:
        code, out, err = self.run("plan", "--fragment", str(self.fragment), "--format", fmt)
        return code, out if fmt == "json" else out + err

    def push(self) -> tuple[int, str, str]:
        self.emu.reset_counters()
        return self.run("push", "--fragment", str(self.fragment))

    def wrong(self, *serials: str) -> list[str]:
        key = self.emu.api_key("automation")
        return [w for serial in serials or SERIALS
                for w in mismatches(self.emu.url, key, serial, self.state, self.policy)]

    def requests(self, kind: str) -> list[dict]:
        return [r for r in self.emu.requests if r["type"] == kind]
