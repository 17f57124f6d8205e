"""Patch the last full state with the few objects an event names: O(change), not O(region).

The event reaction keeps the state of its last full collect (events.partial_collect). An event
names ids; `patch_pair` reads exactly those objects (targeted.py), normalizes them with
collect's own normalizer (normalize.placed) and puts them where a full collect would: the
objects asked for are replaced (removed when AWS no longer returns them), lists stay sorted by
id, and the few facts that span objects are kept true (a subnet has one explicit route table,
a VPC one main table, a VPC's `prefix_lists` are those its groups reference). So a patched
state is byte-identical to a fresh collect for every change the events announce
(tests/events/test_patch_exact.py checks that over random sequences of events).

What a patch cannot make exact raises NotExact with the reason, and the caller reads the
region whole instead: an object in a VPC the state does not know (a new VPC), references that
keep leading to objects the state never saw.

Instances: DescribeInstances by id, and DescribeNetworkInterfaces of the interfaces attached to
them; interfaces the state had on those instances and AWS no longer shows attached are read
by id (detached: still there; deleted with the instance: gone). Anything an object read refers
to that the state does not know (a subnet, a group) is read too, and a new subnet's route table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from generator.collect.normalize import (
    KIND_NOUNS,
    placed,
    prefix_list,
    referenced_prefix_lists,
)
from generator.collect.read_ec2 import RawRegion
from generator.collect.targeted import Reader

MAX_ROUNDS = 4
"""Rounds of reading what the objects read refer to (an interface's new group, that group's
referenced group, ...) before giving up on a patch."""

ALL = frozenset({"*"})


class NotExact(Exception):
    """The patch cannot reproduce what a full collect would write: read the region whole."""


@dataclass
class Wanted:
    """The objects of one account/region pair that events name."""

    instances: set[str] = field(default_factory=set)
    interfaces: set[str] = field(default_factory=set)
    groups: set[str] = field(default_factory=set)
    route_tables: set[str] = field(default_factory=set)
    all_route_tables: bool = False

    def add(self, other: Wanted) -> None:
        self.instances |= other.instances
        self.interfaces |= other.interfaces
        self.groups |= other.groups
        self.route_tables |= other.route_tables
        self.all_route_tables = self.all_route_tables or other.all_route_tables

    def describe(self) -> str:
        parts = [f"{len(ids)} {noun}" for ids, noun in ((self.instances, "instance(s)"),
                                                        (self.interfaces, "interface(s)"),
                                                        (self.groups, "group(s)"),
                                                        (self.route_tables, "route table(s)")) if ids]
        if self.all_route_tables:
            parts.append("every route table")
        return ", ".join(parts) or "nothing"


def _known(vpcs: list[dict[str, Any]], key: str) -> set[str]:
    return {o["id"] for v in vpcs for o in v[key]}


@dataclass
class _Read:
    """What the patch read, and which ids of each kind it answers for (ALL: every one)."""

    raw: RawRegion = field(default_factory=RawRegion)
    asked: dict[str, set[str] | frozenset[str]] = field(
        default_factory=lambda: {k: set() for k in KIND_NOUNS})

    def ids(self, key: str) -> set[str]:
        return {obj_id for kind, _, obj_id, _ in placed(self.raw) if kind == key}


def patch_pair(vpcs: list[dict[str, Any]], wanted: Wanted, reader: Reader) -> None:
    """Update the VPCs of one account/region pair (state dicts, changed in place) with the
    objects `wanted` names, read by `reader`. Raises NotExact (nothing changed) when it cannot."""
    got = _read(vpcs, wanted, reader)
    _closure(vpcs, got, reader)
    by_vpc = {v["id"]: v for v in vpcs}
    placements = list(placed(got.raw))
    for key, vpc_id, obj_id, _ in placements:
        if vpc_id not in by_vpc:
            raise NotExact(f"{KIND_NOUNS[key]} {obj_id} is in VPC {vpc_id}, which the last state does not "
                           "hold (a new VPC)")
    touched = _apply(vpcs, by_vpc, got, placements)
    _route_table_facts(vpcs, got)
    _prefix_lists(vpcs, touched, reader)


def _read(vpcs: list[dict[str, Any]], wanted: Wanted, reader: Reader) -> _Read:
    got = _Read()
    raw = got.raw
    if wanted.all_route_tables:
        raw.route_tables = reader.all_route_tables()
        got.asked["route_tables"] = ALL
    elif wanted.route_tables:
        raw.route_tables = reader.route_tables(wanted.route_tables)
        got.asked["route_tables"] = set(wanted.route_tables)
    if wanted.groups:
        raw.security_groups = reader.groups(wanted.groups)
        got.asked["security_groups"] = set(wanted.groups)
    interfaces = set(wanted.interfaces)
    if wanted.instances:
        raw.instances = reader.instances(wanted.instances)
        got.asked["instances"] = set(wanted.instances)
        raw.interfaces = reader.interfaces_of_instances(wanted.instances)
        attached = {n["NetworkInterfaceId"] for n in raw.interfaces}
        # the state's interfaces of these instances that AWS no longer shows attached to them
        interfaces |= {n["id"] for v in vpcs for n in v["interfaces"]
                       if n.get("instance") in wanted.instances} - attached
        interfaces -= attached
        got.asked["interfaces"] = set(attached)
    if interfaces:
        raw.interfaces += reader.interfaces(interfaces)
        got.asked["interfaces"] |= interfaces
    return got


def _closure(vpcs: list[dict[str, Any]], got: _Read, reader: Reader) -> None:
    """Read what the objects read refer to and the state does not know: a subnet (and its route
    table), a group (an interface's, or one a permission names)."""
    raw = got.raw
    for _ in range(MAX_ROUNDS):
        subnets = ({n.get("SubnetId") for n in raw.interfaces}
                   | {a.get("SubnetId") for t in raw.route_tables for a in t.get("Associations", [])})
        subnets = {s for s in subnets if s} - _known(vpcs, "subnets") - got.ids("subnets")
        groups = ({g.get("GroupId") for n in raw.interfaces for g in n.get("Groups", [])}
                  | {p.get("GroupId") for g in raw.security_groups for perm in g.get("IpPermissions", [])
                     for p in perm.get("UserIdGroupPairs", [])})
        groups = {g for g in groups if g} - _known(vpcs, "security_groups") - got.ids("security_groups")
        groups -= set(got.asked["security_groups"])  # asked already: gone, or another account's
        subnets -= set(got.asked["subnets"])
        if not subnets and not groups:
            return
        if subnets:
            raw.subnets += reader.subnets(subnets)
            got.asked["subnets"] |= subnets
            if got.asked["route_tables"] is not ALL:
                tables = [t for t in reader.route_tables_of_subnets(subnets)
                          if t["RouteTableId"] not in got.ids("route_tables")]
                raw.route_tables += tables
                got.asked["route_tables"] |= {t["RouteTableId"] for t in tables}
        if groups:
            raw.security_groups += reader.groups(groups)
            got.asked["security_groups"] |= groups
    raise NotExact(f"the objects read keep naming objects the last state does not know ({MAX_ROUNDS} rounds)")


def _apply(vpcs: list[dict[str, Any]], by_vpc: dict[str, dict[str, Any]], got: _Read,
           placements: list[tuple[str, str | None, str, dict[str, Any]]]) -> set[str]:
    """Replace what was asked for by what was read; returns the ids of VPCs whose groups changed."""
    touched: set[str] = set()
    for key, asked in got.asked.items():
        if not asked:
            continue
        for v in vpcs:
            kept = [o for o in v[key] if asked is not ALL and o["id"] not in asked]
            if len(kept) != len(v[key]) and key == "security_groups":
                touched.add(v["id"])
            v[key] = kept
    for key, vpc_id, _, obj in placements:
        by_vpc[vpc_id][key].append(obj)  # type: ignore[index]
        if key == "security_groups":
            touched.add(vpc_id)  # type: ignore[arg-type]
    for v in vpcs:
        for key in KIND_NOUNS:
            v[key].sort(key=lambda o: o["id"])
    return touched


def _route_table_facts(vpcs: list[dict[str, Any]], got: _Read) -> None:
    """A subnet has one explicit route table and a VPC one main table: the tables read say where
    they are now, so a table read elsewhere no longer holds them (ReplaceRouteTableAssociation
    names the new table only)."""
    read = got.ids("route_tables")
    for v in vpcs:
        fresh = [t for t in v["route_tables"] if t["id"] in read]
        moved = {s for t in fresh for s in t["subnets"]}
        main = any(t["main"] for t in fresh)
        for table in v["route_tables"]:
            if table["id"] in read:
                continue
            if moved & set(table["subnets"]):
                table["subnets"] = [s for s in table["subnets"] if s not in moved]
            if main and table["main"]:
                table["main"] = False


def _prefix_lists(vpcs: list[dict[str, Any]], touched: Iterable[str], reader: Reader) -> None:
    """A VPC's `prefix_lists` are the lists its groups reference: recomputed where groups changed,
    a list another VPC of the pair holds copied (collect reads each list once per region), the
    others read."""
    touched = set(touched)
    if not touched:
        return
    known = {pl["id"]: pl for v in vpcs for pl in v["prefix_lists"]}
    wanted = {v["id"]: referenced_prefix_lists(v["security_groups"]) for v in vpcs if v["id"] in touched}
    missing = sorted({pl for ids in wanted.values() for pl in ids} - set(known))
    fetched = reader.prefix_lists(missing)
    for v in vpcs:
        if v["id"] in wanted:
            v["prefix_lists"] = [dict(known[pl]) if pl in known else prefix_list(pl, fetched.get(pl))
                                 for pl in wanted[v["id"]]]
