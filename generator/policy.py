"""policy.yaml: read, validate against schemas/policy.schema.json, fill defaults.

Every consumer (collect, generate, plan, push, events) gets the same frozen Policy, so a
default lives in exactly one place: the dataclass fields below, which mirror the schema's
`default`s (parse_policy reads them from there rather than repeating the literals).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.addresses import AddressError, canonical_cidr
from generator.errors import AwspanError
from generator.location import Location
from generator.safety import Safety  # the one safety object: thresholds and the checks
from generator.validate import Problem, problems_error, schema_problems, sort_problems
from generator.yamlio import load_yaml_file


@dataclass(frozen=True)
class Firewall:
    """firewall: as policy.yaml says it. PANOS_URL / PANOS_HOSTNAME / PANOS_CA_BUNDLE win over
    url and ca_bundle where Credentials are built (pipeline.Credentials.from_env, through
    generator.panos.xmlapi.env): the policy model never reads the environment."""

    instance_id: str
    route_targets: tuple[str, ...] = ()
    url: str | tuple[str, ...] | None = None  # an HA pair: both peers
    ca_bundle: str | None = None
    location: Location = field(default_factory=Location)
    admin: str | None = None
    timeout: float = 60.0
    commit_timeout: float = 900.0
    max_answer_mb: float = 512.0  # cap on one firewall answer, on the wire and decompressed
    push_to_devices: bool = False  # Panorama: commit-all to the device group after the commit


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
    trail_buckets: tuple[str, ...] = ()  # the only buckets whose log files are read (S3/SNS/SQS feeds)


@dataclass(frozen=True)
class Policy:
    firewall: Firewall
    rules: Rules
    aws: Aws
    safety: Safety = field(default_factory=Safety)
    events: Events = field(default_factory=Events)
    source: str = "policy.yaml"


def _cidr_problems(values: Any, path: tuple[str, ...]) -> list[Problem]:
    out: list[Problem] = []
    for i, value in enumerate(values if isinstance(values, list) else []):
        if not isinstance(value, str):
            continue  # the schema says so
        try:
            canonical_cidr(value)
        except AddressError as exc:
            out.append(((*path, i), str(exc)))
    return out


def _canonical_cidrs(values: list[str]) -> tuple[str, ...]:
    return tuple(canonical_cidr(value) for value in values)


_PORT_KEY = re.compile(r"^(tcp|udp)/([0-9]{1,5})(?:-([0-9]{1,5}))?$")


def _port_key_problems(applications: Any) -> list[Problem]:
    out: list[Problem] = []
    for key in applications if isinstance(applications, dict) else {}:
        if isinstance(key, int) and not isinstance(key, bool):  # `22: ssh`: the port without its protocol
            out.append((("rules", "applications", str(key)), f"the key is a number, not a string: a key is "
                        f"\"tcp/PORT\" or \"udp/PORT\", e.g. \"tcp/{key}\""))
            continue
        match = _PORT_KEY.match(str(key))
        if match is None:
            continue  # the schema's propertyNames says so
        lo, hi = int(match.group(2)), int(match.group(3) or match.group(2))
        if not (0 <= lo <= hi <= 65535):
            out.append((("rules", "applications", key), "ports must be 0-65535 with from <= to"))
    return out


def _check(data: Any, where: str) -> None:
    """Every problem of the file at once: the schema's, and the values' it cannot express."""
    problems = schema_problems(data, "policy.schema.json")
    rules = data.get("rules") if isinstance(data, dict) else None
    if isinstance(rules, dict):
        more = _port_key_problems(rules.get("applications")) + _cidr_problems(
            rules.get("internal_cidrs"), ("rules", "internal_cidrs"))
        specific = {path for path, _ in more}  # "not a valid CIDR block" says more than a pattern
        problems = sort_problems([p for p in problems if p[0] not in specific] + more)
    error = problems_error(problems, where)
    if error is not None:
        raise error


def _push_to_devices(fw: dict[str, Any], where: str) -> bool:
    value = bool(fw.get("push_to_devices", Firewall.push_to_devices))
    if value and "device_group" not in (fw.get("location") or {}):
        raise AwspanError("firewall.push_to_devices: only for Panorama (a location with device_group); a "
                          "firewall's own commit already reaches its dataplane", where=where)
    return value


def parse_policy(data: Any, where: str = "policy.yaml") -> Policy:
    """Validate plain data (from YAML) and build the Policy; errors name `where` and the key path."""
    if data is None:
        raise AwspanError("the file is empty", where=where)
    _check(data, where)
    fw, rules, aws = data["firewall"], data["rules"], data["aws"]
    events, applications = data.get("events", {}), rules.get("applications", {})
    return Policy(
        firewall=Firewall(
            instance_id=fw["instance_id"],
            route_targets=tuple(sorted(fw.get("route_targets", []))),
            url=tuple(fw["url"]) if isinstance(fw.get("url"), list) else fw.get("url"),
            ca_bundle=fw.get("ca_bundle"),
            location=Location.from_policy(fw.get("location")),
            admin=fw.get("admin"),
            timeout=float(fw.get("timeout", Firewall.timeout)),
            commit_timeout=float(fw.get("commit_timeout", Firewall.commit_timeout)),
            max_answer_mb=float(fw.get("max_answer_mb", Firewall.max_answer_mb)),
            push_to_devices=_push_to_devices(fw, where),
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
            internal_cidrs=_canonical_cidrs(rules.get("internal_cidrs", [])),
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
            ),
            min_existing=int(data.get("safety", {}).get("min_existing", Safety.min_existing)),
        ),
        events=Events(
            mode=events.get("mode", Events.mode),
            work_dir=events.get("work_dir", Events.work_dir),
            api_key_secret=events.get("api_key_secret"),
            api_key_parameter=events.get("api_key_parameter"),
            pipeline=Pipeline(**events.get("pipeline", {})),
            trail_buckets=tuple(events.get("trail_buckets", ())),
        ),
        source=where,
    )


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """Read and validate policy.yaml."""
    where = str(Path(path))
    return parse_policy(load_yaml_file(path, "policy file"), where)
