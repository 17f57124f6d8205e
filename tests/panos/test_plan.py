"""awspan plan: what push would do, in text, JSON and markdown; exit codes; drift; the
already-allowed decisions beside it. Plan never changes the firewall."""

from __future__ import annotations

import json
from pathlib import Path

from emulator import EmulatorServer
from generator.location import Location
from generator.panos.config.canonical import canonical_text
from tests.panos.helpers import first_fragment, rule, second_fragment

LOC = Location()


def test_plan_lists_creates_and_changes_nothing(emu: EmulatorServer, awspan):
    before = canonical_text(emu.candidate())
    res = awspan("plan", "--detailed-exitcode", fragment=first_fragment())
    assert res.code == 2, res.err
    assert "objects: 12 to create, 0 to change, 0 to delete, 0 to move" in res.out
    assert "rules: 4 opened, 0 closed" in res.out
    assert "+ create rule sg-web-tcp-443" in res.out
    assert canonical_text(emu.candidate()) == before
    # HA state (an HA peer must be the active one), system info (the version gate), the candidate
    # (what push compares) and running (what is pending): four reads, no write
    assert [(r["type"], r["action"]) for r in emu.requests] == [
        ("op", "show high-availability state"), ("op", "show system info"), ("config", "get"),
        ("config", "show")]


def test_detailed_exitcode_is_0_when_nothing_changes_and_plain_plan_is_0(emu: EmulatorServer, awspan):
    assert awspan("plan", fragment=first_fragment()).code == 0
    assert awspan("push", fragment=first_fragment()).code == 0
    res = awspan("plan", "--detailed-exitcode", fragment=first_fragment())
    assert res.code == 0
    assert "no changes" in res.out


def test_json_plan_of_a_change(emu: EmulatorServer, awspan):
    assert awspan("push", fragment=first_fragment()).code == 0
    res = awspan("plan", "--format", "json", fragment=second_fragment())
    data = json.loads(res.out)
    got = {(c["action"], "rules", c["name"]) for c in data["rules"]}
    got |= {(o["action"], o["kind"], o["name"]) for o in data["objects"]}
    assert {("delete", "rules", "sg-old"), ("create", "rules", "sg-new"),
            ("change", "rules", "sg-web-tcp-443"), ("delete", "address", "web-2"),
            ("create", "address", "db-2"),
            ("change", "address-group", "db-servers")} <= got
    assert any(a == "move" for a, _k, _n in got)
    edited = next(c for c in data["rules"] if c["name"] == "sg-web-tcp-443")
    assert [f["field"] for f in edited["fields"]] == ["description", "destination"]
    dest = next(f for f in edited["fields"] if f["field"] == "destination")
    assert dest["removed"] == ["web-2"] and dest["added"] == []
    assert edited["flows_closed"] == 1 and edited["flows_opened"] == 0  # 10.0.1.11 on tcp-443 closes
    s = data["summary"]
    assert s["has_changes"] is True and s["managed_rules"] == 4 and s["fragment_rules"] == 4
    deletes = [c for c in data["rules"] + data["objects"] if c["action"] == "delete"]
    assert s["objects"]["delete"] == len(deletes)


def test_markdown_is_a_pull_request_comment(emu: EmulatorServer, awspan, tmp_path: Path):
    (tmp_path / "out").mkdir(exist_ok=True)
    (tmp_path / "out" / "precheck.yaml").write_text(
        "version: 1\ndecisions:\n  - {rule: sg-old, verdict: blocked, covering: [a, b], reason: 'x | y'}\n")
    res = awspan("plan", "--format", "markdown", fragment=first_fragment())
    assert res.out.startswith("### awspan plan: `vsys vsys1`")
    assert "| opened | 4 | 5 |" in res.out  # the summary table comes first
    assert "<details><summary>+ create rule <code>sg-old</code> (1 flow opened) [ANY SOURCE]</summary>" \
        in res.out
    assert "verdict: blocked by a, b (x | y)" in res.out  # beside the rule it is about


def test_drift_a_managed_rule_edited_by_hand(emu: EmulatorServer, awspan):
    assert awspan("push", fragment=first_fragment()).code == 0
    xpath = LOC.entry_xpath("rules", "sg-old")
    emu.edit_as("admin", "edit", xpath, rule("sg-old", destination=["any"], service=["tcp-443"]))
    res = awspan("plan", "--format", "json", fragment=first_fragment())
    change = [c for c in json.loads(res.out)["rules"] if c["name"] == "sg-old"]
    assert [(c["action"], [f["field"] for f in c["fields"]], c["drift"]) for c in change] == [
        ("change", ["destination"], "edited by admin")]
    res = awspan("plan", fragment=first_fragment())
    assert "drift: edited by admin" in res.out and "1 edited by another admin" in res.out
    # an uncommitted edit of another admin is in the way: push would refuse, so plan exits 1
    assert res.code == 1 and "admin has uncommitted changes to awspan's objects" in res.err


def test_precheck_decisions_are_shown_beside_the_plan(emu: EmulatorServer, awspan, tmp_path: Path):
    (tmp_path / "out").mkdir(exist_ok=True)
    (tmp_path / "out" / "precheck.yaml").write_text(
        "version: 1\n"
        "decisions:\n"
        "  - {rule: sg-web-tcp-22, verdict: already-allowed, covering: allow-admin-ssh,"
        " reason: admins may ssh}\n"
        "  - {rule: sg-x-all, verdict: blocked, covering: block-known-bad, reason: source is blocked}\n"
        "warnings: [rulebase.xml is 3 days old]\n")
    text = awspan("plan", fragment=first_fragment()).out
    assert "sg-web-tcp-22: already-allowed by allow-admin-ssh (admins may ssh)" in text
    assert "warning: rulebase.xml is 3 days old" in text
    md = awspan("plan", "--format", "markdown", fragment=first_fragment()).out
    assert "sg-x-all: blocked by block-known-bad (source is blocked)" in md
    data = json.loads(awspan("plan", "--format", "json", fragment=first_fragment()).out)
    assert data["precheck"]["decisions"][0]["rule"] == "sg-web-tcp-22"


def test_a_plan_with_a_blocker_exits_1_after_showing_it(emu: EmulatorServer, awspan):
    res = awspan("plan", fragment=first_fragment().replace("web-1", "bastion"))
    assert res.code == 1
    assert "ERROR (push will refuse): address 'bastion' exists on the firewall without the tag" in res.out
    assert res.err.startswith("awspan plan: push would refuse this plan: address 'bastion'")


