"""What every PAN-OS device has built in, as far as `test security-policy-match` needs it:
IP protocol numbers, the predefined services, App-IDs with their default ports (what
`service application-default` means), and how a custom application names one ICMP type.

The emulator's own table, each fact with its source (docs/emulator.md "Independence"):

- Predefined services `service-http` (tcp/80, 8080) and `service-https` (tcp/443): PAN-OS web
  help, Objects > Services ("the predefined services service-http and service-https").
- Default ports ("Standard Ports" in Applipedia, applipedia.paloaltonetworks.com, one entry per
  App-ID): ssl tcp/443, web-browsing tcp/80, ssh tcp/22, telnet tcp/23, dns tcp,udp/53, ntp
  udp/123, smtp tcp/25, ftp tcp/21, ms-rdp tcp/3389, mysql tcp/3306, postgres tcp/5432, ldap
  tcp/389, snmp udp/161, http-proxy tcp/8080.
- ICMP: `icmp` is IP protocol 1, `ipv6-icmp` 58; `ping` is ICMP and ICMPv6 echo; `traceroute` is
  ICMP plus udp/33434-33534 (Palo Alto KB "How to allow tracepath": traceroute's
  application-default opens that UDP range, which is why awspan never uses it for all-ICMP).
- A custom application identified by ICMP type: `<default><ident-by-icmp-type><type>T</type>
  <code>C</code>` (`ident-by-icmp6-type` for ICMPv6), code optional (KB "Security Policy to
  Allow/Deny a Certain ICMP Type"; pan-os-python `panos/objects.py` `ApplicationObject`).
"""

from __future__ import annotations

from lxml import etree

PROTOCOL_NUMBERS: dict[str, int] = {"icmp": 1, "tcp": 6, "udp": 17, "ipv6-icmp": 58, "sctp": 132}

Default = tuple[int, str | None]  # (IP protocol, ports or None for every port/type)

PREDEFINED_SERVICES: dict[str, tuple[Default, ...]] = {
    "service-http": ((6, "80,8080"),),
    "service-https": ((6, "443"),),
}

APP_DEFAULTS: dict[str, tuple[Default, ...]] = {
    "icmp": ((1, None),),
    "ping": ((1, None), (58, None)),
    "ipv6-icmp": ((58, None),),
    "traceroute": ((1, None), (17, "33434-33534")),
    "ssl": ((6, "443"),),
    "web-browsing": ((6, "80"),),
    "ssh": ((6, "22"),),
    "telnet": ((6, "23"),),
    "dns": ((6, "53"), (17, "53")),
    "ntp": ((17, "123"),),
    "smtp": ((6, "25"),),
    "ftp": ((6, "21"),),
    "ms-rdp": ((6, "3389"),),
    "mysql": ((6, "3306"),),
    "postgres": ((6, "5432"),),
    "ldap": ((6, "389"),),
    "snmp": ((17, "161"),),
    "http-proxy": ((6, "8080"),),
}
"""App-ID -> its default (protocol, ports); an App-ID outside the table matches any port."""

ECHO_TYPES: dict[int, tuple[int, int]] = {1: (8, 0), 58: (128, 129)}
"""ICMP echo request and reply types, per protocol number: what App-ID names `ping`."""

_IDENT = {"ident-by-icmp-type": 1, "ident-by-icmp6-type": 58}


def icmp_ident(entry: etree._Element) -> tuple[int, int, int | None] | None:
    """(protocol number, type, code or None) of a custom application identified by ICMP type."""
    for tag, number in _IDENT.items():
        node = entry.find(f"default/{tag}")
        if node is None:
            continue
        type_text, code_text = (node.findtext("type") or "").strip(), (node.findtext("code") or "").strip()
        if not type_text.isdigit() or (code_text and not code_text.isdigit()):
            return None
        return number, int(type_text), int(code_text) if code_text else None
    return None
