"""Membership `dynamic` end to end on loopback: generate -> plan -> push against the emulator.

The promise: the first push creates the rules and DAGs (one commit) and registers the live
addresses; afterwards an instance stop or start is enforced by registrations alone, with no
commit, and the firewall then lets through exactly what it did in static mode. Tags of other
tools are never touched; awspan's own tags registered by hand are drift that push removes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from emulator import EmulatorServer
from generator.cli.main import main
from tests.panos.helpers import unfold
from tests.policies import example_policy, write_policy

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WEB_2 = "i-0a00000000000a002"
WEB_2_IP = "10.10.1.11"
WEB_1_IP = "10.10.1.10"


def _reg(emu: EmulatorServer, ip: str, tag: str) -> None:
    message = (f'<uid-message><version>2.0</version><type>update</type><payload><register><entry ip="{ip}">'
               f"<tag><member>{tag}</member></tag></entry></register></payload></uid-message>")
    emu.api.store.registry.apply(message)


def _allowed_by(emu: EmulatorServer, ip: str, port: int = 443) -> str | None:
    """The first running rule that `test security-policy-match` finds for internet -> ip:port."""
    from emulator.policy_match import Flow, Matcher

    running = emu.running()
    scope = running.xpath("devices/entry/vsys/entry[@name='vsys1']")[0]
    hits = Matcher(scope, running.find("shared"), emu.store.registry).matches(
        Flow("untrust", "trust", "198.51.100.7", ip, 6, port)
    )
    return hits[0][1].get("name") if hits else None


@pytest.fixture
def loop(emu: EmulatorServer, tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("PANOS_API_KEY", emu.api_key("automation"))
    write_policy(tmp_path, emu.url, base=example_policy(), rules={"membership": "dynamic"})
    state = yaml.safe_load((EXAMPLES / "state.yaml").read_text())
    out = tmp_path / "out"

    def run(*argv: str) -> tuple[int, str]:
        capsys.readouterr()
        code = main([argv[0], "--config", str(tmp_path / "policy.yaml"), *argv[1:]])
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    def cycle(web_2_state: str, *push_args: str) -> tuple[int, str, str]:
        """Set web-2's state, generate, plan and push; (push exit, plan text, push text)."""
        for vpc in state["vpcs"]:
            for inst in vpc["instances"]:
                if inst["id"] == WEB_2:
                    inst["state"] = web_2_state
        out.mkdir(exist_ok=True)  # state.yaml beside the fragment, as the pipeline keeps it (out/)
        (out / "state.yaml").write_text(yaml.safe_dump(state))
        code, text = run("generate", "--state", str(out / "state.yaml"), "--no-rulebase",
                         "--output", str(out / "fragment.xml"))
        assert code == 0, text
        plan_code, plan = run("plan", "--fragment", str(out / "fragment.xml"), "--detailed-exitcode")
        plan = unfold(plan)
        assert plan_code in (0, 2) or (plan_code == 1 and "push would refuse this plan" in plan), plan
        emu.reset_counters()  # from here on: push's own requests
        code, pushed = run("push", "--fragment", str(out / "fragment.xml"), *push_args)
        return code, plan, pushed

    return cycle


def _commits(emu: EmulatorServer) -> int:
    return sum(1 for r in emu.api.recorded() if r["type"] == "commit")


def test_start_and_stop_are_enforced_without_a_commit(emu, loop):
    code, plan, pushed = loop("running")
    assert code == 0, pushed
    assert f"+ register {WEB_2_IP} {WEB_2} (web-2): awspan.sg-0a1b2c3d4e5f60001" in plan
    assert _commits(emu) == 1  # the rules and DAGs: the one commit of the first push
    assert _allowed_by(emu, WEB_2_IP) == "sg-0a1b2c3d4e5f60001-tcp-443"
    registered = emu.store.registry.snapshot()
    assert WEB_2_IP in registered and WEB_1_IP in registered

    code, plan, pushed = loop("stopped")
    assert code == 0, pushed
    # the stop is a traffic change: the headline names the instance whose flows close (from
    # state.yaml: web-2 is no longer in registrations.yaml)
    headline = plan.split("\n  objects:")[0]
    assert "rules: 0 opened, 0 closed, 0 changed, 7 affected" in headline
    closed = f"closed to {WEB_2} (web-2) {WEB_2_IP}, 10.20.1.20, 10.20.1.21"
    assert f"; flows: 0 opened, 11 closed ({closed})" in headline
    assert "registrations: 0 to register, 3 to unregister" in headline
    assert f"- unregister {WEB_2_IP} {WEB_2} (web-2): awspan.sg-0a1b2c3d4e5f60001" in plan
    assert f"- destination sg-0a1b2c3d4e5f60001 -> {WEB_2} (web-2) {WEB_2_IP}" in plan  # the affected rules
    assert "already matches" in pushed
    assert _commits(emu) == 0  # membership only: no commit
    assert _allowed_by(emu, WEB_2_IP) == "clean-up"  # stopped: the firewall no longer lets it in
    assert _allowed_by(emu, WEB_1_IP) == "sg-0a1b2c3d4e5f60001-tcp-443"
    # push alone: HA state, system info, lock, whose key, candidate, running, then (under the
    # lock) the registered-ip read, one User-ID message, the read-back, and unlock: the config
    # part finds nothing to do, sends no batch and commits nothing
    recorded = emu.api.recorded()
    assert len(recorded) <= 10, recorded
    assert not any(r["action"] == "multi-config" for r in recorded)

    code, _, pushed = loop("running")
    assert code == 0 and _commits(emu) == 0
    assert _allowed_by(emu, WEB_2_IP) == "sg-0a1b2c3d4e5f60001-tcp-443"


def test_other_tools_tags_stay_and_hand_registered_awspan_tags_go(emu, loop):
    _reg(emu, "192.0.2.50", "quarantine")  # another tool's tag
    _reg(emu, "192.0.2.51", "awspan.sg-0a1b2c3d4e5f60001")  # drift: not in registrations.yaml
    code, plan, pushed = loop("running")
    assert code == 0, pushed
    assert "- unregister 192.0.2.51 (in neither state.yaml nor registrations.yaml: registered by hand, " \
        "or gone): " \
        "awspan.sg-0a1b2c3d4e5f60001" in plan
    registered = emu.store.registry.snapshot()
    assert registered["192.0.2.50"] == frozenset({"quarantine"})
    assert "192.0.2.51" not in registered
    assert "quarantine" not in plan


def test_plan_says_when_the_registrations_already_match(emu, loop):
    assert loop("running")[0] == 0
    _, plan, _ = loop("running")
    assert "the firewall holds exactly registrations.yaml" in plan


def test_mass_unregistration_is_guarded_like_mass_rule_deletes(emu, loop, tmp_path):
    """A partial collect in dynamic mode would show as addresses leaving, not rules: the same
    safety.max_delete_percent guard refuses it (plan exits 1, push changes nothing) unless --force."""
    assert loop("running")[0] == 0
    policy = yaml.safe_load((tmp_path / "policy.yaml").read_text())
    policy["safety"] = {"max_delete_percent": 30, "min_existing": 5}
    (tmp_path / "policy.yaml").write_text(yaml.safe_dump(policy))
    before = emu.store.registry.snapshot()
    code, plan, pushed = loop("stopped")  # web-2: 3 of the 9 registered addresses (33 %)
    assert code == 1 and "push refused, nothing was changed: push would unregister 3 of 9" in pushed
    assert "push would refuse this plan" in plan
    assert emu.store.registry.snapshot() == before
    code, _, pushed = loop("stopped", "--force")
    assert code == 0, pushed
    assert len(emu.store.registry.snapshot()) == 6


def test_a_delegated_ipv4_prefix_is_registered_as_a_network_and_lets_its_pods_through(
        emu, tmp_path, monkeypatch, capsys):
    """Issue 27: an EKS node's /28 is registered as a network (PAN-OS 10.0+), so a pod's address
    inside it matches the DAG without a commit; the /80 stays a static address object (IPv6
    networks cannot be registered); a load balancer's interface is registered like an instance's."""
    case = Path(__file__).resolve().parents[1] / "generate" / "golden" / "features" / "interfaces"
    monkeypatch.setenv("PANOS_API_KEY", emu.api_key("automation"))
    policy = yaml.safe_load((case / "policy.yaml").read_text())
    policy["firewall"]["url"] = emu.url
    policy["rules"]["membership"] = "dynamic"
    (tmp_path / "policy.yaml").write_text(yaml.safe_dump(policy))
    out = tmp_path / "out" / "fragment.xml"
    config = ["--config", str(tmp_path / "policy.yaml")]
    assert main(["generate", *config, "--state", str(case / "state.yaml"), "--no-rulebase",
                 "--output", str(out)]) == 0
    # registrations.yaml is checked against the state it was generated from (issue 22)
    assert main(["push", *config, "--fragment", str(out), "--state", str(case / "state.yaml")]) == 0, \
        capsys.readouterr().err
    registered = emu.store.registry.snapshot()
    assert registered["10.10.1.32/28"] == {"awspan.sg-0a1b2c3d4e5f60006"}
    assert registered["10.10.1.50"] == {"awspan.sg-0a1b2c3d4e5f60004"}
    assert not any(":" in ip and "/" in ip for ip in registered)
    from emulator.policy_match import Flow, Matcher

    running = emu.running()
    scope = running.xpath("devices/entry/vsys/entry[@name='vsys1']")[0]
    matcher = Matcher(scope, running.find("shared"), emu.store.registry)
    pod = Flow("untrust", "trust", "192.0.2.5", "10.10.1.41", 6, 443)  # inside the /28
    outside = Flow("untrust", "trust", "192.0.2.5", "10.10.1.49", 6, 443)  # past it
    assert matcher.matches(pod)[0][1].get("name") == "sg-0a1b2c3d4e5f60006-tcp-443"
    assert matcher.matches(outside)[0][1].get("name") == "clean-up"
