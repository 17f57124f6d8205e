"""HA pairs: firewall.url names both peers (push goes to the active one only, or refuses), or one
URL that must not be a passive peer; Panorama pairs spell their states their own way."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pytest

from emulator import EmulatorServer
from emulator.device import DeviceProfile
from generator.cli.main import main
from generator.location import Location
from tests.panos.helpers import add_rule_below_cleanup, address, first_fragment, fragment, rule, rule_names
from tests.policies import DG1_PRE, write_policy

PANORAMA = Location(vsys=None, device_group="dg1", rulebase="pre")


def _pair(stack: ExitStack, first: str | None, second: str | None, *, panorama: bool = False
          ) -> list[EmulatorServer]:
    servers = []
    for state, peer in ((first, second), (second, first)):
        server = stack.enter_context(EmulatorServer(panorama=panorama,
                                                    device=DeviceProfile(ha_state=state, ha_peer=peer or "")))
        if not panorama:
            add_rule_below_cleanup(server)
        server.reset_counters()
        servers.append(server)
    return servers


def _push(servers, tmp_path: Path, monkeypatch, capsys, *, panorama: bool = False) -> tuple[int, str]:
    for var in ("PANOS_URL", "PANOS_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PANOS_USERNAME", "automation")  # one key per peer, made by keygen on each
    monkeypatch.setenv("PANOS_PASSWORD", "automation")
    urls = [s.url for s in servers]
    if panorama:
        policy = write_policy(tmp_path, urls, firewall={"location": DG1_PRE})
        text = fragment([rule("sg-1", destination=["web-1"])], addresses=[address("web-1", "10.0.1.10/32")],
                        location=PANORAMA)
    else:
        policy = write_policy(tmp_path, urls)
        text = first_fragment()
    frag = tmp_path / "fragment.xml"
    frag.write_text(text)
    capsys.readouterr()
    code = main(["push", "--config", str(policy), "--fragment", str(frag)])
    return code, capsys.readouterr().err


def _changed(server: EmulatorServer) -> bool:
    return any(r["type"] in ("config", "commit") for r in server.requests)


@pytest.mark.parametrize("order", [("active", "passive"), ("passive", "active")])
def test_push_goes_to_the_active_peer_only(tmp_path, monkeypatch, capsys, order):
    with ExitStack() as stack:
        servers = _pair(stack, *order)
        code, err = _push(servers, tmp_path, monkeypatch, capsys)
        assert code == 0, err
        active, passive = servers if order[0] == "active" else servers[::-1]
        assert "sg-web-tcp-443" in rule_names(active.running())
        assert "sg-web-tcp-443" not in rule_names(passive.candidate())
        asked = [r.get("action") for r in passive.requests if r["type"] == "op"]
        assert asked == ["show high-availability state"]  # the passive peer was only asked its state
        assert not _changed(passive)


@pytest.mark.parametrize(("states", "message"), [
    (("passive", "passive"), "no peer of the HA pair is active"),
    (("active", "active"), "split brain"),
    ((None, None), "no peer of the HA pair is active"),  # HA not enabled on either: which one is meant?
])
def test_no_or_two_active_peers_refuse_before_any_change(tmp_path, monkeypatch, capsys, states, message):
    with ExitStack() as stack:
        servers = _pair(stack, *states)
        code, err = _push(servers, tmp_path, monkeypatch, capsys)
        assert code == 1
        assert message in err and servers[0].url in err and servers[1].url in err
        for server in servers:
            assert not _changed(server)
            assert server.config_locks() == {}


@pytest.mark.parametrize(("states", "active_index"), [
    (("primary-active", "secondary-passive"), 0),
    (("secondary-passive", "primary-active"), 1),
    (("primary-passive", "secondary-active"), 1),  # after a failover the secondary is active
    (("secondary-active", "primary-passive"), 0),
])
def test_a_panorama_pair_pushes_to_its_active_peer_after_a_failover_too(tmp_path, monkeypatch, capsys,
                                                                         states, active_index):
    """Panorama spells its HA states priority-role (`secondary-active` after a failover), not
    `active`; before issue 20 a push to a Panorama pair refused whichever peer was active."""
    with ExitStack() as stack:
        servers = _pair(stack, *states, panorama=True)
        code, err = _push(servers, tmp_path, monkeypatch, capsys, panorama=True)
        assert code == 0, err
        active, passive = servers[active_index], servers[1 - active_index]
        assert "sg-1" in [e.get("name") for e in active.running().xpath(PANORAMA.rules_xpath + "/entry")]
        assert not _changed(passive)


@pytest.mark.parametrize(("panorama", "state"), [
    (False, "passive"), (False, "suspended"), (False, "active-secondary"),
    (True, "secondary-passive"), (True, "primary-passive"), (True, "secondary-suspended"),
])
def test_one_url_at_a_passive_peer_is_refused_with_the_fix_before_any_change(
        tmp_path, monkeypatch, capsys, panorama, state):
    """PAN-OS takes configuration on a passive peer, and the next HA sync overwrites it: awspan
    asks the state first and refuses, naming it and what to set instead."""
    with EmulatorServer(panorama=panorama, device=DeviceProfile(ha_state=state, ha_peer="active")) as server:
        code, err = _push([server], tmp_path, monkeypatch, capsys, panorama=panorama)
        assert code == 1
        assert f"the '{state}' peer of an HA pair" in err and "set firewall.url" in err
        assert "list both peers" in err and "nothing was changed" in err
        assert [r["action"] for r in server.requests if r["type"] != "keygen"] == [
            "show high-availability state"]
        assert server.config_locks() == {}


@pytest.mark.parametrize(("panorama", "state"), [
    (False, None), (False, "active"), (False, "active-primary"), (True, "secondary-active"), (True, None),
])
def test_one_url_at_an_active_or_standalone_device_pushes(tmp_path, monkeypatch, capsys, panorama, state):
    with EmulatorServer(panorama=panorama, device=DeviceProfile(ha_state=state)) as server:
        if not panorama:
            add_rule_below_cleanup(server)
        code, err = _push([server], tmp_path, monkeypatch, capsys, panorama=panorama)
        assert code == 0, err
        assert server.request_count > 3 and not server.pending_admins()
