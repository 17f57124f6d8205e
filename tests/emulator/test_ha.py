"""`show high-availability state` as a firewall and a Panorama of an HA pair answer it (the shapes
of published live answers; emulator/ha.py), and a passive peer that, like PAN-OS, still takes
configuration: only a client that asks the state can keep off it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from emulator import EmulatorServer
from emulator.device import DeviceProfile
from tests.emulator.helpers import ADDRESS, Caller

HA = "<show><high-availability><state></state></high-availability></show>"


@contextmanager
def _device(panorama: bool, state: str | None, peer: str = "") -> Iterator[tuple[EmulatorServer, Caller]]:
    with EmulatorServer(panorama=panorama, device=DeviceProfile(ha_state=state, ha_peer=peer)) as emu:
        caller = Caller(emu.url, emu.api_key("automation"))
        try:
            yield emu, caller
        finally:
            caller.close()


@pytest.mark.parametrize(("state", "peer", "mode"), [
    ("active", "passive", "Active-Passive"),
    ("passive", "active", "Active-Passive"),
    ("active-secondary", "active-primary", "Active-Active"),
])
def test_a_firewall_answers_under_group(state, peer, mode):
    with _device(False, state, peer) as (emu, caller):
        root = caller.ok(type="op", cmd=HA)
        assert root.findtext("result/enabled") == "yes"
        assert root.findtext("result/group/mode") == mode
        assert root.findtext("result/group/local-info/state") == state
        assert root.findtext("result/group/peer-info/state") == peer
        assert root.find("result/local-info") is None


@pytest.mark.parametrize(("state", "peer", "priority"), [
    ("primary-active", "secondary-passive", "primary"),
    ("secondary-active", "primary-passive", "secondary"),  # after a failover
    ("secondary-passive", "primary-active", "secondary"),
    ("primary-passive", "secondary-active", "primary"),
])
def test_panorama_answers_without_group_with_its_priority(state, peer, priority):
    with _device(True, state, peer) as (emu, caller):
        root = caller.ok(type="op", cmd=HA)
        assert root.find("result/group") is None
        assert (root.findtext("result/local-info/state"), root.findtext("result/local-info/priority")) == (
            state, priority)
        assert root.findtext("result/peer-info/state") == peer
        assert root.findtext("result/running-sync") == "synchronized"


@pytest.mark.parametrize("panorama", [False, True])
def test_ha_off_answers_enabled_no(panorama):
    with _device(panorama, None) as (emu, caller):
        root = caller.ok(type="op", cmd=HA)
        assert root.findtext("result/enabled") == "no" and len(root.find("result")) == 1


def test_a_passive_firewall_still_takes_configuration():
    """PAN-OS does not refuse a change on the passive peer (the admin guide, "Reference: HA
    Synchronization", only says to make changes on the active one); the next config sync from the
    active peer overwrites it. So the emulator accepts it, and awspan must check the state itself."""
    with _device(False, "passive", "active") as (emu, caller):
        caller.config_ok("set", ADDRESS, "<entry name='on-passive'><ip-netmask>192.0.2.9</ip-netmask>"
                                         "</entry>")
        assert emu.candidate().xpath("//address/entry[@name='on-passive']")
