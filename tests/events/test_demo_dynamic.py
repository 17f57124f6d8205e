"""`make demo MEMBERSHIP=dynamic`: the stop of an instance reaches the firewall through User-ID
registrations, and the second push commits nothing."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.events.test_demo import _env


@pytest.mark.slow
def test_dynamic_demo_enforces_the_stop_without_a_commit(tmp_path):
    out = tmp_path / "demo-out"
    proc = subprocess.run(
        [sys.executable, "-m", "devtools.demo", "--membership", "dynamic", "--out", str(out)],
        cwd=tmp_path, capture_output=True, text=True, env=_env(), timeout=180,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    first, _, second = proc.stdout.partition("== change AWS")
    assert "commit job" in first and "registered" in first
    plan = second.split("$ awspan plan")[1].split("$ awspan push")[0].replace("\n    ↳ ", " ")
    # the plan says what the push then does: web-2's flows close, its address is unregistered
    assert "flows: 0 opened, 2 closed (closed to i-" in plan and "(web-2) 10.0.1.12)" in plan
    assert "registrations: 0 to register, 1 to unregister" in plan
    assert "- unregister 10.0.1.12 i-" in plan
    push = second.split("$ awspan push")[1].split("==")[0]
    assert "no batch, no commit" in push and "1 unregistered" in push and "commit job" not in push
    registered = second.split("registered IPs with awspan tags")[1].split("==")[0]
    assert "10.0.1.12" not in registered and "10.0.1.11" in registered  # web-2 left, web-1 stayed
    assert (out / "registrations.yaml").is_file()
