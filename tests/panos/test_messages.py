"""Firewall-side mistakes a new user makes, each answered with one line naming the cause and the
fix: https:// to a plain-HTTP port, a refused port, half a credential pair, no URL at all; and the
names they bring from Terraform / pan-os-python (PANOS_HOSTNAME) or the API docs (.../api/)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from emulator import EmulatorServer
from generator.cli.main import main
from generator.panos.xmlapi.client import PanosClient, api_endpoint
from generator.policy import load_policy
from tests.policies import write_policy

FW_VARS = ("PANOS_URL", "PANOS_HOSTNAME", "PANOS_API_KEY", "PANOS_USERNAME", "PANOS_PASSWORD",
           "PANOS_CA_BUNDLE")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for var in FW_VARS:
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def _snapshot(capsys: pytest.CaptureFixture[str], policy: Path, tmp_path: Path) -> tuple[int, str]:
    code = main(["snapshot", "--quiet", "--config", str(policy), "--output", str(tmp_path / "rb.xml")])
    return code, capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as sock:  # free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_https_to_a_plain_http_server_says_so_not_ca(emu: EmulatorServer, clean_env, tmp_path: Path, capsys):
    clean_env.setenv("PANOS_API_KEY", emu.api_key("automation"))
    url = emu.url.replace("http://", "https://")
    code, err = _snapshot(capsys, write_policy(tmp_path, url), tmp_path)
    assert code == 1 and err.count("\n") == 1, err
    assert f"{url}/api/ does not speak TLS (https://) on that port: it answered like a plain HTTP " in err
    assert "CA_BUNDLE" not in err


def test_a_refused_port_is_one_line_without_urllib3_text(clean_env, tmp_path: Path, capsys):
    clean_env.setenv("PANOS_API_KEY", "k")
    url = f"http://127.0.0.1:{_free_port()}"
    code, err = _snapshot(capsys, write_policy(tmp_path, url), tmp_path)
    assert code == 1 and err.count("\n") == 1, err
    assert f"cannot reach the firewall at {url}/api/: connection refused (nothing listens on that port" in err
    assert "Max retries" not in err and "HTTPConnectionPool" not in err


@pytest.mark.emulator(tls=True, bare=True)
def test_panos_hostname_is_an_alias_with_https_assumed(
        emu: EmulatorServer, clean_env, tmp_path: Path, capsys,
):
    port = emu.url.rsplit(":", 1)[1]
    clean_env.setenv("PANOS_HOSTNAME", f"localhost:{port}")
    clean_env.setenv("PANOS_API_KEY", emu.api_key("automation"))
    clean_env.setenv("PANOS_CA_BUNDLE", emu.ca_file)
    policy = write_policy(tmp_path, "https://fw.invalid")  # the environment wins, as PANOS_URL does
    code, err = _snapshot(capsys, policy, tmp_path)
    assert code == 0, err
    assert b"clean-up" in (tmp_path / "rb.xml").read_bytes()
    clean_env.setenv("PANOS_URL", f"https://localhost:{port}/api/")  # PANOS_URL wins over both
    clean_env.setenv("PANOS_HOSTNAME", "fw.invalid")
    assert _snapshot(capsys, policy, tmp_path)[0] == 0


def test_no_url_anywhere_names_every_place_to_set_it(clean_env, tmp_path: Path, capsys):
    clean_env.setenv("PANOS_API_KEY", "k")
    policy = write_policy(tmp_path, None)
    code, err = _snapshot(capsys, policy, tmp_path)
    assert code == 1 and err.count("\n") == 1
    assert "no firewall URL: set firewall.url in policy.yaml, or PANOS_URL" in err and "PANOS_HOSTNAME" in err


@pytest.mark.parametrize(("present", "missing"), [("PANOS_USERNAME", "PANOS_PASSWORD"),
                                                  ("PANOS_PASSWORD", "PANOS_USERNAME")])
def test_half_a_credential_pair_names_the_missing_variable(clean_env, tmp_path: Path, capsys,
                                                           present: str, missing: str):
    clean_env.setenv(present, "automation")
    code, err = _snapshot(capsys, write_policy(tmp_path, "https://fw.invalid"), tmp_path)
    assert code == 1 and err.count("\n") == 1
    assert f"{present} is set but {missing} is not: set {missing}" in err and "PANOS_API_KEY" in err


def test_no_credentials_names_both_ways(clean_env, tmp_path: Path, capsys):
    code, err = _snapshot(capsys, write_policy(tmp_path, "https://fw.invalid"), tmp_path)
    assert code == 1
    assert "no firewall credentials: set PANOS_API_KEY" in err and "PANOS_USERNAME and PANOS_PASSWORD" in err


@pytest.mark.parametrize("path", ["", "/", "/api", "/api/"])
def test_api_path_is_accepted_in_the_url_and_in_policy_yaml(tmp_path: Path, path: str):
    url = f"https://fw.example.net:8443{path}"
    assert api_endpoint(url) == "https://fw.example.net:8443/api/"
    assert load_policy(write_policy(tmp_path, url)).firewall.url == url


def test_another_path_is_refused_in_both_places_alike(tmp_path: Path):
    url = "https://fw.example.net/php/login.php"
    with pytest.raises(Exception, match=r"firewall URL 'https://fw.example.net/php/login.php': the path "):
        PanosClient(url, api_key="k")
    with pytest.raises(Exception, match=r"firewall.url: 'https://fw.example.net/php/login.php' is not valid: "
                                        r"expected the firewall's URL"):
        load_policy(write_policy(tmp_path, url))


def test_push_counts_every_request_keygen_included(emu: EmulatorServer, clean_env, tmp_path: Path, capsys):
    from tests.panos.helpers import first_fragment

    clean_env.setenv("PANOS_USERNAME", "automation")
    clean_env.setenv("PANOS_PASSWORD", "automation")
    frag = tmp_path / "fragment.xml"
    frag.write_text(first_fragment())
    emu.reset_counters()
    assert main(["push", "--config", str(write_policy(tmp_path, emu.url)), "--fragment", str(frag)]) == 0
    out = capsys.readouterr().out
    assert f"  {emu.request_count} firewall requests (1 of them keygen)\n" in out
    assert any(r["type"] == "keygen" for r in emu.requests)
