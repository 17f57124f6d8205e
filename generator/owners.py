"""What owns an interface that is no instance's of the state, said for people.

The label goes into address and rule descriptions, DAG descriptions and registrations.yaml,
and the plan shows it ("load balancer web-alb", "ECS task attachment 0f1e..."). It is display
only: nothing awspan allows depends on it (protect.py decides from the status, the instance
and the routes). Its parts are AWS data, taken only where AWS documents the shape, and written
as text everywhere (escaped in XML, fenced in markdown):

- `Description` is "a description provided by the AWS service that created the interface",
  one of "the key fields that you can use to determine the purpose of the network interface"
  with `InterfaceType` (EC2 User Guide, "Requester-managed network interfaces"; its example is
  "VPC Endpoint Interface vpce-089f2123488812123").
- Elastic Load Balancing describes its interfaces `ELB app/NAME/ID` (Application Load
  Balancer), `ELB net/NAME/ID` (Network), `ELB gwy/NAME/ID` (Gateway) and `ELB NAME` (Classic):
  the AWS re:Post Knowledge Center finds a load balancer's addresses with
  `describe-network-interfaces --filters Name=description,Values="ELB app/NAME/ID"`; the same
  `app/NAME/ID` ends the load balancer's ARN.
- An ECS task's interface (awsvpc network mode, Fargate) is described by the task's
  attachment ARN, `arn:aws:ecs:REGION:ACCOUNT:attachment/ID` (ARN format: AWS General
  Reference, "Amazon Resource Names").
- `InterfaceType` values are those of the EC2 API reference (NetworkInterface): `interface`,
  `load_balancer`, `network_load_balancer`, `vpc_endpoint`, `lambda`, `branch`, `trunk`, ...

Anything else is said as AWS says it: the type, who requested it, and the description verbatim.
"""

from __future__ import annotations

import re
from typing import Any

_DESCRIBED: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"ELB app/(?P<x>[^/]+)/[0-9a-zA-Z]+"), "load balancer {x}"),
    (re.compile(r"ELB net/(?P<x>[^/]+)/[0-9a-zA-Z]+"), "network load balancer {x}"),
    (re.compile(r"ELB gwy/(?P<x>[^/]+)/[0-9a-zA-Z]+"), "gateway load balancer {x}"),
    (re.compile(r"ELB (?P<x>[0-9A-Za-z-]{1,32})"), "classic load balancer {x}"),
    (re.compile(r"arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:attachment/(?P<x>[0-9A-Za-z-]+)"),
     "ECS task attachment {x}"),
    (re.compile(r"VPC Endpoint Interface:? (?P<x>vpce-[0-9a-f]+)"), "VPC endpoint {x}"),
)
"""Documented description shapes (see the module docstring) -> the label; matched whole."""

TYPE_LABELS: dict[str, str] = {
    "load_balancer": "load balancer",
    "network_load_balancer": "network load balancer",
    "gateway_load_balancer": "gateway load balancer",
    "vpc_endpoint": "VPC endpoint",
    "lambda": "Lambda function",
    "branch": "branch interface",
    "trunk": "trunk interface",
    "efa": "EFA interface",
    "api_gateway_managed": "API Gateway",
    "global_accelerator_managed": "Global Accelerator",
    "quicksight": "QuickSight",
    "transit_gateway": "transit gateway",
    "natGateway": "NAT gateway",
}
"""InterfaceType -> what to call it; a type not listed is said as `interface of type X`."""


def owner_label(interface: dict[str, Any]) -> str:
    """What owns `interface` (a state.yaml interface that is no instance's of the state)."""
    description = interface.get("description") or ""
    for pattern, template in _DESCRIBED:
        m = pattern.fullmatch(description)
        if m:
            return template.format(x=m["x"])
    kind = interface.get("type")
    text = "interface" if kind in (None, "interface") else TYPE_LABELS.get(kind, f"interface of type {kind}")
    if interface.get("instance"):
        text += f" attached to {interface['instance']} (an instance the state does not hold)"
    if interface.get("requester_managed") and interface.get("requester_id"):
        text += f" managed by {interface['requester_id']}"
    return f"{text}: {description}" if description else text
