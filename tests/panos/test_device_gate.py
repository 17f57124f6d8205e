"""The device is read before anything changes: version gate, shared lock scope on a single-vsys
firewall, and a config lock taken again before a rollback that follows a commit."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from emulator import EmulatorServer
from emulator.device import DeviceProfile
from generator.cli.main import main
from tests.panos.helpers import first_fragment, rule_names
from tests.policies import write_policy


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    def go(emu: EmulatorServer, command: str = "push") -> tuple[int, str, str]:
        monkeypatch.setenv("PANOS_API_KEY", emu.api_key("automation"))
        frag = tmp_path / "fragment.xml"
        frag.write_text(first_fragment())
        capsys.readouterr()
        code = main([command, "--config", str(write_policy(tmp_path, emu.url)), "--fragment", str(frag)])
        out = capsys.readouterr()
        return code, out.out, out.err

    for var in ("PANOS_URL", "PANOS_USERNAME", "PANOS_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    return go


@pytest.mark.emulator(device=DeviceProfile(sw_version="9.1.14"))
def test_below_10_0_push_and_plan_refuse_before_the_lock(run, emu: EmulatorServer):
    before = rule_names(emu.candidate())
    for command in ("plan", "push"):
        emu.reset_counters()
        code, _, err = run(emu, command)
        assert code == 1
        assert "PAN-OS 9.1.14" in err and "10.0 or later" in err
        assert [r["action"] for r in emu.requests] == ["show high-availability state", "show system info"]
        assert emu.config_locks() == {} and rule_names(emu.candidate()) == before


@pytest.mark.emulator(device=DeviceProfile(sw_version="10.0.8"))
def test_10_0_with_multi_config_disabled_names_the_command_and_changes_nothing(run, emu: EmulatorServer):
    before = rule_names(emu.candidate())
    code, _, err = run(emu)
    assert code == 1
    assert "request multi-config enabled" in err
    assert rule_names(emu.candidate()) == before and emu.config_locks() == {}
    emu.store.device.multi_config_enabled = True  # the operator ran the command
    code, out, err = run(emu)
    assert code == 0, err
    assert "PAN-OS 10.0.8" in out
    pushed = rule_names(etree.fromstring(first_fragment().encode()))
    assert rule_names(emu.running()) == [*before[:-2], *pushed, "clean-up", "below-cleanup"]


@pytest.mark.emulator(device=DeviceProfile(sw_version="11.1.2"))
def test_plan_shows_the_device_and_its_version(run, emu: EmulatorServer):
    code, out, err = run(emu, "plan")
    assert code == 0, err
    # in the plan itself (text, markdown and json), not on stderr
    assert "device: PA-VM 007000000000001 PAN-OS 11.1.2, multi-vsys off" in out


@pytest.mark.parametrize("scope", [
    pytest.param("shared", marks=pytest.mark.emulator(device=DeviceProfile(multi_vsys=False))),
    pytest.param("vsys1", marks=pytest.mark.emulator(device=DeviceProfile(multi_vsys=True))),
])
def test_single_vsys_locks_shared_multi_vsys_locks_the_vsys(run, emu: EmulatorServer, scope: str):
    code, _, err = run(emu)
    assert code == 0, err
    locks = [r for r in emu.requests if r["type"] == "op" and "<config-lock>" in (r["cmd"] or "")]
    assert locks and all(r["vsys"] == scope for r in locks)
    assert emu.config_locks() == {}


@pytest.mark.emulator(device=DeviceProfile(release_config_locks_on_commit=True))
def test_a_failed_commit_on_a_device_that_releases_locks_on_commit_relocks_before_rollback(run, emu):
    before = rule_names(emu.candidate())
    emu.fail("job")  # the commit (which released the lock) fails: the rollback follows it
    code, _, err = run(emu)
    assert code == 1 and "injected job failure" in err and "put back" in err
    adds = [r for r in emu.requests if r["type"] == "op" and "config-lock" in (r["cmd"] or "")
            and "<add>" in r["cmd"]]
    assert len(adds) == 2  # the lock, and the lock again before the rollback
    assert rule_names(emu.candidate()) == before
    assert emu.config_locks() == {}
