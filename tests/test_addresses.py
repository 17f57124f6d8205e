"""generator.addresses against an independent library (netaddr) and against hostile text.

The product parses with the standard library's ipaddress; netaddr wrote awspan's files before,
so equal canonical text here means state.yaml and fragment.xml stay byte-identical.
"""

from __future__ import annotations

import netaddr
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator import addresses
from generator.addresses import (
    AddressError,
    RangeSet,
    canonical_address,
    canonical_cidr,
    canonical_or_same,
    contains,
    is_ip_literal,
    parse_address,
    sort_key,
    sorted_addresses,
)

V4 = st.integers(0, 2**32 - 1)
V6 = st.one_of(
    st.integers(0, 2**128 - 1),
    st.integers(0, 2**32 - 1),  # IPv4-compatible
    st.integers(0, 2**32 - 1).map(lambda n: (0xFFFF << 32) | n),  # IPv4-mapped
    st.tuples(st.integers(0, 7), st.integers(1, 0xFFFF)).map(lambda t: t[1] << (16 * t[0])),  # zero runs
)


def _spellings(n: int, version: int) -> list[str]:
    ip = netaddr.IPAddress(n, version)
    texts = [str(ip)]
    if version == 6:
        texts.append(ip.format(netaddr.ipv6_verbose))
        texts.append(str(ip).upper())
    return texts


@settings(max_examples=400, deadline=None)
@given(n=V4)
def test_ipv4_text_is_netaddrs(n):
    for text in _spellings(n, 4):
        assert canonical_address(text) == str(netaddr.IPAddress(n, 4))


@settings(max_examples=400, deadline=None)
@given(n=V6)
def test_ipv6_text_is_netaddrs_whatever_the_spelling(n):
    for text in _spellings(n, 6):
        assert canonical_address(text, 6) == str(netaddr.IPAddress(n, 6)), text


@settings(max_examples=300, deadline=None)
@given(n=st.one_of(V4.map(lambda n: (n, 4)), V6.map(lambda n: (n, 6))), plen=st.integers(0, 128))
def test_cidr_text_and_host_bits_as_netaddr(n, plen):
    value, version = n
    plen = plen % (33 if version == 4 else 129)
    net = netaddr.IPNetwork(f"{netaddr.IPAddress(value, version)}/{plen}")
    text = f"{net.ip}/{plen}"
    assert canonical_or_same(text) == text  # host bits kept for collect
    if net.ip == net.network:
        assert canonical_cidr(text) == str(net.cidr)
    else:
        with pytest.raises(AddressError, match=f"has host bits set \\(did you mean {net.cidr}\\?\\)"):
            canonical_cidr(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(V4.map(lambda n: (n, 4)), V6.map(lambda n: (n, 6))), min_size=1, max_size=12),
       st.lists(st.integers(0, 128), min_size=12, max_size=12))
def test_sort_order_and_containment_as_netaddr(items, plens):
    cidrs = []
    for (value, version), plen in zip(items, plens, strict=False):
        plen = plen % (33 if version == 4 else 129)
        cidrs.append(str(netaddr.IPNetwork(f"{netaddr.IPAddress(value, version)}/{plen}").cidr))
    expected = sorted(set(cidrs), key=lambda c: (netaddr.IPNetwork(c).version, netaddr.IPNetwork(c).first,
                                                 netaddr.IPNetwork(c).prefixlen))
    assert sorted_addresses(cidrs) == expected
    inside = RangeSet(cidrs[: len(cidrs) // 2])
    oracle = netaddr.IPSet(cidrs[: len(cidrs) // 2])
    for cidr in cidrs:
        assert inside.covers(cidr) == (netaddr.IPNetwork(cidr) in oracle), cidr
        assert contains(cidrs[0], cidr) == (
            netaddr.IPNetwork(cidr).version == netaddr.IPNetwork(cidrs[0]).version
            and netaddr.IPNetwork(cidr) in netaddr.IPNetwork(cidrs[0]))


@pytest.mark.parametrize(
    "text",
    ["10.0.0.1\n", " 10.0.0.1", "10.0.0.1 ", "010.0.0.1", "10.1", "10.0.0.256", "0x0a.0.0.1", "fe80::1%eth0",
     "1.2.3.4/33", "1.2.3.4/ 24", "1.2.3.4//24", "", "10.0.0.9-10.0.0.1", "10.0.0.1-::1", "::ffff:1.2.3.4\n"],
)
def test_malformed_text_is_never_an_address(text):
    assert not is_ip_literal(text)
    with pytest.raises(AddressError, match="is not a valid"):
        canonical_cidr(text) if "/" in text else canonical_address(text)
    assert canonical_or_same(text) == text  # collect writes it as AWS said; generate refuses it
    assert sort_key(text)[0] == 9


def test_one_wording_for_the_wrong_family():
    with pytest.raises(AddressError, match=r"'2001:db8::1' is not an IPv4 address"):
        parse_address("2001:db8::1", 4)
    with pytest.raises(AddressError, match=r"'10.0.0.0/8' is not an IPv6 CIDR block"):
        canonical_cidr("10.0.0.0/8", 6)


def test_ranges_are_literals():
    assert is_ip_literal("10.0.0.1-10.0.0.9") and contains("10.0.0.1-10.0.0.9", "10.0.0.4")
    assert not contains("10.0.0.1-10.0.0.9", "10.0.0.10") and not contains("10.0.0.0/8", "::1")


@settings(max_examples=300, deadline=None)
@given(V6, st.integers(0, 128), st.sampled_from(["ntop", "compressed", "exploded", "upper"]))
def test_ipv6_fast_path_reads_every_spelling_as_ipaddress_does(value: int, plen: int, spelling: str) -> None:
    """interval_of takes IPv6 text as inet_ntop prints it without ipaddress (thousands of
    addresses at scale); every spelling must still give ipaddress's interval."""
    import ipaddress
    import socket

    address = ipaddress.IPv6Address(value)
    text = {
        "ntop": socket.inet_ntop(socket.AF_INET6, address.packed),
        "compressed": address.compressed,
        "exploded": address.exploded,
        "upper": address.compressed.upper(),
    }[spelling]
    net = ipaddress.IPv6Interface(f"{text}/{plen}").network
    expected = (6, int(net.network_address), int(net.broadcast_address), plen)
    assert addresses.interval_of.__wrapped__(f"{text}/{plen}") == expected
    if plen == 128:
        assert addresses.interval_of.__wrapped__(text) == expected
