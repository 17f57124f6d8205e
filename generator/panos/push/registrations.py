"""Membership `dynamic`: reconcile the firewall's registered IP tags with registrations.yaml.

Registrations are runtime state of the firewall's User-ID subsystem, not configuration, so a
change needs no commit and takes effect within about a second (PAN-OS XML API guide, "Apply
User-ID Mapping and Populate Dynamic Groups (API)"). The reconciliation:

1. read the registered IPs (`show object registered-ip`, paged by `limit`/`start-point` as
   pan-os-python's `UserId.get_registered_ip` does on PAN-OS 8.0+) and keep only the tags
   awspan owns (`<rules.tag>.` prefix): another tool's tags are never read into the plan,
   never unregistered. Addresses are read in one spelling (an IPv6 address may come back
   written otherwise than awspan sent it). A device that ignores `start-point` (or repeats a
   page) would make the paging loop forever: a page that brings no address not seen before
   ends the read with an error naming what the device answered;
2. compute per IP the tags to register and to unregister;
3. send them as `uid-message` documents (`type=user-id`), as few as the 5 MB request limit
   allows, measured as the request goes on the wire (form-encoded: `<` is three bytes), with
   the margin of wire.py; unregisters first;
4. read back after any message was sent, and check that awspan's tags are exactly the desired
   map (a device that took a message and ignored it is an error naming the IPs).

Inside push these steps are part of the config transaction (MembershipPush, run by apply.py
under the config lock): nothing is sent before the saved plan and every guard have passed.

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
from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr

from generator.addresses import AddressError, canonical_address, canonical_cidr
from generator.errors import AwspanError, quote, shorten
from generator.location import Location
from generator.panos.plan.membership import Delta, delta, registration_guards
from generator.panos.xmlapi.client import PanosClient, PanosError
from generator.panos.xmlapi.wire import REQUEST_BUDGET, encoded_size, form_size
from generator.registrations_file import Desired, Tags
from generator.safety import Guarded, Safety

log = logging.getLogger(__name__)

PAGE = 500
"""Entries per `show object registered-ip` page (pan-os-python's limit)."""

BENIGN = ("already exists, ignore", "does not exist, ignore unreg")


def _vsys(location: Location) -> str:
    if location.is_panorama:  # Panorama's own table is not what its firewalls enforce: push/fleet.py
        raise AwspanError(
            "on Panorama the registrations belong on each managed firewall (target=serial): "
            "push/fleet.py reconciles them device by device"
        )
    return str(location.vsys)


@dataclass(frozen=True)
class Target:
    """Where registrations go: a firewall's vsys, or (`serial`) a firewall Panorama manages,
    reached through Panorama with `target=SERIAL`."""

    vsys: str
    serial: str | None = None

    @classmethod
    def of(cls, where: Location | Target) -> Target:
        return where if isinstance(where, Target) else cls(_vsys(where))


def _one_spelling(ip: str) -> str:
    """The address as awspan writes it (registrations.yaml), whatever spelling the device chose;
    a registered network (a delegated IPv4 prefix, PAN-OS 10.0+) as its CIDR."""
    try:
        return canonical_cidr(ip) if "/" in ip else canonical_address(ip)
    except AddressError:
        raise AwspanError(f"`show object registered-ip` answered {quote(ip)}, which is not an IP "
                          "address or network") from None


def read_registered(client: PanosClient, location: Location | Target, prefix: str) -> Tags:
    """awspan's tags of every registered IP (other tags are dropped on reading).

    Paged as pan-os-python pages it: a full page asks for the next. Every full page must bring
    an address not seen before; otherwise the device is not paging (it ignores `start-point`, or
    repeats itself) and the read stops with an error instead of asking forever.
    """
    where = Target.of(location)
    found: dict[str, set[str]] = {}
    seen: set[str] = set()
    start = 1
    while True:
        cmd = (
            f"<show><object><registered-ip><limit>{PAGE}</limit><start-point>{start}</start-point>"
            "</registered-ip></object></show>"
        )
        root = client.op(cmd, vsys=where.vsys, target=where.serial)
        entries = root.findall("result/entry")
        new = 0
        for entry in entries:
            ip = _one_spelling((entry.get("ip") or "").strip())
            if ip not in seen:
                seen.add(ip)
                new += 1
            ours = {
                t
                for t in ((m.text or "").strip() for m in entry.iterfind("tag/member"))
                if t.startswith(prefix)
            }
            if ours:
                found.setdefault(ip, set()).update(ours)
        if len(entries) < PAGE:
            break
        if not new:
            first, last = entries[0].get("ip"), entries[-1].get("ip")
            raise AwspanError(
                f"`show object registered-ip` does not page: asked for start-point {start}, the device "
                f"answered {len(entries)} entries ({quote(first)} .. {quote(last)}) all seen before, after "
                f"{len(seen)} distinct addresses; awspan stopped reading (a device that ignores "
                "start-point would be asked forever); nothing was changed"
            )
        start += len(entries)
    return {ip: frozenset(tags) for ip, tags in found.items()}


def read_registered_ip(client: PanosClient, location: Location, prefix: str, ip: str) -> frozenset[str]:
    """awspan's tags on one address (`show object registered-ip ip X`, the API's per-address
    filter): the event reaction's read-back of the few addresses it changed (events.fastpath)."""
    root = client.op(f"<show><object><registered-ip><ip>{_text(ip)}</ip></registered-ip></object></show>",
                     vsys=_vsys(location))
    found = {t for entry in root.findall("result/entry")
             if _one_spelling((entry.get("ip") or "").strip()) == ip
             for t in ((m.text or "").strip() for m in entry.iterfind("tag/member")) if t.startswith(prefix)}
    return frozenset(found)


def _entries(tags: Tags, register: bool) -> list[str]:
    out = []
    for ip in sorted(tags):
        members = "".join(f"<member>{_text(t)}</member>" for t in sorted(tags[ip]))
        persistent = ' persistent="1"' if register else ""
        out.append(f"<entry ip={quoteattr(ip)}{persistent}><tag>{members}</tag></entry>")
    return out


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def uid_messages(d: Delta, budget: int = REQUEST_BUDGET, vsys: str = "vsys1", target: str | None = None
                 ) -> list[str]:
    """The delta as uid-message documents, unregisters first, each sent in a request of at most
    `budget` bytes on the wire (`type=user-id&cmd=...&vsys=...[&target=...]`, form-encoded)."""
    head, tail = "<uid-message><version>2.0</version><type>update</type><payload>", "</payload></uid-message>"
    frame = form_size({"type": "user-id", "cmd": head + tail, "vsys": vsys,
                       **({"target": target} if target else {})})
    messages: list[str] = []
    parts: list[tuple[str, list[str]]] = []
    size = frame

    def wrapper(kind: str) -> int:  # <kind></kind>, encoded
        return encoded_size(f"<{kind}></{kind}>")

    def flush() -> None:
        nonlocal parts, size
        if parts:
            body = "".join(f"<{kind}>{''.join(items)}</{kind}>" for kind, items in parts)
            messages.append(head + body + tail)
        parts, size = [], frame

    for kind, tags in (("unregister", d.unregister), ("register", d.register)):
        for entry in _entries(tags, kind == "register"):
            weight = encoded_size(entry)
            cost = weight + (0 if parts and parts[-1][0] == kind else wrapper(kind))
            if size + cost > budget and parts:
                flush()
                cost = weight + wrapper(kind)
            if size + cost > budget:
                raise AwspanError(f"one registration is {size + cost:,} bytes on the wire, over {budget:,}")
            if not parts or parts[-1][0] != kind:
                parts.append((kind, []))
            parts[-1][1].append(entry)
            size += cost
    flush()
    return messages


def send(client: PanosClient, location: Location | Target, messages: list[str]) -> None:
    where = Target.of(location)
    for message in messages:
        try:
            client.user_id(message, vsys=where.vsys, target=where.serial)
        except PanosError as exc:
            if exc.answered and exc.lines and all(line.endswith(BENIGN) for line in exc.lines):
                continue  # the state already is what we asked for
            raise


MAX_NAMED = 5
"""IPs named in a read-back failure; the rest are counted."""


def _unapplied(desired: Tags, after: Tags) -> str:
    """The IPs whose awspan tags the firewall does not hold as sent: `10.0.0.5 still holds 'x'`."""
    left = delta(desired, after)
    phrases = [f"{shorten(ip, 60)} lacks {', '.join(map(quote, sorted(t)))}"
               for ip, t in left.register.items()]
    phrases += [f"{shorten(ip, 60)} still holds {', '.join(map(quote, sorted(t)))}"
                for ip, t in left.unregister.items()]
    more = f"; and {len(phrases) - MAX_NAMED} more" if len(phrases) > MAX_NAMED else ""
    return "; ".join(phrases[:MAX_NAMED]) + more


@dataclass
class Reconciled:
    registered: int  # tags sent in register entries
    unregistered: int
    messages: int
    after: Tags  # awspan's registrations as the firewall holds them now


@dataclass
class MembershipPush:
    """Membership dynamic as part of push's transaction (apply.py), under the config lock:

    1. `read` the registered tags (after the lock is taken: what another push changed before is
       seen, and no other awspan push changes them until the lock is released);
    2. the caller checks the saved plan and every guard against that read;
    3. `unregister` what must go (before the config batch: less is always safe);
    4. the config batch and commit, or nothing when only membership changed (no commit);
    5. `register` what is missing, then `read_back`: a device that took the messages and did not
       apply them is an error naming the IPs;
    6. when the push fails with running unchanged, `restore` registers again what step 3 took
       away, so that a failed push leaves the registrations as it found them.
    """

    client: PanosClient
    location: Location
    desired: Desired
    current: Tags = field(default_factory=dict)
    taken: Tags = field(default_factory=dict)  # what `unregister` asked the firewall to remove
    registered: int = 0
    unregistered: int = 0
    messages: int = 0
    after: Tags | None = None

    def read(self) -> Tags:
        self.current = read_registered(self.client, self.location, self.desired.prefix)
        return self.current

    @property
    def delta(self) -> Delta:
        return delta(self.desired.tags, self.current)

    def _send(self, d: Delta) -> None:
        messages = uid_messages(d, vsys=_vsys(self.location))
        send(self.client, self.location, messages)
        self.messages += len(messages)

    def unregister(self) -> None:
        d = self.delta
        if not d.unregister:
            return
        self.taken = d.unregister  # before sending: a message that fails half-way is restored too
        self._send(Delta(unregister=d.unregister))
        self.unregistered = d.count()[1]

    def register(self) -> None:
        d = self.delta
        if d.register:
            self._send(Delta(register=d.register))
            self.registered = d.count()[0]
        self.read_back()

    def read_back(self) -> None:
        """After any message: read the registrations again; what the firewall holds must be `desired`."""
        if not self.messages:
            self.after = self.current
            return
        self.after = read_registered(self.client, self.location, self.desired.prefix)
        if self.after != self.desired.tags:
            raise AwspanError(
                "the firewall accepted the User-ID messages but its registrations are not what awspan "
                f"sent: {_unapplied(self.desired.tags, self.after)} (check the User-ID service and the "
                "platform's registered-IP limit; the next push sends them again)")

    def restore(self) -> str:
        """Register again what `unregister` took away (the push failed, running is unchanged)."""
        if not self.taken:
            return ""
        try:
            self._send(Delta(register=self.taken))
        except (PanosError, AwspanError) as exc:
            return (f"and the {sum(map(len, self.taken.values()))} registration(s) it had removed could not "
                    f"be put back ({exc}): the next push restores them")
        n = sum(map(len, self.taken.values()))
        self.taken = {}
        return f"the {n} registration(s) it had removed were put back"

    def binding(self) -> tuple[Tags, Tags]:
        """(desired, held): what a saved plan binds of the registrations (plan/binding.py)."""
        return self.desired.tags, self.current

    def guards(self, safety: Safety) -> list[Guarded]:
        """The guard on mass unregistration (safety.py), against what `read` found."""
        return registration_guards(safety, self.desired, self.current)

    def problems(self) -> list[str]:
        """Firewalls left behind while the rest went through: none here (a firewall's failure is an
        error); fleet_registrations.py has Panorama's."""
        return []

    def note(self) -> str:
        held = len(self.after if self.after is not None else self.current)
        return (f"registrations: {self.registered} tag(s) registered, {self.unregistered} unregistered "
                f"({self.messages} User-ID message(s), no commit); {held} address(es) hold awspan tags")


def reconcile(client: PanosClient, location: Location, desired: Desired) -> Reconciled:
    """Make awspan's registered tags equal `desired.tags` in one go, read back (bench/membership.py:
    registrations from scratch; push runs the steps of MembershipPush inside its transaction)."""
    step = MembershipPush(client, location, desired)
    step.read()
    step.unregister()
    step.register()
    log.debug("registrations: %d tag(s) registered, %d unregistered in %d message(s)",
              step.registered, step.unregistered, step.messages)
    return Reconciled(step.registered, step.unregistered, step.messages, step.after or {})
