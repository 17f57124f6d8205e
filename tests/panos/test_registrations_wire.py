"""User-ID registrations against a device that follows the evidence: requests under 5 MB as they go
on the wire, registered-ip paging that cannot loop forever, IPv6 compared as addresses."""

from __future__ import annotations

import re
import urllib.parse

import pytest

from emulator import EmulatorServer
from emulator.device import DeviceProfile
from generator.errors import AwspanError
from generator.location import Location
from generator.panos.plan.membership import Delta
from generator.panos.push.registrations import read_registered, reconcile, uid_messages
from generator.panos.xmlapi.client import PanosClient
from generator.panos.xmlapi.wire import REQUEST_LIMIT
from generator.registrations_file import Desired
from tests.hostile.server import HostileServer, xml

PREFIX = "awspan."


def _fifty_thousand() -> dict[str, frozenset[str]]:
    return {f"10.{i // 62500}.{i // 250 % 250}.{i % 250 + 1}":
            frozenset({f"{PREFIX}sg-{i % 700:05d}", f"{PREFIX}sg-{(i * 7) % 700:05d}"})
            for i in range(50_000)}


def test_50000_registrations_each_request_under_the_limit_as_encoded():
    """Measured as it goes on the wire: before issue 20 the cap was 4 MiB of message text, about
    5.7 MB once form-encoded."""
    messages = uid_messages(Delta(register=_fifty_thousand()))
    assert len(messages) >= 2
    for message in messages:
        body = urllib.parse.urlencode({"type": "user-id", "cmd": message, "vsys": "vsys1"})
        assert len(body) <= REQUEST_LIMIT
    assert sum(message.count("<entry ") for message in messages) == 50_000


@pytest.mark.emulator(bare=True)
@pytest.mark.slow
def test_50000_registrations_reach_a_device_that_enforces_the_limit(emu: EmulatorServer):
    tags = _fifty_thousand()
    client = PanosClient(emu.url, api_key=emu.api_key("automation"))
    done = reconcile(client, Location(), Desired(PREFIX, tags, {}))
    assert done.registered == sum(map(len, tags.values())) and done.after == tags
    assert not any(r.get("action") == "refused: too large" for r in emu.requests)
    assert 0 < emu.largest_request <= REQUEST_LIMIT
    assert len(emu.store.registry.snapshot()) == 50_000


@pytest.mark.emulator(device=DeviceProfile(ipv6_text="exploded"), bare=True)
def test_ipv6_read_back_in_another_spelling_is_the_same_address(emu: EmulatorServer):
    """How a device spells IPv6 in `show object registered-ip` is not documented; one that writes
    every group in full must not make awspan re-register, nor fail its read-back check."""
    tags = {"2600:1f18:a:b::10": frozenset({PREFIX + "web"}), "10.0.0.1": frozenset({PREFIX + "web"})}
    client = PanosClient(emu.url, api_key=emu.api_key("automation"))
    first = reconcile(client, Location(), Desired(PREFIX, tags, {}))
    assert first.after == tags
    assert read_registered(client, Location(), PREFIX) == tags
    again = reconcile(client, Location(), Desired(PREFIX, tags, {}))
    assert (again.registered, again.unregistered, again.messages) == (0, 0, 0)


def _page(start: int, count: int) -> str:
    entries = "".join(f'<entry ip="10.1.{(start + i) // 250}.{(start + i) % 250}" from_agent="0" '
                      f'persistent="1"><tag><member>{PREFIX}x</member></tag></entry>' for i in range(count))
    return f'<response status="success"><result>{entries}<count>{count}</count></result></response>'


@pytest.mark.parametrize("behaviour", ["ignores start-point", "repeats a page"])
def test_a_device_that_does_not_page_is_named_and_not_asked_forever(behaviour):
    """Seen on a device: 40,000 requests in 12 minutes. Now a full page without one new address ends
    the read, with the device's answer in the error."""
    def behave(form: dict[str, str]):
        if len(server.requests) > 50:  # a client that would go on forever: fail it, don't hang the test
            return xml('<response status="error"><msg><line>test: too many requests</line></msg></response>')
        start = int(re.search(r"<start-point>(\d+)</start-point>", form.get("cmd", "")).group(1))
        if behaviour == "ignores start-point" or start > 500:
            start = 1 if behaviour == "ignores start-point" else 501  # page 2, then page 2 again
        return xml(_page(start, 500))

    with HostileServer(behave) as server:
        client = PanosClient(server.url, api_key="k")
        with pytest.raises(AwspanError, match="does not page") as info:
            read_registered(client, Location(), PREFIX)
        assert len(server.requests) == (2 if behaviour == "ignores start-point" else 3)
        message = str(info.value)
        assert "answered 500 entries" in message and "all seen before" in message
        assert "'10.1." in message and "nothing was changed" in message


def test_a_device_that_pages_is_read_whole():
    def behave(form: dict[str, str]):
        start = int(re.search(r"<start-point>(\d+)</start-point>", form["cmd"]).group(1))
        return xml(_page(start, 500 if start < 1001 else 123))

    with HostileServer(behave) as server:
        found = read_registered(PanosClient(server.url, api_key="k"), Location(), PREFIX)
        assert len(found) == 1123 and len(server.requests) == 3
