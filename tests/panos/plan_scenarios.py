"""A small estate as generate writes it (descriptions that name instances, security groups, VPC,
account and region; the plan reads those from STATE, the state.yaml beside the fragment, never
from a description), and the changes the plan goldens show: create, delete, change of
source/ports/members, drift, pending, refused."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from tests.panos.helpers import TAG, fragment, members

VPC = "vpc-0a11b22c33d44e55f"
WHERE = f"{VPC} 111122223333 us-east-1"
STATE = """version: 2
vpcs:
  - id: vpc-0a11b22c33d44e55f
    account: "111122223333"
    region: us-east-1
    cidrs: [10.10.0.0/16]
    route_tables: []
    subnets: []
    security_groups:
      - {id: sg-0a1b2c3d4e5f60001, name: web, ingress: []}
      - {id: sg-0a1b2c3d4e5f60002, name: app, ingress: []}
    instances:
      - {id: i-0a00000000000a001, name: web-1, state: running}
      - {id: i-0a00000000000a002, name: web-2, state: running}
      - {id: i-0a00000000000a003, name: app-1, state: running}
      - {id: i-0a00000000000a004, name: null, state: running}
    interfaces:
      - {id: eni-0a00000000000a001, instance: i-0a00000000000a001, subnet: subnet-1, status: in-use,
         private_ips: [10.10.1.10], security_groups: [sg-0a1b2c3d4e5f60001]}
      - {id: eni-0a00000000000a002, instance: i-0a00000000000a002, subnet: subnet-1, status: in-use,
         private_ips: [10.10.1.11], security_groups: [sg-0a1b2c3d4e5f60001]}
      - {id: eni-0a00000000000a003, instance: i-0a00000000000a003, subnet: subnet-5, status: in-use,
         private_ips: [10.10.5.30], security_groups: [sg-0a1b2c3d4e5f60002]}
      - {id: eni-0a00000000000a004, instance: i-0a00000000000a004, subnet: subnet-5, status: in-use,
         private_ips: [10.10.5.31], security_groups: [sg-0a1b2c3d4e5f60001]}
    prefix_lists:
      - {id: pl-0c0ffee0c0ffee001, name: office-egress, cidrs: [198.51.100.0/24, 203.0.113.7/32]}
"""


def addr(instance: str, name: str | None, ip: str, eni: str) -> str:
    label = f" ({name})" if name else ""
    desc = f"{instance}{label} {eni} in {VPC}"
    return (f"<entry name={quoteattr(f'{instance}-{ip}')}><ip-netmask>{ip}/32</ip-netmask>"
            f"<description>{escape(desc)}</description>{members('tag', [TAG])}</entry>")


def grp(name: str, member_names: list[str], label: str) -> str:
    desc = f"awspan: addresses behind security group {name} ({label}) in {WHERE}"
    return (f"<entry name={quoteattr(name)}>{members('static', member_names)}"
            f"<description>{escape(desc)}</description>{members('tag', [TAG])}</entry>")


def svc(proto: str, port: str) -> str:
    return (f"<entry name=\"{proto}-{port}\"><protocol><{proto}><port>{port}</port></{proto}></protocol>"
            f"{members('tag', [TAG])}</entry>")


def sg_rule(sg: str, label: str, suffix: str, sources: list[str], *, service: list[str],
            application: list[str] | None = None, note: str = "") -> str:
    desc = f"awspan: security group {sg} ({label}) in {WHERE}: {note}"
    body = (members("from", ["untrust"]) + members("to", ["trust"]) + members("source", sources)
            + members("destination", [sg]) + members("source-user", ["any"]) + members("category", ["any"])
            + members("application", application or ["any"]) + members("service", service)
            + "<action>allow</action>" + f"<description>{escape(desc)}</description>" + members("tag", [TAG]))
    return f"<entry name={quoteattr(f'{sg}-{suffix}')}>{body}</entry>"


WEB = "sg-0a1b2c3d4e5f60001"
APP = "sg-0a1b2c3d4e5f60002"
W1 = "i-0a00000000000a001-10.10.1.10"
W2 = "i-0a00000000000a002-10.10.1.11"
A1 = "i-0a00000000000a003-10.10.5.30"
A2 = "i-0a00000000000a004-10.10.5.31"


def estate(*, ssh_sources: tuple[str, ...] = ("198.51.100.0/24",), https_port: str = "443",
           web_members: tuple[str, ...] = (W1, W2), drop_app: bool = False) -> str:
    """The fragment; keyword arguments make the variations the goldens show."""
    addresses = {W1: addr("i-0a00000000000a001", "web-1", "10.10.1.10", "eni-0a00000000000a001"),
                 W2: addr("i-0a00000000000a002", "web-2", "10.10.1.11", "eni-0a00000000000a002"),
                 A1: addr("i-0a00000000000a003", "app-1", "10.10.5.30", "eni-0a00000000000a003"),
                 A2: addr("i-0a00000000000a004", None, "10.10.5.31", "eni-0a00000000000a004")}
    used = set(web_members) | (set() if drop_app else {A1})
    rules = [
        sg_rule(WEB, "web", "tcp-22", list(ssh_sources), service=["application-default"], application=["ssh"],
                note="tcp 22 as ssh (office)"),
        sg_rule(WEB, "web", f"tcp-{https_port}", ["any"], service=[f"tcp-{https_port}"],
                note=f"tcp {https_port} (HTTPS from anywhere)"),
    ]
    groups = [grp(WEB, sorted(web_members), "web")]
    services = [svc("tcp", https_port)]
    if not drop_app:
        rules.append(sg_rule(APP, "app", "tcp-8000-8100", ["192.0.2.0/28"], service=["tcp-8000-8100"],
                             note="tcp 8000-8100 (partner API)"))
        groups.append(grp(APP, [A1], "app"))
        services.append(svc("tcp", "8000-8100"))
    return fragment(rules, addresses=[addresses[n] for n in sorted(used)], groups=groups, services=services)
