"""A firewall that lies or breaks in the middle of a push (a proxy in front of the emulator
rewrites one answer). Whatever it says, push exits 1 with one line, releases its lock, and
either leaves the candidate as it was or says plainly that the commit's outcome is unknown."""

from __future__ import annotations

from pathlib import Path

from generator.panos.config.canonical import canonical_text
from tests.hostile.conftest import error_line
from tests.hostile.server import HostileServer, Reply, gzip_bomb, xml
from tests.panos.helpers import first_fragment, rule_names
from tests.policies import write_policy

DTD = '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><response status="success">&x;</response>'


def push_through(emu, tmp_path: Path, behave, run, monkeypatch, commit_timeout: str = "30"):
    """`awspan push` through a proxy that asks `behave(form, proxy)` for each answer (None: the real one)."""
    monkeypatch.setenv("PANOS_API_KEY", emu.api_key("automation"))
    frag = tmp_path / "fragment.xml"
    frag.write_text(first_fragment())
    proxy = HostileServer(lambda form: behave(form, proxy), upstream=emu.url)
    with proxy:
        policy = write_policy(tmp_path, proxy.url, firewall={"max_answer_mb": 1})
        text = policy.read_text().replace("commit_timeout: 30", f"commit_timeout: {commit_timeout}")
        policy.write_text(text)
        return run("push", "--config", str(policy), "--fragment", str(frag))


def state(emu) -> tuple[str, str]:
    return canonical_text(emu.running()), canonical_text(emu.candidate())


def test_a_dtd_in_the_batch_answer_rolls_back(emu, tmp_path, run, monkeypatch):
    before = state(emu)

    batches = []

    def behave(form, proxy):
        if form.get("action") == "multi-config" and not batches:
            batches.append(proxy.forward_form(form))  # the batch lands; the answer is hostile
            return xml(DTD)
        return None  # the rollback's batch gets the real answer

    result = push_through(emu, tmp_path, behave, run, monkeypatch)
    line = error_line(result.err)
    assert result.code == 1 and "DTD" in line and "put back as it was before the push" in line
    assert len(batches) == 1 and state(emu) == before and emu.config_locks() == {}


def test_a_job_that_never_ends_is_an_unknown_outcome_not_a_success(emu, tmp_path, run, monkeypatch):
    def behave(form, proxy):
        if "<jobs>" in form.get("cmd", ""):
            return xml('<response status="success"><result><job><id>1</id><status>PEND</status>'
                       "<result>PEND</result></job></result></response>")
        return None

    result = push_through(emu, tmp_path, behave, run, monkeypatch, commit_timeout="0.5")
    line = error_line(result.err)
    assert result.code == 1 and "did not finish within 0.5 s" in line
    assert emu.config_locks() == {}


def test_an_unreadable_job_state_is_an_unknown_outcome(emu, tmp_path, run, monkeypatch):
    def behave(form, proxy):
        if "<jobs>" in form.get("cmd", ""):
            return gzip_bomb(4 * 2**20)  # over the 1 MiB cap once inflated, every time
        return None

    result = push_through(emu, tmp_path, behave, run, monkeypatch)
    line = error_line(result.err)
    assert result.code == 1 and "cannot read the state of commit job" in line and "max_answer_mb" in line
    assert emu.config_locks() == {}


def test_a_reset_on_the_commit_keeps_the_changes_and_releases_the_lock(emu, tmp_path, run, monkeypatch):
    def behave(form, proxy):
        if form.get("type") == "commit":
            return Reply(body=b"<response status='success'>" + b" " * 1000, reset_after=10)
        return None

    result = push_through(emu, tmp_path, behave, run, monkeypatch)
    line = error_line(result.err)
    assert result.code == 1 and "the commit request got no answer" in line
    assert emu.config_locks() == {}
    assert "sg-web-tcp-443" in rule_names(emu.candidate())  # not rolled back: it may have been taken
