"""policy.yaml: read, validate against schemas/policy.schema.json, fill defaults.

Every consumer (collect, generate, plan, push, events) gets the same frozen Policy, so a
default lives in exactly one place: the dataclass fields below, which mirror the schema's
`default`s (parse_policy reads them from there rather than repeating the literals).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import netaddr

from generator.errors import AwspanError
from generator.location import Location
from generator.validate import validate_document
from generator.yamlio import load_yaml_file


@dataclass(frozen=True)
class Firewall:
    instance_id: str
    route_targets: tuple[str, ...] = ()
    url: str | None = None
    ca_bundle: str | None = None
    location: Location = field(default_factory=Location)
    admin: str | None = None
    timeout: float = 60.0
    commit_timeout: float = 900.0

    def resolved_url(self) -> str | None:
        """PANOS_URL wins over policy.yaml, so that CI can point one policy at a lab box."""
        return os.environ.get("PANOS_URL") or self.url

    def resolved_admin(self) -> str | None:
        return self.admin or os.environ.get("PANOS_USERNAME")

    def resolved_ca_bundle(self) -> str | None:
        return os.environ.get("PANOS_CA_BUNDLE") or self.ca_bundle


@dataclass(frozen=True)
class Rules:
    bottom_rule: str
    from_zone: str
    to_zone: str
    profile_group: str | None = None
    log_setting: str | None = None
    tag: str = "awspan"
    layout: str = "group"
    membership: str = "static"  # static: address groups in config; dynamic: DAGs fed by User-ID registrations
    internal_cidrs: tuple[str, ...] = ()
    applications: tuple[tuple[str, str], ...] = ()  # sorted (proto/port, app) pairs

    def application_map(self) -> dict[str, str]:
        return dict(self.applications)


@dataclass(frozen=True)
class Account:
    id: str
    role_arn: str | None = None
    external_id: str | None = None
    regions: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Aws:
    regions: tuple[str, ...]
    accounts: tuple[Account, ...] = ()
    max_workers: int = 8


@dataclass(frozen=True)
class Safety:
    max_delete_percent: float = 30.0


@dataclass(frozen=True)
class Pipeline:
    codebuild_project: str | None = None
    dispatch_url: str | None = None
    event_type: str = "awspan-aws-change"
    token_secret: str | None = None


@dataclass(frozen=True)
class Events:
    mode: str = "log"
    work_dir: str = "/tmp/awspan"
    api_key_secret: str | None = None
    api_key_parameter: str | None = None
    pipeline: Pipeline = field(default_factory=Pipeline)


@dataclass(frozen=True)
class Policy:
    firewall: Firewall
    rules: Rules
    aws: Aws
    safety: Safety = field(default_factory=Safety)
    events: Events = field(default_factory=Events)
    source: str = "policy.yaml"


def _check_cidrs(values: list[str], path: str, where: str) -> tuple[str, ...]:
    out = []
    for i, value in enumerate(values):
        try:
            net = netaddr.IPNetwork(value)
        except (netaddr.AddrFormatError, ValueError, TypeError):
            raise AwspanError(f"{path}[{i}]: {value!r} is not a valid CIDR block", where=where) from None
        if net.ip != net.network:
            raise AwspanError(
                f"{path}[{i}]: {value!r} has host bits set (did you mean {net.cidr}?)", where=where
            )
        out.append(str(net.cidr))
    return tuple(out)


def _check_port_key(key: str, where: str) -> None:
    proto, _, ports = key.partition("/")
    low, _, high = ports.partition("-")
    lo, hi = int(low), int(high or low)
    if not (0 <= lo <= hi <= 65535):
        raise AwspanError(f"rules.applications.{key}: ports must be 0-65535 with from <= to", where=where)


def parse_policy(data: Any, where: str = "policy.yaml") -> Policy:
    """Validate plain data (from YAML) and build the Policy; errors name `where` and the key path."""
    if data is None:
        raise AwspanError("the file is empty", where=where)
    validate_document(data, "policy.schema.json", where)
    fw, rules, aws = data["firewall"], data["rules"], data["aws"]
    events, applications = data.get("events", {}), rules.get("applications", {})
    for key in applications:
        _check_port_key(key, where)
    return Policy(
        firewall=Firewall(
            instance_id=fw["instance_id"],
            route_targets=tuple(sorted(fw.get("route_targets", []))),
            url=fw.get("url"),
            ca_bundle=fw.get("ca_bundle"),
            location=Location.from_policy(fw.get("location")),
            admin=fw.get("admin"),
            timeout=float(fw.get("timeout", Firewall.timeout)),
            commit_timeout=float(fw.get("commit_timeout", Firewall.commit_timeout)),
        ),
        rules=Rules(
            bottom_rule=rules["bottom_rule"],
            from_zone=rules["from_zone"],
            to_zone=rules["to_zone"],
            profile_group=rules.get("profile_group"),
            log_setting=rules.get("log_setting"),
            tag=rules.get("tag", Rules.tag),
            layout=rules.get("layout", Rules.layout),
            membership=rules.get("membership", Rules.membership),
            internal_cidrs=_check_cidrs(rules.get("internal_cidrs", []), "rules.internal_cidrs", where),
            applications=tuple(sorted(applications.items())),
        ),
        aws=Aws(
            regions=tuple(aws["regions"]),
            accounts=tuple(
                Account(
                    id=a["id"],
                    role_arn=a.get("role_arn"),
                    external_id=a.get("external_id"),
                    regions=tuple(a["regions"]) if a.get("regions") else None,
                )
                for a in aws.get("accounts", [])
            ),
            max_workers=int(aws.get("max_workers", Aws.max_workers)),
        ),
        safety=Safety(
            max_delete_percent=float(
                data.get("safety", {}).get("max_delete_percent", Safety.max_delete_percent)
            )
        ),
        events=Events(
            mode=events.get("mode", Events.mode),
            work_dir=events.get("work_dir", Events.work_dir),
            api_key_secret=events.get("api_key_secret"),
            api_key_parameter=events.get("api_key_parameter"),
            pipeline=Pipeline(**events.get("pipeline", {})),
        ),
        source=where,
    )


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """Read and validate policy.yaml."""
    where = str(Path(path))
    return parse_policy(load_yaml_file(path, "policy file"), where)
