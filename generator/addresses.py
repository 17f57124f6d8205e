"""IP addresses and CIDR blocks: parse, canonical text, sort key, containment, one wording.

Every step that reads an address goes through this module: collect (AWS answers), policy.yaml
(`rules.internal_cidrs`), state.yaml, the already-allowed check (rule members and address
objects) and the firewall client. (The emulator has its own, emulator/ipaddr.py: a belief
wrong here must not pass on both sides.) One parser means one answer to "is this an address" and one error
text, wherever the value came from.

The library is Python's `ipaddress` (not netaddr): it is in the standard library, so the wheel
and the Lambda zip carry one dependency less; it is strict (no octal or shortened IPv4, no
`/ 24`); and the emulator and the firewall client already used it. Two of its habits are
refused or pinned here: a zone index (`fe80::1%eth0`) is not an address PAN-OS or AWS writes,
and an IPv4-mapped or -compatible IPv6 address is printed with a dotted tail
(`::ffff:1.2.3.4`) on every Python version (3.13 changed `ipaddress`'s own text), which is
also what awspan wrote before (netaddr, i.e. inet_ntop).

The hot paths work on canonical text without building objects: canonical IPv4 is recognised
with one regular expression, and containment is integer arithmetic on (first, last) ranges.
"""

from __future__ import annotations

import ipaddress
import socket
from bisect import bisect_right
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_BITS = {4: 32, 6: 128}


class AddressError(ValueError):
    """A value that is not the address or block the caller asked for; str() is the one wording."""


IPInterface = ipaddress.IPv4Interface | ipaddress.IPv6Interface


# -- parse (one wording) ------------------------------------------------------------------
def _parse(value: object, version: int | None, what: str, build: Any, slashes: int) -> Any:
    """Parse with `build`; AddressError "... is not a valid {what}" / "... is not an IPv{n} {what}".

    Refused before parsing: anything but a non-empty str, a zone index (`%eth0`), surrounding
    whitespace (a YAML value with a newline) and more than `slashes` slashes."""
    parsed = None
    plain = isinstance(value, str) and value and "%" not in value and value == value.strip()
    if plain and value.count("/") <= slashes:
        try:
            parsed = build(value)
        except ValueError:
            parsed = None
    if parsed is None:
        raise AddressError(f"{value!r} is not a valid {what}")
    if version is not None and parsed.version != version:
        raise AddressError(f"{value!r} is not an IPv{version} {what.removeprefix('IP ')}")
    return parsed


def parse_address(value: object, version: int | None = None) -> IPAddress:
    """One address (`10.0.1.10`, `2600:1f18::1`); AddressError otherwise or of the other family."""
    return _parse(value, version, "IP address", ipaddress.ip_address, 0)


def parse_interface(value: object, version: int | None = None) -> IPInterface:
    """An address with a prefix length (`10.0.1.5/24`: host bits allowed); no prefix means /32 or /128."""
    return _parse(value, version, "CIDR block", ipaddress.ip_interface, 1)


def parse_cidr(value: object, version: int | None = None) -> IPNetwork:
    """A CIDR block without host bits; the error for host bits says which block was meant."""
    iface = parse_interface(value, version)
    if iface.ip != iface.network.network_address:
        raise AddressError(f"{value!r} has host bits set (did you mean {cidr_text(iface.network)}?)")
    return iface.network


# -- canonical text ---------------------------------------------------------------------
def address_text(ip: IPAddress) -> str:
    """Canonical text (RFC 5952; IPv4-mapped and -compatible IPv6 with a dotted tail)."""
    if ip.version == 4:
        return str(ip)
    value = int(ip)
    if 0xFFFF < value <= 0xFFFFFFFF or value >> 32 == 0xFFFF:
        head = "::ffff:" if value >> 32 else "::"
        return head + str(ipaddress.IPv4Address(value & 0xFFFFFFFF))
    return ip.compressed


def cidr_text(net: IPNetwork | IPInterface) -> str:
    """`10.0.0.0/8`; an interface keeps its host bits (`10.0.0.5/8`)."""
    if isinstance(net, (ipaddress.IPv4Interface, ipaddress.IPv6Interface)):
        return f"{address_text(net.ip)}/{net.network.prefixlen}"
    return f"{address_text(net.network_address)}/{net.prefixlen}"


_PREFIX_TEXT = {str(n): n for n in range(33)}
"""IPv4 prefix lengths as canonical text ("0".."32", no sign, no leading zero) -> their value."""


def _v4_value(text: str) -> int | None:
    """The address of canonical dotted-quad `text` (as address_text prints it), else None.

    socket.inet_aton (C) parses; the round trip through inet_ntoa refuses every other spelling
    it would also take (`1.2.3`, `010.0.0.1`, trailing text): one C call each way, where the
    octet regex this replaces was three times slower on the 100,000s of CIDRs of a large state."""
    try:
        packed = socket.inet_aton(text)
    except (OSError, ValueError):  # ValueError: a NUL or a character outside ASCII
        return None
    return int.from_bytes(packed, "big") if socket.inet_ntoa(packed) == text else None


def is_canonical_v4(text: str) -> bool:
    """True when `text` is an IPv4 address exactly as address_text prints it."""
    return _v4_value(text) is not None


_PREFIX6_TEXT = {str(n): n for n in range(129)}


def _v6_value(text: str) -> int | None:
    """The address of IPv6 `text` when it is spelled as the C library prints it, else None (the
    caller then parses with ipaddress). Every spelling inet_ntop prints is one ipaddress accepts,
    with the same value: the fast path takes nothing the slow one would refuse."""
    try:
        packed = socket.inet_pton(socket.AF_INET6, text)
    except (OSError, ValueError):
        return None
    return int.from_bytes(packed, "big") if socket.inet_ntop(socket.AF_INET6, packed) == text else None


def _v6_cidr_parts(text: str) -> tuple[int, int] | None:
    """(address, prefix length) of `addr/n` with addr as inet_ntop spells it, else None."""
    addr, slash, plen = text.partition("/")
    length = _PREFIX6_TEXT.get(plen) if slash else 128
    if length is None:
        return None
    value = _v6_value(addr)
    return None if value is None else (value, length)


def _v4_cidr_parts(text: str) -> tuple[int, int] | None:
    """(address, prefix length) of canonical `a.b.c.d/n` (host bits not looked at), else None."""
    addr, slash, plen = text.partition("/")
    length = _PREFIX_TEXT.get(plen) if slash else None
    if length is None:
        return None
    value = _v4_value(addr)
    return None if value is None else (value, length)


def canonical_v4_cidr(text: str) -> bool:
    """True when `text` is an IPv4 CIDR in canonical form with no host bits set."""
    parts = _v4_cidr_parts(text)
    return parts is not None and parts[0] & ((1 << (32 - parts[1])) - 1) == 0


def canonical_address(value: object, version: int | None = None) -> str:
    if isinstance(value, str) and version != 6 and is_canonical_v4(value):
        return value
    return address_text(parse_address(value, version))


def canonical_cidr(value: object, version: int | None = None) -> str:
    if isinstance(value, str) and version != 6 and canonical_v4_cidr(value):
        return value
    return cidr_text(parse_cidr(value, version))


def canonical_or_same(value: str) -> str:
    """One spelling per address or block (host bits kept); text that is neither comes back unchanged.

    For collect, which writes what AWS said and leaves judging it to generate."""
    try:
        if "/" in value:
            return cidr_text(parse_interface(value))
        return address_text(parse_address(value))
    except AddressError:
        return value


# -- order and arithmetic ---------------------------------------------------------------
def sort_key(value: str) -> tuple[int, int, int, str]:
    """IPv4 before IPv6, then numerically by first address and prefix length; anything else last."""
    try:
        version, first, _, plen = interval_of(value)
    except AddressError:
        return (9, 0, 0, value)
    return (version, first, plen, value)


def sorted_addresses(values: Iterable[str]) -> list[str]:
    """Distinct, canonical, numeric order: a stable diff whatever order AWS answered in."""
    return sorted({canonical_or_same(v) for v in values}, key=sort_key)


@lru_cache(maxsize=1 << 20)
def interval_of(value: str) -> tuple[int, int, int, int]:
    """(version, first, last, prefix length) of an address, a CIDR (host bits ignored) or a range a-b.

    A range has prefix length -1. Canonical IPv4 is read without building objects (100,000s of
    rule members and interfaces)."""
    if "/" in value:
        parts = _v4_cidr_parts(value)
    else:
        address = _v4_value(value)
        parts = None if address is None else (address, 32)
    if parts is not None:
        first, plen = parts
        size = 1 << (32 - plen)
        first &= ~(size - 1)
        return 4, first, first + size - 1, plen
    if ":" in value and "-" not in value:
        parts = _v6_cidr_parts(value)
        if parts is not None:
            first, plen = parts
            size = 1 << (128 - plen)
            first &= ~(size - 1)
            return 6, first, first + size - 1, plen
    if "-" in value:
        low_text, _, high_text = value.partition("-")
        try:
            low, high = parse_address(low_text.strip()), parse_address(high_text.strip())
        except AddressError:
            raise AddressError(f"{value!r} is not a valid IP range") from None
        if low.version != high.version or low > high:
            raise AddressError(f"{value!r} is not a valid IP range")
        return low.version, int(low), int(high), -1
    net = parse_interface(value).network
    return net.version, int(net.network_address), int(net.broadcast_address), net.prefixlen


def is_ip_literal(value: str) -> bool:
    """An address written directly where a name may stand: an IP, a CIDR or a range a-b."""
    try:
        interval_of(value)
    except AddressError:
        return False
    return True


def contains(outer: str, inner: str) -> bool:
    """Is every address of `inner` in `outer`? (Both: address, CIDR or range; other families: no.)"""
    v1, first1, last1, _ = interval_of(outer)
    v2, first2, last2, _ = interval_of(inner)
    return v1 == v2 and first1 <= first2 and last2 <= last1


def is_loopback(host: str) -> bool:
    """A host name or literal that names this machine (`localhost`, 127.0.0.0/8, ::1)."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return parse_address(host.strip("[]")).is_loopback
    except AddressError:
        return False


class RangeSet:
    """A set of CIDRs as merged integer ranges per family; `covers` = wholly inside the union."""

    def __init__(self, cidrs: Iterable[str]) -> None:
        spans: dict[int, list[tuple[int, int]]] = {4: [], 6: []}
        for cidr in cidrs:
            version, first, last, _ = interval_of(cidr)
            spans[version].append((first, last))
        self._ranges: dict[int, tuple[list[int], list[int]]] = {}
        for version, items in spans.items():
            firsts: list[int] = []
            lasts: list[int] = []
            for first, last in sorted(items):
                if lasts and first <= lasts[-1] + 1:
                    lasts[-1] = max(lasts[-1], last)
                else:
                    firsts.append(first)
                    lasts.append(last)
            self._ranges[version] = (firsts, lasts)

    def covers(self, cidr: str) -> bool:
        version, first, last, _ = interval_of(cidr)
        firsts, lasts = self._ranges[version]
        i = bisect_right(firsts, first) - 1
        return i >= 0 and last <= lasts[i]
