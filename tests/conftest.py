"""Fixtures shared by several test directories.

moto_server: the collect and event tests' moto server, one subprocess per test module;
each test resets it (MotoServer.reset) rather than starting its own.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devtools.moto_server import MotoServer


@pytest.fixture(scope="module")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer()
    with server:  # started here, stopped after the module's last test
        yield server
