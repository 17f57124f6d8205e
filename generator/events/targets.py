"""What each relevant event names, read by id: one `Wanted` per account/region pair, or why not.

An event is still only a trigger, but it says what changed: StopInstances names its instances,
AuthorizeSecurityGroupIngress its group, CreateRoute its route table. The reaction reads just
those (generator.collect.patch) instead of the region. Every decision of one invocation is
coalesced first: a resource is read once, however many records name it.

| events | read by id |
|---|---|
| Start/Stop/Run/TerminateInstances, ModifyInstanceAttribute | the instances, and their interfaces |
| Authorize/RevokeSecurityGroupIngress, ModifySecurityGroupRules | the groups |
| ModifyNetworkInterfaceAttribute, Create/Delete/Attach/DetachNetworkInterface, Assign/Unassign* | ENIs |
| Create/Replace/DeleteRoute, AssociateRouteTable, ReplaceRouteTableAssociation | the route tables |
| DisassociateRouteTable | every route table of the pair (the record names only the association) |

An event this table cannot serve (another name, no id of the kind it needs: a
DetachNetworkInterface names only its attachment) makes its pair `Unserved`: the pair is read
whole, and the reason is logged.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.collect.patch import Wanted
from generator.events.classify import Decision

INSTANCE_EVENTS = frozenset({"StartInstances", "StopInstances", "RunInstances", "TerminateInstances",
                             "ModifyInstanceAttribute"})
GROUP_EVENTS = frozenset({"AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress",
                          "ModifySecurityGroupRules"})
INTERFACE_EVENTS = frozenset({"ModifyNetworkInterfaceAttribute", "CreateNetworkInterface",
                              "DeleteNetworkInterface", "AttachNetworkInterface", "DetachNetworkInterface",
                              "AssignPrivateIpAddresses", "UnassignPrivateIpAddresses",
                              "AssignIpv6Addresses", "UnassignIpv6Addresses"})
ROUTE_TABLE_EVENTS = frozenset({"CreateRoute", "ReplaceRoute", "DeleteRoute", "AssociateRouteTable",
                                "ReplaceRouteTableAssociation"})
EVERY_ROUTE_TABLE_EVENTS = frozenset({"DisassociateRouteTable"})

_PREFIX = {"i": "instances", "eni": "interfaces", "sg": "groups", "rtb": "route_tables"}
_KIND_OF = {**{e: "i" for e in INSTANCE_EVENTS}, **{e: "eni" for e in INTERFACE_EVENTS},
            **{e: "sg" for e in GROUP_EVENTS}, **{e: "rtb" for e in ROUTE_TABLE_EVENTS}}

Pair = tuple[str | None, str]  # (account, or None for the default credentials' account; region)


@dataclass(frozen=True)
class Unserved:
    """A pair that must be read whole, and why (for the log)."""

    reason: str


def _ids(decision: Decision, prefix: str) -> set[str]:
    return {i for i in decision.ids if i.startswith(prefix + "-") and not i.startswith(prefix + "-attach")}


def wanted_of(decision: Decision) -> Wanted | Unserved:
    """The objects one relevant decision names, or why it cannot be served by id."""
    name = decision.event_name
    if name in EVERY_ROUTE_TABLE_EVENTS:
        return Wanted(all_route_tables=True)
    kind = _KIND_OF.get(name or "")
    if kind is None:
        return Unserved(f"{name or 'an event without a name'}: no targeted read for it"
                        + (f" ({decision.reason})" if not name else ""))
    ids = _ids(decision, kind)
    if not ids:
        return Unserved(f"{name} names no {_PREFIX[kind].replace('_', ' ')[:-1]} id "
                        f"({', '.join(decision.ids) or 'no id at all'})")
    return Wanted(**{_PREFIX[kind]: ids})


def plan_reads(decisions: list[Decision], aws_accounts: bool) -> dict[Pair, Wanted | Unserved]:
    """Coalesce the decisions per account/region pair: one Wanted (each id once), or Unserved when
    any decision of the pair cannot be served by id. Decisions must name their region (and, with
    `aws_accounts`, their account): partial_collect.affected_pairs reads everything otherwise."""
    out: dict[Pair, Wanted | Unserved] = {}
    for decision in decisions:
        assert decision.region is not None
        pair: Pair = (decision.account if aws_accounts else None, decision.region)
        current = out.get(pair)
        if isinstance(current, Unserved):
            continue
        got = wanted_of(decision)
        if isinstance(got, Unserved) or current is None:
            out[pair] = got
        else:
            current.add(got)
    return out
