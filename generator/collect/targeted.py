"""Reads by id: the few EC2 objects an event names, instead of the whole region.

The event reaction (generator.collect.patch) asks for exactly the instances, interfaces, groups,
route tables and subnets the CloudTrail records name. Every read is a `Describe*` call with a
filter on the ids (`instance-id`, `network-interface-id`, ...), never the `*Ids` parameters:
an id that no longer exists is simply not returned (the object is gone, as a full collect would
find it), where `InstanceIds=[gone]` fails the whole call; and filters combine with MaxResults,
so the pages stay as large as collect's. EC2 takes at most FILTER_VALUES values per filter, so
a burst naming more ids takes one call per FILTER_VALUES.

`calls` counts the requests made, for the log and the bench (a moto server, which ignores
MaxResults on some calls, answers each in one page; on EC2 a read of a few ids is one page).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from generator.collect.read_ec2 import CallFailed, describe_error, paginate, read_prefix_lists
from generator.errors import AwspanError

FILTER_VALUES = 200
"""Values EC2 accepts in one filter (EC2 API reference, "Filter")."""


@dataclass
class Reader:
    """The reads by id of one account/region pair, counted."""

    ec2: Any
    abort: threading.Event | None = None
    calls: int = 0
    account: str | None = None  # for the errors: the account the credentials are of

    @contextlib.contextmanager
    def said(self, region: str) -> Iterator[None]:
        """A failed read becomes one AwspanError naming the account and region, as collect says them."""
        try:
            yield
        except CallFailed as exc:
            raise AwspanError(f"account {self.account} {region}: {exc.operation}: {exc.detail}") from None
        except Exception as exc:  # botocore's own, outside paginate
            if type(exc).__module__.startswith("botocore"):
                raise AwspanError(f"account {self.account} {region}: {describe_error(exc)}") from None
            raise

    def _filtered(self, operation: str, name: str, ids: Iterable[str]) -> list[dict[str, Any]]:
        wanted = sorted(set(ids))
        found: list[dict[str, Any]] = []
        for start in range(0, len(wanted), FILTER_VALUES):
            self.calls += 1
            found += paginate(self.ec2, operation, self.abort,
                              Filters=[{"Name": name, "Values": wanted[start : start + FILTER_VALUES]}])
        return found

    def instances(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        reservations = self._filtered("DescribeInstances", "instance-id", ids)
        return [i for r in reservations for i in r.get("Instances", [])]

    def interfaces_of_instances(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        return self._filtered("DescribeNetworkInterfaces", "attachment.instance-id", ids)

    def interfaces(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        return self._filtered("DescribeNetworkInterfaces", "network-interface-id", ids)

    def groups(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        return self._filtered("DescribeSecurityGroups", "group-id", ids)

    def route_tables(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        return self._filtered("DescribeRouteTables", "route-table-id", ids)

    def route_tables_of_subnets(self, subnet_ids: Iterable[str]) -> list[dict[str, Any]]:
        return self._filtered("DescribeRouteTables", "association.subnet-id", subnet_ids)

    def all_route_tables(self) -> list[dict[str, Any]]:
        """Every route table of the pair (an association change names only its association id)."""
        self.calls += 1
        return list(paginate(self.ec2, "DescribeRouteTables", self.abort))

    def subnets(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        return self._filtered("DescribeSubnets", "subnet-id", ids)

    def prefix_lists(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """{id: {name, entries}}: DescribeManagedPrefixLists, then the entries of each list."""
        if not ids:
            return {}
        self.calls += 1 + len(ids)
        return read_prefix_lists(self.ec2, ids, self.abort)
