"""`type=op` commands: locks, pending changes, jobs, revert and security-policy-match.

The command arrives as XML (`<show><jobs><id>3</id></jobs></show>`); one handler per
command keeps each step small. `vsys` (the query parameter pan-python and pan-os-python
send) names the lock scope: a vsys or a device group; without it the scope is `shared`.

`show config-locks` and `show commit-locks` take a `<vsys>` child from PAN-OS 9.1 on
(`<vsys>all</vsys>` or a vsys name) and refuse the command without it with "vsys not provided"
(pango issue #88, fixed in pango commit f469a36 "fix: show config-locks command for panos > 9.1",
which sends `<show><config-locks><vsys>all|NAME</vsys></config-locks></show>` from 9.1;
pan-os-upgrade-assurance issue #192 sends the same for both lock kinds). pango fixed only
config-locks; the emulator requires it for commit-locks too (the stricter reading: a client
that sends it works either way).
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from lxml import etree

from emulator.fleet import devices_answer
from emulator.ha import ha_state_answer
from emulator.model import parent_groups
from emulator.policy_match import Flow, Matcher, result_entry
from emulator.responses import (
    CODE_INVALID_COMMAND,
    CODE_MALFORMED,
    CODE_NOT_PRESENT,
    ApiError,
    result_success,
)
from emulator.store import Store
from emulator.userid import show_registered
from emulator.xmlparse import parse, parser

_PARSER = parser()


def parse_cmd(text: str | None) -> etree._Element:
    if not text or not text.strip():
        raise ApiError(CODE_MALFORMED, "the cmd parameter is missing")
    try:
        return parse(text.strip().encode(), _PARSER)
    except etree.XMLSyntaxError as exc:
        raise ApiError(CODE_MALFORMED, f"Malformed command: {exc}") from None


def _path(cmd: etree._Element) -> str:
    """The keyword path of a command: <request><config-lock><add>... -> 'request config-lock add'."""
    words = [cmd.tag]
    node = cmd
    while len(node) > 0 and node[0].tag not in ("comment", "id", "partial", "vsys", "admin"):
        node = node[0]
        words.append(node.tag)
        if words[:2] == ["test", "security-policy-match"] or words[:3] == ["show", "object", "registered-ip"]:
            break
    return " ".join(words)


def classify(cmd: etree._Element) -> str:
    """The fault kind of an op command: lock, unlock or op."""
    path = _path(cmd)
    if path in ("request config-lock add", "request commit-lock add"):
        return "lock"
    if path in ("request config-lock remove", "request commit-lock remove"):
        return "unlock"
    return "op"


def describe(cmd: etree._Element) -> str:
    return _path(cmd)


def _text(node: etree._Element | None) -> str:
    return (node.text or "").strip() if node is not None else ""


class OpContext:
    """What an op handler needs: the store, the requesting admin and the scope parameter."""

    def __init__(self, store: Store, admin: str, vsys: str | None) -> None:
        self.store = store
        self.admin = admin
        self.vsys = vsys

    @property
    def scope(self) -> str:
        return self.vsys or "shared"


def _lock_add(kind: str) -> Callable[[OpContext, etree._Element], etree._Element]:
    def handler(ctx: OpContext, cmd: etree._Element) -> etree._Element:
        comment = _text(cmd.find(f"{kind}-lock/add/comment"))
        ctx.store.add_lock(kind, ctx.admin, ctx.scope, comment)
        what = "configuration" if kind == "config" else "commit"
        return result_success(
            text=f"Successfully acquired lock. Other administrators will not be able to "
            f"{'modify' if kind == 'config' else 'commit'} {what} for scope {ctx.scope} "
            f"until lock is released by {ctx.admin}."
        )

    return handler


def _lock_remove(kind: str) -> Callable[[OpContext, etree._Element], etree._Element]:
    def handler(ctx: OpContext, cmd: etree._Element) -> etree._Element:
        ctx.store.remove_lock(kind, ctx.admin, ctx.scope)
        return result_success(text=f"{kind.capitalize()} lock released for scope {ctx.scope}")

    return handler


def _show_locks(kind: str) -> Callable[[OpContext, etree._Element], etree._Element]:
    def handler(ctx: OpContext, cmd: etree._Element) -> etree._Element:
        node = cmd.find(f"{kind}-locks/vsys")
        wanted = _text(node)
        if not wanted and ctx.store.device.locks_need_vsys:
            raise ApiError(CODE_INVALID_COMMAND, "vsys not provided")
        with ctx.store.mutex:
            locks = list((ctx.store.config_locks if kind == "config" else ctx.store.commit_locks).values())
        if wanted and wanted != "all":  # one vsys or device group: its locks and the shared ones
            locks = [lock for lock in locks if lock.scope in (wanted, "shared")]
        container = etree.Element(f"{kind}-locks")
        for lock in locks:
            entry = etree.SubElement(container, "entry", name=lock.admin)
            scope_type = (
                "shared" if lock.scope == "shared" else ("device-group" if ctx.store.panorama else "vsys")
            )
            for tag, value in (
                ("type", scope_type),
                ("name", lock.scope),
                ("created", lock.created),
                ("last-activity", lock.created),
                ("loggedin", "yes"),
                ("comment", lock.comment),
            ):
                etree.SubElement(entry, tag).text = value
        return result_success([container])

    return handler


def _pending(ctx: OpContext, cmd: etree._Element) -> etree._Element:
    return result_success(text="yes" if ctx.store.pending_admins() else "no")


def _show_jobs(ctx: OpContext, cmd: etree._Element) -> etree._Element:
    job_id = _text(cmd.find("jobs/id")).strip('"')
    if not job_id.isdigit():
        raise ApiError(CODE_MALFORMED, f"show jobs id: '{job_id}' is not a job id")
    job = ctx.store.job(int(job_id))
    if job is None:
        raise ApiError(CODE_NOT_PRESENT, f"job {job_id} not found")
    return result_success([job.to_xml(ctx.store.job_steps)])


def _show_all_jobs(ctx: OpContext, cmd: etree._Element) -> etree._Element:
    with ctx.store.mutex:
        jobs = list(ctx.store.jobs.values())
    return result_success([job.to_xml(ctx.store.job_steps) for job in jobs])


def _revert(ctx: OpContext, cmd: etree._Element) -> etree._Element:
    partial = cmd.find("config/partial")
    admins = None
    if partial is not None:
        admins = {_text(m) for m in partial.findall("admin/member")}
    changed = ctx.store.revert(admins)
    return result_success(
        text="Candidate configuration reverted" if changed else "There are no changes to revert"
    )


def _policy_match(ctx: OpContext, cmd: etree._Element) -> etree._Element:
    query = cmd.find("security-policy-match")
    try:
        flow = Flow.from_xml(query)
    except ValueError as exc:
        raise ApiError(CODE_MALFORMED, f"test security-policy-match: {exc}") from None
    name = _text(query.find("vsys")) or ctx.vsys or "vsys1"
    with ctx.store.mutex:
        root = ctx.store.running
        scopes = root.xpath(
            "devices/entry/vsys/entry[@name=$n] | devices/entry/device-group/entry[@name=$n]", n=name
        )
        if not scopes:
            raise ApiError(CODE_NOT_PRESENT, f"vsys {name} does not exist")
        try:
            hits = Matcher(scopes[0], root.find("shared"), ctx.store.registry).matches(flow)
        except ValueError as exc:
            raise ApiError(CODE_MALFORMED, f"test security-policy-match: {exc}") from None
        if _text(query.find("show-all")) != "yes":
            hits = hits[:1]
        rules = etree.Element("rules")
        for index, rule in hits:
            rules.append(result_entry(index, rule))
    return result_success([rules])


def _system_info(ctx: OpContext, cmd: etree._Element) -> etree._Element:
    system = etree.Element("system")
    panorama = ctx.store.panorama
    fields = [
        ("hostname", "awspan-emulator"),
        ("ip-address", "127.0.0.1"),
        ("model", "Panorama" if panorama else "PA-VM"),
        ("serial", ctx.store.device.serial),
        ("sw-version", ctx.store.device.sw_version),
        ("app-version", "8799-8509"),
    ]
    if panorama:  # Panorama has no vsys; it says which mode it runs in (a published M-600 answer)
        fields.append(("system-mode", "panorama"))
    else:
        fields.append(("multi-vsys", "on" if ctx.store.device.multi_vsys else "off"))
    for tag, value in fields:
        etree.SubElement(system, tag).text = value
    return result_success([system])


def _ha_state(ctx: OpContext, cmd: etree._Element) -> etree._Element:
    return ha_state_answer(ctx.store.device, ctx.store.panorama)


def _enable_multi_config(ctx: OpContext, cmd: etree._Element) -> etree._Element:
    """PAN-OS 10.0's switch for multi-config (on from 10.1; absent before 10.0)."""
    if ctx.store.device.version < (10, 0):
        raise ApiError(CODE_INVALID_COMMAND, "Invalid command: request multi-config is not available")
    ctx.store.device.multi_config_enabled = True
    return result_success(text="multi-config enabled")


def _dg_hierarchy(ctx: OpContext, cmd: etree._Element) -> etree._Element:
    """`show dg-hierarchy` (Panorama): `<dg-hierarchy>` with one `<dg name=…>` per device group,
    nested under its parent, as pan-os-python's PanoramaDeviceGroupHierarchy.fetch reads it."""
    if not ctx.store.panorama:
        raise ApiError(CODE_INVALID_COMMAND, "Invalid command: show dg-hierarchy is a Panorama command")
    with ctx.store.mutex:
        root = ctx.store.candidate
        names = [e.get("name") for e in root.iterfind("devices/entry/device-group/entry")]
        parents = parent_groups(root)
    out = etree.Element("dg-hierarchy")
    nodes: dict[str, etree._Element] = {}

    def place(name: str, seen: tuple[str, ...] = ()) -> etree._Element:
        if name not in nodes:
            parent = parents.get(name)
            holder = place(parent, (*seen, name)) if parent in names and parent not in seen else out
            nodes[name] = etree.SubElement(holder, "dg", name=name, dg_id=str(names.index(name) + 11))
        return nodes[name]

    for name in names:
        place(name)
    return result_success([out])


def _show_devices(connected_only: bool) -> Callable[[OpContext, etree._Element], etree._Element]:
    """`show devices all|connected` (Panorama): its managed firewalls (emulator/fleet.py)."""
    def handler(ctx: OpContext, cmd: etree._Element) -> etree._Element:
        if not ctx.store.panorama:
            raise ApiError(CODE_INVALID_COMMAND, "Invalid command: show devices is a Panorama command")
        with ctx.store.mutex:
            ctx.store.settle()
            return devices_answer(ctx.store.fleet, connected_only, ctx.store.running)

    return handler


def _show_config(which: str) -> Callable[[OpContext, etree._Element], etree._Element]:
    def handler(ctx: OpContext, cmd: etree._Element) -> etree._Element:
        with ctx.store.mutex:
            ctx.store.settle()
            root = ctx.store.running if which == "running" else ctx.store.candidate
            return result_success([copy.deepcopy(root)])

    return handler


HANDLERS: dict[str, Callable[[OpContext, etree._Element], etree._Element]] = {
    "request config-lock add": _lock_add("config"),
    "request config-lock remove": _lock_remove("config"),
    "request commit-lock add": _lock_add("commit"),
    "request commit-lock remove": _lock_remove("commit"),
    "show config-locks": _show_locks("config"),
    "show commit-locks": _show_locks("commit"),
    "check pending-changes": _pending,
    "show jobs": _show_jobs,
    "show jobs all": _show_all_jobs,
    "revert config": _revert,
    "test security-policy-match": _policy_match,
    "show system info": _system_info,
    "request multi-config enabled": _enable_multi_config,
    "show high-availability state": _ha_state,
    "show object registered-ip": lambda ctx, cmd: show_registered(
        ctx.store.registry, cmd, exploded=ctx.store.device.ipv6_text == "exploded"),
    "show dg-hierarchy": _dg_hierarchy,
    "show devices all": _show_devices(False),
    "show devices connected": _show_devices(True),
    "show config running": _show_config("running"),
    "show config candidate": _show_config("candidate"),
}


def run_op(ctx: OpContext, cmd: etree._Element) -> etree._Element:
    path = _path(cmd)
    handler = HANDLERS.get(path)
    if handler is None:
        raise ApiError(CODE_INVALID_COMMAND, f"Invalid command: {path} is not implemented by the emulator")
    return handler(ctx, cmd)
