"""Membership `dynamic` under issue 22: registrations are part of push's transaction and agree
with state.yaml.

- A push refused for any reason (a stale saved plan, a lock held by another admin) leaves the
  firewall's registrations as they were: before issue 22 the unregistrations went out before
  the plan check and outside the config lock.
- A device that takes the User-ID messages and does not apply them is an error naming the IPs.
- registrations.yaml says exactly what generate derives from the state: an IP no protected
  interface has, a whole network, a tag generate would not give, a tag PAN-OS would refuse,
  or a missing state is refused by plan, push and validate, and nothing is registered.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from emulator import EmulatorServer
from generator.cli.main import main
from generator.location import Location
from tests.hostile.server import HostileServer, xml
from tests.hostile.test_signals import HoldBack, hold_and_signal, spawn
from tests.policies import example_policy, write_policy

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WEB_2 = "i-0a00000000000a002"
WEB_2_IPS = ("10.10.1.11", "10.20.1.20")
WEB_SG = "awspan.sg-0a1b2c3d4e5f60001"
LOC = Location()


@dataclass
class Run:
    code: int
    text: str


class Dynamic:
    """The example estate with membership dynamic against the emulator: generate, plan, push."""

    def __init__(self, emu: EmulatorServer, tmp: Path, capsys) -> None:
        self.emu, self.tmp, self.capsys = emu, tmp, capsys
        self.out = tmp / "out"
        self.out.mkdir()
        self.write_policy()
        self.state = yaml.safe_load((EXAMPLES / "state.yaml").read_text())

    def write_policy(self, membership: str = "dynamic", url: str | None = None) -> None:
        write_policy(self.tmp, url or self.emu.url, base=example_policy(), rules={"membership": membership})

    def run(self, *argv: str) -> Run:
        self.capsys.readouterr()
        code = main([argv[0], "--config", str(self.tmp / "policy.yaml"), *argv[1:]])
        got = self.capsys.readouterr()
        return Run(code, got.out + got.err)

    def set_web_2(self, state: str) -> None:
        for vpc in self.state["vpcs"]:
            for inst in vpc["instances"]:
                if inst["id"] == WEB_2:
                    inst["state"] = state

    def generate(self) -> None:
        (self.out / "state.yaml").write_text(yaml.safe_dump(self.state))
        res = self.run("generate", "--state", str(self.out / "state.yaml"), "--no-rulebase",
                       "--output", str(self.fragment))
        assert res.code == 0, res.text

    @property
    def fragment(self) -> Path:
        return self.out / "fragment.xml"

    @property
    def registrations(self) -> Path:
        return self.out / "registrations.yaml"

    def plan(self, *args: str) -> Run:
        return self.run("plan", "--fragment", str(self.fragment), *args)

    def push(self, *args: str) -> Run:
        return self.run("push", "--fragment", str(self.fragment), *args)

    def registered(self) -> dict[str, frozenset[str]]:
        return self.emu.store.registry.snapshot()

    def edit_registrations(self, edit) -> None:
        data = yaml.safe_load(self.registrations.read_text())
        edit(data["registrations"])
        self.registrations.write_text(yaml.safe_dump(data))


@pytest.fixture
def dyn(emu: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> Dynamic:
    monkeypatch.setenv("PANOS_API_KEY", emu.api_key("automation"))
    for var in ("PANOS_URL", "PANOS_USERNAME", "PANOS_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    d = Dynamic(emu, tmp_path, capsys)
    d.generate()
    res = d.push()
    assert res.code == 0, res.text  # every live address registered, the DAGs committed
    assert all(ip in d.registered() for ip in WEB_2_IPS)
    return d


def _no_user_id(emu: EmulatorServer) -> None:
    assert not any(r["type"] == "user-id" for r in emu.requests)


# -- registrations are part of the push transaction -------------------------------------------------


def test_a_stale_saved_plan_leaves_the_registrations_untouched(dyn: Dynamic, emu: EmulatorServer):
    dyn.set_web_2("stopped")
    dyn.generate()
    saved = dyn.tmp / "plan.json"
    res = dyn.plan("--out", str(saved), "--detailed-exitcode")
    assert res.code == 2, res.text  # the reviewed plan unregisters web-2
    emu.edit_as("admin", "set", LOC.entry_xpath("rules", "sg-0a1b2c3d4e5f60001-tcp-443"),
                "<description>closed by hand</description>")
    assert emu.commit_as("admin")
    before = dyn.registered()
    emu.reset_counters()
    res = dyn.push("--plan", str(saved))
    assert dyn.registered() == before  # web-2 still registered: nothing was changed
    assert res.code == 1 and "no longer matches" in res.text, res.text
    _no_user_id(emu)
    assert emu.config_locks() == {}


def test_a_push_that_cannot_take_the_lock_leaves_the_registrations_untouched(dyn: Dynamic,
                                                                              emu: EmulatorServer):
    dyn.set_web_2("stopped")
    dyn.generate()
    emu.lock_as("admin", "config", "vsys1", comment="change window")
    before = dyn.registered()
    emu.reset_counters()
    res = dyn.push()
    assert res.code == 1 and "cannot take the config lock" in res.text, res.text
    assert dyn.registered() == before
    assert not any(r["type"] == "user-id" or "registered-ip" in str(r.get("cmd")) for r in emu.requests)


def test_a_saved_plan_binds_the_registrations_delta(dyn: Dynamic, emu: EmulatorServer):
    """web-2 stops after the plan was made and approved (state and registrations regenerated, no
    new plan): the reviewed plan registered web-2, the push would unregister it: refused."""
    saved = dyn.tmp / "plan.json"
    assert dyn.plan("--out", str(saved)).code == 0
    dyn.set_web_2("stopped")
    dyn.generate()
    before = dyn.registered()
    emu.reset_counters()
    res = dyn.push("--plan", str(saved))
    assert res.code == 1 and "registrations.yaml is not the one planned" in res.text, res.text
    assert f"registration '10.10.1.11': not in the plan, now ['{WEB_SG}'] -> []" in res.text
    assert dyn.registered() == before
    _no_user_id(emu)


def test_an_ip_appended_to_registrations_after_the_plan_is_not_registered(dyn: Dynamic, emu: EmulatorServer):
    """Issue 22: appending an IP to registrations.yaml after the plan was approved made push --plan
    register it (into a group open to 0.0.0.0/0). Now the file no longer agrees with the state."""
    saved = dyn.tmp / "plan.json"
    assert dyn.plan("--out", str(saved)).code == 0
    dyn.edit_registrations(lambda regs: regs.append({"ip": "10.10.1.200", "tags": [WEB_SG]}))
    before = dyn.registered()
    emu.reset_counters()
    res = dyn.push("--plan", str(saved))
    assert res.code == 1 and "10.10.1.200 is registered in the file, but no protected interface" in res.text
    assert dyn.registered() == before and "10.10.1.200" not in dyn.registered()
    assert emu.request_count == 0


@pytest.mark.parametrize(("planned", "pushed"), [("static", "dynamic"), ("dynamic", "static")])
def test_a_plan_made_under_one_membership_is_refused_under_the_other(dyn: Dynamic, emu: EmulatorServer,
                                                                    planned: str, pushed: str):
    dyn.write_policy(membership=planned)
    dyn.generate()
    saved = dyn.tmp / "plan.json"
    assert dyn.plan("--out", str(saved)).code in (0, 1)  # static after dynamic: DAGs -> groups
    dyn.write_policy(membership=pushed)
    dyn.generate()
    before, config = dyn.registered(), emu.running_xml()
    emu.reset_counters()
    res = dyn.push("--plan", str(saved))
    assert res.code == 1, res.text
    assert f"policy.yaml 'rules.membership': '{planned}' when planned, '{pushed}' now" in res.text
    assert dyn.registered() == before and emu.running_xml() == config
    _no_user_id(emu)


def test_a_device_that_ignores_the_unregistration_is_an_error_naming_the_ips(dyn: Dynamic,
                                                                             emu: EmulatorServer):
    """The proxy answers every User-ID message with success and drops it: before issue 22 an
    unregister-only push read nothing back and exited 0."""
    dyn.set_web_2("stopped")
    dyn.generate()
    proxy = HostileServer(lambda form: xml('<response status="success"><result/></response>')
                          if form.get("type") == "user-id" else None, upstream=emu.url)
    with proxy:
        dyn.write_policy(url=proxy.url)
        res = dyn.push()
    assert res.code == 1, res.text
    assert "accepted the User-ID messages but its registrations are not what awspan sent" in res.text
    assert f"10.10.1.11 still holds '{WEB_SG}'" in res.text and "10.20.1.20 still holds" in res.text


def test_a_failed_batch_puts_the_unregistered_addresses_back(dyn: Dynamic, emu: EmulatorServer):
    """web-2 stops and a rule changes in one push; the firewall refuses the batch: the config is
    as it was, so the registrations are put back as they were too."""
    dyn.set_web_2("stopped")
    dyn.state["vpcs"][0]["security_groups"][0]["ingress"][0]["cidrs"] = ["198.51.100.0/24"]
    dyn.generate()
    before, config = dyn.registered(), emu.running_xml()
    emu.fail("multi-config", code="12", message="injected refusal")
    res = dyn.push()
    assert res.code == 1, res.text
    assert "the firewall refused the batch, nothing was changed" in res.text
    assert "registration(s) it had removed were put back" in res.text
    assert dyn.registered() == before and emu.running_xml() == config


def test_only_membership_changes_send_no_batch_and_no_commit_and_read_back(dyn: Dynamic, emu: EmulatorServer):
    dyn.set_web_2("stopped")
    dyn.generate()
    emu.reset_counters()
    res = dyn.push()
    assert res.code == 0, res.text
    kinds = [(r["type"], r["action"]) for r in emu.requests]
    assert not any(t == "commit" or a == "multi-config" for t, a in kinds)
    registered_reads = [r for r in emu.requests if "registered-ip" in str(r.get("cmd"))]
    assert len(registered_reads) == 2  # the read under the lock, and the read-back after the message
    assert all(ip not in dyn.registered() for ip in WEB_2_IPS)


# -- registrations.yaml agrees with state.yaml --------------------------------------------------------


def _refused_everywhere(dyn: Dynamic, emu: EmulatorServer, *needles: str) -> None:
    before = dyn.registered()
    emu.reset_counters()
    for command in ("plan", "push"):
        res = dyn.plan() if command == "plan" else dyn.push()
        assert res.code == 1, (command, res.text)
        assert all(n in res.text for n in needles), (command, res.text)
        assert len(res.text.strip().splitlines()) == 1 and "Traceback" not in res.text
    assert emu.request_count == 0  # refused before the firewall is asked anything
    assert dyn.registered() == before
    res = dyn.run("validate", "--state", str(dyn.out / "state.yaml"), "--fragment", str(dyn.fragment))
    assert res.code == 1 and all(n in res.text for n in needles), res.text


def test_an_ip_no_interface_has_is_refused(dyn: Dynamic, emu: EmulatorServer):
    dyn.edit_registrations(lambda regs: regs.append(
        {"ip": "10.10.1.99", "instance": "i-0a00000000000a001", "name": "web-1", "tags": [WEB_SG]}))
    _refused_everywhere(dyn, emu, "10.10.1.99 is registered in the file, but no protected interface")


def test_a_whole_network_is_refused(dyn: Dynamic, emu: EmulatorServer):
    dyn.edit_registrations(lambda regs: regs.append({"ip": "192.168.0.0/16", "tags": [WEB_SG]}))
    _refused_everywhere(dyn, emu, "'192.168.0.0/16' is a network wider than one delegated IPv4 prefix")


def test_a_prefix_no_interface_has_is_refused(dyn: Dynamic, emu: EmulatorServer):
    """A /28 is the width of a delegated prefix, but only the state says whose: one no protected
    interface has is refused like an address nobody has."""
    dyn.edit_registrations(lambda regs: regs.append({"ip": "192.168.7.16/28", "tags": [WEB_SG]}))
    _refused_everywhere(dyn, emu, "192.168.7.16/28 is registered in the file, but no protected interface")


@pytest.mark.parametrize(("tag", "message"), [
    ("awspan." + "x" * 140, "the tag name is 147 characters, over PAN-OS's 127"),
    ("awspan.sg-1,quarantine", "holds only characters other than ','"),
    ("awspan.sg-1\x1b[2J", "holds only characters other than ','"),
])
def test_a_tag_pan_os_would_refuse_is_refused(dyn: Dynamic, emu: EmulatorServer, tag: str, message: str):
    dyn.edit_registrations(lambda regs: regs[0]["tags"].append(tag))
    _refused_everywhere(dyn, emu, "registrations[0]", message)


def test_a_tag_generate_would_not_give_is_refused(dyn: Dynamic, emu: EmulatorServer):
    """web-1 labelled as a member of another security group's DAG: a valid tag, the wrong one."""
    other = "awspan.sg-0a1b2c3d4e5f60002"
    dyn.edit_registrations(lambda regs: regs[0]["tags"].append(other))
    _refused_everywhere(dyn, emu, f"10.10.1.10: tag '{other}' not derived for it")


def test_a_missing_state_is_refused_with_the_fix(dyn: Dynamic, emu: EmulatorServer):
    (dyn.out / "state.yaml").unlink()
    _refused_everywhere(dyn, emu, "which is not at", "pass --state PATH")


def test_the_state_can_be_named(dyn: Dynamic, emu: EmulatorServer):
    moved = dyn.tmp / "elsewhere.yaml"
    (dyn.out / "state.yaml").rename(moved)
    assert dyn.plan("--state", str(moved)).code == 0
    assert dyn.push("--state", str(moved)).code == 0


def test_the_file_s_names_are_not_what_plan_shows(dyn: Dynamic, emu: EmulatorServer):
    """The instance and Name beside each IP come from the state, not from the file."""
    dyn.set_web_2("stopped")
    dyn.generate()
    dyn.set_web_2("running")
    dyn.generate()
    dyn.edit_registrations(lambda regs: [r.update(name="ceo-laptop") for r in regs])
    emu.store.registry.apply(
        f'<uid-message><version>2.0</version><type>update</type><payload><unregister><entry ip="10.10.1.11">'
        f"<tag><member>{WEB_SG}</member></tag></entry></unregister></payload></uid-message>")
    res = dyn.plan()
    assert res.code == 0, res.text
    assert f"+ register 10.10.1.11 {WEB_2} (web-2)" in res.text and "ceo-laptop" not in res.text


def test_static_membership_does_not_read_the_state(emu: EmulatorServer, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch, capsys):
    monkeypatch.setenv("PANOS_API_KEY", emu.api_key("automation"))
    d = Dynamic(emu, tmp_path, capsys)
    d.write_policy(membership="static")
    d.generate()
    (d.out / "state.yaml").unlink()
    assert d.plan().code == 0 and d.push().code == 0


def test_a_signal_after_the_batch_puts_the_registrations_back_too(dyn: Dynamic, emu: EmulatorServer):
    """A real `awspan push` process held after its batch (web-2 unregistered by then), then SIGTERM:
    the candidate is put back and so are the registrations."""
    dyn.set_web_2("stopped")
    dyn.state["vpcs"][0]["security_groups"][0]["ingress"][0]["cidrs"] = ["198.51.100.0/24"]
    dyn.generate()
    before, config = dyn.registered(), emu.running_xml()

    def start(url: str):
        dyn.write_policy(url=url)
        return spawn(["push", "--config", str(dyn.tmp / "policy.yaml"), "--fragment", str(dyn.fragment)],
                     emu.api_key("automation"))

    def unregistered() -> None:
        assert WEB_2_IPS[0] not in dyn.registered()  # the unregistration went out before the batch

    code, err = hold_and_signal(HoldBack("verify"), emu.url, start, (signal.SIGTERM,), unregistered)
    assert code == 143, err
    assert "the candidate was put back" in err and "registration(s) it had removed were put back" in err
    assert dyn.registered() == before and emu.running_xml() == config and emu.config_locks() == {}
