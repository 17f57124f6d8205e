"""`test security-policy-match`: the first matching rule of the RUNNING config."""

from __future__ import annotations

import pytest

from emulator import EmulatorServer
from tests.emulator.helpers import RULES, VSYS, Caller, rule_xml

OBJECTS = f"""
<multi-config>
 <set id="1" xpath="{VSYS}/address">
  <entry name="web-net"><ip-netmask>10.1.0.0/24</ip-netmask></entry>
  <entry name="web-1"><ip-netmask>10.1.0.10</ip-netmask></entry>
  <entry name="partners"><ip-range>203.0.113.10-203.0.113.20</ip-range></entry>
  <entry name="v6-web"><ip-netmask>2001:db8::10/128</ip-netmask></entry>
 </set>
 <set id="2" xpath="{VSYS}/address-group">
  <entry name="inner"><static><member>partners</member></static></entry>
  <entry name="outer"><static><member>inner</member><member>web-1</member></static></entry>
 </set>
 <set id="3" xpath="{VSYS}/service">
  <entry name="tcp-8000-8100"><protocol><tcp><port>8000-8100</port></tcp></protocol></entry>
  <entry name="udp-53"><protocol><udp><port>53</port></udp></protocol></entry>
 </set>
 <set id="4" xpath="{VSYS}/service-group"><entry name="web-svcs"><members>
   <member>tcp-8000-8100</member><member>service-https</member></members></entry></set>
 <set id="5" xpath="{RULES}">
  {rule_xml("disabled-allow-all", from_zone="any", to_zone="any", extra="<disabled>yes</disabled>")}
  {rule_xml("partners-https", src="outer", dst="web-net", service="web-svcs")}
  {
    rule_xml(
        "not-partners-dns",
        src="outer",
        dst="web-1",
        service="udp-53",
        extra="<negate-source>yes</negate-source>",
    )
}
  {rule_xml("ssl-default", dst="web-1", app="ssl", service="application-default")}
  {rule_xml("icmp", dst="web-net", app="icmp", service="application-default")}
  {rule_xml("v6", dst="v6-web", service="service-http")}
  {rule_xml("dmz-intra", from_zone="dmz", to_zone="dmz", extra="<rule-type>intrazone</rule-type>")}
  {rule_xml("tracepath", dst="web-net", app="traceroute", service="application-default")}
 </set>
 <move id="6" xpath="{RULES}/entry[@name='disabled-allow-all']" where="top"/>
 <move id="7" xpath="{RULES}/entry[@name='partners-https']" where="before" dst="clean-up"/>
 <move id="8" xpath="{RULES}/entry[@name='not-partners-dns']" where="before" dst="clean-up"/>
 <move id="9" xpath="{RULES}/entry[@name='ssl-default']" where="before" dst="clean-up"/>
 <move id="10" xpath="{RULES}/entry[@name='icmp']" where="before" dst="clean-up"/>
 <move id="11" xpath="{RULES}/entry[@name='v6']" where="before" dst="clean-up"/>
 <move id="12" xpath="{RULES}/entry[@name='dmz-intra']" where="before" dst="clean-up"/>
 <move id="13" xpath="{RULES}/entry[@name='tracepath']" where="before" dst="clean-up"/>
</multi-config>"""


@pytest.fixture(scope="module")
def matcher():
    with EmulatorServer() as emu:
        caller = Caller(emu.url, emu.api_key("automation"))
        caller.ok(type="config", action="multi-config", element=OBJECTS)
        assert caller.commit_and_wait().findtext("result") == "OK"
        caller.config_ok("set", RULES, rule_xml("candidate-only", from_zone="any", to_zone="any"))
        caller.ok(type="config", action="move", xpath=RULES + "/entry[@name='candidate-only']", where="top")

        def first(show_all: bool = False, **flow: str) -> list[str]:
            body = "".join(f"<{k.replace('_', '-')}>{v}</{k.replace('_', '-')}>" for k, v in flow.items())
            if show_all:
                body += "<show-all>yes</show-all>"
            root = caller.ok(
                type="op", cmd=f"<test><security-policy-match>{body}</security-policy-match></test>"
            )
            return [e.get("name") for e in root.findall("result/rules/entry")]

        yield first
        caller.close()


BASE = {"from": "untrust", "to": "trust"}


@pytest.mark.parametrize(
    ("flow", "expected"),
    [
        # nested static groups and ranges, service group with a range and a predefined service
        (
            {
                "source": "203.0.113.15",
                "destination": "10.1.0.99",
                "protocol": "6",
                "destination_port": "8080",
            },
            "partners-https",
        ),
        (
            {
                "source": "203.0.113.15",
                "destination": "10.1.0.99",
                "protocol": "6",
                "destination_port": "443",
            },
            "partners-https",
        ),
        (
            {
                "source": "203.0.113.21",
                "destination": "10.1.0.99",
                "protocol": "6",
                "destination_port": "443",
            },
            "clean-up",
        ),
        (
            {"source": "10.1.0.10", "destination": "10.1.0.10", "protocol": "6", "destination_port": "8000"},
            "partners-https",
        ),  # web-1 is in outer too
        # negate-source: any source except the group
        (
            {
                "source": "198.51.100.1",
                "destination": "10.1.0.10",
                "protocol": "17",
                "destination_port": "53",
            },
            "not-partners-dns",
        ),
        (
            {
                "source": "203.0.113.12",
                "destination": "10.1.0.10",
                "protocol": "17",
                "destination_port": "53",
            },
            "clean-up",
        ),
        # application-default with a known application
        (
            {
                "source": "198.51.100.1",
                "destination": "10.1.0.10",
                "protocol": "6",
                "destination_port": "443",
                "application": "ssl",
            },
            "ssl-default",
        ),
        (
            {
                "source": "198.51.100.1",
                "destination": "10.1.0.10",
                "protocol": "6",
                "destination_port": "8443",
                "application": "ssl",
            },
            "clean-up",
        ),
        (
            {"source": "198.51.100.1", "destination": "10.1.0.20", "protocol": "1", "application": "icmp"},
            "icmp",
        ),
        # traceroute's application-default is icmp and udp/33434-33534 (KB "How to allow tracepath")
        *[({"source": "198.51.100.1", "destination": "10.1.0.20", "protocol": proto,
            "application": "traceroute", **({"destination_port": port} if port else {})}, expected)
          for proto, port, expected in (("1", None, "tracepath"), ("17", "33434", "tracepath"),
                                        ("17", "33534", "tracepath"), ("17", "33535", "clean-up"),
                                        ("17", "53", "clean-up"), ("6", "33434", "clean-up"))],
        # a query without application only matches application any
        ({"source": "198.51.100.1", "destination": "10.1.0.20", "protocol": "1"}, "clean-up"),
        (
            {
                "source": "2001:db8::1",
                "destination": "2001:db8::10",
                "protocol": "6",
                "destination_port": "8080",
            },
            "v6",
        ),
        (
            {
                "source": "2001:db8::1",
                "destination": "2001:db8::11",
                "protocol": "6",
                "destination_port": "8080",
            },
            "clean-up",
        ),
        # the shipped admin rules: group source, application-default ssh
        (
            {
                "source": "10.10.3.4",
                "destination": "10.0.0.5",
                "protocol": "6",
                "destination_port": "22",
                "application": "ssh",
            },
            "allow-admin-ssh",
        ),
        (
            {
                "source": "198.51.100.15",
                "destination": "10.0.0.5",
                "protocol": "6",
                "destination_port": "22",
                "application": "ssh",
            },
            "block-known-bad",
        ),
    ],
)
def test_first_match(matcher, flow, expected):
    assert matcher(**BASE, **flow)[:1] == [expected]


def test_rule_type_and_zones(matcher):
    dmz = {
        "from": "dmz",
        "to": "dmz",
        "source": "192.0.2.1",
        "destination": "192.0.2.2",
        "protocol": "6",
        "destination_port": "1",
    }
    assert matcher(**dmz) == ["dmz-intra"]
    assert matcher(**{**dmz, "to": "trust"}) == ["clean-up"]


def test_disabled_rules_and_candidate_only_rules_never_match_and_show_all(matcher):
    flow = {
        **BASE,
        "source": "203.0.113.15",
        "destination": "10.1.0.99",
        "protocol": "6",
        "destination_port": "443",
    }
    assert matcher(show_all=True, **flow) == ["partners-https", "clean-up"]


def test_no_rule_matches_gives_an_empty_list():
    config = (
        b"<config><devices><entry name='localhost.localdomain'><vsys><entry name='vsys1'>"
        b"<zone><entry name='a'/></zone></entry></vsys></entry></devices></config>"
    )
    with EmulatorServer(config) as emu:
        caller = Caller(emu.url, emu.api_key("admin"))
        root = caller.ok(
            type="op",
            cmd="<test><security-policy-match><from>a</from><to>a</to>"
            "<source>1.1.1.1</source><destination>2.2.2.2</destination>"
            "<protocol>6</protocol><destination-port>1</destination-port>"
            "</security-policy-match></test>",
        )
        assert root.find("result/rules") is not None and len(root.find("result/rules")) == 0
        bad = caller.call(
            type="op",
            cmd="<test><security-policy-match><source>not-an-ip</source></security-policy-match></test>",
        )
        assert bad.get("status") == "error"
        caller.close()
