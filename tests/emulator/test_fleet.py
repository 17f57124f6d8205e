"""Panorama's firewalls in the emulator: who is managed and connected, what commit-all pushes to
each (the effective rulebase of the device-group hierarchy), and `target=SERIAL` requests that
reach one firewall's own User-ID table and pushed policy."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulator import EmulatorServer
from emulator.device import DeviceProfile
from tests.emulator.helpers import Caller, lines
from tests.panorama_hierarchy import CLEAN_UP, SERIALS, address, panorama_config, rule

FW1, FW2 = SERIALS
DG = "/config/devices/entry[@name='localhost.localdomain']/device-group/entry[@name='dg1']"


def _hierarchy(**extra: str) -> str:
    """shared pre/post, the parent's pre/post and an object the child overrides, the child's own;
    the child's clean-up catches 198.18.0.1 only, so that the post-rules can be reached."""
    return panorama_config(
        shared_objects="<address>" + address("web-net", "10.99.0.0/16") + "</address>",
        shared_pre=rule("shared-pre", dst="192.0.2.1", action="deny"),
        shared_post=rule("shared-post", dst="192.0.2.9"),
        parent_objects="<address>" + address("web-net", "10.10.1.10/31") + address("db", "10.10.9.9")
                       + "</address>",
        parent_pre=rule("aws-pre", dst="192.0.2.1") + rule("aws-web", dst="web-net", service="service-https"),
        parent_post=rule("aws-post", dst="192.0.2.9", action="deny"),
        dg_objects="<address>" + address("web-net", "10.10.1.10") + "</address>",
        dg_pre=rule("dg-pre", dst="192.0.2.1") + CLEAN_UP.replace("<source><member>any",
                                                                    "<source><member>198.18.0.1"),
        dg_post=rule("dg-post", dst="192.0.2.9"),
        **extra,
    )


@pytest.fixture
def pano() -> Iterator[tuple[EmulatorServer, Caller]]:
    with EmulatorServer(config_xml=_hierarchy(), panorama=True, job_steps=0) as server:
        caller = Caller(server.url, server.api_key("automation"))
        yield server, caller
        caller.close()


def _push(caller: Caller, group: str = "dg1") -> list[tuple[str, str, list[str]]]:
    cmd = (f"<commit-all><shared-policy><device-group><entry name='{group}'/></device-group>"
           "<merge-with-candidate-cfg>no</merge-with-candidate-cfg></shared-policy></commit-all>")
    job = caller.wait_job(caller.ok(type="commit", action="all", cmd=cmd).findtext("result/job"))
    return [(e.findtext("serial-no"), e.findtext("result"), lines(e)) for e in job.iterfind("devices/entry")]


def _match(caller: Caller, serial: str, destination: str, *, port: int = 443, source: str = "203.0.113.5",
           show_all: bool = False) -> list[str]:
    query = (f"<test><security-policy-match><from>untrust</from><to>trust</to><source>{source}</source>"
             f"<destination>{destination}</destination><protocol>6</protocol>"
             f"<destination-port>{port}</destination-port>{'<show-all>yes</show-all>' if show_all else ''}"
             "</security-policy-match></test>")
    root = caller.ok(type="op", cmd=query, target=serial)
    return [e.get("name") for e in root.iterfind("result/rules/entry")]


def test_show_devices_lists_the_managed_firewalls_and_their_connection():
    with EmulatorServer(panorama=True, device=DeviceProfile(disconnected_devices=(FW2,))) as server:
        caller = Caller(server.url, server.api_key("automation"))
        every = caller.ok(type="op", cmd="<show><devices><all/></devices></show>")
        entries = every.iterfind("result/devices/entry")
        listed = [(e.findtext("serial"), e.findtext("connected")) for e in entries]
        assert listed == [(FW1, "yes"), (FW2, "no")]
        connected = caller.ok(type="op", cmd="<show><devices><connected/></devices></show>")
        assert [e.get("name") for e in connected.iterfind("result/devices/entry")] == [FW1]
        caller.close()
    with EmulatorServer() as firewall:
        caller = Caller(firewall.url, firewall.api_key("automation"))
        assert caller.op("<show><devices><all/></devices></show>").get("status") == "error"
        caller.close()


def test_dg_hierarchy_nests_each_group_under_its_parent(pano):
    _, caller = pano
    top = caller.ok(type="op", cmd="<show><dg-hierarchy></dg-hierarchy></show>").find("result/dg-hierarchy")
    nesting = [(d.get("name"), d.getparent().get("name")) for d in top.iter("dg")]
    assert nesting == [("aws", None), ("dg1", "aws")]


def test_commit_all_gives_each_firewall_the_effective_rulebase_in_evaluation_order(pano):
    """Shared pre-rules, the parent's, the group's; then post-rules the other way round (Panorama
    Administrator's Guide, "Device Group Policies")."""
    server, caller = pano
    assert _match(caller, FW1, "192.0.2.1") == []  # nothing pushed yet: the firewall enforces nothing of it
    assert _push(caller) == [(FW1, "OK", []), (FW2, "OK", [])]
    for serial in SERIALS:
        assert _match(caller, serial, "192.0.2.1", show_all=True)[:3] == ["shared-pre", "aws-pre", "dg-pre"]
        assert _match(caller, serial, "192.0.2.9", show_all=True) == ["dg-post", "aws-post", "shared-post"]
    assert server.fleet[FW1].device_group == "dg1"


def test_a_child_groups_object_overrides_its_parents_and_shared(pano):
    """"policy rules in a descendant device group use the object values in that descendant"
    (Manage Precedence of Inherited Objects): the parent's rule aws-web names web-net, which dg1
    defines as 10.10.1.10 only; the parent's 10.10.1.10/31 and shared's 10.99.0.0/16 do not count."""
    _, caller = pano
    _push(caller)
    assert _match(caller, FW1, "10.10.1.10") == ["aws-web"]
    assert _match(caller, FW1, "10.10.1.11") == []  # no rule matches (the group's clean-up is narrowed)
    assert _match(caller, FW1, "10.99.0.1") == []


def test_a_rule_targeting_one_firewall_is_pushed_to_it_only():
    target = f"<target><devices><entry name='{FW2}'/></devices><negate>no</negate></target>"
    config = panorama_config(dg_pre=rule("only-fw2", dst="192.0.2.7", extra=target) + CLEAN_UP)
    with EmulatorServer(config_xml=config, panorama=True, job_steps=0) as server:
        caller = Caller(server.url, server.api_key("automation"))
        _push(caller)
        assert _match(caller, FW1, "192.0.2.7") == ["clean-up"]
        assert _match(caller, FW2, "192.0.2.7") == ["only-fw2"]
        caller.close()


def test_a_parents_push_does_not_reach_the_firewalls_of_its_children(pano):
    """pan-os-ansible #400: commit-all of a parent group pushes only to the firewalls assigned to it."""
    server, caller = pano
    assert _push(caller, "aws") == []
    assert server.fleet[FW1].pushes == 0


def test_a_disconnected_firewall_fails_the_push_and_is_not_reachable_by_target():
    profile = DeviceProfile(disconnected_devices=(FW2,))
    with EmulatorServer(config_xml=_hierarchy(), panorama=True, job_steps=0, device=profile) as server:
        caller = Caller(server.url, server.api_key("automation"))
        assert _push(caller) == [(FW1, "OK", []), (FW2, "FAIL", ["device is not connected"])]
        assert server.fleet[FW2].pushed is None
        refused = caller.call(type="user-id", target=FW2, vsys="vsys1", cmd=_uid("10.10.1.10", "web"))
        assert refused.get("status") == "error" and server.fleet[FW2].registry.snapshot() == {}
        unknown = caller.call(type="op", target="000000000999", cmd="<show><system><info/></system></show>")
        assert unknown.get("status") == "error"
        server.fleet.set_connected(FW2, True)  # it comes back: the next push reaches it
        assert _push(caller) == [(FW1, "OK", []), (FW2, "OK", [])]
        caller.close()


def _uid(ip: str, tag: str) -> str:
    return (f"<uid-message><version>2.0</version><type>update</type><payload><register><entry ip='{ip}'>"
            f"<tag><member>{tag}</member></tag></entry></register></payload></uid-message>")


def test_each_firewall_has_its_own_registrations_and_its_dags_use_them():
    dag = ("<address-group><entry name='web-dag'><dynamic><filter>'web'</filter></dynamic></entry>"
           "</address-group>")
    config = panorama_config(dg_objects=dag, dg_pre=rule("to-web", dst="web-dag", service="service-https")
                             + CLEAN_UP)
    with EmulatorServer(config_xml=config, panorama=True, job_steps=0) as server:
        caller = Caller(server.url, server.api_key("automation"))
        _push(caller)
        caller.ok(type="user-id", target=FW1, vsys="vsys1", cmd=_uid("10.10.1.10", "web"))
        assert server.fleet[FW1].registry.snapshot() == {"10.10.1.10": frozenset({"web"})}
        assert server.fleet[FW2].registry.snapshot() == {}
        assert server.store.registry.snapshot() == {}  # Panorama's own table is another one
        listed = caller.ok(type="op", target=FW1, vsys="vsys1",
                           cmd="<show><object><registered-ip><all/></registered-ip></object></show>")
        assert [e.get("ip") for e in listed.iterfind("result/entry")] == ["10.10.1.10"]
        assert _match(caller, FW1, "10.10.1.10") == ["to-web"]
        assert _match(caller, FW2, "10.10.1.10") == ["clean-up"]  # not registered there
        caller.close()


def test_pan_python_reaches_a_firewall_through_panorama_with_its_serial():
    """pan-python's PanXapi(serial=...) sends target=SERIAL (doc/pan.xapi.rst) for user_id and op."""
    pan_xapi = pytest.importorskip("pan.xapi")
    with EmulatorServer(panorama=True, job_steps=0) as server:
        host, port = server.url.removeprefix("http://").split(":")
        xapi = pan_xapi.PanXapi(hostname=host, port=int(port), use_http=True, serial=FW2,
                                api_key=server.api_key("automation"))
        xapi.user_id(cmd=_uid("10.10.1.11", "web"), vsys="vsys1")
        xapi.op(cmd="<show><object><registered-ip><all/></registered-ip></object></show>", vsys="vsys1")
        assert [e.get("ip") for e in xapi.element_root.iterfind("result/entry")] == ["10.10.1.11"]
        assert server.fleet[FW2].registry.snapshot() == {"10.10.1.11": frozenset({"web"})}
        assert server.fleet[FW1].registry.snapshot() == {}
