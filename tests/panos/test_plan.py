"""awspan plan: what push would do, in text, JSON and markdown; exit codes; drift; the
already-allowed decisions beside it. Plan never changes the firewall."""

from __future__ import annotations

import json
from pathlib import Path

from generator.emulator import EmulatorServer
from generator.location import Location
from generator.panos.canonical import canonical_text
from tests.panos.helpers import rule
from tests.panos.test_push import first_fragment, second_fragment

LOC = Location()


def test_plan_lists_creates_and_changes_nothing(emu: EmulatorServer, awspan):
    before = canonical_text(emu.candidate())
    res = awspan("plan", "--detailed-exitcode", fragment=first_fragment())
    assert res.code == 2, res.err
    assert "12 to create, 0 to change, 0 to delete, 0 to move" in res.out
    assert "+ create rule          sg-web-tcp-443" in res.out
    assert canonical_text(emu.candidate()) == before
    assert [(r["type"], r["action"]) for r in emu.requests] == [("op", "show system info"), ("config", "get")]


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
    got = {(c["action"], c["kind"], c["name"]) for c in data["changes"]}
    assert {("delete", "rules", "sg-old"), ("create", "rules", "sg-new"),
            ("change", "rules", "sg-web-tcp-443"), ("delete", "address", "web-2"),
            ("create", "address", "db-2"),
            ("change", "address-group", "db-servers")} <= got
    assert any(a == "move" for a, _k, _n in got)
    edited = next(c for c in data["changes"] if c["name"] == "sg-web-tcp-443")
    assert edited["detail"] == "description, destination"
    assert data["has_changes"] is True and data["managed_rules"] == 4 and data["fragment_rules"] == 4
    assert data["summary"]["delete"] == sum(1 for c in data["changes"] if c["action"] == "delete")


def test_markdown_is_a_pull_request_comment(emu: EmulatorServer, awspan, tmp_path: Path):
    (tmp_path / "out").mkdir(exist_ok=True)
    (tmp_path / "out" / "precheck.yaml").write_text(
        "version: 1\ndecisions:\n  - {rule: sg-old, verdict: blocked, covering: [a, b], reason: 'x | y'}\n")
    res = awspan("plan", "--format", "markdown", fragment=first_fragment())
    assert res.out.startswith("### awspan plan: vsys vsys1")
    assert "| action | kind | name | detail |" in res.out
    assert "| create | rule | `sg-old` |  |" in res.out
    assert "| `sg-old` | blocked | a, b | x \\| y |" in res.out  # a | in a cell would split the table


def test_drift_a_managed_rule_edited_by_hand(emu: EmulatorServer, awspan):
    assert awspan("push", fragment=first_fragment()).code == 0
    xpath = LOC.entry_xpath("rules", "sg-old")
    emu.edit_as("admin", "edit", xpath, rule("sg-old", destination=["any"], service=["tcp-443"]))
    res = awspan("plan", "--format", "json", fragment=first_fragment())
    change = [c for c in json.loads(res.out)["changes"] if c["name"] == "sg-old"]
    assert change == [{"kind": "rules", "name": "sg-old", "action": "change", "detail": "destination",
                       "drift": "edited by admin"}]
    text = awspan("plan", fragment=first_fragment()).out
    assert "[drift: edited by admin]" in text and "1 edited by hand" in text


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
    assert "| `sg-x-all` | blocked | block-known-bad | source is blocked |" in md
    data = json.loads(awspan("plan", "--format", "json", fragment=first_fragment()).out)
    assert data["precheck"]["decisions"][0]["rule"] == "sg-web-tcp-22"


def test_a_plan_with_a_blocker_exits_1_after_showing_it(emu: EmulatorServer, awspan):
    res = awspan("plan", fragment=first_fragment().replace("web-1", "bastion"))
    assert res.code == 1
    assert "ERROR: address 'bastion' exists on the firewall without the tag" in res.out


def test_markdown_of_a_huge_plan_still_fits_a_pull_request_comment():
    from lxml import etree

    from generator.panos.device import parse_container
    from generator.panos.diff import build_plan
    from generator.panos.fragment import parse_fragment
    from generator.panos.report import render_markdown
    from tests.panos.helpers import fragment

    device = parse_container(etree.fromstring(fragment([rule("clean-up", tag=None)]).encode())
                             .xpath(LOC.base_xpath)[0], LOC)
    names = [f"sg-{i:017d}-tcp-{i % 65535}-{i % 7}" for i in range(3000)]
    frag = parse_fragment(fragment([rule(n) for n in names]).encode(), LOC, "awspan", "f.xml")
    plan = build_plan(frag, device, tag="awspan", bottom_rule="clean-up", max_delete_percent=30, admin=None)
    md = render_markdown(plan)
    assert len(md) < 65_536  # GitHub's limit for one comment
    assert "3000 to create" in md and "2600 more" in md  # 400 rows listed
