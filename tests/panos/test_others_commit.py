"""Another admin's commit job still running is named as such, and plan and push wait for it.

While another admin's commit job is ACT, what it commits is not in running yet and still shows
as pending (the emulator models it with `commit_seconds`, docs/emulator.md). Push used to refuse
with "admin has uncommitted changes to awspan's objects": misleading, they had committed. Now
plan and push ask `show jobs all`, wait for the job (bounded by firewall.commit_timeout) and plan
again; a job still running at the deadline is named, and nothing is changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator import EmulatorServer
from generator.cli.main import main
from generator.location import Location
from generator.panos.config.canonical import canonical_text
from tests.cli_runner import Result
from tests.panos.helpers import first_fragment, members, rule
from tests.policies import write_policy

LOC = Location()
RULE = LOC.entry_xpath("rules", "sg-web-tcp-443")


@pytest.fixture
def slow() -> Iterator[EmulatorServer]:
    """A firewall whose commits take real time once the estate is in place."""
    with EmulatorServer(job_steps=0) as server:
        yield server


def run(server: EmulatorServer, tmp_path: Path, monkeypatch, capsys, command: str, *,
        commit_timeout: float = 30) -> Result:
    monkeypatch.setenv("PANOS_API_KEY", server.api_key("automation"))
    policy = write_policy(tmp_path, server.url, firewall={"commit_timeout": commit_timeout})
    frag = tmp_path / "fragment.xml"
    frag.write_text(first_fragment())
    capsys.readouterr()
    code = main([command, "--config", str(policy), "--fragment", str(frag)])
    out = capsys.readouterr()
    return Result(code, out.out, out.err)


def admin_commits_an_edit(server: EmulatorServer, seconds: float, source: str = "192.0.2.0/24") -> str:
    """`admin` edits one of awspan's rules and commits; the job runs for `seconds`. Returns its id."""
    server.store.commit_seconds = seconds
    server.edit_as("admin", "edit", RULE + "/source", members("source", [source]))
    assert server.commit_as("admin")
    [job] = [j for j in server.store.jobs.values() if j.user == "admin" and j.status == "ACT"]
    return str(job.id)


def test_plan_and_push_wait_for_another_admins_commit_job(slow: EmulatorServer, tmp_path, monkeypatch,
                                                          capsys):
    assert run(slow, tmp_path, monkeypatch, capsys, "push").code == 0
    job = admin_commits_an_edit(slow, 1.0)
    slow.reset_counters()
    res = run(slow, tmp_path, monkeypatch, capsys, "plan")
    assert res.code == 0, res.err
    assert "uncommitted" not in res.err
    assert f"waiting up to 30 s (firewall.commit_timeout) for commit job {job} of admin (ACT" in res.err
    assert "~ change rule sg-web-tcp-443" in res.out  # the committed edit, now in running, is put back
    # HA state, system info, candidate, running, the jobs, polls of the job, candidate and running again
    asked = [(r["type"], r["action"]) for r in slow.requests]
    polls = asked.count(("op", "show jobs"))
    assert polls >= 1 and asked == [("op", "show high-availability state"), ("op", "show system info"),
                                    ("config", "get"), ("config", "show"),
                                    ("op", "show jobs all"), *[("op", "show jobs")] * polls,
                                    ("config", "get"), ("config", "show")]

    job = admin_commits_an_edit(slow, 1.0, source="192.0.2.128/25")
    res = run(slow, tmp_path, monkeypatch, capsys, "push")
    assert res.code == 0, res.err
    assert f"commit job {job} of admin" in res.err
    rule_source = slow.running().xpath(RULE + "/source/member/text()")
    assert rule_source == ["any"]  # the fragment's, over admin's committed edit


def test_a_commit_job_still_running_at_the_deadline_is_named(slow: EmulatorServer, tmp_path, monkeypatch,
                                                             capsys):
    assert run(slow, tmp_path, monkeypatch, capsys, "push").code == 0
    job = admin_commits_an_edit(slow, 30.0)
    before = canonical_text(slow.candidate())
    res = run(slow, tmp_path, monkeypatch, capsys, "plan", commit_timeout=1)
    assert res.code == 1
    said = (f"commit job {job} of admin (ACT, 0 %, enqueued ")
    assert said in res.err
    assert ("is still running after awspan waited 1 s (firewall.commit_timeout): the changes to awspan's "
            "objects (rule 'sg-web-tcp-443') are committed but not yet in running; run awspan again once it "
            f"ends (`show jobs id {job}`)") in res.err
    assert "has uncommitted changes" not in res.err
    slow.reset_counters()
    res = run(slow, tmp_path, monkeypatch, capsys, "push", commit_timeout=1)
    assert res.code == 1 and "push refused, nothing was changed: " + said in res.err
    assert not [r for r in slow.requests if r["type"] == "commit" or r.get("action") == "multi-config"]
    assert canonical_text(slow.candidate()) == before


def test_a_commit_job_that_fails_leaves_the_changes_uncommitted_and_says_so(slow: EmulatorServer, tmp_path,
                                                                             monkeypatch, capsys):
    assert run(slow, tmp_path, monkeypatch, capsys, "push").code == 0
    slow.store.commit_seconds = 1.0
    slow.edit_as("admin", "edit", RULE + "/source", members("source", ["192.0.2.0/24"]))
    # an incomplete rule of the same admin: the commit fails validation, nothing lands
    slow.edit_as("admin", "set", LOC.rules_xpath, rule("half-done", tag=None).replace(
        "<from><member>untrust</member></from>", ""))
    assert not slow.commit_as("admin")
    res = run(slow, tmp_path, monkeypatch, capsys, "plan")
    assert res.code == 1
    assert "admin has uncommitted changes to awspan's objects (rule 'sg-web-tcp-443')" in res.err
    assert "(commit job " in res.err and "of admin ended FIN/FAIL)" in res.err


def test_uncommitted_changes_without_a_commit_job_cost_one_request_more(slow: EmulatorServer, tmp_path,
                                                                        monkeypatch, capsys):
    assert run(slow, tmp_path, monkeypatch, capsys, "push").code == 0
    slow.edit_as("admin", "edit", RULE + "/source", members("source", ["192.0.2.0/24"]))
    slow.reset_counters()
    res = run(slow, tmp_path, monkeypatch, capsys, "plan")
    assert res.code == 1 and "admin has uncommitted changes to awspan's objects" in res.err
    assert [(r["type"], r["action"]) for r in slow.requests] == [
        ("op", "show high-availability state"), ("op", "show system info"),
        ("config", "get"), ("config", "show"), ("op", "show jobs all")]
