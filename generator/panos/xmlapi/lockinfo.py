"""Who holds a config lock, told so that an operator can act on it.

awspan's lock comment says which run took it: `awspan push pid 123 on ci-7 since 2026-12-01
10:02 UTC [3f2a9c1e]` (the nonce lets push find its own lock in `show config-locks`). When
push cannot take the lock it reads the holder back and says who: another admin, or an
awspan run. It says an awspan run is gone only when it knows: same host, and that pid no
longer exists. Otherwise "still running?": a live run's lock must never be called stale,
or someone would remove it under a push in progress.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import time
from dataclasses import dataclass

from lxml import etree

from generator.errors import shorten
from generator.location import Location
from generator.panos.xmlapi.client import PanosClient, PanosError

SHOW_CONFIG_LOCKS = "<show><config-locks><vsys>all</vsys></config-locks></show>"
"""Every config lock of the device. From PAN-OS 9.1 the command needs a `<vsys>` (without it the
device answers "vsys not provided": pango issue #88 and its fix, which sends `all`; the answer's
shape is in pan-os-upgrade-assurance issue #192). awspan needs 10.0+, so it always sends it."""

_COMMENT = re.compile(
    r"^awspan push pid (\d+) on (\S+) since (\d{4}-\d\d-\d\d \d\d:\d\d UTC) \[([0-9a-f]+)\]$")


def this_host() -> str:
    """The host name as it goes into a lock comment: short, and only characters PAN-OS keeps."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", socket.gethostname())[:48] or "unknown"


def lock_comment(*, pid: int | None = None, host: str | None = None, now: float | None = None) -> str:
    """The comment push puts on its config lock (unique per run, through the nonce)."""
    since = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(now))
    return (f"awspan push pid {os.getpid() if pid is None else pid} on {host or this_host()} "
            f"since {since} [{secrets.token_hex(4)}]")


@dataclass
class Holder:
    admin: str
    comment: str
    created: str

    @property
    def awspan(self) -> tuple[int, str, str] | None:
        """(pid, host, since) when an awspan run took this lock."""
        m = _COMMENT.match(self.comment)
        return (int(m.group(1)), m.group(2), m.group(3)) if m else None


def read_holders(root: etree._Element, scope: str | None) -> list[Holder]:
    """The entries of a `show config-locks` answer: those of `scope` (and shared), else all."""
    entries = [e for e in root.iter("entry") if e.get("name")]
    mine = [e for e in entries if (e.findtext("name") or "").strip() in (scope, "shared")]
    return [Holder(admin=e.get("name") or "?", comment=" ".join((e.findtext("comment") or "").split()),
                   created=" ".join((e.findtext("created") or "").split())) for e in (mine or entries)]


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def describe(holder: Holder) -> str:
    """`held by awspan pid 123 on host x since ... (still running?)`, or `held by admin jdoe ...`."""
    run = holder.awspan
    if run is None:
        parts = (f"held by admin {shorten(holder.admin, 63)}",
                 f"since {shorten(holder.created, 40)}" if holder.created else "",
                 f"(comment: {shorten(holder.comment, 80)})" if holder.comment else "")
        return " ".join(p for p in parts if p)
    pid, host, since = run
    text = f"held by awspan pid {pid} on host {host} since {since} (admin {shorten(holder.admin, 63)})"
    if host == this_host() and not pid_alive(pid):
        return text + (f": that run is gone (no pid {pid} on this host), so the lock is stale; "
                       "clear it as docs/push.md says")
    return text + " (still running? if not, clear the stale lock as docs/push.md says)"


def holder_text(client: PanosClient, location: Location) -> str | None:
    """Who holds the lock of the location, in words; None when `show config-locks` cannot be read."""
    try:
        root = client.op(SHOW_CONFIG_LOCKS, vsys=location.scope)
    except PanosError:
        return None
    return "; ".join(f"it is {describe(h)}" for h in read_holders(root, location.scope)[:3]) or None
