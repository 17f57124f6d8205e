"""Membership `dynamic`: reconcile the firewall's registered IP tags with registrations.yaml.

Registrations are runtime state of the firewall's User-ID subsystem, not configuration, so a
change needs no commit and takes effect within about a second (PAN-OS XML API guide, "Apply
User-ID Mapping and Populate Dynamic Groups (API)"). The reconciliation:

1. read the registered IPs (`show object registered-ip`, paged by `limit`/`start-point` as
   pan-os-python's `UserId.get_registered_ip` does on PAN-OS 8.0+) and keep only the tags
   awspan owns (`<rules.tag>.` prefix): another tool's tags are never read into the plan,
   never unregistered;
2. compute per IP the tags to register and to unregister;
3. send them as `uid-message` documents (`type=user-id`), as few as the 5 MB request limit
   allows (we keep each under MAX_MESSAGE_BYTES), unregisters first;
4. read back and check that awspan's tags are exactly the desired map.

PAN-OS answers an already registered tag, or the unregister of a missing one, with an error
ending in "already exists, ignore" / "does not exist, ignore unreg" (pan-os-python's
`ignore_dup_errors`): those mean the state already is what we asked, so they are not failures.

Registrations carry no timeout (the KB "max registered-ip for the platform reached": without
one the mapping stays until unregistered) and `persistent="1"`, the PAN-OS API guide's example,
so that they survive a reboot where PAN-OS keeps them. Where they are lost anyway (an HA
failover without User-ID sync, a factory reset), every scheduled run re-asserts the whole map
and plan reports the drift, so the firewall converges at the next run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from generator.errors import AwspanError
from generator.location import Location
from generator.panos.plan.membership import Delta, delta
from generator.panos.xmlapi.client import PanosClient, PanosError
from generator.registrations_file import Desired, Tags

log = logging.getLogger(__name__)

PAGE = 500
"""Entries per `show object registered-ip` page (pan-os-python's limit)."""

MAX_MESSAGE_BYTES = 4 * 1024 * 1024
"""A uid-message stays below the API's 5 MB request limit with room for the form encoding."""

BENIGN = ("already exists, ignore", "does not exist, ignore unreg")

def _vsys(location: Location) -> str:
    if location.is_panorama:
        raise AwspanError(
            "rules.membership dynamic needs a firewall location (vsys): on Panorama the "
            "registrations belong on each managed firewall (target=serial), which awspan "
            "does not do yet"
        )
    return str(location.vsys)


def read_registered(client: PanosClient, location: Location, prefix: str) -> Tags:
    """awspan's tags of every registered IP (other tags are dropped on reading)."""
    vsys = _vsys(location)
    found: dict[str, set[str]] = {}
    start = 1
    while True:
        cmd = (
            f"<show><object><registered-ip><limit>{PAGE}</limit><start-point>{start}</start-point>"
            "</registered-ip></object></show>"
        )
        root = client.op(cmd, vsys=vsys)
        entries = root.findall("result/entry")
        for entry in entries:
            ip = (entry.get("ip") or "").strip()
            ours = {
                t
                for t in ((m.text or "").strip() for m in entry.iterfind("tag/member"))
                if t.startswith(prefix)
            }
            if ip and ours:
                found.setdefault(ip, set()).update(ours)
        if len(entries) < PAGE:
            break
        start += len(entries)
    return {ip: frozenset(tags) for ip, tags in found.items()}


def _entries(tags: Tags, register: bool) -> list[str]:
    out = []
    for ip in sorted(tags):
        members = "".join(f"<member>{_text(t)}</member>" for t in sorted(tags[ip]))
        persistent = ' persistent="1"' if register else ""
        out.append(f"<entry ip={quoteattr(ip)}{persistent}><tag>{members}</tag></entry>")
    return out


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def uid_messages(d: Delta, limit: int = MAX_MESSAGE_BYTES) -> list[str]:
    """The delta as uid-message documents of at most `limit` bytes each, unregisters first."""
    head, tail = "<uid-message><version>2.0</version><type>update</type><payload>", "</payload></uid-message>"
    messages: list[str] = []
    parts: list[tuple[str, list[str]]] = []
    size = len(head) + len(tail)

    def flush() -> None:
        nonlocal parts, size
        if parts:
            body = "".join(f"<{kind}>{''.join(items)}</{kind}>" for kind, items in parts)
            messages.append(head + body + tail)
        parts, size = [], len(head) + len(tail)

    for kind, tags in (("unregister", d.unregister), ("register", d.register)):
        for entry in _entries(tags, kind == "register"):
            cost = len(entry.encode()) + (0 if parts and parts[-1][0] == kind else 2 * len(kind) + 5)
            if size + cost > limit and parts:
                flush()
                cost = len(entry.encode()) + 2 * len(kind) + 5
            if size + cost > limit:
                raise AwspanError(f"one registration is larger than {limit} bytes")
            if not parts or parts[-1][0] != kind:
                parts.append((kind, []))
            parts[-1][1].append(entry)
            size += cost
    flush()
    return messages


def send(client: PanosClient, location: Location, messages: list[str]) -> None:
    vsys = _vsys(location)
    for message in messages:
        try:
            client.user_id(message, vsys=vsys)
        except PanosError as exc:
            if exc.answered and exc.lines and all(line.endswith(BENIGN) for line in exc.lines):
                continue  # the state already is what we asked for
            raise


@dataclass
class Reconciled:
    registered: int  # tags sent in register entries
    unregistered: int
    messages: int
    after: Tags  # awspan's registrations as the firewall holds them now


def reconcile(
    client: PanosClient,
    location: Location,
    desired: Desired,
    *,
    current: Tags | None = None,
    phase: str = "all",
) -> Reconciled:
    """Make awspan's registered tags equal `desired.tags`.

    `phase` "unregister" sends only the removals (push runs it before a config change: less
    is always safe); "all" sends what is left and reads back to verify (push runs it after the
    commit, so that an address never joins a rule the commit is about to narrow). `current`
    skips the first read when the caller knows the state (the result of the previous phase).
    """
    have = read_registered(client, location, desired.prefix) if current is None else current
    d = delta(desired.tags, have)
    if phase == "unregister":
        d.register = {}
    messages = uid_messages(d)
    send(client, location, messages)
    reg, unreg = d.count()
    after = {}  # what the firewall holds now that the messages were taken
    for ip in set(have) | set(d.register):
        kept = have.get(ip, frozenset()) - d.unregister.get(ip, frozenset())
        tags = kept | d.register.get(ip, frozenset())
        if tags:
            after[ip] = tags
    if phase == "all" and messages:
        after = read_registered(client, location, desired.prefix)
        left = delta(desired.tags, after)
        if not left.empty:
            a, b = left.count()
            raise AwspanError(
                f"the firewall's registrations are not what awspan sent: {a} tag(s) still "
                f"missing and {b} still registered after reconciling"
            )
    log.debug(
        "registrations: %d tag(s) registered, %d unregistered in %d message(s)", reg, unreg, len(messages)
    )
    return Reconciled(reg, unreg, len(messages), after)
