"""Signals during push: a real `awspan push` process against the emulator (through a loopback
proxy that holds one answer back, so the signal lands at a known step), then SIGINT, SIGTERM
or SIGHUP. The process must exit 128+n with one line saying what it did, leave no lock, and
leave the candidate as it was (or, once the commit was requested, let the commit stand)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from emulator import EmulatorServer
from generator.panos.config.canonical import canonical_text
from tests.hostile.conftest import error_line
from tests.hostile.server import HostileServer
from tests.panos.helpers import first_fragment, rule_names
from tests.policies import write_policy

ROOT = Path(__file__).resolve().parents[2]
WAIT = 30  # bound of every wait; a passing test waits well under a second for each


class HoldBack:
    """Forward every request, but hold the answer to the first one that matches `step` until released."""

    def __init__(self, step: str) -> None:
        self.step = step
        self.reached = threading.Event()
        self.release = threading.Event()
        self.seen_batch = False
        self.server: HostileServer | None = None

    def matches(self, form: dict[str, str]) -> bool:
        cmd, action = form.get("cmd", ""), form.get("action", "")
        if action == "multi-config":
            self.seen_batch = True
        return {
            "lock": "config-lock><add" in cmd,
            "read": action == "get" and not self.seen_batch,
            "verify": action == "get" and self.seen_batch,
            "job": "<jobs>" in cmd,
        }[self.step]

    def __call__(self, form: dict[str, str]):
        if self.reached.is_set() or not self.matches(form):
            return None  # forwarded
        answer = self.server.forward_form(form)  # the firewall did it; the answer is late
        self.reached.set()
        self.release.wait(WAIT)
        return answer


def spawn(args: list[str], key: str) -> subprocess.Popen[str]:
    """A real `awspan ARGS...` process with only the API key from the environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANOS_")}
    env["PANOS_API_KEY"] = key
    return subprocess.Popen([sys.executable, "-m", "generator", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def start_push(tmp_path: Path, url: str, key: str) -> subprocess.Popen[str]:
    frag = tmp_path / "fragment.xml"
    frag.write_text(first_fragment())
    return spawn(["push", "--config", str(write_policy(tmp_path, url)), "--fragment", str(frag)], key)


def hold_and_signal(hold: HoldBack, upstream: str, start: Callable[[str], subprocess.Popen[str]],
                    signals: tuple[int, ...], while_held: Callable[[], None] = lambda: None
                    ) -> tuple[int, str]:
    """Start a process against a proxy of `upstream` (`start(proxy_url)`), wait until `hold` holds
    it, run `while_held`, send `signals`; (exit code, stderr)."""
    with HostileServer(hold, upstream=upstream) as proxy:
        hold.server = proxy
        proc = start(proxy.url)
        try:
            assert hold.reached.wait(WAIT), proc.stderr.read() if proc.poll() is not None else "no request"
            while_held()
            for sig in signals:
                proc.send_signal(sig)
            _out, err = proc.communicate(timeout=WAIT)
        finally:
            hold.release.set()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return proc.returncode, err


def signal_at(step: str, signum: int, emu: EmulatorServer, tmp_path: Path, *more: int) -> tuple[int, str]:
    """Run a real `awspan push`, hold it at `step`, send `signum` (then `more` signals at once)."""
    return hold_and_signal(HoldBack(step), emu.url,
                           lambda url: start_push(tmp_path, url, emu.api_key("automation")), (signum, *more))


def state(emu: EmulatorServer) -> tuple[str, str]:
    return canonical_text(emu.running()), canonical_text(emu.candidate())


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_after_the_batch_puts_the_candidate_back_and_unlocks(signum, emu, tmp_path):
    before = state(emu)
    code, err = signal_at("verify", signum, emu, tmp_path)
    assert code == 128 + signum
    line = error_line(err)
    assert f"interrupted by {signal.Signals(signum).name}" in line
    assert "the candidate was put back as it was before the push" in line and "lock was released" in line
    assert emu.config_locks() == {}
    assert state(emu) == before  # candidate and running both as they were


def test_a_signal_before_the_batch_changes_nothing(emu, tmp_path):
    before = state(emu)
    code, err = signal_at("read", signal.SIGTERM, emu, tmp_path)
    assert code == 143
    assert "interrupted by SIGTERM: nothing was changed; the config lock was released" in error_line(err)
    assert emu.config_locks() == {} and state(emu) == before


def test_a_signal_while_the_lock_is_being_taken_releases_it(emu, tmp_path):
    code, err = signal_at("lock", signal.SIGHUP, emu, tmp_path)
    assert code == 129
    assert "nothing was changed; the config lock was released" in error_line(err)
    assert emu.config_locks() == {}


def test_a_signal_while_the_commit_runs_lets_the_commit_stand(emu, tmp_path):
    code, err = signal_at("job", signal.SIGTERM, emu, tmp_path)
    assert code == 143
    line = error_line(err)
    assert "the commit had been requested" in line and "lock was released" in line
    assert emu.config_locks() == {}
    assert "sg-web-tcp-443" in rule_names(emu.running())  # the commit was not undone under the job


def test_a_second_signal_does_not_cut_the_cleanup_short(emu, tmp_path):
    before = state(emu)
    code, err = signal_at("verify", signal.SIGTERM, emu, tmp_path, signal.SIGINT, signal.SIGTERM)
    assert code in (130, 143)  # pending signals are handled in number order: SIGINT may come first
    assert "put back as it was before the push" in err and "lock was released" in err
    assert emu.config_locks() == {} and state(emu) == before
