"""What the firewall would refuse in the fragment: names it holds that nothing defines.

PAN-OS checks every reference when a change lands in the candidate: a rule naming a zone,
profile group, log forwarding profile, address, group, service or tag that is neither in the
location nor where the location inherits from is refused with "<rule> -> <field> '<value>' is
not a valid reference" (docs/emulator.md cites the device's wording), and the whole batch
with it. A plan that approved such a fragment approved a push bound to fail, so plan and push
look up the names of every entry push writes: in the fragment, then the location's candidate
(read already), and only when something is still missing there in what the location inherits
(`inherited`: shared, and on Panorama the device group's ancestors; read by the caller's
reader, a bounded number of requests). What stays missing is a blocker
(safety.UnknownReference) naming each.

Where the names live (pan-os-python `panos/objects.py`, `panos/network.py`): zones
`vsys/entry/zone`, profile groups `profile-group`, log forwarding profiles
`log-settings/profiles`, every object kind under the vsys or device group or `shared`.
What is not checked, and why:
- zones on Panorama: they live in templates, not in the device group, and PAN-OS checks them
  on each firewall at commit-all time (the emulator, as Panorama, does not check them either);
- applications: predefined App-IDs come with the content release, not the config (pan-os-python
  reads them one by one under `/config/predefined/application`), so a name that is not a custom
  application may be a predefined one; plan does not look each up.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from lxml import etree

from generator.addresses import is_ip_literal
from generator.errors import quote
from generator.location import Location
from generator.panos.config.fragment import FragmentView
from generator.panos.config.view import DeviceConfig
from generator.vocab import KINDS, PREDEFINED_SERVICES, Reference

ScopeNames = Mapping[str, frozenset[str]]
"""One scope the location inherits from: reference target -> entry names (view.scope_names)."""


@dataclass
class Inherited:
    """The scopes a location inherits names from: shared, and on Panorama the device group's
    ancestors (xmlapi/read_config.read_inherited). `gap` says why one could not be read (the
    device-group hierarchy): a name still missing may be there, so it is a warning, not a refusal."""

    scopes: list[ScopeNames] = field(default_factory=list)
    gap: str | None = None


FRAGMENT_KINDS: dict[str, str] = {"rules": "rule"}
"""A fragment kind's name in generator.vocab, where it differs."""

POLICY_KEYS: dict[str, str] = {"from": "rules.from_zone", "to": "rules.to_zone",
                               "profile-setting": "rules.profile_group", "log-setting": "rules.log_setting"}
"""The policy.yaml key a rule's field comes from, for the fix in the message."""

TARGET_WORDS: dict[str, str] = {"profile-group": "security profile group",
                                "log-setting": "log forwarding profile",
                                "external-list": "external dynamic list"}


@dataclass
class Unresolved:
    """One name the fragment uses that the firewall does not hold."""

    kind: str  # the fragment kind of the entries that use it (`rules`, `address-group`)
    field: str  # the field (`to`, `profile-setting`)
    value: str
    targets: tuple[str, ...]
    users: list[str] = field(default_factory=list)  # entry names, in fragment order
    doubt: str | None = None  # why it may exist after all (Inherited.gap): warned, not refused

    def describe(self, where: str) -> str:
        """`rule 'x' names zone 'inside' (to), which the firewall does not have (looked in …): …`."""
        what = _words(self.targets)
        label = "rule" if self.kind == "rules" else self.kind.replace("-", " ")
        if len(self.users) == 1:
            who = f"{label} {quote(self.users[0])} names"
        else:
            shown = ", ".join(quote(u) for u in self.users[:3])
            more = f" and {len(self.users) - 3} more" if len(self.users) > 3 else ""
            who = f"{len(self.users)} {label}s ({shown}{more}) name"
        fix = f"; check {POLICY_KEYS[self.field]} in policy.yaml" if self.kind == "rules" \
            and self.field in POLICY_KEYS else ""
        return (f"{who} {what} {quote(self.value)} ({self.field}), which the firewall does not have "
                f"(looked in {where}): PAN-OS would refuse the batch (\"is not a valid reference\"){fix}")


def looked_in(location: Location) -> str:
    """Where a name may live for the location, for the message."""
    if location.is_panorama:
        return f"device-group {location.device_group}, its ancestors and shared"
    return f"vsys {location.vsys} and shared"


def _words(targets: tuple[str, ...]) -> str:
    words = [TARGET_WORDS.get(t, t.replace("-", " ")) for t in targets]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


_V4_LITERAL = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?:/[0-9]{1,2}|-[0-9]{1,3}(?:\.[0-9]{1,3}){3})?")
"""An IPv4 address, CIDR or range, as generate writes sources (20,000 of them in a large plan: a
pattern, not a parse; PAN-OS checks the numbers when the rule lands)."""


def _special(ref: Reference, value: str) -> bool:
    """Values that are no object's name: `any`, `application-default`, predefined services, and
    address literals (an IP, a CIDR, a range; a region code) in source/destination."""
    if value == "any" and ref.field in ("from", "to", "source", "destination", "service"):
        return True
    if ref.field == "service" and value == "application-default":
        return True
    if ref.field in ("service", "members") and value in PREDEFINED_SERVICES:
        return True
    if ref.field in ("source", "destination"):
        if _V4_LITERAL.fullmatch(value) or (len(value) == 2 and value.isalpha() and value.isupper()):
            return True
        return ":" in value and is_ip_literal(value)  # IPv6 (PAN-OS names hold no ':')
    return False


def _field_values(child: etree._Element, ref: Reference) -> list[str]:
    """The values of a reference in an entry's child element (`<from>`, `<profile-setting>`)."""
    if ref.text:
        return [(child.text or "").strip()]
    rest = (ref.path or ref.field).split("/", 1)[1:]
    node = child.find(rest[0]) if rest else child
    return [] if node is None else [(m.text or "").strip() for m in node.iterchildren("member")]


def unresolved_references(fragment: FragmentView, device: DeviceConfig,
                          written: Mapping[str, Mapping[str, etree._Element]],
                          inherited: Callable[[], Inherited] | None = None, *,
                          deleted: Mapping[str, Iterable[str]] | None = None) -> list[Unresolved]:
    """The names that the entries push will write (`written`: kind -> name -> element, the plan's
    upserts) use and that neither the fragment, nor the location (less what push `deleted`), nor
    (when something is missing there) the scopes `inherited()` reads define; by kind, field, value.

    Only the entries push writes: one the device already holds as the fragment has it was accepted
    by PAN-OS, and PAN-OS refuses to delete what it names, so its names are there (a plan that
    changes 1 % of 20,000 rules looks at 1 %). `inherited` is called at most once, and only when
    a name is missing from the fragment and the location: the usual plan costs no request."""
    panorama = fragment.location.is_panorama
    going = {kind: set(names) for kind, names in (deleted or {}).items()}

    def defined(target: str, value: str) -> bool:
        return fragment.defines(target, value) or (
            device.defines(target, value) and value not in going.get(target, ()))

    found: dict[tuple[str, str, str], Unresolved] = {}
    known: set[tuple[str, str]] = set()  # (field, value) already resolved
    for kind, entries in written.items():
        spec = KINDS.get(FRAGMENT_KINDS.get(kind, kind))
        fields: dict[str, list[Reference]] = {}  # an entry's child -> the references under it
        for ref in spec.references if spec is not None else ():
            if not (ref.zone and panorama):  # zones live in templates: each firewall checks them
                fields.setdefault((ref.path or ref.field).split("/")[0], []).append(ref)
        for name, entry in entries.items():
            for child in entry:  # one pass over the children: 20,000 rules on a first push
                for ref in fields.get(child.tag, ()):
                    for value in _field_values(child, ref):
                        if (ref.field, value) in known:
                            continue
                        problem = found.get((kind, ref.field, value))
                        if problem is not None:
                            problem.users.append(name)
                        elif _special(ref, value) or any(defined(t, value) for t in ref.targets):
                            known.add((ref.field, value))
                        else:
                            found[(kind, ref.field, value)] = Unresolved(kind, ref.field, value, ref.targets,
                                                                         [name])
    missing = list(found.values())
    if missing and inherited is not None:
        scopes = inherited()
        missing = [u for u in missing
                   if not any(u.value in scope.get(t, ()) for scope in scopes.scopes for t in u.targets)]
        for u in missing:
            u.doubt = scopes.gap
    return sorted(missing, key=lambda u: (u.kind != "rules", u.kind, u.field, u.value))
