"""Address arithmetic on canonical text, fast enough for a 50,000-instance estate.

netaddr is the reference (every address is first checked or canonicalized with it in
state.py), but building an IPNetwork costs microseconds and generate handles hundreds of
thousands of CIDRs. Canonical IPv4 text is checked with one regular expression and integer
math; everything else (IPv6, odd spellings, errors) goes to netaddr. Containment is done on
(first, last) integer ranges of the merged "inside" set, which is exactly IPSet semantics.
"""

from __future__ import annotations

import re
import socket
from bisect import bisect_right
from collections.abc import Iterable
from functools import lru_cache

import netaddr

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_V4 = re.compile(rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}\Z")
_V4_CIDR = re.compile(rf"({_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET})/(3[0-2]|[12]?[0-9])\Z")


def is_canonical_v4(text: str) -> bool:
    """True when `text` is an IPv4 address exactly as netaddr would print it."""
    return _V4.match(text) is not None


def canonical_v4_cidr(text: str) -> bool:
    """True when `text` is an IPv4 CIDR in canonical form with no host bits set."""
    m = _V4_CIDR.match(text)
    if m is None:
        return False
    value = int.from_bytes(socket.inet_aton(m.group(1)), "big")
    plen = int(m.group(2))
    return value & ((1 << (32 - plen)) - 1) == 0


@lru_cache(maxsize=1 << 20)
def cidr_range(cidr: str) -> tuple[int, int, int, int]:
    """(version, first, last, prefixlen) of a canonical CIDR."""
    ip, _, plen_text = cidr.partition("/")
    plen = int(plen_text)
    if ":" in ip:
        value, bits, version = int.from_bytes(socket.inet_pton(socket.AF_INET6, ip), "big"), 128, 6
    else:
        value, bits, version = int.from_bytes(socket.inet_aton(ip), "big"), 32, 4
    return version, value, value | ((1 << (bits - plen)) - 1), plen


def sort_key(cidr: str) -> tuple[int, int, int]:
    """Numeric order: IPv4 before IPv6, then by network, then by prefix length."""
    version, first, _, plen = cidr_range(cidr)
    return version, first, plen


class RangeSet:
    """A set of CIDRs as merged integer ranges per family; `covers` = wholly inside the union."""

    def __init__(self, cidrs: Iterable[str]) -> None:
        merged = netaddr.IPSet(cidrs)
        self._ranges: dict[int, tuple[list[int], list[int]]] = {4: ([], []), 6: ([], [])}
        for r in merged.iter_ipranges():
            firsts, lasts = self._ranges[r.version]
            firsts.append(r.first)
            lasts.append(r.last)

    def covers(self, cidr: str) -> bool:
        version, first, last, _ = cidr_range(cidr)
        firsts, lasts = self._ranges[version]
        i = bisect_right(firsts, first) - 1
        return i >= 0 and last <= lasts[i]
