"""Addresses as a PAN-OS device reads them: IPs, CIDRs (host bits allowed) and ranges `a-b`.

The emulator's own parser, on Python's `ipaddress`: what the device accepts in `ip-netmask`,
`ip-range`, a rule's literal source/destination, a `test security-policy-match` query and a
User-ID registration. It shares nothing with the product's address code, so that a belief
about address text that is wrong in awspan cannot also be wrong here (docs/emulator.md).

PAN-OS accepts an `ip-netmask` with host bits (`10.0.0.5/24`) and without a prefix (a host);
an `ip-range` is two addresses of one family, low first (PAN-OS web help, Objects > Addresses).
"""

from __future__ import annotations

import ipaddress

Interval = tuple[int, int, int]  # (version, first, last)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    if not text or text != text.strip() or "%" in text:
        raise ValueError(f"{text!r} is not an IP address")
    return ipaddress.ip_address(text)


def interval(text: str) -> Interval:
    """(version, first, last) of an address, a CIDR or a range; ValueError for anything else."""
    if "-" in text and "/" not in text:
        low_text, _, high_text = text.partition("-")
        low, high = _address(low_text.strip()), _address(high_text.strip())
        if low.version != high.version or low > high:
            raise ValueError(f"{text!r} is not a valid IP range")
        return low.version, int(low), int(high)
    if not text or text != text.strip() or "%" in text or text.count("/") > 1:
        raise ValueError(f"{text!r} is not an IP address or network")
    net = ipaddress.ip_interface(text).network
    return net.version, int(net.network_address), int(net.broadcast_address)


def is_netmask(text: str) -> bool:
    """What `<ip-netmask>` accepts: an address, with or without a prefix length."""
    try:
        return "-" not in text and bool(interval(text))
    except ValueError:
        return False


def is_literal(text: str) -> bool:
    """An address written where a name may stand (rule members): IP, CIDR or range."""
    try:
        interval(text)
    except ValueError:
        return False
    return True


def contains(outer: str, inner: str) -> bool:
    """Is every address of `inner` inside `outer`? Other families never are."""
    v1, first1, last1 = interval(outer)
    v2, first2, last2 = interval(inner)
    return v1 == v2 and first1 <= first2 and last2 <= last1


def address_key(text: str) -> tuple[int, int]:
    """(version, value) of one address: one key per address whatever its spelling."""
    ip = _address(text.strip())
    return ip.version, int(ip)


def registered_key(text: str) -> tuple[int, ...]:
    """What a User-ID registration names: an address, (version, value), or, from PAN-OS 10.0 on,
    an IPv4 network, (4, first, prefix length). IPv6 networks, ranges and networks with host bits
    are refused (ValueError): PAN-OS 10.0 New Features, "IP Range and Subnet Support in Dynamic
    Address Groups" ("IPv6 IP subnets and ranges are not supported"); what a device makes of host
    bits is not documented, and awspan sends none."""
    if "/" not in text:
        return address_key(text)
    try:
        net = ipaddress.ip_network(text.strip(), strict=True)
    except ValueError:
        raise ValueError(f"{text!r} is not a network") from None
    if net.version != 4:
        raise ValueError("IPv6 networks cannot be registered")
    return 4, int(net.network_address), net.prefixlen


def in_registered(key: tuple[int, ...], address: tuple[int, int]) -> bool:
    """Is `address` (an address_key) the registered address or inside the registered network?"""
    if len(key) == 2:
        return key == address
    version, first, length = key
    size = 1 << ((32 if version == 4 else 128) - length)
    return address[0] == version and first <= address[1] < first + size


def spell(key: tuple[int, ...], exploded: bool = False) -> str:
    """An address as the device prints it: compressed (RFC 5952), or every IPv6 group in full; a
    registered network as `network/length`."""
    version, value = key[0], key[1]
    ip = ipaddress.ip_address(value) if version == 4 else ipaddress.IPv6Address(value)
    text = ip.exploded if exploded and version == 6 else ip.compressed
    return f"{text}/{key[2]}" if len(key) == 3 else text
