"""The kinds of entry awspan manages, each declared once: every step iterates this list.

A kind is a container of `<entry>` elements under the location (a vsys or a device group):
the tag, the objects and the security rules. Each step that handles awspan's entries — the
fragment reader, the diff, the batch, containment and verify, pending state, the saved plan's
digests, the plan document, the snapshot, the renderer's streaming check — takes the kinds
from here, so a kind added here reaches all of them, and a kind left out of one of them is a
defect that tests/panos/test_kinds.py (parametrized over MANAGED) catches. (The saved plan and
pending state once kept their own lists without `application`: an admin's edit of awspan's
ICMP application after `plan --out` was applied by `push --plan` without being shown.)

What PAN-OS calls things and accepts (name rules, every kind the firewall has, the references
the emulator checks) is generator.vocab; this module is what awspan writes and owns.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ManagedKind:
    """One kind of entry awspan writes into a fragment and owns by its tag."""

    name: str
    """The container: its element under the location (Location.xpath(name)); `rules` stands for
    the security rules of the location's rulebase (Location.rules_xpath)."""
    label: str
    """For people: `address group`, `rule`."""
    fields: frozenset[str]
    """The top-level fields awspan writes (templates/fragment.xml.j2): present on the device but
    absent from the fragment, they are a difference (containment, verify); any other field the
    device adds is tolerated."""
    references: tuple[str, ...]
    """Paths (from the entry) of the members that name other entries: who uses an object."""
    upsert_rank: int
    """Order of set/edit in the batch: what is referenced before what references it."""
    delete_rank: int
    """Order of delete in the batch: what references before what is referenced (rules first)."""


_TAG_MEMBERS = "tag/member"

MANAGED: tuple[ManagedKind, ...] = (
    ManagedKind("tag", "tag", frozenset({"comments", "color"}), (), upsert_rank=0, delete_rank=6),
    ManagedKind("address", "address",
                frozenset({"ip-netmask", "ip-range", "fqdn", "ip-wildcard", "description", "tag"}),
                (_TAG_MEMBERS,), upsert_rank=1, delete_rank=4),
    ManagedKind("address-group", "address group", frozenset({"static", "dynamic", "description", "tag"}),
                ("static/member", _TAG_MEMBERS), upsert_rank=3, delete_rank=2),
    ManagedKind("service", "service", frozenset({"protocol", "description", "tag"}),
                (_TAG_MEMBERS,), upsert_rank=2, delete_rank=3),
    ManagedKind("service-group", "service group", frozenset({"members", "tag"}),
                ("members/member", _TAG_MEMBERS), upsert_rank=4, delete_rank=1),
    # custom applications: one ICMP type (and code) by ident-by-icmp-type (generator/icmp.py)
    ManagedKind("application", "application",
                frozenset({"category", "subcategory", "technology", "description", "default", "risk", "tag"}),
                (_TAG_MEMBERS,), upsert_rank=5, delete_rank=5),
    ManagedKind("rules", "rule",
                frozenset({"from", "to", "source", "destination", "source-user", "category", "application",
                           "service", "action", "profile-setting", "log-setting", "description", "tag"}),
                ("source/member", "destination/member", "service/member", "application/member",
                 _TAG_MEMBERS), upsert_rank=6, delete_rank=0),
)
"""In the order a fragment holds them (fragment.xsd): the tag, the objects, the rules."""

BY_NAME: dict[str, ManagedKind] = {k.name: k for k in MANAGED}

ALL_KINDS: tuple[str, ...] = tuple(k.name for k in MANAGED)
"""Every kind push manages, `rules` last."""

OBJECT_KINDS: tuple[str, ...] = tuple(k.name for k in MANAGED if k.name != "rules")
"""The object kinds (containers under the location), in the order awspan writes them."""

LABELS: dict[str, str] = {k.name: k.label for k in MANAGED}

FIELDS: dict[str, frozenset[str]] = {k.name: k.fields for k in MANAGED}

REFERENCES: dict[str, tuple[str, ...]] = {k.name: k.references for k in MANAGED if k.references}

UPSERT_ORDER: tuple[str, ...] = tuple(k.name for k in sorted(MANAGED, key=lambda k: k.upsert_rank))

DELETE_ORDER: tuple[str, ...] = tuple(
    k.name for k in sorted(MANAGED, key=lambda k: k.delete_rank) if k.name != "rules")
"""The objects' deletes; the rules' come first of all, before any set (batch.py)."""
