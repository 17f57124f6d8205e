"""The emulator's User-ID API and dynamic address groups, as a firewall answers them (see
emulator/userid.py for the evidence), spoken to over HTTP by our client and by pan-python."""

from __future__ import annotations

import urllib.parse

import pan.xapi
import pytest
import requests

from emulator import EmulatorServer
from emulator.device import DeviceProfile
from emulator.userid import compile_filter
from tests.emulator.helpers import RULES, VSYS

REG = (
    "<uid-message><version>2.0</version><type>update</type><payload><register>{}</register>"
    "</payload></uid-message>"
)
UNREG = (
    "<uid-message><version>2.0</version><type>update</type><payload><unregister>{}</unregister>"
    "</payload></uid-message>"
)


def _entry(ip: str, *tags: str) -> str:
    return f'<entry ip="{ip}"><tag>' + "".join(f"<member>{t}</member>" for t in tags) + "</tag></entry>"


def _post(emu: EmulatorServer, **params: str) -> requests.Response:
    return requests.post(
        f"{emu.url}/api/", data=params, headers={"X-PAN-KEY": emu.api_key("admin")}, timeout=10
    )


def test_register_then_show_then_unregister(emu):
    assert 'status="success"' in _post(emu, type="user-id", cmd=REG.format(_entry("10.0.0.5", "a", "b"))).text
    shown = _post(
        emu, type="op", cmd="<show><object><registered-ip><all/></registered-ip></object></show>"
    ).text
    assert '<entry ip="10.0.0.5"' in shown and "<member>a</member>" in shown and "<member>b</member>" in shown
    _post(emu, type="user-id", cmd=UNREG.format(_entry("10.0.0.5", "a")))
    assert emu.store.registry.snapshot() == {"10.0.0.5": frozenset({"b"})}


def test_a_duplicate_is_reported_per_entry_and_the_rest_applied(emu):
    _post(emu, type="user-id", cmd=REG.format(_entry("10.0.0.5", "a")))
    answer = _post(
        emu, type="user-id", cmd=REG.format(_entry("10.0.0.5", "a") + _entry("10.0.0.6", "a"))
    ).text
    assert 'status="error"' in answer and "already exists, ignore" in answer
    assert emu.store.registry.snapshot() == {"10.0.0.5": frozenset({"a"}), "10.0.0.6": frozenset({"a"})}
    answer = _post(emu, type="user-id", cmd=UNREG.format(_entry("10.0.0.7", "a"))).text
    assert "does not exist, ignore unreg" in answer


@pytest.mark.parametrize(
    "message",
    [
        "<uid-message><version>3.0</version><type>update</type><payload/></uid-message>",
        "<uid-message><version>2.0</version><type>update</type></uid-message>",
        REG.format('<entry ip="not-an-ip"><tag><member>a</member></tag></entry>'),
        REG.format('<entry ip="10.0.0.1"><tag/></entry>'),
        # PAN-OS 10.0+ registers IPv4 networks, never IPv6 ones; host bits: undocumented, refused
        REG.format(_entry("2600:1f18:1234:5601:1::/80", "a")),
        REG.format(_entry("10.0.1.33/28", "a")),
        "<uid-message><version>2.0",
    ],
)
def test_malformed_messages_are_refused_and_change_nothing(emu, message):
    answer = _post(emu, type="user-id", cmd=message).text
    assert 'status="error"' in answer
    assert emu.store.registry.snapshot() == {}


def test_a_request_over_5_mb_on_the_wire_is_refused_with_413_and_applies_nothing(emu):
    """Measured as it goes on the wire: a message of 3 MB of text that form-encoding triples
    is over the limit, though the message itself is not."""
    entries = _entry("10.0.0.1", "a") + _entry("10.0.0.2", "<&>" * 1_000_000)
    big = REG.format(entries.replace("<&>" * 1_000_000, "&lt;&amp;&gt;" * 200_000 + "x" * 2_000_000))
    assert len(big) < 5_000_000 < len(urllib.parse.urlencode({"type": "user-id", "cmd": big}))
    response = _post(emu, type="user-id", cmd=big)
    assert response.status_code == 413 and "<response" not in response.text
    assert emu.store.registry.snapshot() == {}
    assert emu.requests[-1]["action"] == "refused: too large"
    ok = _post(emu, type="user-id", cmd=REG.format(_entry("10.0.0.1", "a")))
    assert ok.status_code == 200 and emu.store.registry.snapshot() == {"10.0.0.1": frozenset({"a"})}


def test_ipv6_registrations_are_one_address_whatever_the_spelling(emu):
    _post(emu, type="user-id", cmd=REG.format(_entry("2600:1f18:0:0::1", "a")))
    _post(emu, type="user-id", cmd=REG.format(_entry("2600:1F18::0001", "b")))
    assert emu.store.registry.snapshot() == {"2600:1f18::1": frozenset({"a", "b"})}


def test_the_device_may_spell_ipv6_exploded():
    with EmulatorServer(device=DeviceProfile(ipv6_text="exploded")) as emu:
        _post(emu, type="user-id", cmd=REG.format(_entry("2600:1f18::1", "a")))
        cmd = "<show><object><registered-ip><all/></registered-ip></object></show>"
        shown = _post(emu, type="op", cmd=cmd)
        assert 'ip="2600:1f18:0000:0000:0000:0000:0000:0001"' in shown.text


def test_show_registered_ip_pages_and_filters(emu):
    entries = "".join(
        _entry(f"10.0.{i // 250}.{i % 250 + 1}", "awspan.x" if i % 2 else "other") for i in range(30)
    )
    _post(emu, type="user-id", cmd=REG.format(entries))

    def page(body: str) -> list[str]:
        text = _post(
            emu, type="op", cmd=f"<show><object><registered-ip>{body}</registered-ip></object></show>"
        ).text
        return [part.split('"')[0] for part in text.split('<entry ip="')[1:]]

    first, second = (
        page("<limit>20</limit><start-point>1</start-point>"),
        page("<limit>20</limit><start-point>21</start-point>"),
    )
    assert len(first) == 20 and len(second) == 10 and not set(first) & set(second)
    assert len(page("<tag><entry name='awspan.x'/></tag>")) == 15
    assert page("<ip>10.0.0.3</ip>") == ["10.0.0.3"]


def test_dag_filters_follow_pan_os_syntax():
    f = compile_filter("'a' and ('b' or 'c')")
    assert f(frozenset({"a", "b"})) and f(frozenset({"a", "c"}))
    assert not f(frozenset({"a"})) and not f(frozenset({"b", "c"}))
    assert compile_filter("'awspan.sg-1'")(frozenset({"awspan.sg-1"}))
    for bad in ("", "'a' and", "('a'", "'a' 'b' or"):
        with pytest.raises(ValueError):
            compile_filter(bad)


def _allow_to_dag(emu: EmulatorServer, name: str) -> None:
    """A committed DAG `name` matching tag `awspan.<name>`, and an allow rule `to-<name>` to it, on top."""
    dag = f"<entry name='{name}'><dynamic><filter>'awspan.{name}'</filter></dynamic></entry>"
    emu.edit_as("admin", "set", VSYS + "/address-group", dag)
    rule = (
        f"<entry name='to-{name}'><from><member>any</member></from><to><member>any</member></to>"
        f"<source><member>any</member></source><destination><member>{name}</member></destination>"
        "<source-user><member>any</member></source-user><category><member>any</member></category>"
        "<application><member>any</member></application><service><member>any</member></service>"
        "<action>allow</action></entry>"
    )
    emu.edit_as("admin", "set", RULES, rule)
    emu.edit_as("admin", "move", f"{RULES}/entry[@name='to-{name}']", where="top")
    assert emu.commit_as("admin")


def test_policy_match_resolves_a_dag_through_registrations(emu):
    _allow_to_dag(emu, "web")
    query = (
        "<test><security-policy-match><from>untrust</from><to>trust</to><source>198.51.100.1</source>"
        "<destination>10.0.0.9</destination><protocol>6</protocol><destination-port>443</destination-port>"
        "</security-policy-match></test>"
    )
    assert "to-web" not in _post(emu, type="op", cmd=query).text  # nobody registered: the DAG is empty
    _post(emu, type="user-id", cmd=REG.format(_entry("10.0.0.9", "awspan.web")))
    assert '<entry name="to-web">' in _post(emu, type="op", cmd=query).text  # no commit in between


def test_an_ipv4_network_is_registered_and_holds_every_address_in_it(emu):
    """PAN-OS 10.0 and later register IPv4 subnets for dynamic address groups (emulator/userid.py):
    a DAG matching the network's tag holds every address inside it, and only those."""
    _allow_to_dag(emu, "pods")
    answer = _post(emu, type="user-id", cmd=REG.format(_entry("10.0.1.32/28", "awspan.pods")))
    assert 'status="success"' in answer.text
    shown = _post(emu, type="op", cmd="<show><object><registered-ip><ip>10.0.1.32/28</ip></registered-ip>"
                                       "</object></show>").text
    assert '<entry ip="10.0.1.32/28"' in shown and "<member>awspan.pods</member>" in shown

    def hit(address: str) -> bool:
        query = (
            "<test><security-policy-match><from>untrust</from><to>trust</to><source>198.51.100.1</source>"
            f"<destination>{address}</destination><protocol>6</protocol><destination-port>443</destination-port>"
            "</security-policy-match></test>"
        )
        return '<entry name="to-pods">' in _post(emu, type="op", cmd=query).text

    assert hit("10.0.1.32") and hit("10.0.1.47") and not hit("10.0.1.48") and not hit("10.0.1.31")
    _post(emu, type="user-id", cmd=UNREG.format(_entry("10.0.1.32/28", "awspan.pods")))
    assert not hit("10.0.1.40") and emu.store.registry.snapshot() == {}


def test_pan_python_registers_through_user_id(emu):
    xapi = pan.xapi.PanXapi(
        hostname="127.0.0.1",
        port=emu.port,
        api_username="automation",
        api_password="automation",
        use_http=True,
        timeout=10,
    )
    xapi.user_id(cmd=REG.format(_entry("10.0.0.8", "from-pan-python")), vsys="vsys1")
    assert xapi.status == "success"
    assert emu.store.registry.snapshot() == {"10.0.0.8": frozenset({"from-pan-python"})}
    xapi.op(cmd="<show><object><registered-ip><all/></registered-ip></object></show>")
    assert xapi.element_root.find("result/entry").get("ip") == "10.0.0.8"
