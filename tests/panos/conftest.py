"""Fixtures: the shared PAN-OS emulator (tests/conftest.py: operator rules above and below the
bottom rule), a policy.yaml pointing at it, and a runner for the awspan command line (in-process,
real HTTP).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator import EmulatorServer
from tests.cli_runner import Result, run_cli
from tests.policies import write_policy


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, emu: EmulatorServer) -> None:
    """Credentials only from the environment, as in CI."""
    for var in ("PANOS_URL", "PANOS_USERNAME", "PANOS_PASSWORD", "PANOS_CA_BUNDLE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PANOS_API_KEY", emu.api_key("automation"))


@pytest.fixture
def policy(tmp_path: Path, emu: EmulatorServer) -> Path:
    return write_policy(tmp_path, emu.url)


@pytest.fixture
def awspan(capsys: pytest.CaptureFixture[str], tmp_path: Path, policy: Path, env: None):
    """Run `awspan COMMAND ...` with --config policy.yaml; fragments come as XML text."""

    def run(command: str, *args: str, fragment: str | None = None) -> Result:
        argv = [command, "--config", str(policy), *args]
        if fragment is not None:
            path = tmp_path / "out" / "fragment.xml"
            path.parent.mkdir(exist_ok=True)
            path.write_text(fragment)
            argv += ["--fragment", str(path)]
        return run_cli(capsys, *argv)

    return run
