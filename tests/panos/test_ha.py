"""HA pairs: firewall.url names both peers; push goes to the active one only, or refuses."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pytest

from emulator import EmulatorServer
from emulator.device import DeviceProfile
from generator.cli.main import main
from tests.panos.conftest import add_rule_below_cleanup
from tests.panos.helpers import first_fragment, rule_names, write_policy


def _pair(stack: ExitStack, first: str | None, second: str | None) -> list[EmulatorServer]:
    servers = []
    for state, peer in ((first, second), (second, first)):
        server = stack.enter_context(EmulatorServer(device=DeviceProfile(ha_state=state, ha_peer=peer or "")))
        add_rule_below_cleanup(server)
        server.reset_counters()
        servers.append(server)
    return servers


def _push(servers, tmp_path: Path, monkeypatch, capsys) -> tuple[int, str]:
    for var in ("PANOS_URL", "PANOS_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PANOS_USERNAME", "automation")  # one key per peer, made by keygen on each
    monkeypatch.setenv("PANOS_PASSWORD", "automation")
    urls = ", ".join(s.url for s in servers)
    policy = write_policy(tmp_path, f"[{urls}]")
    frag = tmp_path / "fragment.xml"
    frag.write_text(first_fragment())
    capsys.readouterr()
    code = main(["push", "--config", str(policy), "--fragment", str(frag)])
    return code, capsys.readouterr().err


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
        assert not any(r["type"] in ("config", "commit") for r in passive.requests)


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
            assert not any(r["type"] in ("config", "commit") for r in server.requests)
            assert server.config_locks() == {}
