"""Fixtures for the reaction tests: one moto server per module, a clean AWS per test, and an
environment that can only reach loopback servers (no real credentials, no real firewall)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devtools.moto_server import MotoServer, moto_env
from tests.events.https_server import DispatchServer

FIXTURES = Path(__file__).parent / "fixtures"

_UNSAFE = ("PANOS_URL", "PANOS_API_KEY", "PANOS_USERNAME", "PANOS_PASSWORD", "PANOS_CA_BUNDLE",
           "AWS_PROFILE", "AWS_REGION", "AWSPAN_CONFIG", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


@pytest.fixture
def aws(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """An empty moto AWS; every boto3 client of this process (and its children) goes there.

    AWS_ENDPOINT_URL is boto3's own setting for "send every service here", so the Lambda
    code under test runs unchanged, as it would against real AWS.
    """
    moto_server.reset()
    for name in _UNSAFE:
        monkeypatch.delenv(name, raising=False)
    for name, value in moto_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", str(moto_server.url))
    return str(moto_server.url)


def load_event(name: str, replace: dict[str, str] | None = None) -> dict:
    """A fixture event with some of its ids replaced (the fixture's id -> a seeded id)."""
    text = (FIXTURES / f"{name}.json").read_text()
    for old, new in (replace or {}).items():
        text = text.replace(old, new)
    return json.loads(text)


@pytest.fixture
def dispatch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A repository-dispatch endpoint: a real HTTPS server on 127.0.0.1 that records each request."""
    with DispatchServer(tmp_path) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.cert))  # TLS verification stays on
        yield server
