"""Read-back containment: what awspan set must be there; what a device adds must not fail a push."""

from __future__ import annotations

from lxml import etree

from generator.panos.config.contain import holds

WANT = ('<entry name="r"><source><member>a</member><member>b</member></source>'
        '<service><member>application-default</member></service><description>x</description></entry>')


def x(text: str) -> etree._Element:
    return etree.fromstring(text)


def test_device_attributes_and_default_children_are_tolerated():
    have = x('<entry name="r" uuid="u-1" admin="automation" dirtyId="3" time="2026/12/01" loc="dg1">'
             '<source><member>b</member><member>a</member></source><rule-type>universal</rule-type>'
             '<service><member>application-default</member></service><negate-source>no</negate-source>'
             '<description>x</description><target><negate>no</negate></target></entry>')
    assert holds(have, x(WANT), "rules")


def test_what_awspan_set_must_be_there_and_equal():
    assert not holds(x('<entry name="r"><source><member>a</member></source>'
                       '<service><member>application-default</member></service>'
                       '<description>x</description></entry>'), x(WANT), "rules")  # one member gone
    assert not holds(x(WANT.replace("<member>b</member>", "<member>b</member><member>c</member>")),
                     x(WANT), "rules")  # one member more is more traffic
    assert not holds(x(WANT.replace("<description>x</description>", "")), x(WANT), "rules")


def test_a_managed_field_awspan_no_longer_sets_and_a_non_default_negate_are_differences():
    extra = WANT.replace("</entry>", "<profile-setting><group><member>strict</member></group>"
                                     "</profile-setting></entry>")
    assert not holds(x(extra), x(WANT), "rules")
    negated = WANT.replace("</entry>", "<negate-source>yes</negate-source></entry>")
    assert not holds(x(negated), x(WANT), "rules")
    assert not holds(x(WANT.replace("</entry>", "<disabled>yes</disabled></entry>")), x(WANT), "rules")


def test_below_the_top_level_children_are_compared_exactly():
    want = x('<entry name="icmp-3"><default><ident-by-icmp-type><type>3</type></ident-by-icmp-type>'
             '</default></entry>')
    narrowed = x('<entry name="icmp-3"><default><ident-by-icmp-type><type>3</type><code>4</code>'
                 '</ident-by-icmp-type></default><evasive-behavior>no</evasive-behavior></entry>')
    assert not holds(narrowed, want, "application")
    decorated = x('<entry name="icmp-3" uuid="u"><default><ident-by-icmp-type><type>3</type>'
                  '</ident-by-icmp-type></default><evasive-behavior>no</evasive-behavior></entry>')
    assert holds(decorated, want, "application")


def test_push_against_a_decorating_device_is_idempotent(awspan, emu):
    """The emulator decorates every answer (uuid, defaults): the second push must see no change."""
    from tests.panos.helpers import first_fragment

    assert awspan("push", fragment=first_fragment()).code == 0
    rule = emu.view(False).xpath("//rules/entry[@name='sg-web-tcp-443']")[0]
    assert rule.findtext("rule-type") == "universal" and rule.get("uuid")  # the device decorated it
    r = awspan("push", fragment=first_fragment())
    assert r.code == 0 and "already matches" in r.out
