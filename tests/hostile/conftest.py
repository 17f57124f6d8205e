"""Fixtures of the hostile-input suite: credentials only from the environment, and what an error
looks like on stderr. (The emulator, the command-line runner and policy.yaml are shared:
tests/conftest.py, tests/policies.py.)"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("PANOS_URL", "PANOS_API_KEY", "PANOS_USERNAME", "PANOS_PASSWORD", "PANOS_CA_BUNDLE"):
        monkeypatch.delenv(var, raising=False)


def one_line(err: str) -> str:
    """The error output must be exactly one line (no traceback); return it."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err[:2000]
    return lines[0]


def error_line(err: str) -> str:
    """Progress lines may come first (push logs its steps); the error itself is one last line."""
    assert "Traceback" not in err, err[:2000]
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines and [line for line in lines if line.startswith("awspan ")] == lines[-1:], err[:2000]
    return lines[-1]
