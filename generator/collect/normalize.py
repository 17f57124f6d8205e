"""AWS responses -> the state.yaml shape of design.md: sorted by id, keys in a fixed order.

Why so strict about order: state.yaml is committed, and a change in AWS must show as a
small diff in review. So every list is sorted (ids as strings, addresses numerically,
IPv4 before IPv6), every mapping is built in the order design.md lists its keys, and
nothing that changes between two reads of an unchanged estate (timestamps, attachment
ids, API order) is written.

The collector reports AWS faithfully and decides nothing: stopped and terminated
instances, interfaces attached to nothing, blackhole routes and the firewall's own instance
are all written; generate decides what they mean.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

from generator.addresses import canonical_or_same as canonical
from generator.addresses import sort_key as _address_key
from generator.addresses import sorted_addresses as sort_addresses
from generator.collect.read_ec2 import RawRegion
from generator.vocab import STATE_FIELDS, STATE_PROTOCOLS

log = logging.getLogger(__name__)

STATE_VERSION = 2
"""2: interfaces are a VPC's own list (every one DescribeNetworkInterfaces returns), no longer
nested in their instances (version 1, instances only)."""

ROUTE_TARGET_KEYS = (
    # An instance route also carries the instance's ENI: the instance id says more.
    "InstanceId",
    "NetworkInterfaceId",
    "GatewayId",  # igw-, vgw-, vpce- (Gateway Load Balancer / gateway endpoints), "local"
    "NatGatewayId",
    "TransitGatewayId",
    "VpcPeeringConnectionId",
    "EgressOnlyInternetGatewayId",
    "LocalGatewayId",
    "CarrierGatewayId",
    "CoreNetworkArn",
)

ROUTE_OTHER_KEYS = frozenset({"DestinationCidrBlock", "DestinationIpv6CidrBlock", "DestinationPrefixListId",
                              "State", "Origin", "InstanceOwnerId"})
"""Route fields that are not targets. Any other field is a target awspan does not know (AWS adds
kinds of targets over time): it is ignored explicitly, with a warning, and never taken for the
firewall (docs/collect.md)."""

_DEAD_ASSOCIATION_STATES = {"disassociating", "disassociated", "failing", "failed"}


def _state_name(value: Any) -> str | None:
    """Association states come as {"State": "associated"}; tolerate a bare string."""
    if isinstance(value, dict):
        return value.get("State")
    return value if isinstance(value, str) else None


def _alive(association: dict[str, Any], key: str) -> bool:
    return _state_name(association.get(key)) not in _DEAD_ASSOCIATION_STATES


def _name_tag(tags: list[dict[str, Any]] | None) -> str | None:
    for tag in tags or []:
        if tag.get("Key") == "Name":
            return tag.get("Value")
    return None


# -- security groups -----------------------------------------------------------------
def protocol_name(ip_protocol: str) -> str:
    proto = str(ip_protocol).lower()
    return STATE_PROTOCOLS.get(proto, proto)  # a name or an IANA number -> state.yaml's name


def _ports(protocol: str, perm: dict[str, Any]) -> tuple[int | None, int | None]:
    """Ports for tcp/udp, type and code for icmp/icmpv6 (generator.vocab.STATE_FIELDS says which);
    a value AWS leaves out means "all of them". Other protocols carry neither: AWS allows every
    port whatever FromPort/ToPort say, so they are not reported."""
    fields = STATE_FIELDS.get(protocol)
    if fields is None:
        return None, None
    return perm.get("FromPort", fields.every[0]), perm.get("ToPort", fields.every[1])


def ingress_entries(perm: dict[str, Any]) -> list[dict[str, Any]]:
    """One IpPermission -> one entry per distinct source description.

    AWS keeps one description per source (per CIDR, prefix list or group pair), while a
    state.yaml entry has one `description`. So a permission whose sources carry different
    descriptions becomes several entries with the same protocol and ports, each holding
    the sources that share one description (sources without one share the entry whose
    description is null). The union of the entries is exactly the permission; no
    description is lost or attached to a source it does not belong to.
    """
    protocol = protocol_name(perm.get("IpProtocol", "-1"))
    from_port, to_port = _ports(protocol, perm)
    by_desc: dict[str | None, dict[str, list[str]]] = {}

    def add(kind: str, value: str | None, desc: str | None) -> None:
        if value:
            bucket = by_desc.setdefault(desc or None, {"cidrs": [], "ipv6": [], "pl": [], "groups": []})
            bucket[kind].append(value)

    for r in perm.get("IpRanges", []):
        add("cidrs", r.get("CidrIp"), r.get("Description"))
    for r in perm.get("Ipv6Ranges", []):
        add("ipv6", r.get("CidrIpv6"), r.get("Description"))
    for r in perm.get("PrefixListIds", []):
        add("pl", r.get("PrefixListId"), r.get("Description"))
    for r in perm.get("UserIdGroupPairs", []):
        add("groups", r.get("GroupId") or r.get("GroupName"), r.get("Description"))
    if not by_desc:  # a permission without sources allows nothing, but say that it exists
        by_desc[None] = {"cidrs": [], "ipv6": [], "pl": [], "groups": []}
    return [
        {
            "protocol": protocol,
            "from_port": from_port,
            "to_port": to_port,
            "cidrs": sort_addresses(src["cidrs"]),
            "ipv6_cidrs": sort_addresses(src["ipv6"]),
            "prefix_lists": sorted(set(src["pl"])),
            "groups": sorted(set(src["groups"])),
            "description": desc,
        }
        for desc, src in by_desc.items()
    ]


def _ingress_key(entry: dict[str, Any]) -> tuple[Any, ...]:
    none_first = -2  # ports are None for all/other protocols; -1 is a real ICMP value
    return (
        entry["protocol"],
        none_first if entry["from_port"] is None else entry["from_port"],
        none_first if entry["to_port"] is None else entry["to_port"],
        entry["description"] is not None,
        entry["description"] or "",
        [_address_key(c) for c in entry["cidrs"]],
        [_address_key(c) for c in entry["ipv6_cidrs"]],
        entry["prefix_lists"],
        entry["groups"],
    )


def security_group(group: dict[str, Any]) -> dict[str, Any]:
    ingress = [e for perm in group.get("IpPermissions", []) for e in ingress_entries(perm)]
    return {
        "id": group["GroupId"],
        "name": group.get("GroupName"),
        "ingress": sorted(ingress, key=_ingress_key),
    }


# -- routing ---------------------------------------------------------------------------
def route(raw: dict[str, Any], table: str = "?") -> dict[str, Any] | None:
    """One route: destination, target (the first known target field) and state (active, blackhole,
    filtered: AWS's word; generate decides what a state means)."""
    destination = (
        raw.get("DestinationCidrBlock")
        or raw.get("DestinationIpv6CidrBlock")
        or raw.get("DestinationPrefixListId")
    )
    if not destination:
        return None
    target = next((raw[k] for k in ROUTE_TARGET_KEYS if raw.get(k)), None)
    unknown = sorted(k for k in raw if k not in ROUTE_OTHER_KEYS and k not in ROUTE_TARGET_KEYS and raw[k])
    if unknown:
        log.warning("route table %s: route %s has target field(s) awspan does not know (%s): ignored%s",
                    table, destination, ", ".join(unknown),
                    f"; target {target}" if target else "; the route has no target awspan knows")
    return {"destination": canonical(destination), "target": target, "state": raw.get("State") or "active"}


def _route_key(r: dict[str, Any]) -> tuple[Any, ...]:
    return (_address_key(r["destination"]), r["target"] or "")


def route_table(raw: dict[str, Any]) -> dict[str, Any]:
    associations = [a for a in raw.get("Associations", []) if _alive(a, "AssociationState")]
    routes = [r for r in (route(x, raw["RouteTableId"]) for x in raw.get("Routes", [])) if r is not None]
    return {
        "id": raw["RouteTableId"],
        "main": any(a.get("Main") for a in associations),
        # explicit subnet associations only; gateway (edge) associations are not subnets
        "subnets": sorted({a["SubnetId"] for a in associations if a.get("SubnetId") and not a.get("Main")}),
        "routes": sorted(routes, key=_route_key),
    }


def subnet(raw: dict[str, Any]) -> dict[str, Any]:
    v6 = [a["Ipv6CidrBlock"] for a in raw.get("Ipv6CidrBlockAssociationSet", [])
          if a.get("Ipv6CidrBlock") and _alive(a, "Ipv6CidrBlockState")]
    cidr = raw.get("CidrBlock")
    return {
        "id": raw["SubnetId"],
        "cidr": canonical(cidr) if cidr else None,  # null in an IPv6-only subnet
        "ipv6_cidr": canonical(v6[0]) if v6 else None,
    }


def vpc_cidrs(raw: dict[str, Any]) -> list[str]:
    blocks = [a["CidrBlock"] for a in raw.get("CidrBlockAssociationSet", [])
              if a.get("CidrBlock") and _alive(a, "CidrBlockState")]
    blocks += [a["Ipv6CidrBlock"] for a in raw.get("Ipv6CidrBlockAssociationSet", [])
               if a.get("Ipv6CidrBlock") and _alive(a, "Ipv6CidrBlockState")]
    if not blocks and raw.get("CidrBlock"):
        blocks.append(raw["CidrBlock"])
    return sort_addresses(blocks)


# -- instances and interfaces ---------------------------------------------------------
def interface(raw: dict[str, Any]) -> dict[str, Any]:
    """One DescribeNetworkInterfaces entry: where it is, what it is attached to or owned by (as AWS
    says it: InterfaceType, RequesterManaged, RequesterId, Description, all data), its status,
    addresses and delegated prefixes, and its groups."""
    private = [p["PrivateIpAddress"] for p in raw.get("PrivateIpAddresses", []) if p.get("PrivateIpAddress")]
    if not private and raw.get("PrivateIpAddress"):
        private = [raw["PrivateIpAddress"]]
    public_ip = (raw.get("Association") or {}).get("PublicIp") or None
    return {
        "id": raw["NetworkInterfaceId"],
        "subnet": raw.get("SubnetId"),
        "instance": (raw.get("Attachment") or {}).get("InstanceId") or None,
        "status": raw.get("Status"),
        "type": raw.get("InterfaceType") or None,
        "requester_managed": bool(raw.get("RequesterManaged")),
        "requester_id": raw.get("RequesterId") or None,
        "description": raw.get("Description") or None,
        "private_ips": sort_addresses(private),
        "ipv6_addresses": sort_addresses(a["Ipv6Address"] for a in raw.get("Ipv6Addresses", [])
                                         if a.get("Ipv6Address")),
        "ipv4_prefixes": sort_addresses(p["Ipv4Prefix"] for p in raw.get("Ipv4Prefixes", [])
                                        if p.get("Ipv4Prefix")),
        "ipv6_prefixes": sort_addresses(p["Ipv6Prefix"] for p in raw.get("Ipv6Prefixes", [])
                                        if p.get("Ipv6Prefix")),
        "public_ip": public_ip and canonical(public_ip),
        "security_groups": sorted({g["GroupId"] for g in raw.get("Groups", []) if g.get("GroupId")}),
    }


def instance(raw: dict[str, Any]) -> dict[str, Any]:
    """An instance is its id, Name tag and state; its interfaces are in the VPC's `interfaces`."""
    return {
        "id": raw["InstanceId"],
        "name": _name_tag(raw.get("Tags")),
        "state": (raw.get("State") or {}).get("Name"),
    }


def _instance_vpc(raw: dict[str, Any]) -> str | None:
    """The instance's VPC; a terminated instance has none and its interfaces are gone."""
    if raw.get("VpcId"):
        return raw["VpcId"]
    return next((n["VpcId"] for n in raw.get("NetworkInterfaces", []) if n.get("VpcId")), None)


# -- one region --------------------------------------------------------------------------
def normalize_region(raw: RawRegion, account: str, region: str) -> list[dict[str, Any]]:
    """The VPCs of one account/region pair, each with its own objects, sorted by id."""
    vpcs: dict[str, dict[str, Any]] = {}
    for v in raw.vpcs:
        vpcs[v["VpcId"]] = {
            "id": v["VpcId"],
            "account": account,
            "region": region,
            "cidrs": vpc_cidrs(v),
            "route_tables": [],
            "subnets": [],
            "security_groups": [],
            "prefix_lists": [],
            "instances": [],
            "interfaces": [],
        }

    for key, vpc_id, obj_id, obj in placed(raw):
        found = vpcs.get(vpc_id or "")
        if found is None:
            log.warning("%s %s: %s %s is in VPC %s, which DescribeVpcs did not return; left out",
                        account, region, KIND_NOUNS[key], obj_id, vpc_id)
        else:
            found[key].append(obj)

    for v in vpcs.values():
        for key in KIND_NOUNS:
            v[key].sort(key=lambda o: o["id"])
        v["prefix_lists"] = [prefix_list(pl_id, raw.prefix_lists.get(pl_id))
                             for pl_id in referenced_prefix_lists(v["security_groups"])]
    return [vpcs[k] for k in sorted(vpcs)]


KIND_NOUNS = {"route_tables": "route table", "subnets": "subnet", "security_groups": "security group",
              "instances": "instance", "interfaces": "network interface"}
"""The per-VPC lists of objects with an id, and what each holds, for messages."""


def placed(raw: RawRegion) -> Iterator[tuple[str, str | None, str, dict[str, Any]]]:
    """(the VPC's list it goes in, its VPC id, its id, the object normalized) for every object of
    `raw` that belongs in a VPC: collect places a whole region with it, and the event reaction the
    few objects it reads by id (generator.collect.patch), so that both write the same entries."""
    for raw_rt in raw.route_tables:
        yield "route_tables", raw_rt.get("VpcId"), raw_rt["RouteTableId"], route_table(raw_rt)
    for raw_sn in raw.subnets:
        yield "subnets", raw_sn.get("VpcId"), raw_sn["SubnetId"], subnet(raw_sn)
    for raw_sg in raw.security_groups:
        if raw_sg.get("VpcId"):  # EC2-Classic groups have no VPC and guard nothing here
            yield "security_groups", raw_sg["VpcId"], raw_sg["GroupId"], security_group(raw_sg)
    for raw_i in raw.instances:
        vpc_id = _instance_vpc(raw_i)
        if vpc_id is not None:  # None: terminated long enough ago that AWS dropped its network data
            yield "instances", vpc_id, raw_i["InstanceId"], instance(raw_i)
    for raw_n in raw.interfaces:
        yield "interfaces", raw_n.get("VpcId"), raw_n["NetworkInterfaceId"], interface(raw_n)


def referenced_prefix_lists(groups: Iterable[dict[str, Any]]) -> list[str]:
    """The prefix lists the (normalized) groups' ingress entries name: a VPC's `prefix_lists`."""
    return sorted({pl for g in groups for e in g["ingress"] for pl in e["prefix_lists"]})


def prefix_list(pl_id: str, raw_pl: dict[str, Any] | None) -> dict[str, Any]:
    """One entry of a VPC's `prefix_lists` from read_ec2's {name, entries} (None: not found)."""
    raw_pl = raw_pl or {}
    return {
        "id": pl_id,
        "name": raw_pl.get("name"),
        "cidrs": sort_addresses(e["Cidr"] for e in raw_pl.get("entries", []) if e.get("Cidr")),
    }


def build_state(vpcs: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The whole document; VPC ids are unique per partition, the account breaks shared-VPC ties."""
    return {
        "version": STATE_VERSION,
        "vpcs": sorted(vpcs, key=lambda v: (v["id"], v["account"] or "", v["region"] or "")),
    }
