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

import time

from lxml import etree

from generator.panos.config.fragment import FragmentView
from generator.panos.push.verify import check_running
from generator.panos.xmlapi.client import Job, PanosClient, PanosError
from generator.panos.xmlapi.read_config import read_location

MAX_DESCRIPTION = 512
POLL_FIRST, POLL_MAX = 0.05, 2.0


class CommitOutcomeUnknown(PanosError):
    """The commit may have been taken or may yet succeed, and awspan cannot tell.

    The job was still running at the deadline, its state could not be read, or the commit
    request got no answer. Rolling the candidate back then could leave running and
    candidate apart (the commit lands, the candidate no longer holds it), so push leaves
    both alone; the next push finds awspan's pending changes and commits them.
    """


def wait_for_job(client: PanosClient, job_id: str, timeout: float) -> Job:
    """Poll `show jobs id N` until FIN, with a short growing pause; bounded by `timeout`."""
    deadline = time.monotonic() + timeout
    pause = POLL_FIRST
    failures = 0
    while True:
        try:
            job = client.job(job_id)
            failures = 0
        except PanosError as exc:
            failures += 1
            if failures >= 3 or time.monotonic() > deadline:
                raise CommitOutcomeUnknown(f"cannot read the state of commit job {job_id}: {exc}") from None
            job = None
        if job is not None and job.status == "FIN":
            return job
        if time.monotonic() + pause > deadline:
            raise CommitOutcomeUnknown(f"commit job {job_id} did not finish within {timeout:g} s "
                             f"(firewall.commit_timeout); see `show jobs id {job_id}` on the firewall")
        time.sleep(pause)
        pause = min(POLL_MAX, pause * 1.5)


def commit_cmd(admin: str, description: str) -> str:
    """`<commit><description>…</description><partial><admin><member>ADMIN</member>…`."""
    root = etree.Element("commit")
    etree.SubElement(root, "description").text = description[:MAX_DESCRIPTION]
    partial = etree.SubElement(root, "partial")
    etree.SubElement(etree.SubElement(partial, "admin"), "member").text = admin
    return etree.tostring(root, encoding="unicode")


def running_problems(client: PanosClient, fragment: FragmentView, bottom_rule: str) -> list[str]:
    """One request: what keeps running from holding the fragment (empty when it holds it)."""
    running = read_location(client, fragment.location, running=True)
    return check_running(running, fragment, bottom_rule)


def nothing_committed(admin: str, operations: int) -> str:
    return (f"PAN-OS answered \"There are no changes to commit\" to the partial commit of {admin!r} "
            f"after a batch of {operations} operations: the commit did not take awspan's changes "
            "(is firewall.admin the admin the API key belongs to? did another admin commit them?)")
