"""Who holds the config lock, said so that an operator can act: another admin, a live awspan
run ("still running?"), or a run that is gone (only when awspan can know: same host, no such
pid). A live run's lock is never called stale."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from emulator import EmulatorServer
from generator.panos.config.canonical import canonical_text
from generator.panos.xmlapi.lockinfo import lock_comment, this_host
from tests.hostile.conftest import error_line, one_line
from tests.hostile.server import HostileServer
from tests.hostile.test_signals import WAIT, HoldBack, start_push
from tests.panos.helpers import first_fragment
from tests.policies import write_policy


def push_once(run, tmp_path: Path, emu: EmulatorServer, monkeypatch):
    monkeypatch.setenv("PANOS_API_KEY", emu.api_key("automation"))
    frag = tmp_path / "fragment.xml"
    frag.write_text(first_fragment())
    return run("push", "--config", str(write_policy(tmp_path, emu.url)), "--fragment", str(frag))


def gone_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_lock_of_another_admin_names_the_admin(emu, tmp_path, run, monkeypatch):
    emu.lock_as("jdoe", "config", "vsys1", comment="change window")
    result = push_once(run, tmp_path, emu, monkeypatch)
    line = one_line(result.err)
    assert result.code == 1 and "held by admin jdoe since" in line and "(comment: change window)" in line
    assert emu.config_locks() == {"vsys1": "jdoe"}


def test_a_live_awspan_run_is_still_running_not_killed(emu, tmp_path, run, monkeypatch):
    emu.lock_as("automation", "config", "shared", comment=lock_comment(pid=os.getpid()))
    result = push_once(run, tmp_path, emu, monkeypatch)
    line = one_line(result.err)
    assert f"held by awspan pid {os.getpid()} on host {this_host()} since" in line
    assert "(still running?" in line and "gone" not in line and "killed" not in line
    assert emu.config_locks() == {"shared": "automation"}  # not ours to take away


def test_a_run_that_is_gone_is_named_stale(emu, tmp_path, run, monkeypatch):
    pid = gone_pid()
    emu.lock_as("automation", "config", "shared", comment=lock_comment(pid=pid))
    line = one_line(push_once(run, tmp_path, emu, monkeypatch).err)
    assert f"held by awspan pid {pid}" in line and f"that run is gone (no pid {pid} on this host)" in line
    assert "docs/push.md" in line


def test_a_run_on_another_host_may_still_be_running(emu, tmp_path, run, monkeypatch):
    emu.lock_as("automation", "config", "shared", comment=lock_comment(pid=gone_pid(), host="ci-runner-7"))
    line = one_line(push_once(run, tmp_path, emu, monkeypatch).err)
    assert "on host ci-runner-7" in line and "(still running?" in line and "gone" not in line


def test_the_loser_of_two_concurrent_pushes_is_told_the_truth(emu, tmp_path, run, monkeypatch):
    """A real push holds the lock (its read is held back); a second push must not call it killed."""
    hold = HoldBack("read")
    first_dir = tmp_path / "first"
    first_dir.mkdir()
    with HostileServer(hold, upstream=emu.url) as proxy:
        hold.server = proxy
        first = start_push(first_dir, proxy.url, emu.api_key("automation"))
        try:
            assert hold.reached.wait(WAIT)
            before = canonical_text(emu.candidate())
            loser = push_once(run, tmp_path, emu, monkeypatch)
            assert canonical_text(emu.candidate()) == before  # the loser changed nothing
        finally:
            hold.release.set()
        _out, err = first.communicate(timeout=WAIT)
    line = one_line(loser.err)
    assert loser.code == 1
    assert f"held by awspan pid {first.pid} on host {this_host()}" in line and "(still running?" in line
    assert "killed" not in line and "gone" not in line
    assert first.returncode == 0, err  # the winner finished its push
    assert emu.config_locks() == {}


def test_sigterm_then_the_next_push_succeeds(emu, tmp_path, run, monkeypatch):
    """The issue's case: after a SIGTERM mid-push, the next push must not find the lock held."""
    hold = HoldBack("verify")
    with HostileServer(hold, upstream=emu.url) as proxy:
        hold.server = proxy
        (tmp_path / "first").mkdir()
        proc = start_push(tmp_path / "first", proxy.url, emu.api_key("automation"))
        try:
            assert hold.reached.wait(WAIT)
            proc.send_signal(signal.SIGTERM)
            _out, err = proc.communicate(timeout=WAIT)
        finally:
            hold.release.set()
    assert proc.returncode == 143 and "interrupted by SIGTERM" in error_line(err)
    assert push_once(run, tmp_path, emu, monkeypatch).code == 0
