"""Address-object names: legal for PAN-OS, within 63 characters, and one-to-one with addresses."""

from __future__ import annotations

import netaddr
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.generate.names import check_name
from generator.provenance import address_name

INSTANCE = "i-0123456789abcdef0"  # the longest instance id AWS issues (17 hex digits)

addresses = st.one_of(
    st.integers(0, 2**32 - 1).map(lambda n: str(netaddr.IPAddress(n, 4))),
    st.integers(0, 2**128 - 1).map(lambda n: str(netaddr.IPAddress(n, 6))),
    # addresses with long zero runs and IPv4-mapped forms, where '::' compression matters
    st.tuples(st.integers(0, 7), st.integers(0, 0xFFFF)).map(
        lambda t: str(netaddr.IPAddress(t[1] << (16 * t[0]), 6))
    ),
    st.integers(0, 2**32 - 1).map(lambda n: str(netaddr.IPAddress(n, 4).ipv6(ipv4_compatible=False))),
)


@settings(max_examples=300)
@given(a=addresses, b=addresses)
def test_address_names_are_legal_and_distinct_for_distinct_addresses(a, b):
    name_a, name_b = address_name(INSTANCE, a), address_name(INSTANCE, b)
    assert check_name(name_a, "address", "test") == name_a
    assert len(name_a) <= 63
    assert (name_a == name_b) == (a == b)
