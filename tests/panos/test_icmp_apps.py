"""ICMP on a real PAN-OS: echo is App-ID `ping`, one type/code is a custom application.

The custom applications are managed objects like addresses: created and deleted by push,
tagged, shown by plan, carried by snapshot; the emulator identifies ICMP flows the way App-ID
does (docs/panos-fidelity.md), so these tests show what the pushed policy lets through.
"""

from __future__ import annotations

from lxml import etree

from emulator import EmulatorServer
from generator.location import Location
from tests.emulator.helpers import Caller
from tests.generate.helpers import example_state_data, generate_bytes, policy_with
from tests.generate.test_icmp import PING
from tests.panos.helpers import address, fragment, icmp_app, rule

APPS = Location().xpath("application")


def _match(emu: EmulatorServer, **flow: str) -> str | None:
    caller = Caller(emu.url, emu.api_key("automation"))
    body = "".join(f"<{k.replace('_', '-')}>{v}</{k.replace('_', '-')}>" for k, v in flow.items())
    root = caller.ok(type="op", cmd=f"<test><security-policy-match><from>untrust</from><to>trust</to>{body}"
                                    "</security-policy-match></test>")
    caller.close()
    entry = root.find("result/rules/entry")
    return None if entry is None else entry.get("name")


def _frag(*, with_unreachable: bool = True) -> str:
    rules = [rule("web-icmp-all", destination=["web"], application=["icmp", "ping"])]
    apps = []
    if with_unreachable:
        rules.append(rule("db-icmp-3-4", destination=["db"], application=["icmp-3-4"]))
        apps.append(icmp_app("icmp-3-4", 3, 4))
    return fragment(rules, addresses=[address("web", "10.1.0.10/32"), address("db", "10.1.0.20/32")],
                    applications=apps)


def test_push_creates_tagged_icmp_application_and_policy_matches_only_its_type(awspan, emu):
    r = awspan("push", fragment=_frag())
    assert r.code == 0, r.err
    app = emu.running().xpath(f"{APPS}/entry[@name='icmp-3-4']")
    assert app, "the custom application is in running"
    assert app[0].findtext("default/ident-by-icmp-type/type") == "3"
    assert [m.text for m in app[0].iterfind("tag/member")] == ["awspan"]
    src = {"source": "198.51.100.7", "protocol": "1"}
    # fragmentation needed (3/4) reaches db; echo and port unreachable (3/3) do not
    assert _match(emu, destination="10.1.0.20", icmp_type="3", icmp_code="4", **src) == "db-icmp-3-4"
    assert _match(emu, destination="10.1.0.20", icmp_type="3", icmp_code="3", **src) == "clean-up"
    assert _match(emu, destination="10.1.0.20", icmp_type="8", icmp_code="0", **src) == "clean-up"
    # all ICMP: echo (App-ID ping) and any other type (icmp) pass to web
    assert _match(emu, destination="10.1.0.10", icmp_type="8", **src) == "web-icmp-all"
    assert _match(emu, destination="10.1.0.10", icmp_type="13", **src) == "web-icmp-all"
    # ...but not UDP traceroute: the security group allows ICMP, not udp/33434-33534
    assert _match(emu, destination="10.1.0.10", application="traceroute", protocol="17",
                  destination_port="33434", source="198.51.100.7") == "clean-up"


def test_a_rule_naming_only_icmp_drops_pings(emu):
    """The outage the old `icmp`-only rule caused: App-ID names echo `ping`, not `icmp`."""
    caller = Caller(emu.url, emu.api_key("admin"))
    caller.config_ok("set", Location().rules_xpath, rule("only-icmp", application=["icmp"], tag=None))
    caller.ok(type="config", action="move", xpath=Location().entry_xpath("rules", "only-icmp"), where="top")
    assert caller.commit_and_wait(["admin"]).findtext("result") == "OK"
    caller.close()
    src = {"source": "198.51.100.7", "destination": "10.1.0.10", "protocol": "1"}
    assert _match(emu, icmp_type="8", **src) != "only-icmp"
    assert _match(emu, icmp_type="11", **src) == "only-icmp"


def test_plan_shows_the_application_and_push_deletes_it_when_gone(awspan, emu):
    assert awspan("push", fragment=_frag()).code == 0
    plan = awspan("plan", "--format", "json", fragment=_frag(with_unreachable=False))
    assert plan.code == 0, plan.err
    assert '"kind": "application"' in plan.out and '"name": "icmp-3-4"' in plan.out
    r = awspan("push", "--force", fragment=_frag(with_unreachable=False))
    assert r.code == 0, r.err
    assert not emu.running().xpath(f"{APPS}/entry[@name='icmp-3-4']")


def test_an_operator_rule_using_the_application_keeps_it(awspan, emu):
    assert awspan("push", fragment=_frag()).code == 0
    caller = Caller(emu.url, emu.api_key("admin"))
    caller.config_ok("set", Location().rules_xpath, rule("ops-pmtu", application=["icmp-3-4"], tag=None))
    assert caller.commit_and_wait(["admin"]).findtext("result") == "OK"
    caller.close()
    r = awspan("push", "--force", fragment=_frag(with_unreachable=False))
    assert r.code == 0, r.err
    assert "application 'icmp-3-4'" in r.out + r.err
    assert emu.running().xpath(f"{APPS}/entry[@name='icmp-3-4']")


def test_an_application_name_over_31_characters_is_refused_before_push(awspan, emu):
    long_name = "icmp-" + "x" * 27
    frag = fragment([rule("r", application=[long_name])], applications=[icmp_app(long_name, 3)])
    r = awspan("push", fragment=frag)
    assert r.code == 1
    assert "PAN-OS allows 31" in r.err
    assert emu.request_count == 0


def test_snapshot_carries_the_custom_application_an_operator_rule_names(awspan, emu, tmp_path):
    assert awspan("push", fragment=_frag()).code == 0
    out = tmp_path / "rulebase.xml"
    r = awspan("snapshot", "--output", str(out))
    assert r.code == 0, r.err
    text = out.read_text()
    assert '<entry name="icmp-3-4">' in text and "<ident-by-icmp-type>" in text


def test_a_generated_all_icmp_rule_opens_no_udp(awspan, emu):
    """An all-ICMP permission of the examples, generated and pushed: no UDP port reaches the
    instance through it, traceroute's default ports included (KB "How to allow tracepath")."""
    state = example_state_data()
    perm = state["vpcs"][0]["security_groups"][0]["ingress"][PING]
    perm.update(from_port=-1, to_port=-1)
    data = generate_bytes(state, policy_with())
    assert awspan("push", "--force", fragment=data.decode()).code == 0
    root = etree.fromstring(data)
    [icmp_rule] = [e for e in root.iterfind(".//rules/entry") if e.get("name").endswith("-icmp")]
    ip = _first_destination_ip(root, icmp_rule)
    source = perm["cidrs"][0].split("/")[0]
    assert _match(emu, source=source, destination=ip, protocol="1", icmp_type="8") == icmp_rule.get("name")
    for port in ("33434", "33534", "53"):
        for app in ("traceroute", None):
            flow = {"application": app} if app else {}
            assert _match(emu, source=source, destination=ip, protocol="17", destination_port=port,
                          **flow) != icmp_rule.get("name"), (port, app)


def _first_destination_ip(root: etree._Element, entry: etree._Element) -> str:
    """The first address the rule's destination names, through its group when it is one."""
    name = entry.findtext("destination/member")
    group = root.find(f".//address-group/entry[@name='{name}']")
    if group is not None:
        name = group.findtext("static/member")
    return root.find(f".//address/entry[@name='{name}']").findtext("ip-netmask").split("/")[0]
