"""What a PAN-OS configuration holds, as far as the emulator checks it: the kinds of entries,
the fields that name other objects, the name rules, the rulebases and rule actions.

The emulator's own statement of these facts, each with its source (docs/emulator.md
"Independence" repeats them): it imports nothing from the product, so that a rule awspan got
wrong cannot pass because both sides read it from one table.

- Object and rule names: at most 63 characters of letters, digits, space, `-`, `_`, `.`
  (PAN-OS web help, Objects > Addresses, "Name"; Aerleon `aerleon/lib/paloaltofw.py`
  `_TERM_MAX_LENGTH = 63`); a leading `-`, `.` or space is refused (the web interface refuses
  it; the emulator applies it to every name of this rule).
- Tag names: at most 127 characters, no comma (PAN-OS web help, Objects > Tags; Aerleon
  "max tag len 127"); control characters are refused.
- Zone names: at most 31 characters (Aerleon `MAX_ZONE_LENGTH = 31`).
- Custom application names: at most 31 characters (Aerleon `_APPLICATION_NAME_MAX_LENGTH`).
- Rulebases, in evaluation order: Panorama pre-rules, the firewall's rules, Panorama post-rules
  (Panorama Administrator's Guide, "Device Group Policies"); rule actions: allow, deny, drop,
  reset-client, reset-server, reset-both (pan-os-python `panos/policies.py` `SecurityRule.action`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class NameRule:
    """What the device accepts as one kind of name."""

    max_length: int
    pattern: re.Pattern[str]

    def accepts(self, name: str) -> bool:
        return self.pattern.fullmatch(name) is not None


_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_. -]*")
OBJECT_NAME = NameRule(63, _PLAIN)
TAG_NAME = NameRule(127, re.compile(r"[^,\x00-\x1f\x7f]+"))
ZONE_NAME = NameRule(31, _PLAIN)
APPLICATION_NAME = NameRule(31, _PLAIN)


@dataclass(frozen=True)
class Reference:
    """A field of an entry that names other objects, and the containers the names may be in."""

    field: str
    targets: tuple[str, ...]
    path: str = ""  # where the members are, when not `<field><member>`
    text: bool = False  # a single text value, not a member list
    zone: bool = False  # zones live in templates on Panorama: not checked there


@dataclass(frozen=True)
class Kind:
    container: str
    name_rule: NameRule
    references: tuple[Reference, ...] = ()


_TAGS = Reference("tag", ("tag",))
_ADDRESSES = ("address", "address-group", "external-list")
_RULE_REFERENCES = (
    Reference("from", ("zone",), zone=True),
    Reference("to", ("zone",), zone=True),
    Reference("source", _ADDRESSES),
    Reference("destination", _ADDRESSES),
    Reference("service", ("service", "service-group")),
    _TAGS,
    Reference("profile-setting", ("profile-group",), path="profile-setting/group"),
    Reference("log-setting", ("log-setting",), text=True),
)
KINDS: dict[str, Kind] = {
    kind.container: kind
    for kind in (
        Kind("tag", TAG_NAME),
        Kind("address", OBJECT_NAME, (_TAGS,)),
        Kind("address-group", OBJECT_NAME, (Reference("static", ("address", "address-group")), _TAGS)),
        Kind("service", OBJECT_NAME, (_TAGS,)),
        Kind("service-group", OBJECT_NAME, (Reference("members", ("service", "service-group")), _TAGS)),
        Kind("application", APPLICATION_NAME),
        Kind("application-group", OBJECT_NAME),
        Kind("application-filter", OBJECT_NAME),
        Kind("zone", ZONE_NAME),
        Kind("profile-group", OBJECT_NAME),
        Kind("schedule", OBJECT_NAME),
        Kind("external-list", OBJECT_NAME),
        Kind("rule", OBJECT_NAME, _RULE_REFERENCES),
    )
}
"""Every kind of entry the emulator validates; `rule` is a security rule."""

OBJECT_CONTAINERS = frozenset(name for name in KINDS if name != "rule")

RULEBASES: tuple[str, ...] = ("pre-rulebase", "rulebase", "post-rulebase")
RULE_ACTIONS = frozenset({"allow", "deny", "drop", "reset-client", "reset-server", "reset-both"})
SERVICE_PROTOCOLS: tuple[str, ...] = ("tcp", "udp")
"""What a `<service><entry><protocol>` may hold in the emulator (SCTP services are not modelled)."""


def name_rule(kind: str) -> NameRule:
    return KINDS[kind].name_rule if kind in KINDS else OBJECT_NAME
