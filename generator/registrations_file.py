"""registrations.yaml, the IP -> tags map of membership `dynamic`: its format, written by generate
and read by plan and push.

generate (generator.generate.membership) writes it beside the fragment so that membership stays
reviewable in the pull request; plan shows what push would register and unregister
(generator.panos.plan.membership), push reconciles the firewall with it
(generator.panos.push.registrations). One module for both sides, so the writer and the reader
never disagree on a key.

The file is input like any other, and it reaches the firewall without a commit: whatever it
says is registered at once, into groups that may be open to the internet. So every reader
checks each entry (`entry_problem`: a single host address, tags PAN-OS accepts under awspan's
prefix), and plan, push and validate also check that it says exactly what generate derives
from state.yaml (`disagreements`, fed by generator.generate.membership.expected_registrations):
an IP no protected interface has, or a tag generate would not give it, is an error, never a
registration. generate runs the same entry check on what it writes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from generator.addresses import AddressError, canonical_address, canonical_cidr, sort_key
from generator.errors import AwspanError, quote
from generator.vocab import TAG_NAME
from generator.yamlio import dump_yaml, load_yaml_text, read_text

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
    ip: str  # an address, or an IPv4 network (a delegated prefix)
    instance: str | None  # None: the address is an interface's that is no instance's of the state
    name: str | None  # the instance's Name tag, or what owns the interface
    tags: tuple[str, ...]
    interface: str | None = None  # said when `instance` is None


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
                    if e.interface is None
                    else {"ip": e.ip, "instance": None, "interface": e.interface, "name": e.name,
                          "tags": list(e.tags)}
                    for e in self.entries
                ],
            }
        )


Tags = dict[str, frozenset[str]]

MAX_LISTED = 5
"""Disagreements named in one message; the rest are counted."""


MIN_PREFIX_BITS = 28
"""The widest network a registration may be: AWS delegates IPv4 prefixes to an interface as /28
("Assign prefixes to Amazon EC2 network interfaces", EC2 User Guide), the only networks awspan
registers (PAN-OS 10.0+ takes IPv4 subnets in a registration; IPv6 ones it does not)."""


def entry_problem(ip: object, tags: object, prefix: str) -> str | None:
    """What is wrong with one registration (None: nothing): the address must be one host, or one
    delegated IPv4 prefix (/28 or narrower), written as generate writes it — a whole network such
    as 192.168.0.0/16 would put every address in it behind the tag — and every tag a tag PAN-OS
    accepts (generator.vocab.TAG_NAME: at most 127 characters, no comma, no control character)
    under awspan's prefix. That a prefix is really an interface's is the state check's business
    (`disagreements`)."""
    if not isinstance(ip, str):
        return "ip must be a string"
    try:
        if "/" in ip:
            if ":" in ip or int(ip.rsplit("/", 1)[1]) < MIN_PREFIX_BITS:
                return (f"ip {quote(ip)} is a network wider than one delegated IPv4 prefix "
                        f"(/{MIN_PREFIX_BITS}): registrations are host addresses and delegated IPv4 prefixes")
            if canonical_cidr(ip) != ip:
                return f"ip {quote(ip)} is not in canonical form (write {canonical_cidr(ip)})"
        elif canonical_address(ip) != ip:
            return f"ip {quote(ip)} is not in canonical form (write {canonical_address(ip)})"
    except (AddressError, ValueError):
        return f"ip {quote(ip)} is not an IP address"
    if not isinstance(tags, (list, tuple, frozenset)) or not tags:
        return f"{ip}: tags must be a non-empty list"
    for tag in tags:
        problem = TAG_NAME.problem(tag)
        if problem is not None:
            return f"{ip}: tag {quote(tag, 60)}: {problem}"
        if not tag.startswith(prefix) or tag == prefix:
            return f"{ip}: tag {quote(tag, 60)} is not under {prefix!r}"
    return None


def registration_problems(registrations: Registrations) -> list[str]:
    """generate's self-check of what it is about to write: every entry as push will check it."""
    found = (entry_problem(e.ip, e.tags, registrations.prefix) for e in registrations.entries)
    return [p for p in found if p is not None]


def digest(text: str) -> str:
    """The file's SHA-256 (a saved plan binds it)."""
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Desired:
    """registrations.yaml as push reads it."""

    prefix: str
    tags: Tags  # ip -> awspan tags
    owners: dict[str, tuple[str, str | None]]  # ip -> (instance or interface id, Name or owner label)
    digest: str = ""  # the file's SHA-256 (digest())


def disagreements(desired: Desired, expected: Tags) -> list[str]:
    """How registrations.yaml differs from what generate derives from state.yaml (`expected`):
    one phrase per IP, in address order."""
    out = []
    for ip in sorted(set(desired.tags) | set(expected), key=sort_key):
        have, want = desired.tags.get(ip), expected.get(ip)
        if have == want:
            continue
        if want is None:
            out.append(f"{ip} is registered in the file, but no protected interface in the state has it")
        elif have is None:
            out.append(f"{ip} is missing (a protected interface in the state has it)")
        else:
            extra, missing = sorted(have - want), sorted(want - have)
            what = [f"{', '.join(map(quote, extra))} not derived for it" if extra else "",
                    f"{', '.join(map(quote, missing))} missing" if missing else ""]
            out.append(f"{ip}: tag {'; '.join(w for w in what if w)}")
    return out


def check_agrees(desired: Desired, expected: Tags, where: str, state: str) -> None:
    """Refuse registrations.yaml unless it says exactly what generate derives from `state`."""
    found = disagreements(desired, expected)
    if found:
        more = f"; and {len(found) - MAX_LISTED} more" if len(found) > MAX_LISTED else ""
        raise AwspanError(
            f"does not agree with {state}: {'; '.join(found[:MAX_LISTED])}{more} (registrations are "
            "exactly what generate derives from the state: re-run `awspan generate`, and do not edit "
            "the file by hand)", where=where)


def load_desired(path: str | Path, tag: str) -> Desired:
    """Read registrations.yaml (written by generate) and check it belongs to this policy's tag,
    and each entry (entry_problem)."""
    text = read_text(path, "registrations")
    data = load_yaml_text(text, str(path), fast=True)
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
            f"tag_prefix is {quote(data.get('tag_prefix'), 60)}, but rules.tag makes it {prefix!r} "
            "(re-run awspan generate)",
            where=where,
        )
    tags: Tags = {}
    owners: dict[str, tuple[str, str | None]] = {}
    for i, entry in enumerate(data["registrations"]):
        if not isinstance(entry, dict) or "ip" not in entry or "tags" not in entry:
            raise AwspanError(f"registrations[{i}]: needs ip and tags", where=where)
        problem = entry_problem(entry["ip"], entry["tags"], prefix)
        if problem is not None:
            raise AwspanError(f"registrations[{i}]: {problem}", where=where)
        if entry["ip"] in tags:
            raise AwspanError(f"registrations[{i}]: {entry['ip']} appears twice", where=where)
        tags[entry["ip"]] = frozenset(entry["tags"])
        owner = entry.get("instance") or entry.get("interface")
        if isinstance(owner, str) and owner:
            name = entry.get("name")
            owners[entry["ip"]] = (owner, name if isinstance(name, str) and name else None)
    return Desired(prefix, tags, owners, digest(text))
