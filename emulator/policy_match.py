"""`test security-policy-match`: the first rule, in order, that matches a flow.

Deliberately a plain linear scan that resolves every member the obvious way, so that it
can serve as the reference the optimized offline matcher (generator.rulematch) is
cross-checked against. It does not import that matcher.

Semantics (documented in docs/emulator.md): disabled rules are skipped; rule-type
intrazone/interzone is honoured; sources/destinations resolve through addresses
(ip-netmask, ip-range), static address groups (recursively), and literals; fqdn,
wildcard, dynamic groups, regions and EDLs never match; negate-source/-destination
invert the address test; services resolve through service objects, service groups and
the predefined service-http/service-https; `application-default` uses a small table of
well-known applications' default ports (an application outside the table matches any
port); a query without `application` matches only rules whose application is `any`.

App-ID for ICMP (docs/panos-fidelity.md): `ping` (echo and echo reply) and `traceroute` are
applications of their own, never covered by a rule that names only `icmp`; a custom
application identified by `ident-by-icmp-type` / `ident-by-icmp6-type` stands for its
type (and code, when it names one) and nothing else. A query that gives `<icmp-type>` (and
`<icmp-code>`) instead of an application is identified the way the device's App-ID would:
the custom application of that type/code when the scope has one, else `ping` for echo, else
`icmp` / `ipv6-icmp` (those two elements are the emulator's stand-in for the packet App-ID
sees; PAN-OS's command has no such option).
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from emulator import ipaddr
from emulator.catalog import APP_DEFAULTS, ECHO_TYPES, PREDEFINED_SERVICES, PROTOCOL_NUMBERS, icmp_ident
from emulator.model import members, security_rules
from emulator.schema import SERVICE_PROTOCOLS
from emulator.userid import Registry, compile_filter

PROTOCOLS = {proto: PROTOCOL_NUMBERS[proto] for proto in SERVICE_PROTOCOLS}


@dataclass
class Flow:
    from_zone: str | None = None
    to_zone: str | None = None
    source: str | None = None
    destination: str | None = None
    protocol: int | None = None
    port: int | None = None
    application: str | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None

    @classmethod
    def from_xml(cls, node: etree._Element) -> Flow:
        def text(tag: str) -> str | None:
            value = node.findtext(tag)
            return value.strip() if value is not None and value.strip() else None

        proto = text("protocol")
        port = text("destination-port")
        icmp_type, icmp_code = text("icmp-type"), text("icmp-code")
        for field in ("source", "destination"):
            value = text(field)
            if value is not None:
                ipaddr.address_key(value)  # ValueError: reported as a malformed command
        return cls(
            text("from"),
            text("to"),
            text("source"),
            text("destination"),
            int(proto) if proto else None,
            int(port) if port else None,
            text("application"),
            int(icmp_type) if icmp_type else None,
            int(icmp_code) if icmp_code else None,
        )


def _ports_contain(spec: str, port: int) -> bool:
    for part in spec.split(","):
        bounds = part.strip().split("-")
        try:
            low, high = int(bounds[0]), int(bounds[-1])
        except ValueError:
            continue
        if low <= port <= high:
            return True
    return False


class Matcher:
    """Resolves the names of one scope (with shared as fallback) and tests rules."""

    def __init__(self, scope: etree._Element, shared: etree._Element | None,
                 registry: Registry | None = None) -> None:
        self.scope = scope
        self.shared = shared
        self.registry = registry

    def _find(self, container: str, name: str) -> etree._Element | None:
        for holder in (self.scope, self.shared):
            if holder is None:
                continue
            found = holder.xpath(f"{container}/entry[@name=$n]", n=name)
            if found:
                return found[0]
        return None

    # -- addresses --------------------------------------------------------------------
    def address_contains(
        self, name: str, ip: str, seen: frozenset[str] = frozenset()
    ) -> bool:
        if name == "any":
            return True
        literal = _literal_contains(name, ip)
        if literal is not None:
            return literal
        entry = self._find("address", name)
        if entry is not None:
            netmask = entry.findtext("ip-netmask")
            if netmask is not None:
                return _literal_contains(netmask.strip(), ip) is True
            span = entry.findtext("ip-range")
            if span is not None:
                return _literal_contains(span.strip(), ip) is True
            return False  # fqdn / ip-wildcard: not resolved by the emulator
        group = self._find("address-group", name)
        if group is not None and name not in seen:
            text = group.findtext("dynamic/filter")
            if text is not None:
                return self._dynamic_contains(text, ip)
            return any(self.address_contains(m, ip, seen | {name}) for m in members(group, "static"))
        return False

    def _dynamic_contains(self, text: str, ip: str) -> bool:
        """A DAG holds the registered IPs and the address objects whose tags match its filter."""
        try:
            matches = compile_filter(text)
        except ValueError as exc:
            raise ValueError(f"dynamic address group filter {text!r}: {exc}") from None
        if self.registry is not None and matches(self.registry.tags_of(ip)):
            return True
        for holder in (self.scope, self.shared):
            if holder is None:
                continue
            for entry in holder.iterfind("address/entry"):
                tags = frozenset((m.text or "").strip() for m in entry.iterfind("tag/member"))
                name = entry.get("name", "")
                if tags and matches(tags) and self.address_contains(name, ip, frozenset({"*"})):
                    return True
        return False

    def addresses_match(self, rule: etree._Element, field: str, value: str | None) -> bool:
        if value is None:
            return True
        hit = any(self.address_contains(m, value) for m in members(rule, field))
        negate = (rule.findtext(f"negate-{field}") or "no").strip() == "yes"
        return hit != negate

    # -- App-ID -----------------------------------------------------------------------
    def custom_icmp(self, name: str) -> tuple[int, int, int | None] | None:
        """(protocol number, type, code or None) of a custom ICMP application, else None."""
        entry = self._find("application", name)
        return icmp_ident(entry) if entry is not None else None

    def identify(self, flow: Flow) -> str | None:
        """The App-ID of an ICMP flow given by type/code: custom application, ping, or icmp."""
        if flow.application is not None or flow.icmp_type is None or flow.protocol not in (1, 58):
            return flow.application
        code = flow.icmp_code if flow.icmp_code is not None else 0
        for holder in (self.scope, self.shared):
            for entry in holder.iterfind("application/entry") if holder is not None else ():
                ident = icmp_ident(entry)
                if (ident is not None and ident[0] == flow.protocol
                        and ident[1] == flow.icmp_type and ident[2] in (None, code)):
                    return entry.get("name")
        if flow.icmp_type in ECHO_TYPES[flow.protocol]:
            return "ping"
        return "icmp" if flow.protocol == 1 else "ipv6-icmp"

    # -- services ---------------------------------------------------------------------
    def service_contains(
        self, name: str, proto: int | None, port: int | None, seen: frozenset[str] = frozenset()
    ) -> bool:
        if name == "any":
            return True
        for p, spec in PREDEFINED_SERVICES.get(name, ()):
            if _proto_port_ok(p, spec, proto, port):
                return True
        entry = self._find("service", name)
        if entry is not None:
            for tag, number in PROTOCOLS.items():
                spec = entry.findtext(f"protocol/{tag}/port")
                if spec is not None and _proto_port_ok(number, spec, proto, port):
                    return True
            return False
        group = self._find("service-group", name)
        if group is not None and name not in seen:
            return any(
                self.service_contains(m, proto, port, seen | {name}) for m in members(group, "members")
            )
        return False

    def applications(self, rule: etree._Element) -> set[str]:
        found: set[str] = set()
        pending = members(rule, "application")
        seen: set[str] = set()
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            seen.add(name)
            group = self._find("application-group", name)
            if group is not None:
                pending.extend(members(group, "members"))
            else:
                found.add(name)
        return found

    def rule_matches(self, rule: etree._Element, flow: Flow) -> bool:
        if (rule.findtext("disabled") or "no").strip() == "yes":
            return False
        for field, zone in (("from", flow.from_zone), ("to", flow.to_zone)):
            zones = members(rule, field)
            if zone is not None and "any" not in zones and zone not in zones:
                return False
        rule_type = (rule.findtext("rule-type") or "universal").strip()
        if flow.from_zone is not None and flow.to_zone is not None:
            if rule_type == "intrazone" and flow.from_zone != flow.to_zone:
                return False
            if rule_type == "interzone" and flow.from_zone == flow.to_zone:
                return False
        if not self.addresses_match(rule, "source", flow.source):
            return False
        if not self.addresses_match(rule, "destination", flow.destination):
            return False
        apps = self.applications(rule)
        application = self.identify(flow)
        if "any" not in apps and (application is None or application not in apps):
            return False
        services = members(rule, "service")
        if "application-default" in services:
            return self._app_default_ok(apps, flow, application)
        return any(self.service_contains(s, flow.protocol, flow.port) for s in services)

    def _app_default_ok(self, apps: set[str], flow: Flow, application: str | None) -> bool:
        if "any" in apps or application is None:
            return True
        custom = self.custom_icmp(application)
        if custom is not None:  # a custom ICMP application: its protocol, type and code only
            proto, icmp_type, code = custom
            if flow.protocol is not None and flow.protocol != proto:
                return False
            if flow.icmp_type is not None and flow.icmp_type != icmp_type:
                return False
            return code is None or flow.icmp_code is None or flow.icmp_code == code
        defaults = APP_DEFAULTS.get(application)
        if defaults is None:
            return True
        return any(_proto_port_ok(p, spec, flow.protocol, flow.port) for p, spec in defaults)

    def matches(self, flow: Flow) -> list[tuple[int, etree._Element]]:
        return [
            (i, rule)
            for i, rule in enumerate(security_rules(self.scope), start=1)
            if self.rule_matches(rule, flow)
        ]


def _proto_port_ok(rule_proto: int, spec: str | None, proto: int | None, port: int | None) -> bool:
    if proto is not None and proto != rule_proto:
        return False
    if spec is None or port is None:
        return True
    return _ports_contain(spec, port)


def _literal_contains(text: str, ip: str) -> bool | None:
    """True/False when `text` is an IP literal (address, CIDR, a-b range), None otherwise."""
    if not ipaddr.is_literal(text):
        return None
    return ipaddr.contains(text, ip)


def result_entry(index: int, rule: etree._Element) -> etree._Element:
    """A rule as `test security-policy-match` lists it."""
    entry = etree.Element("entry", name=rule.get("name", ""))
    etree.SubElement(entry, "index").text = str(index)
    for field in ("from", "source", "to", "destination", "application", "service"):
        node = etree.SubElement(entry, field)
        for value in members(rule, field):
            etree.SubElement(node, "member").text = value
    etree.SubElement(entry, "action").text = (rule.findtext("action") or "allow").strip()
    etree.SubElement(entry, "terminal").text = "yes"
    return entry
