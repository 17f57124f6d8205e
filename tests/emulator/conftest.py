"""Fixtures: a fresh emulator per test (cheap: a thread and a small tree), callers per admin."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulator import EmulatorServer
from tests.emulator.helpers import Caller


@pytest.fixture
def emu() -> Iterator[EmulatorServer]:
    with EmulatorServer(job_steps=2) as server:
        yield server


@pytest.fixture
def auto(emu: EmulatorServer) -> Iterator[Caller]:
    caller = Caller(emu.url, emu.api_key("automation"))
    yield caller
    caller.close()


@pytest.fixture
def admin(emu: EmulatorServer) -> Iterator[Caller]:
    caller = Caller(emu.url, emu.api_key("admin"))
    yield caller
    caller.close()
