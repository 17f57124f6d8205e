"""Who an awspan object stands for: the names generate gives it, read back by the plan, and the
descriptions it writes for people on the firewall.

Names are keys. awspan makes every name of a rule, address and address group from AWS ids,
which state.yaml holds only as `prefix-alphanumerics` (schemas/state.schema.json, checked
before generate runs), so a name reads back exactly: `sg-0abc-tcp-443` is a rule of security
group sg-0abc, `i-0abc-eni-0def-any` a rule of one interface of instance i-0abc,
`i-0abc-10.0.1.10` an address of instance i-0abc. `parse_*` and the writers below are
inverses (tests/test_provenance.py proves the round trip).

Descriptions are for people: they carry AWS names and free text (a security group's name, a
permission's description, a Name tag) that anyone who may edit AWS can make look like anything,
another account or VPC included. awspan writes them and never reads them back: the plan takes
where a rule comes from out of its name and out/state.yaml's structured fields
(generator.panos.plan.inventory), so no description can forge what a reviewer is shown.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

AWS_ID = r"[a-z]+-[0-9A-Za-z]+"
"""An AWS id as state.yaml holds it (schemas/state.schema.json `$defs.id`)."""

_ID = re.compile(AWS_ID)
_RULE = re.compile(rf"(?P<owner>{AWS_ID})(?:-(?P<interface>eni-[0-9A-Za-z]+))?"
                   r"-(?P<offer>[0-9A-Za-z][-0-9A-Za-z]*)")
_ADDRESS = re.compile(rf"(?P<owner>{AWS_ID})-(?P<ip>[-0-9A-Fa-f.]+)(?:_(?P<bits>[0-9]{{1,3}}))?")
_INTERFACE = re.compile(rf"(?P<owner>{AWS_ID})-(?P<interface>eni-[0-9A-Za-z]+)")

OWNER_KINDS = {"sg": "security-group", "i": "instance", "eni": "interface"}
"""The id prefixes of the owners awspan names objects after."""


def owner_kind(aws_id: str) -> str:
    """`security-group` for sg-…, `instance` for i-…; an id of another kind says its prefix."""
    return OWNER_KINDS.get(aws_id.split("-", 1)[0], aws_id.split("-", 1)[0])


# --- names: written by generate, read back by the plan ------------------------------------------

def rule_name(owner: str, suffix: str, interface: str | None = None) -> str:
    """`sg-0abc-tcp-443`, `i-0abc-icmp`, `i-0abc-eni-0def-any` (layout instance, one interface)."""
    return f"{owner}-{interface}-{suffix}" if interface else f"{owner}-{suffix}"


def address_name(owner: str, address: str) -> str:
    """`i-0abc-10.0.1.10`, `eni-0def-2600-1f18--1`: the owner is the instance id, or the interface
    id of an interface that is no instance's (a load balancer's, a task's). ':' -> '-' is
    one-to-one on canonical IPv6 text (which never holds '-'), so two addresses never share a name."""
    return f"{owner}-{address.replace(':', '-')}"


def prefix_name(owner: str, prefix: str) -> str:
    """`i-0abc-10.0.1.16_28`, `i-0abc-2600-1f18-1-2-a--_80`: a delegated prefix, named like an
    address with `_` for the `/` (a name may not hold `/`, and no address text holds `_`, so a
    prefix never shares a name with an address)."""
    return address_name(owner, prefix).replace("/", "_")


def interface_group_name(owner: str, interface: str) -> str:
    """`i-0abc-eni-0def`: the dynamic address group of one interface (layout instance)."""
    return f"{owner}-{interface}"


@dataclass(frozen=True)
class RuleSubject:
    """What a rule's name says: its owner (a security group or an instance), the interface when
    the rule reaches only one, and the offer (`tcp-443`)."""

    owner: str
    interface: str | None
    offer: str

    @property
    def kind(self) -> str:
        return owner_kind(self.owner)


def parse_rule_name(name: str) -> RuleSubject | None:
    """The subject of an awspan rule name; None for a name awspan does not make."""
    m = _RULE.fullmatch(name)
    return None if m is None else RuleSubject(m["owner"], m["interface"], m["offer"])


def parse_address_name(name: str) -> tuple[str, str] | None:
    """(owner id, IP) of an awspan address name, (owner id, network) of a delegated prefix's
    (`…_28`); None for a name awspan does not make."""
    m = _ADDRESS.fullmatch(name)
    if m is None:
        return None
    text = m["ip"] if "." in m["ip"] else m["ip"].replace("-", ":")
    try:
        if m["bits"] is None:
            value = str(ipaddress.ip_address(text))
            again = address_name(m["owner"], value)
        else:
            value = str(ipaddress.ip_network(f"{text}/{m['bits']}"))
            again = prefix_name(m["owner"], value)
    except ValueError:
        return None
    return (m["owner"], value) if again == name else None


def parse_group_name(name: str) -> tuple[str, str | None] | None:
    """(owner id, interface or None) of an awspan address group: `sg-0abc` (layout group) or
    `i-0abc-eni-0def` (a dynamic group of one interface, layout instance)."""
    m = _INTERFACE.fullmatch(name)
    if m is not None:
        return m["owner"], m["interface"]
    return (name, None) if _ID.fullmatch(name) else None


# --- descriptions: for people on the firewall, never read back ----------------------------------

def _named(aws_id: str, name: str | None) -> str:
    return f"{aws_id} ({name})" if name else aws_id


def where_text(vpc: str, account: str | None, region: str | None) -> str:
    return " ".join(x for x in (vpc, account, region) if x)


def group_rule_description(sg: str, sg_name: str | None, where: str, notes: str) -> str:
    """A rule of layout group: `awspan: security group sg-0abc (web) in vpc-… 1111… us-east-1: tcp 443`."""
    return f"awspan: security group {_named(sg, sg_name)} in {where}: {notes}"


def instance_rule_description(instance: str, name: str | None, vpc: str, interface: str | None,
                              notes: str) -> str:
    """A rule of layout instance: `awspan: instance i-0abc (db-1) in vpc-… eni-…: sg-01: tcp 5432`."""
    return f"awspan: instance {_named(instance, name)} in {vpc}" + (f" {interface}" if interface else "") \
        + f": {notes}"


def address_description(instance: str, name: str | None, interface: str, vpc: str) -> str:
    """`i-0abc (web-1) eni-0def in vpc-0123`."""
    return f"{_named(instance, name)} {interface} in {vpc}"


def interface_address_description(interface: str, label: str | None, vpc: str) -> str:
    """`eni-0def (load balancer web-alb) in vpc-0123`: an interface that is no instance's."""
    return f"{_named(interface, label)} in {vpc}"


def interface_rule_description(interface: str, label: str | None, vpc: str, notes: str) -> str:
    """A rule of layout instance for an interface that is no instance's:
    `awspan: interface eni-0def (load balancer web-alb) in vpc-…: sg-01: tcp 443`."""
    return f"awspan: interface {_named(interface, label)} in {vpc}: {notes}"


def group_description(sg: str, sg_name: str | None, where: str) -> str:
    return f"awspan: addresses behind security group {_named(sg, sg_name)} in {where}"


def interface_group_description(instance: str | None, name: str | None, interface: str) -> str:
    """The dynamic group of one interface (layout instance); `name`: the instance's Name tag, or
    what owns an interface that is no instance's."""
    if instance is None:
        return f"awspan: addresses of interface {_named(interface, name)}"
    return f"awspan: addresses of instance {_named(instance, name)}, interface {interface}"
