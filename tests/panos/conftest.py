"""Fixtures: a PAN-OS emulator on loopback with operator rules above and below the bottom rule,
a policy.yaml pointing at it, and a runner for the awspan command line (in-process, real HTTP).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from emulator import EmulatorServer
from generator.cli.main import main
from generator.location import Location
from tests.panos.helpers import rule, write_policy

RULES = Location().rules_xpath


def add_rule_below_cleanup(emu: EmulatorServer) -> None:
    """The default config ends with clean-up; real rulebases often keep rules below it."""
    emu.edit_as("admin", "set", RULES, rule("below-cleanup", source=["bastion"], application=["ping"],
                                             tag="admin-managed"))
    emu.edit_as("admin", "move", f"{RULES}/entry[@name='below-cleanup']", where="bottom")
    assert emu.commit_as("admin")


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def emu() -> Iterator[EmulatorServer]:
    with EmulatorServer() as server:
        add_rule_below_cleanup(server)
        server.reset_counters()
        yield server


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
        capsys.readouterr()
        code = main(argv)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
