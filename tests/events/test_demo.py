"""`make demo` as a user runs it: a child process that exits 0, shows the loop and the
change, writes its artefacts, and leaves no process behind (also after Ctrl-C)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the demo runs whole (a moto server, the emulator, the loop twice)

ROOT = Path(__file__).resolve().parents[2]


def _session_members(sid: int) -> list[str]:
    """Processes still in the demo's session (its servers and steps would be, if leaked)."""
    left = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text.rsplit(")", 1)[1].split()
        if int(fields[3]) == sid and fields[0] != "Z":  # fields[3]: session id; Z: already reaped
            left.append(text.split(" ", 1)[0] + " " + text[text.index("(") : text.rindex(")") + 1])
    return left


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PANOS_URL", None)
    env["AWS_PROFILE"] = "no-such-profile"  # a user's profile must neither reach nor break the demo
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _wait_gone(sid: int) -> list[str]:
    deadline = time.monotonic() + 30  # generous: under load a server child takes a while to exit
    while (left := _session_members(sid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def test_demo_runs_the_loop_twice_and_leaves_nothing_running(tmp_path):
    out = tmp_path / "demo-out"
    argv = [sys.executable, "-m", "devtools.demo", "--out", str(out)]
    proc = subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=_env(), start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, output
    first, _, second = output.partition("== change AWS")
    assert "$ awspan collect" in first and "$ awspan push" in first
    assert "+ create rule" in first and "FIN/OK" in first
    assert "clean-up" in first.split("running security rules")[1]
    # the change: web-2 stopped (its address goes), tcp/8443 revoked (its rule goes)
    assert "stopped instance web-2" in second and "revoked tcp/8443" in second
    plan = second.split("$ awspan plan")[1].split("$ awspan push")[0]
    assert "delete address" in plan and "10.0.1.12" in plan
    assert "delete rule" in plan and "tcp-8443" in plan
    assert "+ create" not in plan
    assert "tcp-8443" not in second.split("running security rules")[1]
    # each fact once: a rule the operator's deny rule partly blocks is said by generate, not again
    # by plan, and the sentence names the blocking rule once
    for loop in (first, second):
        kept = [line for line in loop.splitlines() if "block-known-bad" in line and "sg-" in line
                and "running security rules" not in line and " deny" not in line]
        rules = [line.split(":")[0].split()[-1] for line in kept]
        assert rules and len(rules) == len(set(rules)), kept
        assert all(line.count("block-known-bad") == 1 for line in kept), kept
    assert "already-allowed check (" not in output
    for name in ("policy.yaml", "state.yaml", "rulebase.xml", "fragment.xml"):
        assert (out / name).is_file() and f"demo-out/{name}" in output
    assert "PANOS_API_KEY" not in (out / "policy.yaml").read_text()
    assert _wait_gone(proc.pid) == []


def test_ctrl_c_stops_both_servers(tmp_path):
    argv = [sys.executable, "-m", "devtools.demo", "--out", str(tmp_path / "o")]
    proc = subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=_env(), start_new_session=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("== first run"):
                break
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole foreground group
        rest, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode in (130, 1), rest
    assert "Traceback" not in rest
    assert _wait_gone(proc.pid) == []
