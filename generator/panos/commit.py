"""The commit step of a push, made honest: its command, and what counts as success.

- `<description>` comes before `<partial>` in the command, as pango (terraform-provider-panos)
  builds it: PAN-OS parses the commit command as schema-ordered XML.
- "There are no changes to commit" is success only when push sent no batch. After a non-empty
  batch it means the commit did not take awspan's changes: the partial commit named another
  admin (the changes stay pending), or someone else already committed them. Either way this
  push did not commit what it pushed, and says so.
- A commit job that ends OK is not yet proof: push reads running and checks that it holds the
  fragment (verify.check_running); only then does it report success.
"""

from __future__ import annotations

from lxml import etree

from generator.panos.client import PanosClient
from generator.panos.device import read_location
from generator.panos.fragment import Fragment
from generator.panos.verify import check_running

MAX_DESCRIPTION = 512


def commit_cmd(admin: str, description: str) -> str:
    """`<commit><description>…</description><partial><admin><member>ADMIN</member>…`."""
    root = etree.Element("commit")
    etree.SubElement(root, "description").text = description[:MAX_DESCRIPTION]
    partial = etree.SubElement(root, "partial")
    etree.SubElement(etree.SubElement(partial, "admin"), "member").text = admin
    return etree.tostring(root, encoding="unicode")


def running_problems(client: PanosClient, fragment: Fragment, bottom_rule: str) -> list[str]:
    """One request: what keeps running from holding the fragment (empty when it holds it)."""
    running = read_location(client, fragment.location, running=True)
    return check_running(running, fragment, bottom_rule)


def nothing_committed(admin: str, operations: int) -> str:
    return (f"PAN-OS answered \"There are no changes to commit\" to the partial commit of {admin!r} "
            f"after a batch of {operations} operations: the commit did not take awspan's changes "
            "(is firewall.admin the admin the API key belongs to? did another admin commit them?)")
