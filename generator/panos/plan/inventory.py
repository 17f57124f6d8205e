"""Who stands behind a rule, an address or a registered IP: out/state.yaml, read for the plan.

The fragment names things by AWS ids (generator.provenance); the names a reviewer knows — a
security group's name, its VPC, account and region, an instance's Name tag and interface, a
prefix list's name — are structured fields of state.yaml beside the fragment (the pipeline's
out/state.yaml). The plan looks them up here by id or IP and never reads them out of a
description, where an AWS name could pose as another account or VPC. Without the file (a
fragment made elsewhere) the plan shows ids and IPs alone.

Owners are described generically (kind, id, name, interface, VPC), so that an address owned by
something other than an instance shows the same way: an interface that is no instance's of the
state (a load balancer's, an ECS task's) owns its addresses, and its name is what owns it
(generator.owners, from the fields AWS documents), as generate names and describes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.owners import owner_label
from generator.provenance import RuleSubject, owner_kind, parse_rule_name
from generator.yamlio import load_yaml_file


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _items(value: Any) -> list[dict[str, Any]]:
    return [x for x in value if isinstance(x, dict)] if isinstance(value, list) else []


@dataclass(frozen=True)
class Place:
    vpc: str | None
    account: str | None
    region: str | None


@dataclass
class Inventory:
    """The parts of state.yaml the plan shows, keyed by id and IP."""

    prefix_lists: dict[str, list[dict[str, str | None]]] = field(default_factory=dict)  # CIDR -> lists
    group_names: dict[str, str | None] = field(default_factory=dict)  # sg id -> name
    group_places: dict[str, Place] = field(default_factory=dict)
    owner_names: dict[str, str | None] = field(default_factory=dict)  # instance id -> Name tag; eni -> owner
    owner_places: dict[str, Place] = field(default_factory=dict)
    interface_groups: dict[str, list[str]] = field(default_factory=dict)  # eni id -> sg ids
    owner_interfaces: dict[str, list[str]] = field(default_factory=dict)  # instance id -> eni ids
    by_ip: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # IP -> [(owner id, eni id)]
    source: Path | None = None  # state.yaml, read at the first lookup: a plan with no change makes none

    def _read(self) -> Inventory:
        """This inventory, with `source` read into it if that was not done yet."""
        if self.source is not None:
            path, self.source = self.source, None
            self._fill(load_yaml_file(path, "state file", fast=True))
        return self

    @classmethod
    def from_state(cls, data: Any) -> Inventory:
        return cls()._fill(data)

    def _fill(self, data: Any) -> Inventory:
        inv = self
        for vpc in _items(data.get("vpcs") if isinstance(data, dict) else None):
            place = Place(_text(vpc.get("id")), _text(vpc.get("account")), _text(vpc.get("region")))
            for pl in _items(vpc.get("prefix_lists")):
                ref = {"id": _text(pl.get("id")), "name": _text(pl.get("name"))}
                for cidr in pl.get("cidrs") or []:
                    if ref not in inv.prefix_lists.setdefault(str(cidr), []):
                        inv.prefix_lists[str(cidr)].append(ref)
            for sg in _items(vpc.get("security_groups")):
                if _text(sg.get("id")):
                    inv.group_names[sg["id"]] = _text(sg.get("name"))
                    inv.group_places[sg["id"]] = place
            for inst in _items(vpc.get("instances")):
                if _text(inst.get("id")):
                    inv.owner_names[inst["id"]] = _text(inst.get("name"))
                    inv.owner_places[inst["id"]] = place
            for eni in _items(vpc.get("interfaces")):  # state.yaml version 2: every interface
                eni_id = _text(eni.get("id"))
                if eni_id is None:
                    continue
                owner = _text(eni.get("instance"))
                if owner is None or owner not in inv.owner_names:  # no instance's of the state:
                    owner = eni_id  # the interface owns its addresses (generate names them so)
                    inv.owner_names[eni_id] = owner_label(eni)
                    inv.owner_places[eni_id] = place
                inv.owner_interfaces.setdefault(owner, []).append(eni_id)
                inv.interface_groups[eni_id] = [str(g) for g in eni.get("security_groups") or []]
                for ip in [*(eni.get("private_ips") or []), *(eni.get("ipv6_addresses") or []),
                           *(eni.get("ipv4_prefixes") or []), *(eni.get("ipv6_prefixes") or [])]:
                    inv.by_ip.setdefault(str(ip), []).append((owner, eni_id))
        return inv

    def prefix_lists_of(self, cidr: str) -> list[dict[str, str | None]]:
        """The prefix lists (id, name) that hold a source CIDR."""
        return self._read().prefix_lists.get(cidr, [])

    # --- owners of addresses -------------------------------------------------------------------
    def owner(self, owner_id: str, ip: str | None = None) -> dict[str, Any]:
        """One owner, as the plan document holds it: kind, id, name, interface, VPC."""
        self._read()
        interface = next((eni for o, eni in self.by_ip.get(ip or "", []) if o == owner_id), None)
        place = self.owner_places.get(owner_id)
        return {"kind": owner_kind(owner_id), "id": owner_id, "name": self.owner_names.get(owner_id),
                "interface": interface, "vpc": place.vpc if place else None}

    def owners_of(self, ip: str) -> list[dict[str, Any]]:
        """Who holds an IP (a registered address has no address object to name its owner)."""
        self._read()
        return [self.owner(o, ip) for o in sorted({o for o, _ in self.by_ip.get(ip, [])})]

    # --- where a rule comes from ---------------------------------------------------------------
    def origin(self, rule: str) -> dict[str, Any]:
        """Where a rule comes from, by its name (the AWS ids awspan made it from) and state.yaml."""
        self._read()
        subject = parse_rule_name(rule)
        if subject is None:
            return _origin(None, [], None, None, Place(None, None, None))
        if subject.kind == "security-group":
            place = self.group_places.get(subject.owner, Place(None, None, None))
            return _origin(subject, [self._group(subject.owner)], None, None, place)
        place = self.owner_places.get(subject.owner, Place(None, None, None))
        enis = [subject.interface] if subject.interface else self.owner_interfaces.get(subject.owner, [])
        groups = sorted({g for eni in enis for g in self.interface_groups.get(eni, [])})
        who = {"id": subject.owner, "name": self.owner_names.get(subject.owner)}
        return _origin(subject, [self._group(g) for g in groups], who, subject.interface, place)

    def _group(self, sg: str) -> dict[str, str | None]:
        return {"id": sg, "name": self.group_names.get(sg)}


def _origin(subject: RuleSubject | None, groups: list[dict], instance: dict | None, interface: str | None,
            place: Place) -> dict[str, Any]:
    return {"kind": subject.kind if subject else None, "security_groups": groups, "instance": instance,
            "interface": interface, "vpc": place.vpc, "account": place.account, "region": place.region}


def load_inventory(fragment_path: str | Path) -> Inventory:
    """state.yaml beside the fragment (read at the first lookup), or an empty inventory when there
    is none. A plan with nothing to show makes no lookup: at 10,000 instances that saves reading
    8.5 MB of YAML (bench/plan_estate.py)."""
    path = Path(fragment_path).parent / "state.yaml"
    return Inventory(source=path) if path.is_file() else Inventory()
