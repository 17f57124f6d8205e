"""A firewall answer that redirects must never carry the API key or the keygen password
anywhere: a 3xx is an error naming the Location, and the other host is never contacted."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from generator.panos.xmlapi.client import PanosClient, PanosError
from tests.hostile.conftest import one_line
from tests.hostile.server import HostileServer, redirect
from tests.policies import write_policy

SECRET_KEY = "LUFRPT-the-key-that-must-not-travel"


@pytest.fixture
def elsewhere():
    """The other host a redirect points to: a loopback server that records any contact."""
    with HostileServer() as server:
        yield server


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_sends_the_key_nowhere(status: int, elsewhere: HostileServer):
    with HostileServer(lambda form: redirect(status, elsewhere.url + "/api/")) as fw:
        client = PanosClient(fw.url, api_key=SECRET_KEY)
        with pytest.raises(PanosError) as err:
            client.get("/config/shared")
    assert f"HTTP {status}" in str(err.value) and elsewhere.url in str(err.value)
    assert "never follows redirects" in str(err.value)
    assert elsewhere.requests == []
    assert len(fw.requests) == 1


@pytest.mark.parametrize("status", [302, 307, 308])
def test_keygen_redirected_sends_the_password_nowhere(status: int, elsewhere: HostileServer):
    fw = HostileServer(lambda form: redirect(status, elsewhere.url + "/api/"))
    with fw, pytest.raises(PanosError, match=f"HTTP {status}"):
        PanosClient(fw.url, username="automation", password="s3cret-password")
    assert fw.requests[0]["form"]["password"] == "s3cret-password"  # sent once, to the firewall only
    assert elsewhere.requests == []


def test_a_redirect_to_plain_http_elsewhere_is_not_even_looked_up(monkeypatch: pytest.MonkeyPatch):
    looked_up: list[str] = []
    real = socket.getaddrinfo

    def spy(host, *args, **kwargs):  # records, then does the real lookup
        looked_up.append(str(host))
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", spy)
    fw = HostileServer(lambda form: redirect(307, "http://fw-elsewhere.example.net/api/"))
    with fw, pytest.raises(PanosError, match="fw-elsewhere.example.net"):
        PanosClient(fw.url, api_key=SECRET_KEY).op("<show><system><info/></system></show>")
    assert "fw-elsewhere.example.net" not in looked_up
    assert looked_up  # the spy did see the lookup of the firewall itself


def test_a_long_location_is_truncated_in_the_one_line_error(tmp_path: Path, run, monkeypatch):
    location = "https://evil.example.net/" + "a" * 10_000
    with HostileServer(lambda form: redirect(302, location)) as fw:
        monkeypatch.setenv("PANOS_API_KEY", SECRET_KEY)
        out = tmp_path / "rulebase.xml"
        result = run("snapshot", "--config", str(write_policy(tmp_path, fw.url)), "--output", str(out))
    assert result.code == 1
    line = one_line(result.err)
    assert "evil.example.net" in line and len(line) < 600 and "more)" in line
    assert SECRET_KEY not in result.err + result.out
    assert not out.exists()
