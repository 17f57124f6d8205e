"""Panorama: after its own commit, push the device group to the firewalls (`commit-all`).

A Panorama commit changes Panorama's running config only; the firewalls enforce nothing new
until Panorama pushes the device group to them. With `firewall.push_to_devices: true` push runs

    <commit-all><shared-policy><device-group><entry name="DG"/></device-group>
      <description>…</description><merge-with-candidate-cfg>no</merge-with-candidate-cfg>
    </shared-policy></commit-all>

(`type=commit&action=all`, the shape pan-os-python's `Panorama.commit_all(devicegroup=…)`
builds), polls the job, and reads one result per device from `result/job/devices/entry`
(`serial-no`, `devicename`, `result`, `details`), as pan-os-python's `_parse_job_results`
does. Any device that does not end OK fails the push (exit 1, naming it); Panorama's own
commit stays (it succeeded), so the next push runs commit-all again.

`merge-with-candidate-cfg` is always `no`, said explicitly: with `yes` each firewall merges its
own uncommitted local changes (another admin's pending work on that firewall) into the commit
the push triggers, and an absent element means `yes` (pan-python `lib/pan/commit.py`: "default
when no <merge-with-candidate-cfg/> is 'yes'", while it and the web interface send `no`).
awspan never commits another admin's pending changes, on Panorama or on the firewalls behind
it. Description before the option, as pango orders `shared-policy` (`commit/panorama.go`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from lxml import etree

from generator.errors import AwspanError, shorten
from generator.panos.push.commit import MAX_DESCRIPTION, POLL_FIRST, POLL_MAX, CommitOutcomeUnknown
from generator.panos.xmlapi.client import PanosClient, PanosError
from generator.panos.xmlapi.fleet import Fleet, ManagedDevice


@dataclass
class DeviceResult:
    serial: str
    name: str
    result: str
    messages: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.result == "OK"

    def describe(self) -> str:
        """`SERIAL (name): RESULT: lines`, the device's strings escaped and cut."""
        text = shorten(self.serial, 40) + (f" ({shorten(self.name, 63)})"
                                           if self.name and self.name != self.serial else "")
        text += f": {shorten(self.result, 20)}"
        return text + (f": {shorten('; '.join(self.messages), 300)}" if self.messages else "")


@dataclass
class CommitAll:
    job: str
    result: str
    devices: list[DeviceResult]

    @property
    def failed(self) -> list[DeviceResult]:
        return [d for d in self.devices if not d.ok]


def commit_all_cmd(device_group: str, description: str) -> str:
    root = etree.Element("commit-all")
    policy = etree.SubElement(root, "shared-policy")
    etree.SubElement(etree.SubElement(policy, "device-group"), "entry", name=device_group)
    etree.SubElement(policy, "description").text = description[:MAX_DESCRIPTION]
    etree.SubElement(policy, "merge-with-candidate-cfg").text = "no"  # a firewall's own changes stay there
    return etree.tostring(root, encoding="unicode")


def _lines(node: etree._Element | None) -> list[str]:
    if node is None:
        return []
    lines = [" ".join("".join(n.itertext()).split()) for n in node.iter("line")]
    if not lines:
        lines = [" ".join("".join(node.itertext()).split())]
    return [line for line in lines if line]


def parse_devices(job: etree._Element) -> list[DeviceResult]:
    out = []
    for entry in job.iterfind("devices/entry"):
        out.append(DeviceResult(
            serial=(entry.findtext("serial-no") or entry.get("name") or "?").strip(),
            name=(entry.findtext("devicename") or "").strip(),
            result=(entry.findtext("result") or "").strip(),
            messages=_lines(entry.find("details")),
        ))
    return sorted(out, key=lambda d: d.serial)


def commit_all(client: PanosClient, device_group: str, description: str, timeout: float) -> CommitAll:
    """Start commit-all for the device group and wait until every device has a result."""
    # type=commit&action=all: the client has no public method for it (hostile-input owns client.py)
    root = client._post({"type": "commit", "action": "all", "cmd": commit_all_cmd(device_group, description)})
    job_id = (root.findtext("result/job") or "").strip()
    if not job_id:
        text = " ".join("".join(root.itertext()).split())
        raise AwspanError(f"Panorama answered commit-all for device group {device_group!r} without a job: "
                          f"{text or '(empty)'}")
    deadline = time.monotonic() + timeout
    pause = POLL_FIRST
    while True:
        try:
            answer = client.op(f"<show><jobs><id>{int(job_id)}</id></jobs></show>")
        except PanosError as exc:
            raise CommitOutcomeUnknown(f"cannot read commit-all job {job_id}: {exc}") from None
        job = answer.find("result/job")
        if job is None:
            raise CommitOutcomeUnknown(f"show jobs id {job_id}: no job in the answer")
        devices = parse_devices(job)
        done = (job.findtext("status") or "").strip() == "FIN"
        if done and all(d.result not in ("", "PEND") for d in devices):
            return CommitAll(job_id, (job.findtext("result") or "").strip(), devices)
        if time.monotonic() + pause > deadline:
            raise CommitOutcomeUnknown(f"commit-all job {job_id} did not finish within {timeout:g} s; see "
                                       f"`show jobs id {job_id}` on Panorama")
        time.sleep(pause)
        pause = min(POLL_MAX, pause * 1.5)


def failure_text(device_group: str, outcome: CommitAll,
                 expected: list[ManagedDevice] | None = None) -> str | None:
    """The error for a commit-all with a failing device (or no device at all), else None.

    `expected`: the group's firewalls as Panorama listed them before (xmlapi/fleet.py). One the job
    does not list was not pushed; one that is not connected is said so, whatever the job's words
    for it (how Panorama reports a disconnected firewall in the job is not published)."""
    if not outcome.devices and not expected:
        return (f"commit-all job {outcome.job} for device group {device_group!r} reported no device: "
                "the firewalls got nothing (are they assigned to the device group and connected?)")
    offline = {d.serial for d in expected or [] if not d.connected}
    listed = {d.serial for d in outcome.devices}
    names = [d.describe() + (" (not connected to Panorama)" if d.serial in offline else "")
             for d in outcome.failed]
    names += [f"{d.describe()}: not in the job, not pushed" + (" (not connected to Panorama)"
                                                               if not d.connected else "")
              for d in expected or [] if d.serial not in listed]
    if not names and outcome.result not in ("OK", ""):
        names = [f"job result {shorten(outcome.result, 20)}"]
    if names:
        return (f"Panorama committed, but pushing device group {device_group!r} to its firewalls failed on "
                f"{'; '.join(names)}")
    return None


@dataclass
class DevicePush:
    """What push's commit-all did: each firewall's result, notes, and the firewalls left behind."""

    devices: list[DeviceResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def push_groups(client: PanosClient, group: str, fleet: Fleet | None, *, committed: bool, description: str,
                timeout: float) -> DevicePush:
    """commit-all the device group and each descendant group that holds firewalls (a parent's push
    does not reach its children's: pan-os-ansible #400), the group first (xmlapi/fleet.py says
    which). Every firewall must end OK; one that does not, one the job does not list and one that is
    not connected are in `problems`. A group is not pushed when this push `committed` nothing on
    Panorama and Panorama reports none of its connected firewalls Out of Sync: a start or stop in
    membership dynamic then costs no commit anywhere. Without a fleet: the group alone, as before."""
    out = DevicePush()
    groups = fleet.groups_with_devices() if fleet is not None else [group]
    if fleet is not None and not groups:
        out.problems.append(f"device group {group!r} (and its descendants) has no firewall assigned: "
                            "commit-all would push to nothing")
        return out
    for name in groups:
        if fleet is not None and not committed and not fleet.out_of_sync(name):
            out.notes.append(f"device group {name}: nothing committed on Panorama and no firewall out of "
                             "sync: no commit-all (the firewalls' registrations need none)")
            out.problems += [f"firewall {d.describe()} of device group {name} is not connected to Panorama"
                             for d in fleet.disconnected if d.device_group == name]
            continue
        outcome = commit_all(client, name, description, timeout)
        out.devices += outcome.devices
        expected = [d for d in fleet.devices if d.device_group == name] if fleet is not None else None
        problem = failure_text(name, outcome, expected)
        if problem:
            out.problems.append(problem)
    return out
