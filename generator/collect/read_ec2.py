"""The EC2 reads of one account/region pair: paginated Describe* calls, nothing per object.

Every list is fetched once per region, unfiltered, with the largest page size the API
allows, so the number of calls grows with pages (ceil(objects / page size)), never with
the number of instances, interfaces or groups. The only per-object call is
GetManagedPrefixListEntries, one per *distinct* prefix list that a security group
references (there is no batch form of it), paginated as well.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from generator.messages import aws_hint, one_line

# The largest MaxResults each operation accepts (botocore's service model: min/max).
PAGE_SIZES: dict[str, int] = {
    "DescribeVpcs": 1000,
    "DescribeSubnets": 1000,
    "DescribeRouteTables": 100,
    "DescribeSecurityGroups": 1000,
    "DescribeInstances": 1000,
    "DescribeNetworkInterfaces": 1000,
    "DescribeManagedPrefixLists": 100,
    "GetManagedPrefixListEntries": 100,
}

_RESULT_KEYS = {
    "DescribeVpcs": ("describe_vpcs", "Vpcs"),
    "DescribeSubnets": ("describe_subnets", "Subnets"),
    "DescribeRouteTables": ("describe_route_tables", "RouteTables"),
    "DescribeSecurityGroups": ("describe_security_groups", "SecurityGroups"),
    "DescribeInstances": ("describe_instances", "Reservations"),
    "DescribeNetworkInterfaces": ("describe_network_interfaces", "NetworkInterfaces"),
    "DescribeManagedPrefixLists": ("describe_managed_prefix_lists", "PrefixLists"),
    "GetManagedPrefixListEntries": ("get_managed_prefix_list_entries", "Entries"),
}

PREFIX_LIST_IDS_PER_CALL = 100
"""DescribeManagedPrefixLists is asked for the referenced ids in chunks of this size (EC2 takes
up to 200 values per filter)."""


class CallFailed(Exception):
    """One AWS operation failed; the collector adds the account and region."""

    def __init__(self, operation: str, detail: str) -> None:
        self.operation = operation
        self.detail = detail
        super().__init__(f"{operation}: {detail}")


class Aborted(Exception):
    """Another pair failed: stop between pages instead of reading on for nothing."""


@dataclass
class RawRegion:
    """The AWS responses of one region, as returned (normalize.py shapes them)."""

    vpcs: list[dict[str, Any]] = field(default_factory=list)
    subnets: list[dict[str, Any]] = field(default_factory=list)
    route_tables: list[dict[str, Any]] = field(default_factory=list)
    security_groups: list[dict[str, Any]] = field(default_factory=list)
    instances: list[dict[str, Any]] = field(default_factory=list)
    interfaces: list[dict[str, Any]] = field(default_factory=list)
    prefix_lists: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> {name, entries}


def describe_error(exc: BaseException) -> str:
    """`Code: message` for an AWS error, the exception text for a transport error; one line."""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        text = f"{err.get('Code') or 'Error'}: {err.get('Message') or exc}"
    else:
        text = aws_hint(exc) or f"{type(exc).__name__}: {exc}"
    return one_line(text)


def paginate(
    client: Any, operation: str, abort: threading.Event | None = None, **params: Any
) -> Iterator[Any]:
    """Yield the result items of every page of `operation`; failures become CallFailed."""
    method, result_key = _RESULT_KEYS[operation]
    pages = client.get_paginator(method).paginate(
        **params, PaginationConfig={"PageSize": PAGE_SIZES[operation]}
    )
    try:
        for page in pages:
            yield from page.get(result_key, [])
            if abort is not None and abort.is_set():
                raise Aborted
    except (ClientError, BotoCoreError, ResponseParserError) as exc:
        raise CallFailed(operation, describe_error(exc)) from exc


def referenced_prefix_lists(security_groups: list[dict[str, Any]]) -> list[str]:
    """The distinct prefix-list ids that the groups' ingress permissions name, sorted."""
    ids = {
        ref["PrefixListId"]
        for group in security_groups
        for perm in group.get("IpPermissions", [])
        for ref in perm.get("PrefixListIds", [])
        if ref.get("PrefixListId")
    }
    return sorted(ids)


def read_region(ec2: Any, abort: threading.Event | None = None) -> RawRegion:
    """Read everything generate needs from one region with one EC2 client."""
    raw = RawRegion()
    raw.vpcs = list(paginate(ec2, "DescribeVpcs", abort))
    raw.subnets = list(paginate(ec2, "DescribeSubnets", abort))
    raw.route_tables = list(paginate(ec2, "DescribeRouteTables", abort))
    raw.security_groups = list(paginate(ec2, "DescribeSecurityGroups", abort))
    # interfaces before instances: an interface attached to an instance launched between the two
    # reads is simply not seen yet, while every instance an interface names is still listed when
    # DescribeInstances runs (terminated ones stay listed for about an hour)
    raw.interfaces = list(paginate(ec2, "DescribeNetworkInterfaces", abort))
    raw.instances = [
        instance
        for reservation in paginate(ec2, "DescribeInstances", abort)
        for instance in reservation.get("Instances", [])
    ]
    raw.prefix_lists = read_prefix_lists(ec2, referenced_prefix_lists(raw.security_groups), abort)
    return raw


def read_prefix_lists(ec2: Any, wanted: list[str], abort: threading.Event | None = None
                      ) -> dict[str, dict[str, Any]]:
    """id -> {name, entries} of the prefix lists `wanted` (the groups reference them)."""
    names: dict[str, str | None] = {}
    for start in range(0, len(wanted), PREFIX_LIST_IDS_PER_CALL):
        chunk = wanted[start : start + PREFIX_LIST_IDS_PER_CALL]
        # a filter, not PrefixListIds: filters combine with MaxResults in every EC2 API, and a
        # list that vanished since DescribeSecurityGroups is simply not returned (name null)
        filters = [{"Name": "prefix-list-id", "Values": chunk}]
        for pl in paginate(ec2, "DescribeManagedPrefixLists", abort, Filters=filters):
            names[pl["PrefixListId"]] = pl.get("PrefixListName")
    out: dict[str, dict[str, Any]] = {}
    for pl_id in wanted:
        entries = list(paginate(ec2, "GetManagedPrefixListEntries", abort, PrefixListId=pl_id))
        out[pl_id] = {"name": names.get(pl_id), "entries": entries}
    return out
