"""The XML API client: where the key travels (header only), TLS, http:// only to loopback, keygen,
the admin behind a bare API key, and PAN-OS error envelopes as readable errors."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest

from emulator import EmulatorServer
from generator.cli.main import main
from generator.errors import AwspanError
from generator.location import Location
from generator.panos.xmlapi.client import PanosClient, PanosError
from tests.hostile.server import HostileServer
from tests.panos.helpers import address, first_fragment
from tests.policies import OMIT, write_policy


def test_the_key_travels_only_in_the_header(emu: EmulatorServer):
    with HostileServer(lambda form: None, upstream=emu.url) as proxy:  # forwards, and records each request
        client = PanosClient(proxy.url, username="automation", password="automation")
        key = emu.api_key("automation")
        client.get(Location().rules_xpath)
        client.op("<show><system><info></info></system></show>")
    seen = proxy.requests
    assert len(seen) == 3
    keygen, *rest = seen
    assert keygen["form"]["password"] == "automation" and "X-PAN-KEY" not in keygen["headers"]
    for req in seen:
        assert req["path"] == "/api/"  # nothing in the query string, ever
        assert key not in str(req["form"])
    assert all(r["headers"]["X-PAN-KEY"] == key for r in rest)
    assert key not in repr(client)


def test_the_key_is_not_in_output_or_logs(emu: EmulatorServer, policy: Path, env, caplog, capsys, tmp_path):
    key = emu.api_key("automation")
    frag = tmp_path / "fragment.xml"
    frag.write_text(first_fragment())
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="generator.panos.xmlapi.client")  # whatever earlier tests set
    assert main(["push", "--debug", "--config", str(policy), "--fragment", str(frag)]) == 0
    emu.fail("get")
    assert main(["push", "--config", str(policy), "--fragment", str(frag)]) == 1  # the error path too
    out = capsys.readouterr()
    assert key not in out.out + out.err + caplog.text
    # --debug sends awspan's log records to stderr: the requests were logged, the key was not in them
    assert "PAN-OS request 1: POST" in out.err + caplog.text
    assert key not in (tmp_path / "fragment.xml").read_text()


def test_plain_http_only_to_loopback():
    with pytest.raises(AwspanError, match="refusing plain http:// to fw.example.net"):
        PanosClient("http://fw.example.net", api_key="k")
    with pytest.raises(AwspanError, match="must not hold credentials"):
        PanosClient("https://admin:pw@fw.example.net", api_key="k")
    with pytest.raises(AwspanError, match="https://host"):
        PanosClient("ftp://fw.example.net", api_key="k")


@pytest.mark.emulator(tls=True, bare=True)
def test_tls_is_verified_and_a_ca_bundle_makes_it_work(
        emu: EmulatorServer, tmp_path: Path, monkeypatch, capsys,
):
    url = emu.url.replace("127.0.0.1", "localhost")
    with pytest.raises(PanosError, match=r"cannot verify the certificate of https://localhost:\d+/api/ "
                                         r"\(self-signed certificate\): name the CA that signed it "
                                         r"with PANOS_CA_BUNDLE"):
        PanosClient(url, api_key=emu.api_key("automation")).get("/config/shared")
    monkeypatch.setenv("PANOS_API_KEY", emu.api_key("automation"))
    monkeypatch.setenv("PANOS_CA_BUNDLE", emu.ca_file)
    policy = write_policy(tmp_path, url)
    assert main(["snapshot", "--config", str(policy), "--output", str(tmp_path / "rb.xml")]) == 0
    assert b"clean-up" in (tmp_path / "rb.xml").read_bytes()


def test_keygen_from_username_and_password_and_the_admin_is_the_user(emu, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("PANOS_API_KEY", raising=False)
    monkeypatch.setenv("PANOS_USERNAME", "automation")
    monkeypatch.setenv("PANOS_PASSWORD", "automation")
    policy = write_policy(tmp_path, emu.url, firewall={"admin": OMIT})
    frag = tmp_path / "fragment.xml"
    frag.write_text(first_fragment())
    emu.edit_as("admin", "set", Location().xpath("address"), address("admins-work", "10.8.0.1/32", tag=None))
    assert main(["push", "--config", str(policy), "--fragment", str(frag)]) == 0, capsys.readouterr().err
    assert emu.pending_admins() == ["admin"]
    monkeypatch.setenv("PANOS_PASSWORD", "wrong")
    assert main(["push", "--config", str(policy), "--fragment", str(frag)]) == 1
    err = capsys.readouterr().err
    assert "keygen failed: Invalid Credential" in err and "PANOS_USERNAME/PANOS_PASSWORD" in err


def test_a_bare_api_key_finds_its_admin_through_its_lock(emu, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PANOS_API_KEY", emu.api_key("automation"))
    monkeypatch.delenv("PANOS_USERNAME", raising=False)
    policy = write_policy(tmp_path, emu.url, firewall={"admin": OMIT})
    frag = tmp_path / "fragment.xml"
    frag.write_text(first_fragment())
    emu.edit_as("admin", "set", Location().xpath("address"), address("admins-work", "10.8.0.1/32", tag=None))
    assert main(["push", "--config", str(policy), "--fragment", str(frag)]) == 0, capsys.readouterr().err
    commits = [r["cmd"] for r in emu.requests if r["type"] == "commit"]
    assert len(commits) == 1 and "<member>automation</member>" in commits[0]
    assert emu.pending_admins() == ["admin"]


def test_error_envelopes_become_errors_with_code_and_lines(emu: EmulatorServer):
    client = PanosClient(emu.url, api_key=emu.api_key("automation"))
    with pytest.raises(PanosError) as info:
        client.op("<show><no-such-thing></no-such-thing></show>")
    assert info.value.code == "17" and info.value.answered
    assert info.value.lines and "no-such-thing" in info.value.lines[0]
    with pytest.raises(PanosError, match=r"\(check PANOS_API_KEY") as bad:
        PanosClient(emu.url, api_key="not-a-key").get("/config/shared")
    assert bad.value.code == "403"


def test_an_unreachable_firewall_is_one_readable_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(PanosError, match=f"cannot reach the firewall at http://127.0.0.1:{port}/api/"):
        PanosClient(f"http://127.0.0.1:{port}", api_key="k").get("/config")
