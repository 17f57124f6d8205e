"""Fixtures: the shared emulator (tests/conftest.py) as it starts, with no operator rule added (these
tests judge the emulator itself), and callers per admin."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from emulator import EmulatorServer
from tests.emulator.helpers import Caller


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    return {"bare": True}


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
