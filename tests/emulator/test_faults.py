"""Fault injection and request counting, the hooks the client's tests rely on."""

from __future__ import annotations

import pytest
import requests
from lxml import etree

from tests.emulator.helpers import ADDRESS, RULES, lines, rule_xml

SET = {
    "type": "config",
    "action": "set",
    "xpath": ADDRESS + "/entry[@name='f']",
    "element": "<ip-netmask>192.0.2.3</ip-netmask>",
}


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("get", {"type": "config", "action": "get", "xpath": RULES}),
        ("show", {"type": "config", "action": "show", "xpath": RULES}),
        ("set", SET),
        (
            "edit",
            {
                "type": "config",
                "action": "edit",
                "xpath": ADDRESS + "/entry[@name='f']",
                "element": "<entry name='f'><ip-netmask>192.0.2.3</ip-netmask></entry>",
            },
        ),
        (
            "delete",
            {"type": "config", "action": "delete", "xpath": ADDRESS + "/entry[@name='update-server']"},
        ),
        (
            "move",
            {"type": "config", "action": "move", "xpath": RULES + "/entry[@name='clean-up']", "where": "top"},
        ),
        (
            "multi-config",
            {
                "type": "config",
                "action": "multi-config",
                "element": f"<multi-config><delete id='1' xpath=\"{RULES}/entry[@name='block-known-bad']\"/>"
                "</multi-config>",
            },
        ),
        (
            "lock",
            {"type": "op", "cmd": "<request><config-lock><add/></config-lock></request>", "vsys": "vsys1"},
        ),
        ("op", {"type": "op", "cmd": "<check><pending-changes/></check>"}),
    ],
)
def test_the_nth_request_of_a_kind_fails_without_side_effects(auto, emu, kind, params):
    emu.fail(kind, nth=2, code="13", message=f"{kind} broke")
    first = auto.call(**params)
    assert first.get("status") == "success", etree.tostring(first)
    emu.store.revert(None)
    for scope in list(emu.config_locks()):
        emu.unlock_as("automation", "config", scope)
    before = emu.candidate_xml(), emu.running_xml(), emu.config_locks()
    second = auto.call(**params)
    assert (second.get("status"), second.get("code")) == ("error", "13")
    assert lines(second) == [f"{kind} broke"]
    assert (emu.candidate_xml(), emu.running_xml(), emu.config_locks()) == before
    third = auto.call(**params)  # a fault fires once
    assert third.get("status") == "success"


def test_unlock_fault_keeps_the_lock(auto, emu):
    auto.ok(type="op", cmd="<request><config-lock><add/></config-lock></request>", vsys="vsys1")
    emu.fail("unlock")
    root = auto.call(type="op", cmd="<request><config-lock><remove/></config-lock></request>", vsys="vsys1")
    assert root.get("status") == "error"
    assert emu.config_locks() == {"vsys1": "automation"}


def test_keygen_and_commit_faults(auto, emu):
    emu.fail("keygen", message="keygen broke")
    response = requests.post(
        emu.url + "/api/", data={"type": "keygen", "user": "admin", "password": "admin"}, timeout=10
    )
    assert lines(etree.fromstring(response.content)) == ["keygen broke"]
    auto.ok(**SET)
    emu.fail("commit", code="21", message="commit broke")
    root = auto.commit(["automation"])
    assert (root.get("status"), root.get("code")) == ("error", "21")
    assert emu.pending_admins() == ["automation"]
    assert auto.commit_and_wait(["automation"]).findtext("result") == "OK"


def test_job_fault_ends_fin_fail_and_leaves_running_unchanged(auto, emu):
    running = emu.running_xml()
    auto.config_ok("set", RULES, rule_xml("r1"))
    emu.fail("job", message="Validation Error: injected")
    job = auto.commit_and_wait(["automation"])
    assert (job.findtext("status"), job.findtext("result")) == ("FIN", "FAIL")
    assert [line.text for line in job.findall("details/line")] == [
        "Validation Error: injected",
        "Commit failed",
    ]
    assert emu.running_xml() == running
    assert emu.pending_admins() == ["automation"]
    # the job fault is not consumed by a commit with nothing to do
    emu.store.revert(None)
    emu.fail("job")
    assert auto.commit().findtext("msg") == "There are no changes to commit."
    auto.config_ok("set", RULES, rule_xml("r2"))
    assert auto.commit_and_wait().findtext("result") == "FAIL"


def test_request_counter_and_log(auto, emu):
    emu.reset_counters()
    auto.ok(type="config", action="get", xpath=RULES)
    auto.ok(type="op", cmd="<show><config-locks><vsys>all</vsys></config-locks></show>")
    auto.call(type="commit", cmd="<commit/>")
    assert emu.request_count == 3
    assert [(r["type"], r["action"], r["admin"]) for r in emu.requests] == [
        ("config", "get", "automation"),
        ("op", "show config-locks", "automation"),
        ("commit", None, "automation"),
    ]
    assert emu.requests[0]["xpath"] == RULES
    emu.reset_counters()
    assert emu.request_count == 0 and emu.requests == []


def test_unknown_fault_kind_is_refused(emu):
    with pytest.raises(ValueError):
        emu.fail("reboot")
    with pytest.raises(ValueError):
        emu.fail("get", nth=0)
