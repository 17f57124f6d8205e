"""push --plan FILE applies exactly the reviewed change set, or nothing: each way the firewall or
the fragment can move after `plan --out`, and saved-plan files that are not what they claim."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from emulator import EmulatorServer
from generator.location import Location
from generator.panos.config.canonical import canonical_text
from generator.resources import load_json_schema
from tests.panos import plan_scenarios as sc
from tests.panos.helpers import address, members

LOC = Location()
MOVED = "the firewall or the fragment changed since this plan was made"


def untouched(emu: EmulatorServer) -> None:
    assert not any(r["action"] == "multi-config" for r in emu.requests)
    assert not any(r["type"] == "commit" for r in emu.requests)
    assert emu.config_locks() == {}


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    return tmp_path / "plan.json"


def test_a_saved_plan_is_applied_when_nothing_moved(emu: EmulatorServer, awspan, saved: Path):
    res = awspan("plan", "--detailed-exitcode", "--out", str(saved), fragment=sc.estate())
    assert res.code == 2, res.err
    doc = json.loads(saved.read_text())
    schema = load_json_schema("plan.schema.json")
    jsonschema.validators.validator_for(schema)(schema).validate(doc)
    assert doc["summary"]["rules_opened"] == 3 and doc["saved"]["change_set"].startswith("sha256:")
    res = awspan("push", "--plan", str(saved), fragment=sc.estate())
    assert res.code == 0, res.err
    assert emu.running().xpath(LOC.entry_xpath("rules", f"{sc.WEB}-tcp-22"))


def test_an_unrelated_edit_on_the_firewall_does_not_block_the_saved_plan(emu: EmulatorServer, awspan,
                                                                         saved: Path):
    """Only the change set decides: an operator's own object is not part of what was reviewed."""
    assert awspan("plan", "--out", str(saved), fragment=sc.estate()).code == 0
    emu.edit_as("admin", "set", LOC.xpath("address"), address("jump-host", "10.9.9.9/32", tag=None))
    assert emu.commit_as("admin")
    assert awspan("push", "--plan", str(saved), fragment=sc.estate()).code == 0


def test_a_managed_object_edited_since_the_plan_refuses_the_push(emu: EmulatorServer, awspan, saved: Path):
    assert awspan("push", fragment=sc.estate()).code == 0
    changed = sc.estate(ssh_sources=("198.51.100.0/24", "203.0.113.7/32"))
    assert awspan("plan", "--out", str(saved), fragment=changed).code == 0
    xpath = LOC.entry_xpath("rules", f"{sc.WEB}-tcp-443") + "/source"
    emu.edit_as("admin", "edit", xpath, members("source", ["192.0.2.1"]))
    assert emu.commit_as("admin")
    before = canonical_text(emu.running()), canonical_text(emu.candidate())
    emu.reset_counters()
    res = awspan("push", "--plan", str(saved), fragment=changed)
    assert res.code == 1
    assert res.err.count("\n") == 1 and MOVED in res.err
    assert "awspan's objects on the firewall differ" in res.err and "the fragment differs" not in res.err
    untouched(emu)
    assert (canonical_text(emu.running()), canonical_text(emu.candidate())) == before


def test_a_different_fragment_refuses_the_push(emu: EmulatorServer, awspan, saved: Path):
    assert awspan("plan", "--out", str(saved), fragment=sc.estate()).code == 0
    emu.reset_counters()
    res = awspan("push", "--plan", str(saved), fragment=sc.estate(drop_app=True))
    assert res.code == 1 and MOVED in res.err and "the fragment differs" in res.err
    untouched(emu)


def test_a_saved_plan_of_no_changes_stays_no_changes(emu: EmulatorServer, awspan, saved: Path):
    assert awspan("push", fragment=sc.estate()).code == 0
    assert awspan("plan", "--detailed-exitcode", "--out", str(saved), fragment=sc.estate()).code == 0
    emu.reset_counters()
    assert awspan("push", "--plan", str(saved), fragment=sc.estate()).code == 0
    untouched(emu)


def test_pending_state_is_part_of_the_saved_plan(emu: EmulatorServer, awspan, saved: Path):
    """A plan that promised to commit awspan's pending objects is refused once someone committed them."""
    assert awspan("push", fragment=sc.estate()).code == 0
    xpath = LOC.entry_xpath("rules", f"{sc.WEB}-tcp-22") + "/source"
    emu.edit_as("automation", "edit", xpath, members("source", ["203.0.113.7/32"]))
    frag = sc.estate(ssh_sources=("203.0.113.7/32",))
    assert awspan("plan", "--detailed-exitcode", "--out", str(saved), fragment=frag).code == 2
    assert emu.commit_as("automation")
    res = awspan("push", "--plan", str(saved), fragment=frag)
    assert res.code == 1 and "the pending (uncommitted) state differs" in res.err


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "invalid JSON"),
    ('{"format_version": 1}', "no `saved` block"),
    ('[1, 2]', "no `saved` block"),
    (json.dumps({"saved": {"version": 9, "change_set": "x",
                           "fingerprints": {"fragment": "a", "managed": "b", "pending": "c"}}}),
     "saved plan version 9"),
])
def test_a_bad_saved_plan_is_one_line_and_no_request(emu: EmulatorServer, awspan, saved: Path, content,
                                                      message):
    saved.write_text(content)
    res = awspan("push", "--plan", str(saved), fragment=sc.estate())
    assert res.code == 1 and message in res.err and str(saved) in res.err
    assert len(res.err.strip().splitlines()) == 1 and "Traceback" not in res.err
    assert emu.request_count == 0


def test_a_missing_saved_plan_is_named(emu: EmulatorServer, awspan, tmp_path: Path):
    res = awspan("push", "--plan", str(tmp_path / "nope.json"), fragment=sc.estate())
    assert res.code == 1 and "saved plan not found" in res.err and emu.request_count == 0


def test_an_oversized_saved_plan_is_refused_unread(emu: EmulatorServer, awspan, saved: Path):
    with saved.open("wb") as fh:
        fh.truncate(65 * 1024 * 1024)  # sparse: nothing is written
    res = awspan("push", "--plan", str(saved), fragment=sc.estate())
    assert res.code == 1 and "over the 64 MiB limit" in res.err and emu.request_count == 0
