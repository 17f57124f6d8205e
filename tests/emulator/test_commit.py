"""type=commit: full and partial commits, jobs, pending changes, revert."""

from __future__ import annotations

import time

from emulator import EmulatorServer
from tests.emulator.helpers import ADDRESS, RULES, VSYS, Caller, lines, names, rule_xml


def test_nothing_to_commit_is_code_19(auto):
    root = auto.commit(["automation"])
    assert (root.get("status"), root.get("code")) == ("success", "19")
    assert root.findtext("msg") == "There are no changes to commit."
    assert auto.ok(type="op", cmd="<check><pending-changes/></check>").findtext("result") == "no"


def test_commit_job_passes_act_then_fin_after_job_steps_polls(auto, emu):
    auto.config_ok("set", RULES, rule_xml("r1"))
    assert auto.ok(type="op", cmd="<check><pending-changes/></check>").findtext("result") == "yes"
    root = auto.commit(["automation"], description="from the test")
    assert lines(root) == [f"Commit job enqueued with jobid {root.findtext('result/job')}"]
    job_id = root.findtext("result/job")
    statuses = []
    for _ in range(3):
        job = auto.ok(type="op", cmd=f"<show><jobs><id>{job_id}</id></jobs></show>").find("result/job")
        statuses.append((job.findtext("status"), job.findtext("result")))
    assert statuses == [("ACT", "PEND"), ("FIN", "OK"), ("FIN", "OK")]
    assert job.findtext("description") == "from the test"
    assert job.findtext("user") == "automation"
    assert [line.text for line in job.findall("details/line")] == ["Configuration committed successfully"]
    running = emu.running()
    assert "r1" in names(running, f"{RULES}/entry")
    rule = running.xpath(f"{RULES}/entry[@name='r1']")[0]
    assert rule.get("admin") is None and rule.get("dirtyId") is None  # running carries no change marks
    assert rule.get("uuid") == emu.candidate().xpath(f"{RULES}/entry[@name='r1']")[0].get("uuid")
    assert emu.pending_admins() == []


def test_partial_commit_moves_only_the_named_admins_changes(auto, admin, emu):
    emu.edit_as("admin", "set", ADDRESS + "/entry[@name='admin-only']", "<ip-netmask>192.0.2.50</ip-netmask>")
    admin.config_ok(
        "edit", RULES + "/entry[@name='clean-up']/description", "<description>edited by a human</description>"
    )
    auto.config_ok("set", ADDRESS + "/entry[@name='auto-only']", "<ip-netmask>192.0.2.60</ip-netmask>")
    auto.ok(type="config", action="move", xpath=RULES + "/entry[@name='block-known-bad']", where="top")
    assert emu.pending_admins() == ["admin", "automation"]
    job = auto.commit_and_wait(["automation"])
    assert job.findtext("result") == "OK"
    running = emu.running()
    assert "auto-only" in names(running, f"{ADDRESS}/entry")
    assert "admin-only" not in names(running, f"{ADDRESS}/entry")
    assert names(running, f"{RULES}/entry")[0] == "block-known-bad"
    assert not running.xpath(f"{RULES}/entry[@name='clean-up']/description")
    # the other admin's changes are still pending in the candidate
    candidate = emu.candidate()
    assert "admin-only" in names(candidate, f"{ADDRESS}/entry")
    assert candidate.xpath(f"{RULES}/entry[@name='clean-up']/description")[0].text == "edited by a human"
    assert emu.pending_admins() == ["admin"]
    assert auto.commit(["automation"]).findtext("msg") == "There are no changes to commit."
    # a full commit takes the rest
    assert admin.commit_and_wait().findtext("result") == "OK"
    assert "admin-only" in names(emu.running(), f"{ADDRESS}/entry")
    assert emu.pending_admins() == []


def test_partial_commit_that_depends_on_another_admins_change_fails(auto, emu):
    emu.edit_as("admin", "set", ADDRESS + "/entry[@name='theirs']", "<ip-netmask>192.0.2.7</ip-netmask>")
    auto.config_ok("set", RULES, rule_xml("mine", dst="theirs"))
    running_before = emu.running_xml()
    job = auto.commit_and_wait(["automation"])
    assert job.findtext("result") == "FAIL"
    details = [line.text for line in job.findall("details/line")]
    assert "mine -> destination 'theirs' is not a valid reference" in details
    assert details[-1] == "Commit failed"
    assert emu.running_xml() == running_before
    assert emu.pending_admins() == ["admin", "automation"]


def test_commit_time_validation_catches_incomplete_rules(auto, emu):
    auto.config_ok("set", RULES + "/entry[@name='half']", "<action>allow</action>")
    job = auto.commit_and_wait(["automation"])
    assert job.findtext("result") == "FAIL"
    assert any("half -> from is missing" in (line.text or "") for line in job.findall("details/line"))


def test_revert_config_full_and_partial(auto, admin, emu):
    original = emu.candidate_xml()
    emu.edit_as("admin", "set", ADDRESS + "/entry[@name='h']", "<ip-netmask>192.0.2.8</ip-netmask>")
    auto.config_ok("set", ADDRESS + "/entry[@name='a']", "<ip-netmask>192.0.2.9</ip-netmask>")
    result = auto.ok(
        type="op",
        cmd="<revert><config><partial><admin><member>automation</member></admin></partial></config></revert>",
    )
    assert "reverted" in result.findtext("result")
    assert emu.pending_admins() == ["admin"]
    assert names(emu.candidate(), f"{ADDRESS}/entry[@name='a' or @name='h']") == ["h"]
    auto.ok(type="op", cmd="<revert><config/></revert>")
    assert emu.pending_admins() == []
    assert emu.candidate_xml() == original


def test_job_lookup_errors(auto):
    missing = auto.call(type="op", cmd="<show><jobs><id>99</id></jobs></show>")
    assert (missing.get("status"), missing.get("code")) == ("error", "7")
    bad = auto.call(type="op", cmd="<show><jobs><id>x</id></jobs></show>")
    assert bad.get("status") == "error"


def test_zero_job_steps_finish_at_once():
    with EmulatorServer(job_steps=0) as emu:
        caller = Caller(emu.url, emu.api_key("automation"))
        caller.config_ok("set", VSYS + "/tag/entry[@name='t']", "<color>color3</color>")
        root = caller.commit()
        job = caller.ok(type="op", cmd=f"<show><jobs><id>{root.findtext('result/job')}</id></jobs></show>")
        assert job.findtext("result/job/status") == "FIN"
        caller.close()


def test_a_commit_in_progress_leaves_its_changes_pending_until_the_job_ends():
    """While a commit job is ACT, what it commits is not in running yet: the candidate keeps the
    admin's stamps and `check pending-changes` says yes (PAN-OS keeps uncommitted changes "until a
    commit executes successfully"); `show jobs all` lists the job as ACT with its user."""
    with EmulatorServer(commit_seconds=1.0, job_steps=0) as emu:
        caller = Caller(emu.url, emu.api_key("admin"))
        emu.edit_as("admin", "set", ADDRESS, "<entry name='in-flight'><ip-netmask>192.0.2.60</ip-netmask>"
                    "</entry>")
        assert emu.commit_as("admin")
        assert "in-flight" not in names(emu.running(), f"{ADDRESS}/entry")
        assert emu.candidate().xpath(f"{ADDRESS}/entry[@name='in-flight']")[0].get("admin") == "admin"
        assert emu.pending_admins() == ["admin"]
        assert caller.ok(type="op", cmd="<check><pending-changes/></check>").findtext("result") == "yes"
        jobs = caller.ok(type="op", cmd="<show><jobs><all/></jobs></show>").findall("result/job")
        assert [(j.findtext("user"), j.findtext("type"), j.findtext("status")) for j in jobs] == [
            ("admin", "Commit", "ACT")]
        # a second commit of the same admin finds nothing new to commit
        assert caller.commit(["admin"]).findtext("msg") == "There are no changes to commit."
        time.sleep(1.05)
        assert "in-flight" in names(emu.running(), f"{ADDRESS}/entry")
        assert emu.candidate().xpath(f"{ADDRESS}/entry[@name='in-flight']")[0].get("admin") is None
        assert emu.pending_admins() == []
        job = caller.ok(type="op", cmd="<show><jobs><all/></jobs></show>").find("result/job")
        assert (job.findtext("status"), job.findtext("result")) == ("FIN", "OK")
        caller.close()
