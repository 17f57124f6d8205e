"""What state.yaml must say only once: the checks a JSON Schema cannot express.

Why: generate looks things up by id. A second record with the same id does not fail a
lookup, it silently wins or loses it: a duplicate subnet with another CIDR, or a second
`main: true` route table, changes which interfaces count as protected, and the next push
deletes rules with exit 0. So every id that generate looks up is unique, and every error
names both key paths.

Scope of "unique", as AWS assigns ids:
- instances and network interfaces belong to one account: unique in the whole file;
- subnets, route tables and security groups belong to one VPC: unique within each `vpcs[]`
  record, and never under two different VPC ids. The same VPC id may appear twice (a shared
  VPC seen from the owner's and a participant's account), so two records of the same VPC
  may both list a subnet;
- at most one main route table per VPC record, and a subnet is explicitly associated with
  at most one route table (AWS allows one association per subnet).
"""

from __future__ import annotations

from typing import Any

from generator.errors import AwspanError


def _twice(where: str, path: str, ident: str, first: str) -> AwspanError:
    return AwspanError(f"{path}: {ident} appears twice (also at {first})", where=where)


def check_consistency(data: dict[str, Any], where: str) -> None:
    """Raise AwspanError naming the key paths of the first id that is not unique where it must be."""
    global_ids: dict[str, tuple[str, int, int]] = {}  # instance and ENI id -> where first seen
    vpc_owned: dict[tuple[str, str], tuple[str, int, str]] = {}  # (kind, id) -> (vpc id, record, path)
    for v, vpc in enumerate(data["vpcs"]):
        vp = f"vpcs[{v}]"
        for kind in ("subnets", "route_tables", "security_groups"):
            for k, record in enumerate(vpc.get(kind, [])):
                path = f"{vp}.{kind}[{k}].id"
                seen = vpc_owned.get((kind, record["id"]))
                if seen is not None and (seen[1] == v or seen[0] != vpc["id"]):
                    raise _twice(where, path, record["id"], seen[2])
                vpc_owned.setdefault((kind, record["id"]), (vpc["id"], v, path))
        _check_route_tables(vpc, vp, where)
        for kind in ("instances", "interfaces"):
            for i, record in enumerate(vpc.get(kind, [])):
                _once(global_ids, record["id"], (kind, v, i), where)


def _global_path(at: tuple[str, int, int]) -> str:
    kind, v, i = at
    return f"vpcs[{v}].{kind}[{i}].id"


def _once(seen: dict[str, tuple[str, int, int]], ident: str, at: tuple[str, int, int], where: str) -> None:
    """`at`: (list, vpc, position), a path written out only for a duplicate (100,000s of ids at
    scale)."""
    first = seen.setdefault(ident, at)
    if first != at:
        raise _twice(where, _global_path(at), ident, _global_path(first))


def _check_route_tables(vpc: dict[str, Any], vp: str, where: str) -> None:
    main: str | None = None
    associated: dict[str, str] = {}
    for t, table in enumerate(vpc.get("route_tables", [])):
        tp = f"{vp}.route_tables[{t}]"
        if table.get("main"):
            if main is not None:
                raise AwspanError(
                    f"{tp}.main: a second main route table in {vpc['id']} (the first is {main}); "
                    "a VPC has exactly one", where=where)
            main = f"{tp} ({table['id']})"
        for s, subnet in enumerate(table.get("subnets", [])):
            path = f"{tp}.subnets[{s}]"
            first = associated.setdefault(subnet, path)
            if first != path:
                raise AwspanError(
                    f"{path}: subnet {subnet} is associated with a second route table (also at {first}); "
                    "AWS allows one association per subnet", where=where)
