"""The start/stop fast path's files in work_dir: the state journal and the index of the last push.

The journal replaces entries in place, or refuses as a whole (the caller then collects in full);
an index that cannot be read, or was left unsettled, is never used.
"""

from __future__ import annotations

import copy

from generator.events import journal
from generator.events.fastindex import INDEX, FastIndex, Row, write_index
from tests.generate.helpers import example_state_data


def _entry(doc, instance_id, **changes):
    vpc = next(v for v in doc["vpcs"] if any(i["id"] == instance_id for i in v["instances"]))
    inst = {**next(i for i in vpc["instances"] if i["id"] == instance_id), **changes}
    enis = [n for n in vpc["interfaces"] if n.get("instance") == instance_id]
    return {"vpc": [vpc.get("account"), vpc.get("region"), vpc["id"]], "instance": inst, "interfaces": enis}


def test_the_journal_replaces_entries_in_place_and_clears(tmp_path):
    state = example_state_data()
    first = state["vpcs"][0]["instances"][0]["id"]
    journal.record(tmp_path, {first: _entry(state, first, state="stopped")})
    journal.record(tmp_path, {first: _entry(state, first, state="stopping")})  # the newer read wins
    patched = copy.deepcopy(state)
    assert journal.apply(patched, tmp_path)
    assert patched["vpcs"][0]["instances"][0] == {**state["vpcs"][0]["instances"][0], "state": "stopping"}
    ids = [i["id"] for i in state["vpcs"][0]["instances"]]
    assert [i["id"] for i in patched["vpcs"][0]["instances"]] == ids
    journal.clear(tmp_path)
    assert journal.read(tmp_path) == {}


def test_a_journal_naming_what_the_state_does_not_hold_is_not_applied(tmp_path):
    state = example_state_data()
    first = state["vpcs"][0]["instances"][0]["id"]
    other_vpc = _entry(state, first, state="stopped")
    other_vpc["vpc"][2] = "vpc-0000000000000dead"
    gone = _entry(state, first)
    gone["instance"] = {**gone["instance"], "id": "i-0000000000000dead"}
    for entry in (other_vpc, gone):
        journal.record(tmp_path, {first: entry})
        untouched = copy.deepcopy(state)
        assert not journal.apply(untouched, tmp_path)
        assert untouched == state, "a refused journal changes nothing"


def test_hostile_names_go_through_the_journal_unchanged(tmp_path):
    state = example_state_data()
    first = state["vpcs"][0]["instances"][0]["id"]
    name = "web\n\u202eevil\u2028[x](http://e) @team \x85\"'<&>"
    journal.record(tmp_path, {first: _entry(state, first, name=name)})
    patched = copy.deepcopy(state)
    assert journal.apply(patched, tmp_path)
    assert patched["vpcs"][0]["instances"][0]["name"] == name


def test_an_index_that_cannot_be_read_or_was_left_unsettled_is_not_used(tmp_path):
    (tmp_path / INDEX).write_bytes(b"not a database")
    assert FastIndex.open(tmp_path) is None
    row = Row(["111122223333", "us-east-1", "vpc-1"], {"id": "i-1", "name": None, "state": "running"}, [],
              {"10.0.0.1": ["awspan.sg-1"]}, None)
    write_index(tmp_path, [("i-1", row)], "digest", 1)
    index = FastIndex.open(tmp_path)
    assert index is not None
    assert index.meta("settled") == "1" and index.meta("registered") == "1"
    assert index.rows(["i-1", "i-2"]) == {"i-1": row}
    index.unsettle()
    index.close()
    reopened = FastIndex.open(tmp_path)
    assert reopened is not None and reopened.meta("settled") == "0"  # fastpath refuses it
    reopened.settle({"i-1": Row(row.vpc, {**row.instance, "state": "stopped"}, [], row.tags, None)}, 0)
    assert reopened.meta("settled") == "1" and reopened.rows(["i-1"])["i-1"].instance["state"] == "stopped"
    reopened.close()
