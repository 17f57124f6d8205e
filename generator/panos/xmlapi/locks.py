"""The config lock around a push: take it, take it again for a rollback, release it, and
tell which admin the API key belongs to (the admin a partial commit names).

A lock held by someone else stops the push before any change (lockinfo.py names the
holder); releasing retries, and an answer that means the lock is no longer ours counts as
released (PAN-OS may release it on commit).
"""

from __future__ import annotations

import logging
import time

from lxml import etree

from generator.errors import AwspanError, shorten
from generator.location import Location
from generator.panos.xmlapi.client import PanosClient, PanosError
from generator.panos.xmlapi.lockinfo import SHOW_CONFIG_LOCKS, holder_text

log = logging.getLogger(__name__)

UNLOCK_ATTEMPTS = 3
RELEASED = ("not currently locked", "not locked", "no config lock", "is not held",
            "only that admin can release")
"""Answers to `config-lock remove` that mean awspan no longer holds the lock."""


class PushFailed(AwspanError):
    """Push stopped after it had started to change the firewall; the message says what was put back."""


def _lock_cmd(action: str, comment: str | None = None) -> str:
    root = etree.Element("request")
    node = etree.SubElement(etree.SubElement(root, "config-lock"), action)
    if comment:
        etree.SubElement(node, "comment").text = comment
    return etree.tostring(root, encoding="unicode")


def take_lock(client: PanosClient, location: Location, comment: str) -> None:
    try:
        client.op(_lock_cmd("add", comment), vsys=location.scope)
    except PanosError as exc:
        detail = shorten("; ".join(exc.lines) or str(exc), 300)
        holder = holder_text(client, location) if exc.answered else None
        raise PanosError(f"cannot take the config lock for {location.describe()}: "
                         f"{detail}{'; ' + holder if holder else ''}; nothing was changed",
                         code=exc.code, lines=exc.lines, answered=exc.answered) from None


def retake_lock(client: PanosClient, location: Location, comment: str) -> None:
    """Take the config lock again before a rollback that follows a commit (PAN-OS may release it
    on commit); "you already own" means it survived the commit, which is fine too."""
    try:
        client.op(_lock_cmd("add", comment), vsys=location.scope)
    except PanosError as exc:
        if "already own" not in " ".join(exc.lines).lower() + str(exc).lower():
            raise PushFailed(f"the commit failed, and the config lock could not be taken again for the "
                             f"rollback ({exc}): the candidate keeps awspan's changes; revert them on the "
                             "firewall (`revert config`)") from None


def release_lock(client: PanosClient, location: Location) -> str | None:
    """Release the config lock, retrying a failed attempt; return an error text if it stays held."""
    last = ""
    for attempt in range(UNLOCK_ATTEMPTS):
        try:
            client.op(_lock_cmd("remove"), vsys=location.scope)
            return None
        except PanosError as exc:
            text = " ".join(exc.lines).lower()
            if exc.answered and any(p in text for p in RELEASED):
                return None  # PAN-OS released it already (on commit), or another admin holds it now
            last = str(exc)
            log.warning("releasing the config lock failed (attempt %d of %d): %s",
                        attempt + 1, UNLOCK_ATTEMPTS, exc)
            time.sleep(0.2 * (attempt + 1))
    return last


def lock_owner(client: PanosClient, location: Location, comment: str) -> str | None:
    """Who holds the lock carrying our comment: the admin the API key belongs to."""
    root = client.op(SHOW_CONFIG_LOCKS, vsys=location.scope)
    for entry in root.iter("entry"):  # <entry name="ADMIN"><type/><name>SCOPE</name>...<comment/>
        if (entry.findtext("comment") or "").strip() == comment and entry.get("name"):
            return entry.get("name")
    return None


def key_admin(client: PanosClient, location: Location, comment: str, configured: str | None) -> str:
    """The admin whose changes push commits: the owner of the API key, checked against policy.

    A partial commit names an admin, and PAN-OS commits that admin's pending changes. If
    firewall.admin named someone other than the key's owner, push would commit *their*
    work and leave its own uncommitted, so a mismatch stops the push before any change. A bare
    API key's owner is read from the lock push just took (`show config-locks`); when that cannot
    be read, push stops too, rather than trust firewall.admin unchecked.
    """
    owner = client.key_owner
    if owner is None:
        try:
            owner = lock_owner(client, location, comment)
        except PanosError as exc:
            raise AwspanError(f"cannot tell which admin the API key belongs to: `show config-locks` failed "
                              f"({exc}); nothing was changed") from None
    if configured and owner and configured != owner:
        raise AwspanError(f"firewall.admin is {configured!r} but the API key belongs to {owner!r}: a partial "
                          f"commit of {configured!r} would commit that admin's changes, not awspan's; "
                          "fix firewall.admin (or PANOS_USERNAME); nothing was changed")
    admin = configured or owner
    if not admin:
        raise AwspanError("cannot tell which admin the API key belongs to (needed for a partial commit of "
                          "awspan's changes only); set firewall.admin in policy.yaml or PANOS_USERNAME")
    return admin
