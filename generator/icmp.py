"""ICMP and ICMPv6 as PAN-OS sees them: App-IDs, custom type/code applications, their names.

One place for the ICMP vocabulary (the vocabulary module may fold it in):

- **All ICMP.** PAN-OS identifies echo as the App-ID `ping`, apart from `icmp` (Palo Alto KB
  "How to allow tracepath": `ping` and `traceroute` are App-IDs of their own). A rule that
  names only `icmp` drops pings, so an SG permission for every ICMP type becomes `icmp` +
  `ping`. Never `traceroute`: its application-default is icmp/any *and* udp/33434-33534 (the
  same KB), so naming it would open UDP that the security group does not allow. An outage
  of a diagnostic beats a hole: UDP traceroute through the firewall works only where a group
  allows those UDP ports (docs/generate.md). For ICMPv6 the App-ID is `ipv6-icmp`; whether
  PAN-OS names ICMPv6 echo `ping` is not settled by the public evidence, so `ping` is added
  as well: for an IPv6-only rule it can only admit echo, which the permission allows anyway.
- **One type (and code).** Never the whole `icmp`: a custom application identified by
  `ident-by-icmp-type` (`ident-by-icmp6-type`) with the KB's and Aerleon's shape
  (category networking, subcategory ip-protocol, technology network-protocol, risk 4 for
  ICMP, 2 for ICMPv6). A code of -1 (every code) leaves `<code>` out. Application names are
  limited to 31 characters (Aerleon's paloaltofw `_APPLICATION_NAME_MAX_LENGTH`), much less
  than the 63 of rules; `icmp6-255-255` is the longest awspan makes (13).
- **Echo.** For type 8 (ICMPv6 128) with every code or code 0, `ping` is added beside the
  custom application: which of the two App-IDs a device gives echo when both could apply is
  not documented, and both mean exactly echo.
- **Error types** (3 destination unreachable, 11 time exceeded, 12 parameter problem, 4
  source quench; ICMPv6 1-4) are matched by PAN-OS to the session they report on, not to a
  rule of their own (docs/generate.md): a permission naming only them allows nothing new.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_APP_NAME = 31
"""PAN-OS limit for application names (rules and objects allow 63)."""

ALL_ICMP_APPS = ("icmp", "ping")
ALL_ICMP6_APPS = ("ipv6-icmp", "ping")
ECHO_TYPE = {"icmp": 8, "icmpv6": 128}
ERROR_TYPES = {"icmp": frozenset({3, 4, 11, 12}), "icmpv6": frozenset({1, 2, 3, 4})}
"""Types PAN-OS treats as errors of an existing session (documentation and warnings)."""

IDENT = {"icmp": "ident-by-icmp-type", "icmpv6": "ident-by-icmp6-type"}
RISK = {"icmp": 4, "icmpv6": 2}
PREFIX = {"icmp": "icmp", "icmpv6": "icmp6"}
APP_NAME_RE = re.compile(r"^(icmp6?)-(\d{1,3})(?:-(\d{1,3}))?$")
"""What a name of awspan's ICMP applications looks like (the emulator and the check read it back)."""


@dataclass(frozen=True)
class IcmpApp:
    """A custom application for one ICMP(v6) type and optionally one code."""

    protocol: str  # icmp | icmpv6
    type: int
    code: int | None  # None: every code

    @property
    def name(self) -> str:
        base = f"{PREFIX[self.protocol]}-{self.type}"
        return base if self.code is None else f"{base}-{self.code}"

    @property
    def ident(self) -> str:
        return IDENT[self.protocol]

    @property
    def risk(self) -> int:
        return RISK[self.protocol]

    @property
    def description(self) -> str:
        what = "ICMPv6" if self.protocol == "icmpv6" else "ICMP"
        code = "every code" if self.code is None else f"code {self.code}"
        return f"awspan: {what} type {self.type}, {code}"

    def applications(self) -> tuple[str, ...]:
        """The App-IDs a rule for this type/code names: the custom one, and `ping` for echo."""
        if self.type == ECHO_TYPE[self.protocol] and self.code in (None, 0):
            return (self.name, "ping")
        return (self.name,)

    def matches(self, protocol: int, icmp_type: int, icmp_code: int) -> bool:
        number = 58 if self.protocol == "icmpv6" else 1
        return protocol == number and icmp_type == self.type and self.code in (None, icmp_code)


def icmp_app(protocol: str, from_port: int | None, to_port: int | None) -> IcmpApp | None:
    """The custom application of an SG permission, or None when it allows every type.

    AWS: for icmp/icmpv6, from_port is the type and to_port the code; -1 means all.
    Raises ValueError for a value outside 0..255.
    """
    if from_port is None or from_port == -1:
        return None
    for label, value in (("type", from_port), ("code", to_port)):
        if value is not None and value != -1 and not 0 <= int(value) <= 255:
            raise ValueError(f"ICMP {label} {value} is outside 0..255")
    code = None if to_port is None or to_port == -1 else int(to_port)
    return IcmpApp(protocol, int(from_port), code)


def parse_app_name(name: str) -> IcmpApp | None:
    """The IcmpApp an application name of awspan's stands for, or None."""
    m = APP_NAME_RE.match(name)
    if not m:
        return None
    protocol = "icmpv6" if m.group(1) == "icmp6" else "icmp"
    code = int(m.group(3)) if m.group(3) else None
    if int(m.group(2)) > 255 or (code is not None and code > 255):
        return None
    return IcmpApp(protocol, int(m.group(2)), code)


def ident_of(entry) -> tuple[str, int, int | None] | None:  # noqa: ANN001 - an lxml element
    """(protocol, type, code) of a custom application entry identified by ICMP type, else None."""
    for protocol, tag in IDENT.items():
        node = entry.find(f"default/{tag}")
        if node is None:
            continue
        try:
            icmp_type = int((node.findtext("type") or "").strip())
            code_text = (node.findtext("code") or "").strip()
            return protocol, icmp_type, int(code_text) if code_text else None
        except ValueError:
            return None
    return None
