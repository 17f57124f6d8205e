"""The awspan command line run in-process, as a test sees it: exit code, stdout, stderr."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from generator.cli.main import main


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> Result:
    """`awspan ARGV...` in this process (real HTTP to whatever the policy names); what it printed."""
    capsys.readouterr()
    code = main(list(argv))
    got = capsys.readouterr()
    return Result(code, got.out, got.err)
