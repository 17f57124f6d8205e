"""registrations.yaml, the IP -> tags map of membership `dynamic`: its format, written by generate
and read by plan and push.

generate (generator.generate.membership) writes it beside the fragment so that membership stays
reviewable in the pull request; plan shows what push would register and unregister
(generator.panos.plan.membership), push reconciles the firewall with it
(generator.panos.push.registrations). One module for both sides, so the writer and the reader
never disagree on a key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator.errors import AwspanError
from generator.yamlio import dump_yaml, load_yaml_file

REGISTRATIONS_FILE = "registrations.yaml"
MAX_TAG = 127
"""PAN-OS tag names: at most 127 characters (Objects > Tags; the User-ID API takes the same names)."""


def registrations_path(output: str | Path) -> Path:
    return Path(output).parent / REGISTRATIONS_FILE


def tag_prefix(tag: str) -> str:
    """Every registered tag awspan owns starts with this."""
    return f"{tag}."


def member_tag(tag: str, subject: str) -> str:
    """`awspan.sg-0abc`: rules.tag and the DAG's name are PAN-OS names (at most 63 characters
    each), so the tag is at most 63 + 1 + 63 = MAX_TAG characters."""
    return f"{tag_prefix(tag)}{subject}"


@dataclass(frozen=True)
class Registration:
    ip: str
    instance: str
    name: str | None
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Registrations:
    """The IP -> tags map push makes the firewall hold (only tags under `prefix`)."""

    prefix: str
    entries: tuple[Registration, ...] = ()

    def as_map(self) -> dict[str, frozenset[str]]:
        return {e.ip: frozenset(e.tags) for e in self.entries}

    def to_yaml(self) -> str:
        return dump_yaml(
            {
                "version": 1,
                "tag_prefix": self.prefix,
                "registrations": [
                    {"ip": e.ip, "instance": e.instance, "name": e.name, "tags": list(e.tags)}
                    for e in self.entries
                ],
            }
        )


Tags = dict[str, frozenset[str]]


@dataclass(frozen=True)
class Desired:
    """registrations.yaml as push reads it."""

    prefix: str
    tags: Tags  # ip -> awspan tags
    owners: dict[str, tuple[str, str | None]]  # ip -> (instance id, Name tag): who the file says holds it


def load_desired(path: str | Path, tag: str) -> Desired:
    """Read registrations.yaml (written by generate) and check it belongs to this policy's tag."""
    data = load_yaml_file(path, "registrations", fast=True)
    where = str(path)
    if (
        not isinstance(data, dict)
        or data.get("version") != 1
        or not isinstance(data.get("registrations"), list)
    ):
        raise AwspanError("not a registrations file of version 1 (re-run awspan generate)", where=where)
    prefix = f"{tag}."
    if data.get("tag_prefix") != prefix:
        raise AwspanError(
            f"tag_prefix is {data.get('tag_prefix')!r}, but rules.tag makes it {prefix!r} "
            "(re-run awspan generate)",
            where=where,
        )
    tags: Tags = {}
    owners: dict[str, tuple[str, str | None]] = {}
    for i, entry in enumerate(data["registrations"]):
        ok = (
            isinstance(entry, dict)
            and isinstance(entry.get("ip"), str)
            and isinstance(entry.get("tags"), list)
        )
        if not ok or not all(isinstance(t, str) and t.startswith(prefix) for t in entry["tags"]):
            raise AwspanError(
                f"registrations[{i}]: needs ip and tags, every tag under {prefix!r}", where=where
            )
        if entry["ip"] in tags:
            raise AwspanError(f"registrations[{i}]: {entry['ip']} appears twice", where=where)
        tags[entry["ip"]] = frozenset(entry["tags"])
        if isinstance(entry.get("instance"), str) and entry["instance"]:
            name = entry.get("name")
            owners[entry["ip"]] = (entry["instance"], name if isinstance(name, str) and name else None)
    return Desired(prefix, tags, owners)
