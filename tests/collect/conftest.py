"""Fixtures: fake credentials in the environment (never real ones) and moto's in-process mock."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from moto import mock_aws

from devtools.moto_server import moto_env


def fake_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials only: no AWS_* variable of the caller's shell reaches a test."""
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    for key, value in moto_env().items():
        monkeypatch.setenv(key, value)
    # moto scans its ~1,300 default AMIs on every instance it launches: seeding 2,000
    # instances takes 3x longer with them, and no test needs them
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_aws_env(monkeypatch)


@pytest.fixture
def mocked(aws_env: None) -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture(scope="module")
def mocked_module() -> Iterator[None]:
    """One moto account for a whole module of read-only tests (building an estate takes ~1 s)."""
    with pytest.MonkeyPatch.context() as mp:
        fake_aws_env(mp)
        with mock_aws():
            yield
