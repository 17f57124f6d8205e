"""The pure decision: can one CloudTrail record change what the firewall must allow?

Shared by the Lambda handler (EventBridge events, records read from S3 log files) and
`awspan event`. Each record is judged on its own and never raises: a record with the wrong
shape (a non-string eventName, a list where a string belongs, nesting deeper than any
CloudTrail record) is *malformed*, ignored with a warning by the caller, and never fails
the batch it came in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from generator.events.safetext import clean

CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"
EC2_SOURCE = "ec2.amazonaws.com"

RELEVANT_EVENTS: dict[str, str] = {
    "StartInstances": "an instance started: its addresses may need rules",
    "StopInstances": "an instance stopped: its rules may go",
    "RunInstances": "a new instance: its addresses may need rules",
    "TerminateInstances": "an instance terminated: its rules may go",
    "AuthorizeSecurityGroupIngress": "a security group gained an ingress permission",
    "RevokeSecurityGroupIngress": "a security group lost an ingress permission",
    "ModifySecurityGroupRules": "a security group rule changed",
    "ModifyInstanceAttribute": "an instance's security groups changed",
    "ModifyNetworkInterfaceAttribute": "a network interface's security groups changed",
    "CreateNetworkInterface": "a new network interface (a load balancer, task or function scaling out?): "
                              "its addresses may need rules",
    "DeleteNetworkInterface": "a network interface was deleted: its rules may go",
    "AttachNetworkInterface": "a network interface was attached: it is in use now",
    "DetachNetworkInterface": "a network interface was detached: its rules may go",
    "AssignPrivateIpAddresses": "an interface gained private IPv4 addresses or prefixes",
    "UnassignPrivateIpAddresses": "an interface lost private IPv4 addresses or prefixes",
    "AssignIpv6Addresses": "an interface gained IPv6 addresses or prefixes",
    "UnassignIpv6Addresses": "an interface lost IPv6 addresses or prefixes",
    "CreateRoute": "a route was added: a subnet may now go through the firewall",
    "ReplaceRoute": "a route was replaced: a subnet may have moved to or from the firewall",
    "DeleteRoute": "a route was deleted: a subnet may no longer go through the firewall",
    "AssociateRouteTable": "a subnet got another route table",
    "DisassociateRouteTable": "a subnet fell back to its VPC's main route table",
    "ReplaceRouteTableAssociation": "a subnet (or the main table) got another route table",
}
"""The EC2 API calls that can change what the firewall must allow, and why (for the log). Whoever
the caller: the interface calls are mostly made by services for their resources (Elastic Load
Balancing scaling a load balancer, ECS starting a Fargate task, Lambda, EKS's VPC CNI assigning
prefixes), recorded with a service-linked role or an AWS service as the identity."""

SECURITY_GROUP_ONLY = frozenset({"ModifyInstanceAttribute", "ModifyNetworkInterfaceAttribute"})
"""Calls that matter only when they change security groups (not e.g. the instance type)."""

_ID_KEYS = frozenset({
    "instanceid", "groupid", "routetableid", "networkinterfaceid", "subnetid", "vpcid",
    "associationid", "newassociationid", "routetableassociationid", "securitygroupruleid", "attachmentid",
})
"""Request/response keys (compared case-insensitively) whose values name affected resources."""

_ID = re.compile(r"(?:i|sg|sgr|rtb|rtbassoc|eni|eni-attach|subnet|vpc)-[0-9a-zA-Z]{1,32}")
"""A resource id as EC2 writes them; anything else under an id key is not named in the log."""

MAX_DEPTH = 64
"""Deepest nesting walked in one record. CloudTrail's EC2 records nest about ten levels;
a record deeper than this is malformed (and cannot exhaust the stack)."""

MAX_IDS = 10_000
"""Ids kept from one record: a RunInstances of a few hundred instances stays far below."""

_STRING_FIELDS = ("eventName", "eventSource", "awsRegion", "eventID", "eventTime", "recipientAccountId")


@dataclass(frozen=True)
class Decision:
    """What one event means for the firewall, with the reason written for a human."""

    relevant: bool
    reason: str
    event_name: str | None = None
    event_source: str | None = None
    region: str | None = None
    account: str | None = None
    event_id: str | None = None
    event_time: str | None = None
    ids: tuple[str, ...] = ()
    malformed: bool = False

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ids"] = list(self.ids)
        return out

    def summary(self) -> str:
        """One log line: event name, region, account and affected ids, then why (all escaped)."""
        verdict = "malformed" if self.malformed else "relevant" if self.relevant else "ignored"
        ids = ",".join(self.ids) if self.ids else "-"
        return (f"{verdict}: {clean(self.event_name or '?')} region={clean(self.region or '?')} "
                f"account={clean(self.account or '?')} ids={ids} ({clean(self.reason, 400)})")


class _TooDeep(Exception):
    pass


def _walk_ids(value: Any, out: set[str]) -> None:
    """Collect resource ids from CloudTrail's nested request/response shapes.

    CloudTrail mirrors the EC2 query API, so ids sit at many depths
    (`instancesSet.items[].instanceId`, `groupSet.items[].groupId`,
    `ModifySecurityGroupRulesRequest.GroupId`); walking the whole document by key name is
    sturdier than one hand-written path per event. Iterative, with a depth bound.
    """
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _TooDeep
        if isinstance(item, Mapping):
            for key, child in item.items():
                if isinstance(key, str) and key.lower() in _ID_KEYS and isinstance(child, str):
                    if _ID.fullmatch(child) and len(out) < MAX_IDS:
                        out.add(child)
                elif isinstance(child, (Mapping, list)):
                    stack.append((child, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item if isinstance(child, (Mapping, list)))


def _changes_security_groups(params: Any) -> bool:
    """True when ModifyInstanceAttribute/ModifyNetworkInterfaceAttribute sets security groups."""
    if not isinstance(params, Mapping):
        return False
    if params.get("groupSet") or params.get("groupId"):
        return True
    # ModifyInstanceAttribute with Attribute=groupSet and the groups in `value`
    attribute = params.get("attribute")
    return isinstance(attribute, str) and attribute.lower() == "groupset"


def _record(event: Any) -> tuple[Mapping[str, Any] | None, Any, Any]:
    """The CloudTrail record inside `event`, and the envelope's account and detail-type.

    Accepts the EventBridge envelope (`detail` holds the record) and a bare CloudTrail
    record (an entry of a log file's `Records`, or CloudTrail's event history).
    """
    if not isinstance(event, Mapping):
        return None, None, None
    if isinstance(event.get("detail"), Mapping):
        return event["detail"], event.get("account"), event.get("detail-type")
    if "eventName" in event:
        identity = event.get("userIdentity")
        account = event.get("recipientAccountId") or (
            identity.get("accountId") if isinstance(identity, Mapping) else None)
        return event, account, CLOUDTRAIL_DETAIL_TYPE
    return None, None, None


def _malformed(record: Mapping[str, Any], account: Any, detail_type: Any) -> str | None:
    """Why the record's shape is wrong, or None. Only type errors: odd strings are escaped later."""
    for name in _STRING_FIELDS:
        if record.get(name) is not None and not isinstance(record[name], str):
            return f"{name} is not a string ({type(record[name]).__name__})"
    if account is not None and not isinstance(account, (str, int)):
        return f"the account is not a string ({type(account).__name__})"
    if detail_type is not None and not isinstance(detail_type, str):
        return f"detail-type is not a string ({type(detail_type).__name__})"
    code = record.get("errorCode")
    if code is not None and not isinstance(code, (str, int)):
        return f"errorCode is not a string ({type(code).__name__})"
    return None


def _disagrees(record: Mapping[str, Any], key_account: str | None, key_region: str | None) -> str | None:
    """Why a record of a log file contradicts the file's key (`AWSLogs/…/ACCOUNT/CloudTrail/REGION/`),
    or None. CloudTrail writes each account's and region's records under that account's and
    region's path; a record saying otherwise was not written there by CloudTrail."""
    recipient, region = record.get("recipientAccountId"), record.get("awsRegion")
    if key_account is not None and recipient is not None and str(recipient) != key_account:
        return (f"its account {clean(str(recipient))} is not the account of its log file's key "
                f"({key_account})")
    if key_region is not None and region is not None and region != key_region:
        return f"its region {clean(str(region))} is not the region of its log file's key ({key_region})"
    return None


def classify(event: Any, key_account: str | None = None, key_region: str | None = None) -> Decision:
    """Decide whether one event can change the firewall policy. Never raises on odd input.

    Relevant: a successful EC2 call from RELEVANT_EVENTS (the two Modify*Attribute calls
    only when they change security groups). Ignored: failed calls (`errorCode` set: nothing
    changed in AWS), other sources, other event names, other detail-types. Malformed: the
    wrong types or nesting deeper than MAX_DEPTH (ignored too, and flagged for a warning), and
    a record of a log file whose account or region is not the one its key names
    (`key_account`, `key_region`: the file's path); such a record's missing account or region
    is the key's (the recipient of an organization trail's file is the account of its path).
    """
    record, account, detail_type = _record(event)
    if record is None:
        return Decision(False, "not a CloudTrail event (no detail/eventName)")
    if key_account is not None and record.get("recipientAccountId") is None:
        account = key_account

    def text(name: str) -> str | None:
        value = record.get(name)
        return value if isinstance(value, str) else None

    common: dict[str, Any] = {
        "event_name": text("eventName"), "event_source": text("eventSource"),
        "region": text("awsRegion") if record.get("awsRegion") is not None else key_region,
        "account": str(account) if isinstance(account, (str, int)) else None,
        "event_id": text("eventID"), "event_time": text("eventTime"),
    }
    problem = _malformed(record, account, detail_type)
    if problem is None and (key_account is not None or key_region is not None):
        problem = _disagrees(record, key_account, key_region)
    if problem is None:
        ids: set[str] = set()
        try:
            _walk_ids(record.get("requestParameters"), ids)
            _walk_ids(record.get("responseElements"), ids)
        except _TooDeep:
            problem = f"nested deeper than {MAX_DEPTH} levels"
        common["ids"] = tuple(sorted(ids))
    if problem is not None:
        return Decision(False, f"malformed record: {problem}", malformed=True, **common)
    name, source = common["event_name"], common["event_source"]
    if detail_type != CLOUDTRAIL_DETAIL_TYPE:
        return Decision(False, f"detail-type is {clean(detail_type)!r}, not {CLOUDTRAIL_DETAIL_TYPE!r}",
                        **common)
    if source != EC2_SOURCE:
        return Decision(False, f"event source {clean(source)!r} is not {EC2_SOURCE}", **common)
    if record.get("errorCode"):
        return Decision(False, f"the call failed ({clean(record['errorCode'])}): nothing changed in AWS",
                        **common)
    if name not in RELEVANT_EVENTS:
        return Decision(False, f"{clean(name)} cannot change what the firewall allows", **common)
    if name in SECURITY_GROUP_ONLY and not _changes_security_groups(record.get("requestParameters")):
        return Decision(False, f"{name} did not change security groups", **common)
    return Decision(True, RELEVANT_EVENTS[name], **common)
