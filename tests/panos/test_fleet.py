"""Panorama's firewalls as awspan reads and reaches them (xmlapi/fleet.py, push/fleet_registrations.py,
commit-all per group): who the device group reaches, a firewall that fails mid-way, a parent
device group whose firewalls sit in a child, device strings as data."""

from __future__ import annotations

import json

import yaml

from emulator import EmulatorServer
from emulator.device import DeviceProfile
from generator.location import Location
from generator.panos.push.commitall import CommitAll, DeviceResult, failure_text
from generator.panos.xmlapi.client import PanosClient
from generator.panos.xmlapi.fleet import ManagedDevice, read_fleet
from tests.panorama_hierarchy import CLEAN_UP, SERIALS, panorama_config
from tests.panos.helpers import address, fragment, rule
from tests.panos.panorama_estate import FW1, FW2, OPERATORS, Estate
from tests.policies import write_policy

AWS = Location(vsys=None, device_group="aws", rulebase="pre")
DG1 = Location(vsys=None, device_group="dg1", rulebase="pre")


def test_the_fleet_of_a_parent_group_is_its_childrens_firewalls_in_three_requests_plus_one_per_group():
    with EmulatorServer(config_xml=panorama_config(), panorama=True,
                        device=DeviceProfile(disconnected_devices=(FW2,))) as emu:
        client = PanosClient(emu.url, api_key=emu.api_key("automation"))
        fleet = read_fleet(client, AWS)
        assert fleet.groups == ["aws", "dg1"] and fleet.groups_with_devices() == ["dg1"]
        assert [(d.serial, d.device_group, d.connected) for d in fleet.devices] == [
            (FW1, "dg1", True), (FW2, "dg1", False)]
        assert client.request_count == 2 + len(fleet.groups)
        assert read_fleet(client, DG1).groups == ["dg1"]


def test_a_multi_vsys_firewall_is_one_device_per_vsys_of_the_group():
    devices = f"<entry name='{FW1}'><vsys><entry name='vsys2'/><entry name='vsys3'/></vsys></entry>"
    config = panorama_config(devices=()).replace("<devices></devices>", f"<devices>{devices}</devices>", 2)
    with EmulatorServer(config_xml=config, panorama=True) as emu:
        fleet = read_fleet(PanosClient(emu.url, api_key=emu.api_key("automation")), DG1)
        assert [d.describe() for d in fleet.devices if d.device_group == "dg1"] == [
            f"{FW1}/vsys2 (fw-0001)", f"{FW1}/vsys3 (fw-0001)"]


def test_a_parent_groups_push_reaches_the_firewalls_of_its_child(tmp_path, monkeypatch, capsys):
    """pan-os-ansible #400: a commit-all of the parent alone pushes nothing to a child's firewalls,
    so awspan pushes each group of the hierarchy below its own that holds firewalls."""
    from generator.cli.main import main

    config = panorama_config(parent_pre=CLEAN_UP, dg_pre="")
    with EmulatorServer(config_xml=config, panorama=True, job_steps=0) as emu:
        monkeypatch.setenv("PANOS_API_KEY", emu.api_key("automation"))
        aws = {"device_group": "aws", "rulebase": "pre"}
        policy = write_policy(tmp_path, emu.url, firewall={"location": aws, "push_to_devices": True})
        frag = tmp_path / "fragment.xml"
        frag.write_text(fragment([rule("sg-1", destination=["web-1"])],
                                 addresses=[address("web-1", "10.0.1.10/32")], location=AWS))
        assert main(["push", "--config", str(policy), "--fragment", str(frag)]) == 0, capsys.readouterr().err
        pushed = [r["cmd"] for r in emu.requests if r["type"] == "commit" and r["action"] == "all"]
        assert len(pushed) == 1 and "<entry name=\"dg1\"/>" in pushed[0]
        assert all(emu.fleet[s].device_group == "dg1" and emu.fleet[s].pushes == 1 for s in SERIALS)
        rules = emu.fleet[FW1].pushed.xpath("//pre-rulebase/security/rules/entry/@name")
        assert rules == ["sg-1", "clean-up"]  # the parent's rules, on the child's firewalls


def test_a_firewall_that_fails_mid_way_is_named_and_the_other_gets_its_registrations(
        tmp_path, monkeypatch, capsys):
    with EmulatorServer(config_xml=OPERATORS, panorama=True, job_steps=0) as emu:
        estate = Estate(emu, tmp_path, monkeypatch, capsys, "dynamic")
        estate.generate()
        emu.fail("user-id", nth=1, code="13", message="User-ID service not ready")  # the first firewall's
        code, out, err = estate.push()
        assert code == 1
        assert f"firewall {FW1} (fw-0001): registering failed:" in err and "User-ID service not ready" in err
        assert FW2 not in err
        wanted = yaml.safe_load((estate.fragment.parent / "registrations.yaml").read_text())["registrations"]
        assert len(emu.fleet[FW2].registry.snapshot()) == len(wanted)
        assert emu.fleet[FW1].registry.snapshot() == {}
        code, _, err = estate.push()  # the next run heals it
        assert code == 0, err
        assert emu.fleet[FW1].registry.snapshot() == emu.fleet[FW2].registry.snapshot()


def test_plan_shows_each_firewall_in_every_format(tmp_path, monkeypatch, capsys):
    with EmulatorServer(config_xml=OPERATORS, panorama=True, job_steps=0,
                        device=DeviceProfile(disconnected_devices=(FW2,))) as emu:
        estate = Estate(emu, tmp_path, monkeypatch, capsys, "dynamic")
        estate.generate()
        code, text = estate.plan()
        assert code == 0
        assert f"{FW2} (fw-0002) in dg1: NOT CONNECTED" in text
        assert f"firewall {FW2} (fw-0002): not connected: not reconciled" in text
        assert "+ register 10.10.1.10 i-0a00000000000a001 (web-1): awspan.sg-0a1b2c3d4e5f60001" in text
        code, markdown = estate.plan("markdown")
        assert f"- `{FW2}` (`fw-0002`) in `dg1`: NOT CONNECTED" in markdown  # device strings as code spans
        assert f"firewall {FW2} (fw-0002): not connected: not reconciled" in markdown
        code, raw = estate.plan("json")
        doc = json.loads(raw)
        [fw1] = [d for d in doc["membership"]["devices"] if d["serial"] == FW1]
        wanted = yaml.safe_load((estate.fragment.parent / "registrations.yaml").read_text())["registrations"]
        assert (fw1["registered"], len(fw1["register"])) == (0, len(wanted))  # it gets them all
        assert {e["devices"][0] for e in doc["membership"]["register"]} == {f"{FW1} (fw-0001)"}


def test_device_strings_are_data_in_plan_and_push_output(tmp_path, monkeypatch, capsys):
    """A hostname is the device's string: a newline or a bidi control in it cannot forge a line."""
    with EmulatorServer(config_xml=OPERATORS, panorama=True, job_steps=0,
                        device=DeviceProfile(disconnected_devices=(FW2,))) as emu:
        emu.fleet[FW2].hostname = "fw\nawspan push: all good\u202e"
        estate = Estate(emu, tmp_path, monkeypatch, capsys, "dynamic")
        estate.generate()
        _, text = estate.plan()
        code, out, err = estate.push()
        assert code == 1
        for output in (text, out, err):
            assert "\nawspan push: all good" not in output
            assert "\u202e" not in output and "all good\\u202e" in output


def test_failure_text_names_a_firewall_missing_from_the_job_and_says_which_is_not_connected():
    expected = [ManagedDevice(FW1, "fw-a", "dg1", connected=True),
                ManagedDevice(FW2, "fw-b", "dg1", connected=False)]
    outcome = CommitAll("7", "FAIL", [DeviceResult(FW2, "fw-b", "FAIL", ["device is not connected"])])
    text = failure_text("dg1", outcome, expected)
    assert text is not None
    assert f"{FW2} (fw-b): FAIL: device is not connected (not connected to Panorama)" in text
    assert f"{FW1} (fw-a): not in the job, not pushed" in text
    ok = CommitAll("8", "OK", [DeviceResult(FW1, "fw-a", "OK"), DeviceResult(FW2, "fw-b", "OK")])
    assert failure_text("dg1", ok, expected) is None


def test_a_firewall_out_of_sync_is_a_change_plan_shows_and_push_makes(tmp_path, monkeypatch, capsys):
    """No config change, but Panorama reports a firewall Out of Sync (an earlier push missed it):
    plan --detailed-exitcode says 2, push runs commit-all and only then is everything in sync."""
    with EmulatorServer(config_xml=OPERATORS, panorama=True, job_steps=0) as emu:
        estate = Estate(emu, tmp_path, monkeypatch, capsys, "static")
        estate.generate()
        assert estate.push()[0] == 0
        detailed = ["plan", "--fragment", str(estate.fragment), "--detailed-exitcode"]
        assert estate.run(*detailed)[0] == 0
        emu.fleet[FW2].pushed = None  # it lost its pushed policy: Panorama reports it Out of Sync
        code, out, _ = estate.run(*detailed)
        assert code == 2 and f"{FW2} (fw-0002) in dg1: connected, out of sync; commit-all pushes to it" in out
        code, out, err = estate.push()
        assert code == 0, err
        assert [r["action"] for r in estate.requests("commit")] == ["all"]  # no Panorama commit
        assert emu.fleet[FW2].pushed is not None and estate.run(*detailed)[0] == 0


def test_a_saved_plan_on_panorama_binds_each_firewalls_registrations(tmp_path, monkeypatch, capsys):
    """push --plan applies the reviewed change only: a registration made on one firewall since the
    plan refuses it, naming the firewall and the address, and nothing is sent."""
    with EmulatorServer(config_xml=OPERATORS, panorama=True, job_steps=0) as emu:
        estate = Estate(emu, tmp_path, monkeypatch, capsys, "dynamic")
        estate.generate()
        saved = tmp_path / "plan.json"
        assert estate.run("plan", "--fragment", str(estate.fragment), "--out", str(saved))[0] == 0
        code, _, err = estate.run("push", "--fragment", str(estate.fragment), "--plan", str(saved))
        assert code == 0, err
        assert estate.run("plan", "--fragment", str(estate.fragment), "--out", str(saved))[0] == 0
        emu.fleet[FW2].registry.apply(  # by hand, on one firewall: drift the plan did not see
            "<uid-message><version>2.0</version><type>update</type><payload><register>"
            "<entry ip='192.0.2.99'><tag><member>awspan.sg-0a1b2c3d4e5f60001</member></tag></entry>"
            "</register></payload></uid-message>")
        before = {s: emu.fleet[s].registry.snapshot() for s in (FW1, FW2)}
        emu.reset_counters()
        code, _, err = estate.run("push", "--fragment", str(estate.fragment), "--plan", str(saved))
        assert code == 1 and f"{FW2}/vsys1 192.0.2.99" in err
        assert {s: emu.fleet[s].registry.snapshot() for s in (FW1, FW2)} == before
        assert not [r for r in emu.requests if r["type"] in ("user-id", "commit")]
