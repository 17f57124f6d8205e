"""Panorama with firewall.push_to_devices: commit-all of the device group, one result per firewall."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator import EmulatorServer
from emulator.device import DeviceProfile
from generator.cli.main import main
from generator.location import Location
from tests.panorama_hierarchy import panorama_config
from tests.panos.helpers import address, fragment, rule
from tests.policies import write_policy

LOC = Location(vsys=None, device_group="dg1", rulebase="pre")
DG = {"device_group": "dg1", "rulebase": "pre"}

pytestmark = pytest.mark.emulator(panorama=True)  # the shared `emu` (tests/conftest.py) as Panorama


def _push(server: EmulatorServer, tmp_path: Path, monkeypatch, capsys, *, push_to_devices: bool = True):
    monkeypatch.setenv("PANOS_API_KEY", server.api_key("automation"))
    policy = write_policy(tmp_path, server.url, firewall={"location": DG, "push_to_devices": push_to_devices})
    frag = tmp_path / "fragment.xml"
    frag.write_text(fragment([rule("sg-1", destination=["web-1"])],
                             addresses=[address("web-1", "10.0.1.10/32")], location=LOC))
    capsys.readouterr()
    code = main(["push", "--config", str(policy), "--fragment", str(frag)])
    out = capsys.readouterr()
    return code, out.out, out.err


def _commit_all_requests(server: EmulatorServer) -> list[dict]:
    return [r for r in server.requests if r["type"] == "commit" and r["action"] == "all"]


def test_commit_all_follows_the_panorama_commit_and_reports_every_device(
        emu: EmulatorServer, tmp_path, monkeypatch, capsys,
):
    code, out, err = _push(emu, tmp_path, monkeypatch, capsys)
    assert code == 0, err
    [request] = _commit_all_requests(emu)
    assert '<device-group><entry name="dg1"/></device-group>' in request["cmd"]
    kinds = [(r["type"], r["action"]) for r in emu.requests if r["type"] == "commit"]
    assert kinds == [("commit", "partial"), ("commit", "all")]  # Panorama's own commit first
    assert "device 007051000000001 (fw-0001): OK" in out
    assert "device 007051000000002 (fw-0002): OK" in out


def test_a_firewalls_own_uncommitted_changes_never_ride_along(
        emu: EmulatorServer, tmp_path, monkeypatch, capsys,
):
    """merge-with-candidate-cfg: absent means yes (pan-python lib/pan/commit.py), which commits each
    firewall's local pending changes (another admin's work) with the push. awspan says no."""
    code, _, err = _push(emu, tmp_path, monkeypatch, capsys)
    assert code == 0, err
    [request] = _commit_all_requests(emu)
    assert "<merge-with-candidate-cfg>no</merge-with-candidate-cfg>" in request["cmd"]
    [job] = [j for j in emu.store.jobs.values() if j.type == "CommitAll"]
    assert job.merge_with_candidate is False


@pytest.mark.emulator(panorama=True, device=DeviceProfile(failing_devices=("007051000000002",)))
def test_a_failing_device_fails_the_push_naming_it(emu: EmulatorServer, tmp_path, monkeypatch, capsys):
    code, _, err = _push(emu, tmp_path, monkeypatch, capsys)
    assert code == 1
    assert "007051000000002 (fw-0002): FAIL" in err and "injected device failure" in err
    assert "007051000000001" not in err  # the device that succeeded is not blamed
    assert "sg-1" in [e.get("name") for e in emu.running().xpath(LOC.rules_xpath + "/entry")]
    assert emu.config_locks() == {}


@pytest.mark.emulator(panorama=True, config_xml=panorama_config(devices=()))
def test_no_device_in_the_group_is_an_error(emu: EmulatorServer, tmp_path, monkeypatch, capsys):
    code, _, err = _push(emu, tmp_path, monkeypatch, capsys)
    assert code == 1 and "device group 'dg1' (and its descendants) has no firewall assigned" in err
    assert not _commit_all_requests(emu)  # a push to nothing is not sent


@pytest.mark.emulator(panorama=True, device=DeviceProfile(managed_devices=()))
def test_serials_panorama_does_not_manage_are_named_not_pushed(
        emu: EmulatorServer, tmp_path, monkeypatch, capsys,
):
    code, _, err = _push(emu, tmp_path, monkeypatch, capsys)
    assert code == 1
    assert "007051000000001: not in the job, not pushed (not connected to Panorama)" in err


def test_without_push_to_devices_there_is_no_commit_all(emu: EmulatorServer, tmp_path, monkeypatch, capsys):
    code, _, err = _push(emu, tmp_path, monkeypatch, capsys, push_to_devices=False)
    assert code == 0, err
    assert _commit_all_requests(emu) == []


@pytest.mark.emulator(panorama=False, bare=True)  # a firewall
def test_push_to_devices_on_a_firewall_location_is_a_policy_error(
        emu: EmulatorServer, tmp_path, monkeypatch, capsys,
):
    monkeypatch.setenv("PANOS_API_KEY", emu.api_key("automation"))
    policy = write_policy(tmp_path, emu.url, firewall={"push_to_devices": True})
    capsys.readouterr()
    assert main(["plan", "--config", str(policy)]) == 1
    err = capsys.readouterr().err
    assert "firewall.push_to_devices" in err and "Panorama" in err
    assert emu.request_count == 0


@pytest.mark.parametrize("steps", [pytest.param(n, marks=pytest.mark.emulator(panorama=True, job_steps=n))
                                   for n in (0, 3)])
def test_device_results_are_read_only_once_the_job_ends(emu: EmulatorServer, tmp_path, monkeypatch, capsys,
                                                        steps):
    code, out, err = _push(emu, tmp_path, monkeypatch, capsys)
    assert code == 0, err
    assert "PEND" not in out and out.count(": OK") == 2
