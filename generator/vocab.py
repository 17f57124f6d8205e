"""PAN-OS vocabulary: name rules, protocols, predefined services, object kinds, rulebases.

One home for what PAN-OS calls things and what it accepts, read by every step that writes or
reads PAN-OS configuration: generate (names, App-IDs), push and plan (the fragment reader),
snapshot and the already-allowed check (kinds, rulebases, predefined services), collect and
state.yaml (protocol numbers). The emulator keeps its own statement of these facts
(emulator/schema.py, catalog.py), so that a belief wrong here is not shared there. As pan-os-python
declares each field once, each fact is written once here; the JSON Schemas and
schemas/fragment.xsd spell the same name rules, and tests/test_vocab.py checks on a generated
corpus that they accept and reject exactly what this module does.

Evidence (docs/design.md "PAN-OS vocabulary" lists the links):
- object and rule names: at most 63 characters, letters, digits, space, `-`, `_`, `.`
  (PAN-OS web help, Objects > Addresses; Aerleon paloaltofw `_TERM_MAX_LENGTH = 63`); the
  first character is a letter, digit or `_` (the emulator's model, as PAN-OS refuses a
  leading `.`, `-` or space);
- tag names: at most 127 characters, no comma (PAN-OS web help, Objects > Tags; KB "How to
  Configure Color Coded Tags"); Aerleon: "max tag len 127, max zone len 31";
- zone names: at most 31 characters (Aerleon `MAX_ZONE_LENGTH = 31`);
- custom application names: at most 31 characters (Aerleon `_APPLICATION_NAME_MAX_LENGTH`);
- descriptions and tag comments: at most 1023 characters (PAN-OS web help; pan-os-codegen
  specs/objects/application.yaml `description: max 1023`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from generator.ecma import compile_pattern
from generator.kinds import OBJECT_KINDS

# -- names --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NameRule:
    """What PAN-OS accepts as one kind of name. `pattern` is ECMA-262 (`^...$`, as JSON Schema
    writes it) and always matches the whole value: no newline slips past `$`."""

    what: str
    max_length: int
    pattern: str
    allowed: str  # the characters, in words, for messages
    schema_defs: tuple[str, ...] = ()  # "file#def" of the schemas that spell this rule
    _compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", compile_pattern(self.pattern))

    @property
    def xsd_pattern(self) -> str:
        """The XML Schema spelling: XSD patterns are anchored, and `-` in a class is escaped."""
        body = self.pattern.removeprefix("^").removesuffix("$")
        return re.sub(r"(?<=[ ])-\]", r"\\-]", body)

    def problem(self, value: object) -> str | None:
        """None when PAN-OS accepts `value`, else what is wrong (without echoing the value)."""
        if not isinstance(value, str) or not value:
            return f"a {self.what} must be a non-empty string"
        if len(value) > self.max_length:
            return f"the {self.what} is {len(value)} characters, over PAN-OS's {self.max_length}"
        if self._compiled.search(value) is None:
            return f"a {self.what} holds only {self.allowed}"
        return None

    def accepts(self, value: object) -> bool:
        return self.problem(value) is None


_NAME_CHARS = "^[A-Za-z0-9_][A-Za-z0-9_. -]*$"
_NAME_WORDS = "letters, digits, '-', '_', '.' and spaces, and starts with a letter, digit or '_'"

OBJECT_NAME = NameRule(
    "PAN-OS name", 63, _NAME_CHARS, _NAME_WORDS,
    schema_defs=("policy.schema.json#panosName", "fragment.xsd#panosName"),
)
"""Addresses, address groups, services, service groups, security rules, vsys, device groups,
profile groups, log forwarding profiles; also awspan's ownership tag (it appears in xpath
predicates and dynamic-group match filters, so it keeps to the plain name characters)."""

TAG_NAME = NameRule("tag name", 127, "^[^,\\u0000-\\u001f\\u007f]+$",
                    "characters other than ',' and control characters")
"""Any tag on the device (read side: push and the emulator accept what PAN-OS accepts)."""

ZONE_NAME = NameRule("zone name", 31, _NAME_CHARS, _NAME_WORDS,
                     schema_defs=("policy.schema.json#zoneName",))

APPLICATION_NAME = NameRule("custom application name", 31, _NAME_CHARS, _NAME_WORDS)
"""A custom application (`<application><entry>`), e.g. one ICMP type by ident-by-icmp-type."""

APP_ID = NameRule("App-ID", 63, "^[a-z0-9][a-z0-9_.-]{0,62}$",
                  "lower-case letters, digits, '-', '_' and '.'",
                  schema_defs=("policy.schema.json#appId",))
"""A reference to an application by name (predefined App-IDs are lower case), as in
policy.yaml `rules.applications`."""

MEMBER = NameRule("member", 63, "^[A-Za-z0-9_.:/][A-Za-z0-9_.:/ -]*$",
                  "letters, digits, '-', '_', '.', ':', '/' and spaces",
                  schema_defs=("fragment.xsd#member",))
"""A `<member>` that awspan writes: an object, zone, tag or App-ID name, or `any`."""

MAX_DESCRIPTION = 1023
"""Descriptions of addresses, groups, services, rules, applications; tag comments."""

# -- protocols ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StateFields:
    """What a state.yaml permission's `from_port`/`to_port` hold for one protocol.

    AWS's FromPort/ToPort mean a port range for tcp and udp, an ICMP type and code for icmp
    and icmpv6, and nothing for any other protocol ("traffic on all ports is allowed,
    regardless of any port range you specify": EC2 API reference, IpPermission)."""

    what: str  # in messages: "port", "type/code"
    low: int  # each value's bounds
    high: int
    every: tuple[int, int]  # what AWS reports (or leaves out) for "all of them"
    is_range: bool  # from_port..to_port is a range: both given, from <= to

    def problem(self, value: object) -> str | None:
        """None when `value` is one of these fields' values, else what is wrong."""
        if value is None and not self.is_range:
            return None  # an ICMP code left out: every code
        if type(value) is not int or not self.low <= value <= self.high:
            return f"needs a {self.what} {self.low}..{self.high}, not {value!r}"
        return None


PORT_RANGE = StateFields("port", 0, 65535, (0, 65535), is_range=True)
TYPE_CODE = StateFields("type/code", -1, 255, (-1, -1), is_range=False)


@dataclass(frozen=True)
class Protocol:
    """One IP protocol as the three vocabularies name it."""

    number: int
    panos: str  # PAN-OS's name: service objects, `test security-policy-match protocol`
    state: str | None = None  # state.yaml's name (collect writes it, generate handles it)
    app: str | None = None  # the App-ID that is this whole protocol, when one exists
    suffix: str | None = None  # rule-name suffix when generate allows it by App-ID
    ports: bool = False  # carries ports on PAN-OS (a service or a policy-match flow names one)
    fields: StateFields | None = None  # what state.yaml's from_port/to_port hold for it


PROTOCOLS: tuple[Protocol, ...] = (
    Protocol(1, "icmp", state="icmp", app="icmp", fields=TYPE_CODE),
    Protocol(6, "tcp", state="tcp", ports=True, fields=PORT_RANGE),
    Protocol(17, "udp", state="udp", ports=True, fields=PORT_RANGE),
    Protocol(47, "gre", app="gre", suffix="gre"),
    Protocol(50, "esp", app="ipsec-esp", suffix="esp"),
    Protocol(51, "ah", app="ipsec-ah", suffix="ah"),
    Protocol(58, "ipv6-icmp", state="icmpv6", app="ipv6-icmp", fields=TYPE_CODE),
    Protocol(132, "sctp", ports=True),
)
ALL_PROTOCOLS = "all"
"""state.yaml's protocol for "every protocol" (AWS IpProtocol "-1")."""

STATE_PROTOCOLS: dict[str, str] = {"-1": ALL_PROTOCOLS} | {
    str(p.number): p.state for p in PROTOCOLS if p.state
}
"""AWS IpProtocol (a name or an IANA number as text) -> state.yaml's protocol name."""

STATE_FIELDS: dict[str, StateFields] = {p.state: p.fields for p in PROTOCOLS if p.state and p.fields}
"""state.yaml protocol -> what its from_port/to_port hold (tcp, udp: ports; icmp, icmpv6: type/code);
a protocol not here carries neither (both are null)."""

STATE_PORT_PROTOCOLS: tuple[str, ...] = tuple(n for n, f in STATE_FIELDS.items() if f is PORT_RANGE)
"""state.yaml protocols whose permission is a port range: tcp, udp."""

STATE_ICMP_PROTOCOLS: tuple[str, ...] = tuple(n for n, f in STATE_FIELDS.items() if f is TYPE_CODE)
"""state.yaml protocols whose permission is an ICMP type and code: icmp, icmpv6."""

PROTOCOL_NUMBERS: dict[str, int] = {p.panos: p.number for p in PROTOCOLS}
"""PAN-OS protocol name -> IANA number."""

PORT_PROTOCOLS: dict[int, str] = {p.number: p.panos for p in PROTOCOLS if p.ports}
"""Protocols with ports on PAN-OS, by number: tcp, udp, sctp."""

SERVICE_PROTOCOLS: tuple[str, ...] = tuple(
    p.panos for p in PROTOCOLS if p.fields is PORT_RANGE
)
"""What a `<service><entry><protocol>` may hold, as awspan writes it (a service object for each
state.yaml port range: tcp, udp) and the emulator checks it."""

PROTOCOL_APPS: dict[str, tuple[str, str]] = {
    str(p.number): (p.suffix, p.app) for p in PROTOCOLS if p.suffix and p.app
}
"""IP protocol number -> (rule-name suffix, App-ID) for protocols generate allows by App-ID."""

# -- predefined services ---------------------------------------------------------------------

PREDEFINED_SERVICES: dict[str, tuple[tuple[str, str], ...]] = {
    "service-http": (("tcp", "80,8080"),),
    "service-https": (("tcp", "443"),),
}
"""Not in the config, always present on PAN-OS: name -> ((protocol, ports), ...)."""

# -- object kinds ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """A field of an entry that names other objects, and the containers the names may be in."""

    field: str
    targets: tuple[str, ...]
    path: str = ""  # where the members are, when not `<field><member>`
    text: bool = False  # a single text value, not a member list
    zone: bool = False  # zones live in templates on Panorama: not checked there


@dataclass(frozen=True)
class ObjectKind:
    """One kind of config entry: its container, its name rule, the fields that reference others."""

    container: str
    name_rule: NameRule
    references: tuple[Reference, ...] = ()


_TAGS = Reference("tag", ("tag",))
_ADDRESSES = ("address", "address-group", "external-list")
KINDS: dict[str, ObjectKind] = {
    k.container: k
    for k in (
        ObjectKind("tag", TAG_NAME),
        ObjectKind("address", OBJECT_NAME, (_TAGS,)),
        ObjectKind("address-group", OBJECT_NAME, (Reference("static", ("address", "address-group")), _TAGS)),
        ObjectKind("service", OBJECT_NAME, (_TAGS,)),
        ObjectKind("service-group", OBJECT_NAME, (Reference("members", ("service", "service-group")), _TAGS)),
        # Custom applications (one ICMP type by ident-by-icmp-type, generator/icmp.py)
        ObjectKind("application", APPLICATION_NAME),
        ObjectKind("application-group", OBJECT_NAME),
        ObjectKind("application-filter", OBJECT_NAME),
        ObjectKind("zone", ZONE_NAME),
        ObjectKind("profile-group", OBJECT_NAME),
        ObjectKind("schedule", OBJECT_NAME),
        ObjectKind("external-list", OBJECT_NAME),
        ObjectKind(
            "rule",
            OBJECT_NAME,
            (
                Reference("from", ("zone",), zone=True),
                Reference("to", ("zone",), zone=True),
                Reference("source", _ADDRESSES),
                Reference("destination", _ADDRESSES),
                Reference("service", ("service", "service-group")),
                _TAGS,
                Reference("profile-setting", ("profile-group",), path="profile-setting/group"),
                Reference("log-setting", ("log-setting",), text=True),
            ),
        ),
    )
}
"""Every kind awspan reads or the emulator models; `rule` is a security rule."""

OBJECT_CONTAINERS: frozenset[str] = frozenset(k for k in KINDS if k != "rule")

REFERENCE_TARGETS: tuple[str, ...] = tuple(sorted({t for k in KINDS.values() for r in k.references
                                                   for t in r.targets}))
"""Every container a reference may name (zone, address, ..., log-setting): what plan looks up."""

MANAGED_KINDS: tuple[str, ...] = OBJECT_KINDS
"""The object kinds awspan writes into a fragment and owns by tag (declared in generator.kinds)."""

RULE_REFERENCE_KINDS: tuple[str, ...] = (
    "address", "address-group", "service", "service-group", "application-group", "application-filter",
)
"""Containers of the names a rule's members resolve through (the already-allowed check's tables)."""

SNAPSHOT_KINDS: tuple[str, ...] = (*MANAGED_KINDS, "application-group", "application-filter")
"""What `awspan snapshot` keeps of the firewall's objects besides the rules."""


def name_rule(kind: str) -> NameRule:
    return KINDS[kind].name_rule if kind in KINDS else OBJECT_NAME


# -- rulebases -------------------------------------------------------------------------------

RULEBASES: tuple[str, ...] = ("pre-rulebase", "rulebase", "post-rulebase")
"""In evaluation order: Panorama pre-rules, the firewall's own rules, Panorama post-rules."""

RULE_ACTIONS: frozenset[str] = frozenset(
    {"allow", "deny", "drop", "reset-client", "reset-server", "reset-both"}
)
