"""Fixtures shared by every test directory.

moto_server: the collect and event tests' moto server, one subprocess per test module;
each test resets it (MotoServer.reset) rather than starting its own.
emu: the PAN-OS emulator, one per test (a thread and a small tree: cheap); its options come from
`@pytest.mark.emulator(...)` and a package's `emulator_options` fixture.
run: the awspan command line in-process (tests/cli_runner.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from devtools.moto_server import MotoServer
from emulator import EmulatorServer
from tests.cli_runner import Result, run_cli
from tests.panos.helpers import add_rule_below_cleanup


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    """EmulatorServer's keyword arguments for this package's `emu`, plus `bare`: True leaves the
    config as the emulator starts it. A package's conftest overrides this fixture."""
    return {}


@pytest.fixture
def emu(request: pytest.FixtureRequest, emulator_options: dict[str, Any]) -> Iterator[EmulatorServer]:
    """The PAN-OS emulator on loopback. Unless `bare` (or a Panorama, or a config of the test's
    own), an operator rule sits below the bottom rule, as on real firewalls; counters start at 0.
    `@pytest.mark.emulator(panorama=True, device=DeviceProfile(...), ...)` sets options per test."""
    marker = request.node.get_closest_marker("emulator")
    options = {**emulator_options, **(marker.kwargs if marker else {})}
    bare = options.pop("bare", False) or options.get("panorama") or "config_xml" in options
    with EmulatorServer(**options) as server:
        if not bare:
            add_rule_below_cleanup(server)
        server.reset_counters()
        yield server


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """`run("push", "--config", ...)`: the command line in this process, its code and output."""
    return lambda *argv: run_cli(capsys, *argv)


@pytest.fixture(scope="module")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer()
    with server:  # started here, stopped after the module's last test
        yield server
