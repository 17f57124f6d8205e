"""Fixtures of the hostile-input suite: credentials only from the environment, a runner of the
command line that returns (exit code, stdout, stderr), and a policy.yaml for any URL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from emulator import EmulatorServer
from generator.cli.main import main


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("PANOS_URL", "PANOS_API_KEY", "PANOS_USERNAME", "PANOS_PASSWORD", "PANOS_CA_BUNDLE"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def emu() -> Iterator[EmulatorServer]:
    """The PAN-OS emulator with an operator rule below the bottom rule (as tests/panos sets it up)."""
    from tests.panos.conftest import add_rule_below_cleanup

    with EmulatorServer() as server:
        add_rule_below_cleanup(server)
        yield server


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]):
    def call(*argv: str) -> Result:
        capsys.readouterr()
        code = main(list(argv))
        got = capsys.readouterr()
        return Result(code, got.out, got.err)

    return call


def one_line(err: str) -> str:
    """The error output must be exactly one line (no traceback); return it."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err[:2000]
    return lines[0]


def policy_file(tmp: Path, url: str, *, extra_fw: str = "") -> Path:
    from tests.panos.helpers import write_policy

    return write_policy(tmp, url, extra_fw=extra_fw)


def error_line(err: str) -> str:
    """Progress lines may come first (push logs its steps); the error itself is one last line."""
    assert "Traceback" not in err, err[:2000]
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines and [line for line in lines if line.startswith("awspan ")] == lines[-1:], err[:2000]
    return lines[-1]
