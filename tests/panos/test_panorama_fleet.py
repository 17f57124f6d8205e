"""A Panorama device group of two VM-Series, end to end on loopback (issue 26).

generate -> plan -> push against the emulator playing Panorama (device group dg1 under a parent
`aws`, two firewalls); then each firewall is asked through Panorama (`target=SERIAL`) what its
pushed policy, resolved through its own registrations, allows, and compared with the
independent oracle of tests/generate (tests/panos/fleet_probe.py). Static and dynamic
membership; a start/stop in dynamic mode reaches every firewall without a commit; a firewall
that is not connected is named and push exits 1 after the other is done; one that joins gets
the whole map; a Panorama HA pair after a failover.
"""

from __future__ import annotations

import json
from contextlib import ExitStack

import jsonschema
import pytest

from emulator import EmulatorServer
from emulator.device import DeviceProfile
from emulator.fleet import Fleet
from generator.resources import load_json_schema
from tests.panorama_hierarchy import SERIALS, address, panorama_config, rule
from tests.panos.panorama_estate import DG, FW1, FW2, OPERATORS, WEB_2, Estate

pytestmark = pytest.mark.slow  # each asks ~600 flows per firewall over HTTP: 5 to 20 s a test

@pytest.fixture
def panorama():
    with EmulatorServer(config_xml=OPERATORS, panorama=True, job_steps=1) as server:
        yield server


def test_static_membership_leaves_every_firewall_allowing_exactly_the_security_groups_traffic(
        panorama, tmp_path, monkeypatch, capsys):
    estate = Estate(panorama, tmp_path, monkeypatch, capsys, "static")
    estate.generate()
    code, out, err = estate.push()
    assert code == 0, err
    assert f"device {FW1} (fw-0001): OK" in out and f"device {FW2} (fw-0002): OK" in out
    assert estate.wrong() == []
    estate.set_state(WEB_2, "stopped")  # static: a stop is a config change, pushed with commit-all
    estate.generate()
    assert estate.push()[0] == 0
    assert len([r for r in estate.requests("commit") if r["action"] == "all"]) == 1
    assert estate.wrong() == []


def test_dynamic_membership_reaches_every_firewall_and_a_stop_or_start_needs_no_commit(
        panorama, tmp_path, monkeypatch, capsys):
    estate = Estate(panorama, tmp_path, monkeypatch, capsys, "dynamic")
    estate.generate()
    code, plan = estate.plan()
    assert code == 0, plan
    assert f"firewall {FW1} (fw-0001) (holds none of awspan's: it gets them all):" in plan
    code, out, err = estate.push()
    assert code == 0, err
    assert [r["action"] for r in estate.requests("commit")] == ["partial", "all"]
    assert {r["target"] for r in estate.requests("user-id")} == set(SERIALS)
    assert panorama.store.registry.snapshot() == {}  # Panorama's own table is not what firewalls enforce
    assert estate.wrong() == []
    for state in ("stopped", "running"):
        estate.set_state(WEB_2, state)
        estate.generate()
        code, out, err = estate.push()
        assert code == 0, err
        assert estate.requests("commit") == []  # no commit on Panorama, no commit-all on the firewalls
        assert sorted(r["target"] for r in estate.requests("user-id")) == list(SERIALS)  # one message each
        # bounded per firewall, never per rule: HA state, fleet (show dg-hierarchy, dg1's devices, show
        # devices all), per firewall read + message + read back, then system info, lock, the key's
        # owner, candidate, running, unlock
        assert len(panorama.requests) == 1 + 3 + 3 * len(SERIALS) + 6, panorama.requests
        assert estate.wrong() == []


def test_a_disconnected_firewall_is_named_and_the_other_gets_everything(tmp_path, monkeypatch, capsys):
    profile = DeviceProfile(disconnected_devices=(FW2,))
    with EmulatorServer(config_xml=OPERATORS, panorama=True, job_steps=1, device=profile) as server:
        estate = Estate(server, tmp_path, monkeypatch, capsys, "dynamic")
        estate.generate()
        code, plan = estate.plan("json")
        assert code == 0
        doc = json.loads(plan)
        schema = load_json_schema("plan.schema.json")
        for part in ("devices", "membership"):
            jsonschema.validate(doc[part], {"$defs": schema["$defs"], **schema["properties"][part]})
        assert [(d["serial"], d["connected"], d["commit_all"]) for d in doc["devices"]] == [
            (FW1, True, "push"), (FW2, False, "not connected")]
        fw2 = next(d for d in doc["membership"]["devices"] if d["serial"] == FW2)
        assert fw2["register"] == [] and not fw2["connected"]
        assert all(FW1 in e["devices"][0] for e in doc["membership"]["register"])
        code, out, err = estate.push()
        assert code == 1
        assert f"firewall {FW2} (fw-0002) of device group dg1 is not connected to Panorama" in err
        assert "the rest of the push is done" in err
        assert f"device {FW1} (fw-0001): OK" in out
        assert estate.wrong(FW1) == []
        assert server.fleet[FW2].registry.snapshot() == {} and server.fleet[FW2].pushed is None
        server.fleet.set_connected(FW2, True)  # it comes back: out of sync, and holding no registrations
        code, out, err = estate.push()
        assert code == 0, err
        assert [r["action"] for r in estate.requests("commit")] == ["all"]  # nothing new on Panorama
        assert estate.wrong() == []


def test_a_firewall_that_joins_the_group_gets_the_whole_map(panorama, tmp_path, monkeypatch, capsys):
    estate = Estate(panorama, tmp_path, monkeypatch, capsys, "dynamic")
    estate.generate()
    assert estate.push()[0] == 0
    fw3 = "007051000000003"
    panorama.fleet.add(fw3, "fw-scaled-out")  # scale-out: it registers with Panorama and is assigned
    panorama.edit_as("admin", "set", DG + "/devices", f"<entry name='{fw3}'/>")
    assert panorama.commit_as("admin")
    code, plan = estate.plan()
    assert f"{fw3} (fw-scaled-out) in dg1: connected, out of sync; commit-all pushes to it" in plan
    assert f"{FW1} (fw-0001) in dg1: connected, in sync; no commit-all (nothing to push)" in plan
    code, out, err = estate.push()
    assert code == 0, err
    assert f"device {fw3} (fw-scaled-out): OK" in out
    assert [r["target"] for r in estate.requests("user-id")] == [fw3]  # the others already hold the map
    assert estate.wrong(FW1, FW2, fw3) == []


def test_a_panorama_pair_after_a_failover_pushes_through_the_secondary_now_active(
        tmp_path, monkeypatch, capsys):
    """Both Panorama manage the same firewalls; after a failover the secondary is active
    (`secondary-active`): push and registrations go there, the passive primary gets no request
    but its HA state."""
    fleet = Fleet.from_profile(DeviceProfile())
    with ExitStack() as stack:
        primary, secondary = (stack.enter_context(EmulatorServer(
            config_xml=OPERATORS, panorama=True, job_steps=1, fleet=fleet,
            device=DeviceProfile(ha_state=state, ha_peer=peer))) for state, peer in (
                ("primary-passive", "secondary-active"), ("secondary-active", "primary-passive")))
        monkeypatch.delenv("PANOS_API_KEY", raising=False)
        monkeypatch.setenv("PANOS_USERNAME", "automation")  # one key per peer, made by keygen on each
        monkeypatch.setenv("PANOS_PASSWORD", "automation")
        estate = Estate(secondary, tmp_path, monkeypatch, capsys, "dynamic",
                        urls=[primary.url, secondary.url])
        estate.generate()
        primary.reset_counters()
        code, out, err = estate.push()
        assert code == 0, err
        assert [r["type"] for r in primary.requests] == ["keygen", "op"]  # its HA state, nothing else
        assert [r["action"] for r in estate.requests("commit")] == ["partial", "all"]
        assert estate.wrong() == []


WEB_443 = "sg-0a1b2c3d4e5f60001-tcp-443"
WEB_NET = ("<address>" + address("web-v4", "10.10.1.10/31") + address("web-v6", "2600:1f18:1234:5601::10")
           + "</address><address-group><entry name='web-net'><static><member>web-v4</member>"
           "<member>web-v6</member></static></entry></address-group>")


@pytest.mark.parametrize(("override", "left_out"), [
    ("", True),  # the parent's web-net covers web-1 and web-2 (both families): the rule is left out
    ("<address>" + address("web-v4", "10.10.1.10") + "</address>", False),  # dg1 narrows it: kept
])
def test_the_already_allowed_check_reads_the_hierarchy_and_every_firewall_stays_exact(
        tmp_path, monkeypatch, capsys, override, left_out):
    """A parent device group's pre-rule already allows https to the web servers (its group web-net).
    snapshot reads shared, the parent and dg1; generate leaves the managed https rule out only when
    what dg1's firewalls resolve web-net to covers it (dg1's own web-v4 overrides the parent's)."""
    config = panorama_config(
        shared_post=rule("shared-deny-all", action="deny"), parent_objects=WEB_NET,
        parent_pre=rule("aws-web", dst="web-net", service="service-https"), dg_objects=override)
    with EmulatorServer(config_xml=config, panorama=True, job_steps=1) as server:
        estate = Estate(server, tmp_path, monkeypatch, capsys, "static")
        code, _, err = estate.run("snapshot", "--output", str(tmp_path / "rulebase.xml"))
        assert code == 0, err
        report = estate.generate(tmp_path / "rulebase.xml")
        assert (f"left out {WEB_443}: already allowed" in report) is left_out, report
        code, out, err = estate.push()
        assert code == 0, err
        assert estate.wrong() == []
