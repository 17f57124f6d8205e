"""Honest commits: success only when running holds the fragment, never on "no changes to commit"
after a batch, and the commit command in the order pango sends it."""

from __future__ import annotations

from lxml import etree

from emulator import EmulatorServer
from generator.location import Location
from generator.panos.config.fragment import parse_fragment
from generator.panos.config.view import parse_container
from generator.panos.push.verify import check_running
from tests.panos.helpers import first_fragment, rule_names

LOC = Location()


def test_commit_sends_description_before_partial(awspan, emu: EmulatorServer):
    assert awspan("push", fragment=first_fragment()).code == 0
    [commit] = [r for r in emu.requests if r["type"] == "commit"]
    cmd = etree.fromstring(commit["cmd"])
    assert [c.tag for c in cmd] == ["description", "partial"]
    assert [m.text for m in cmd.iterfind("partial/admin/member")] == ["automation"]


def test_no_changes_to_commit_after_a_batch_is_an_error_and_the_candidate_is_put_back(awspan, emu):
    before = rule_names(emu.candidate())
    emu.fail("commit-nothing")
    r = awspan("push", fragment=first_fragment())
    assert r.code == 1
    assert "There are no changes to commit" in r.err and "after a batch of" in r.err
    assert "sg-web-tcp-443" not in rule_names(emu.running())
    assert rule_names(emu.candidate()) == before  # rolled back: nothing of awspan's left in place


def test_no_changes_because_another_admin_committed_the_batch_is_an_error_without_rollback(awspan, emu):
    emu.fail("commit-race")
    r = awspan("push", fragment=first_fragment())
    assert r.code == 1
    assert "committed by someone else, not by this push" in r.err
    assert "sg-web-tcp-443" in rule_names(emu.running())
    assert rule_names(emu.candidate()) == rule_names(emu.running())  # nothing left half-undone
    assert emu.pending_admins() == []


def test_an_empty_batch_with_nothing_to_commit_is_still_success(awspan, emu):
    assert awspan("push", fragment=first_fragment()).code == 0
    r = awspan("push", fragment=first_fragment())
    assert r.code == 0, r.err
    assert "already matches" in r.out


def _device(xml: str):
    root = etree.fromstring(xml)
    return parse_container(root.xpath(LOC.base_xpath)[0], LOC)


def test_running_check_finds_a_missing_rule_and_tolerates_device_decorations():
    frag = parse_fragment(first_fragment().encode(), LOC, "awspan", "fragment.xml")
    full = etree.fromstring(first_fragment())
    container = full.xpath(LOC.base_xpath)[0]
    rules = container.find("rulebase/security/rules")
    etree.SubElement(rules, "entry", name="clean-up")
    for e in container.iter("entry"):  # what a real device returns besides awspan's elements
        e.set("uuid", "9a1c7d4e-0000-4000-8000-000000000001")
        e.set("admin", "automation")
    for r in rules:
        etree.SubElement(r, "rule-type").text = "universal"
        etree.SubElement(r, "negate-source").text = "no"
    device = parse_container(container, LOC)
    assert check_running(device, frag, "clean-up") == []
    rules.remove(rules[0])
    problems = check_running(parse_container(container, LOC), frag, "clean-up")
    assert any("'sg-web-tcp-443' is not in running" in p for p in problems)
