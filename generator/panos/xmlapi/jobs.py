"""The jobs a device is running: `show jobs all`, read for commits still in progress.

PAN-OS queues commits (KB "PAN-OS 7.1 Commit workflow and queueing"; PAN-OS CLI Quick Start,
"Commit Configuration Changes": `show jobs all` lists the commits pending, in progress,
completed or failed). A job is `<job>` with `id`, `type` (`Commit`, `CommitAll`, …), `user`,
`status` (PEND while queued, ACT while running, FIN), `progress` and `tenq` (when it was
enqueued). What a running commit holds is not in running yet and still shows as pending
(plan/pending.py), so awspan asks for the jobs before it calls another admin's changes
uncommitted.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.panos.xmlapi.client import PanosClient

DONE = "FIN"


@dataclass(frozen=True)
class JobInfo:
    """One job as `show jobs all` lists it."""

    id: str
    type: str
    status: str
    user: str
    progress: str = ""
    enqueued: str = ""

    @property
    def name(self) -> str:
        """`commit job 7 of admin`."""
        return f"commit job {self.id} of {self.user or 'an unknown admin'}"

    def describe(self) -> str:
        """`commit job 7 of admin (ACT, 40 %, enqueued 2026/01/02 10:00:00)`."""
        facts = [self.status] + ([f"{self.progress} %"] if self.progress else []) + (
            [f"enqueued {self.enqueued}"] if self.enqueued else [])
        return f"{self.name} ({', '.join(facts)})"


def commits_in_progress(client: PanosClient) -> list[JobInfo]:
    """One request: the commit jobs (any `Commit…` type) not yet finished, oldest first."""
    root = client.op("<show><jobs><all></all></jobs></show>")
    out = []
    for node in root.iterfind("result/job"):
        info = JobInfo(*(" ".join((node.findtext(tag) or "").split())
                         for tag in ("id", "type", "status", "user", "progress", "tenq")))
        if info.id.isdigit() and info.type.lower().startswith("commit") and info.status != DONE:
            out.append(info)
    return sorted(out, key=lambda j: int(j.id))
