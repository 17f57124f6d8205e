"""Commit jobs: what `type=commit` enqueues and `show jobs id N` reports.

The new running config is decided when the commit is enqueued (PAN-OS snapshots the
candidate then) and lands when the job's time (`commit_seconds`) is up (Landing), while the
job's *status* walks ACT -> FIN over `job_steps` polls and that time, so that clients
exercise their polling loop.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lxml import etree

if TYPE_CHECKING:
    from emulator.fleet import DeviceOutcome


@dataclass
class Landing:
    """What a successful commit job makes running, applied when the job's time is up.

    Until then the committed changes are still pending: candidate entries keep their admin
    stamps, `check pending-changes` says yes, running (`show`) is the old config. PAN-OS keeps
    uncommitted changes "until a commit executes successfully" (PAN-OS 10.1 new features,
    "Persistent Uncommitted Changes"), and a job in progress is visible in `show jobs all`
    (PAN-OS CLI Quick Start, "Commit Configuration Changes"; KB "PAN-OS 7.1 Commit workflow
    and queueing": commits queue, `show jobs` lists them).
    """

    ready_at: float  # time.monotonic() when the job's changes land
    running: Any  # lxml element: the running config once the job lands
    ops: list[Any]  # the journal's ConfigOps this job commits
    committer: str


@dataclass
class Job:
    id: int
    user: str
    description: str
    ok: bool
    details: list[str]
    polls_left: int
    enqueued: str
    type: str = "Commit"
    warnings: list[str] = field(default_factory=list)
    finished: str = ""
    devices: list[DeviceOutcome] = field(default_factory=list)  # commit-all: one per firewall (fleet.py)
    merge_with_candidate: bool = False  # commit-all: the firewalls' own uncommitted changes go along
    ready_at: float = 0.0  # time.monotonic() before which the job stays ACT (--commit-seconds)

    def poll(self, now: str) -> None:
        """One `show jobs` request: the job advances one step towards FIN."""
        if self.polls_left > 0:
            self.polls_left -= 1
        if self.status == "FIN" and not self.finished:
            self.finished = now

    @property
    def status(self) -> str:
        return "FIN" if self.polls_left == 0 and time.monotonic() >= self.ready_at else "ACT"

    def to_xml(self, total_steps: int) -> etree._Element:
        job = etree.Element("job")
        progress = (
            100 if self.status == "FIN" else int(100 * (total_steps - self.polls_left) / (total_steps + 1))
        )
        fields = [
            ("tenq", self.enqueued),
            ("tdeq", self.enqueued),
            ("id", str(self.id)),
            ("user", self.user),
            ("type", self.type),
            ("status", self.status),
            ("queued", "NO"),
            ("stoppable", "no"),
            ("result", ("OK" if self.ok else "FAIL") if self.status == "FIN" else "PEND"),
            ("tfin", self.finished or ""),
            ("description", self.description),
            ("positionInQ", "0"),
            ("progress", str(progress)),
        ]
        for tag, text in fields:
            etree.SubElement(job, tag).text = text
        details = etree.SubElement(job, "details")
        if self.status == "FIN":
            for line in self.details:
                etree.SubElement(details, "line").text = line
        warnings = etree.SubElement(job, "warnings")
        for line in self.warnings:
            etree.SubElement(warnings, "line").text = line
        if self.devices:
            job.append(self._devices_xml())
        return job

    def _devices_xml(self) -> etree._Element:
        """commit-all: one entry per device, PEND until the job ends, in the fields pan-os-python's
        `_parse_job_results` reads (serial-no, devicename, result, tstart, tfin, details/msg/errors
        and warnings)."""
        done = self.status == "FIN"
        devices = etree.Element("devices")
        for device in self.devices:
            entry = etree.SubElement(devices, "entry")
            result = ("OK" if device.ok else "FAIL") if done else "PEND"
            for tag, text in (("serial-no", device.serial), ("devicename", device.name), ("vsys", "vsys1"),
                              ("status", self.status), ("result", result), ("tstart", self.enqueued),
                              ("tfin", self.finished if done else ""), ("progress", "100" if done else "0")):
                etree.SubElement(entry, tag).text = text
            msg = etree.SubElement(etree.SubElement(entry, "details"), "msg")
            errors = etree.SubElement(msg, "errors")
            etree.SubElement(msg, "warnings")
            if done and not device.ok:
                for line in device.errors:
                    etree.SubElement(errors, "line").text = line
        return devices
