"""The names generate gives and the plan reads back are one format (generator/provenance.py): every
name a writer makes parses back to the ids it was made from, and the plan never reads a description
(issue 21: rewording a description once silently dropped the plan's "origin" line)."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from generator.provenance import (
    address_name,
    interface_group_name,
    owner_kind,
    parse_address_name,
    parse_group_name,
    parse_rule_name,
    rule_name,
)

ALNUM = "0123456789abcdefABCDEF"
ids = st.builds(lambda p, s: f"{p}-{s}", st.sampled_from(["sg", "i", "eni", "lb", "task"]),
                st.text(ALNUM, min_size=1, max_size=17))
enis = st.builds(lambda s: f"eni-{s}", st.text(ALNUM, min_size=1, max_size=17))
suffixes = st.one_of(st.sampled_from(["any", "icmp", "icmpv6", "esp", "gre", "icmp-8", "icmp6-128-0"]),
                     st.builds(lambda p, a, b: f"{p}-{a}" if a == b else f"{p}-{a}-{b}",
                               st.sampled_from(["tcp", "udp"]), st.integers(0, 65535), st.integers(0, 65535)))
ips = st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)).map(str)


@given(owner=ids, suffix=suffixes, interface=st.one_of(st.none(), enis))
def test_a_rule_name_reads_back_as_its_owner_interface_and_offer(owner, suffix, interface):
    subject = parse_rule_name(rule_name(owner, suffix, interface))
    assert subject is not None
    assert (subject.owner, subject.interface, subject.offer) == (owner, interface, suffix)
    assert subject.kind == owner_kind(owner)


@given(owner=ids, ip=ips)
def test_an_address_name_reads_back_as_its_owner_and_ip(owner, ip):
    assert parse_address_name(address_name(owner, ip)) == (owner, str(ipaddress.ip_address(ip)))


@given(owner=ids, interface=enis)
def test_a_group_name_reads_back(owner, interface):
    assert parse_group_name(interface_group_name(owner, interface)) == (owner, interface)
    assert parse_group_name(owner) == (owner, None)


def test_names_awspan_does_not_make_are_not_read_as_if_it_had():
    """An operator's rule or a tagged object named by hand is shown without an origin, not guessed at."""
    for name in ("allow partner", "clean-up", "sg-0abc", "web (public)-tcp-443", "sg-0abc-", "-tcp-443"):
        assert parse_rule_name(name) is None, name
    for name in ("i-0abc-not-an-ip", "i-0abc-10.0.0.256", "i-0abc", "web-10.0.0.1-x", "i-0abc-2600-1f18---1"):
        assert parse_address_name(name) is None, name
    assert parse_group_name("web servers") is None


def test_generate_writes_names_with_these_writers():
    """The rule and address names in the examples' golden fragment all read back (the writers are the
    ones generate uses, not a copy of their format)."""
    from lxml import etree

    from tests.generate.helpers import GOLDEN

    root = etree.parse(str(GOLDEN)).getroot()
    rules = root.xpath("//rulebase/security/rules/entry/@name")
    addresses = root.xpath("//address/entry/@name")
    assert rules and addresses
    assert all(parse_rule_name(n) is not None for n in rules)
    assert all(parse_address_name(n) is not None for n in addresses)
