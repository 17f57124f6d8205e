"""Every kind declared in generator.kinds reaches every step that handles awspan's entries.

Parametrized over kinds.MANAGED, so a kind added there must be given a sample below (the test
fails on a KeyError until it is) and then goes through: the fragment reader, push's batch
(create, delete), the saved plan (an edit on the firewall after `plan --out` refuses `push
--plan`), pending state, verify and the snapshot. The saved plan and pending state once kept
their own lists without `application`: an admin's edit of awspan's ICMP application after
`plan --out` was applied by `push --plan` (exit 0) although the reviewed plan never showed it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree

from emulator import EmulatorServer
from generator import kinds
from generator.location import Location
from generator.panos.config.canonical import canonical_text
from generator.panos.config.fragment import parse_fragment
from generator.panos.config.view import parse_container
from generator.panos.plan.binding import object_operations
from generator.panos.plan.changes import build_plan
from generator.panos.push.batch import build_batch
from generator.panos.push.verify import check_running
from generator.panos.xmlapi.snapshot import build_snapshot
from tests.panos.helpers import TAG, address, fragment, group, icmp_app, members, rule, service

LOC = Location()
KINDS = [k.name for k in kinds.MANAGED]


def service_group(name: str, services: list[str]) -> str:
    return f'<entry name="{name}">' + members("members", services) + members("tag", [TAG]) + "</entry>"


def awspan_tag(comments: str = "managed by awspan") -> str:
    return f'<entry name="{TAG}"><color>color5</color><comments>{comments}</comments></entry>'


# One entry of every kind, each named by the one rule (so the snapshot keeps it), all referenced.
BASE = {
    "tag": [awspan_tag()],
    "address": [address("web-1", "10.0.1.10/32")],
    "address-group": [group("grp", ["web-1"])],
    "service": [service("tcp-443", "443"), service("tcp-80", "80")],
    "service-group": [service_group("svcs", ["tcp-443"])],
    "application": [icmp_app("icmp-8", 8)],
    "rules": [rule("sg-r", destination=["grp"], service=["svcs"], application=["icmp-8"])],
}

SAMPLE = {"tag": TAG, "address": "web-1", "address-group": "grp", "service": "tcp-443",
          "service-group": "svcs", "application": "icmp-8", "rules": "sg-r"}
"""The entry of BASE each kind's tests look at."""

EDITED = {
    "tag": awspan_tag("edited by hand"),
    "address": address("web-1", "10.0.1.99/32"),
    "address-group": group("grp", ["web-1"]).replace("</entry>", "<description>edited</description></entry>"),
    "service": service("tcp-443", "8443"),
    "service-group": service_group("svcs", ["tcp-443", "tcp-80"]),
    "application": icmp_app("icmp-8", 8).replace("<risk>4</risk>", "<risk>5</risk>"),
    "rules": rule("sg-r", destination=["grp"], service=["svcs"], application=["icmp-8"],
                  description="edited by hand"),
}
"""The sample as an admin edits it on the firewall: a field awspan sets, another value."""

EXTRA = {
    "tag": awspan_tag(),  # the ownership tag is never deleted (plan/changes.py): nothing extra
    "address": address("extra", "10.9.0.1/32"),
    "address-group": group("extra", ["web-1"]),
    "service": service("extra", "8443"),
    "service-group": service_group("extra", ["tcp-80"]),
    "application": icmp_app("icmp-13", 13),
    "rules": rule("sg-extra", destination=["web-1"], service=["tcp-443"]),
}
"""An entry of the kind that nothing references: push creates it, and deletes it when it goes."""


def base_fragment(extra: str | None = None, kind: str | None = None) -> str:
    parts = {k: list(v) for k, v in BASE.items()}
    if extra is not None and kind is not None and kind != "tag":
        parts[kind].append(extra)
    return fragment(parts["rules"], addresses=parts["address"], groups=parts["address-group"],
                    services=parts["service"], service_groups=parts["service-group"],
                    applications=parts["application"])


def running_config() -> etree._Element:
    """BASE as a firewall holds it after a push: the managed rule above the operator's clean-up."""
    return etree.fromstring(fragment(BASE["rules"] + [rule("clean-up", action="deny", tag=None)],
                                     addresses=BASE["address"], groups=BASE["address-group"],
                                     services=BASE["service"], service_groups=BASE["service-group"],
                                     applications=BASE["application"]))


def _entry(config: etree._Element, kind: str, name: str) -> etree._Element | None:
    found = config.xpath(LOC.entry_xpath(kind, name))
    return found[0] if found else None


def test_the_samples_cover_every_declared_kind() -> None:
    assert set(SAMPLE) == set(EDITED) == set(EXTRA) == set(BASE) == set(KINDS)


def test_the_base_fragment_holds_one_entry_of_every_kind() -> None:
    view = parse_fragment(base_fragment().encode(), LOC, TAG, "fragment.xml")
    for kind in KINDS:
        assert SAMPLE[kind] in view.entries(kind), kind


@pytest.mark.parametrize("kind", KINDS)
def test_push_creates_and_deletes_the_kind(emu: EmulatorServer, awspan, kind: str) -> None:
    name = etree.fromstring(EXTRA[kind]).get("name")
    res = awspan("push", fragment=base_fragment(EXTRA[kind], kind))
    assert res.code == 0, res.err
    assert _entry(emu.running(), kind, SAMPLE[kind]) is not None
    assert _entry(emu.running(), kind, name) is not None
    res = awspan("push", fragment=base_fragment())
    assert res.code == 0, res.err
    if kind == "tag":  # the ownership tag stays; its deletes happen only when a rollback undoes a create
        assert _entry(emu.running(), kind, name) is not None
    else:
        assert _entry(emu.running(), kind, name) is None
        assert f"delete {kinds.LABELS[kind]} {name}" in " ".join(res.out.split())


@pytest.mark.parametrize("kind", KINDS)
def test_the_batch_orders_every_kind(kind: str) -> None:
    """Every kind is set in the batch's set phase and deleted in its delete phase (the rollback
    deletes what a push created, the tag included)."""
    view = parse_fragment(base_fragment().encode(), LOC, TAG, "fragment.xml")
    empty = parse_container(etree.fromstring(fragment([], tags=False)).xpath(LOC.base_xpath)[0], LOC)
    plan = build_plan(view, empty, tag=TAG, bottom_rule="clean-up", admin="automation")
    d = plan.diff
    assert SAMPLE[kind] in d.upserts[kind]
    sets = [op.label for op in build_batch(d, empty, LOC).ops if op.action == "set"]
    assert any(SAMPLE[kind] in label for label in sets)
    d.upserts = {k: {} for k in d.upserts}
    d.deletes = {k: [] for k in d.deletes}
    d.deletes[kind] = [SAMPLE[kind]]
    deletes = [op for op in build_batch(d, view, LOC).ops if op.action == "delete"]
    assert [op.xpath for op in deletes] == [LOC.entry_xpath(kind, SAMPLE[kind])]


@pytest.mark.parametrize("kind", KINDS)
def test_an_edit_after_plan_out_refuses_push_plan(emu: EmulatorServer, awspan, tmp_path: Path,
                                                  kind: str) -> None:
    assert awspan("push", fragment=base_fragment()).code == 0
    saved = tmp_path / "plan.json"
    res = awspan("plan", "--detailed-exitcode", "--out", str(saved), fragment=base_fragment())
    assert res.code == 0, res.out + res.err  # nothing to change: what the reviewer approved
    emu.edit_as("admin", "edit", LOC.entry_xpath(kind, SAMPLE[kind]), EDITED[kind])
    assert emu.commit_as("admin")
    before = canonical_text(emu.running()), canonical_text(emu.candidate())
    emu.reset_counters()
    res = awspan("push", "--plan", str(saved), fragment=base_fragment())
    assert res.code == 1, res.out
    assert "no longer matches" in res.err
    assert f"{kinds.LABELS[kind]} '{SAMPLE[kind]}'" in res.err  # the message names the object
    assert not any(r["action"] == "multi-config" or r["type"] == "commit" for r in emu.requests)
    assert (canonical_text(emu.running()), canonical_text(emu.candidate())) == before


@pytest.mark.parametrize("kind", KINDS)
def test_a_pending_edit_of_the_kind_shows_in_the_plan(emu: EmulatorServer, awspan, kind: str) -> None:
    assert awspan("push", fragment=base_fragment()).code == 0
    emu.edit_as("admin", "edit", LOC.entry_xpath(kind, SAMPLE[kind]), EDITED[kind])  # not committed
    res = awspan("plan", "--format", "json", fragment=base_fragment())
    pending = [(p["kind"], p["name"], p["state"]) for p in json.loads(res.out)["pending"]]
    assert pending == [(kind, SAMPLE[kind], "changed")]
    assert res.code == 1 and "uncommitted changes" in res.err  # another admin's: push would refuse


@pytest.mark.parametrize("kind", KINDS)
def test_verify_notices_a_missing_entry_of_the_kind(kind: str) -> None:
    view = parse_fragment(base_fragment().encode(), LOC, TAG, "fragment.xml")
    config = running_config()
    assert check_running(parse_container(config.xpath(LOC.base_xpath)[0], LOC), view, "clean-up") == []
    gone = _entry(config, kind, SAMPLE[kind])
    gone.getparent().remove(gone)
    problems = check_running(parse_container(config.xpath(LOC.base_xpath)[0], LOC), view, "clean-up")
    assert f"{kind} {SAMPLE[kind]!r} is not in running" in problems


@pytest.mark.parametrize("kind", KINDS)
def test_the_snapshot_keeps_the_kind(kind: str) -> None:
    local = etree.fromstring(base_fragment()).xpath(LOC.base_xpath)[0]
    snap = etree.fromstring(build_snapshot(local, None, LOC))
    assert _entry(snap, kind, SAMPLE[kind]) is not None


@pytest.mark.parametrize("kind", KINDS)
def test_the_saved_plan_binds_the_kinds_before_and_after(kind: str) -> None:
    """A saved plan records, for every kind, the firewall's value before and what push writes after."""
    view = parse_fragment(base_fragment().encode(), LOC, TAG, "fragment.xml")
    device = running_config()
    edited = etree.fromstring(EDITED[kind])
    old = _entry(device, kind, SAMPLE[kind])
    old.getparent().replace(old, edited)
    have = parse_container(device.xpath(LOC.base_xpath)[0], LOC)
    plan = build_plan(view, have, tag=TAG, bottom_rule="clean-up", admin="automation")
    ops = {(o["kind"], o["name"]): o for o in object_operations(plan, have)}
    op = ops[(kind, SAMPLE[kind])]
    assert op["op"] == "change" and op["before"] == canonical_text(edited)
    assert op["after"].startswith("sha256:")


def test_the_plan_schema_names_every_kind() -> None:
    """The plan document and the saved plan's operations carry the kind: the schema must accept each."""
    from generator.resources import load_json_schema

    assert set(load_json_schema("plan.schema.json")["$defs"]["kind"]["enum"]) == set(KINDS)
