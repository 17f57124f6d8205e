"""The server as a process and under concurrency: by hand, threads, clean stop."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import sys
import threading

import pytest
import requests
from lxml import etree

from emulator import EmulatorServer
from tests.emulator.helpers import ADDRESS, Caller, names


def test_python_dash_m_runs_and_stops_cleanly(tmp_path):
    config = tmp_path / "initial.xml"
    config.write_text(
        "<config><devices><entry name='localhost.localdomain'><vsys><entry name='vsys1'>"
        "<address><entry name='only'><fqdn>x.example</fqdn></entry></address>"
        "</entry></vsys></entry></devices></config>"
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulator",
            "--port",
            "0",
            "--config",
            str(config),
            "--user",
            "ops:pw",
            "--job-steps",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        banner = proc.stdout.readline()
        assert "PAN-OS XML API emulator on http://127.0.0.1:" in banner
        assert "pw" not in banner
        url = banner.split(" on ", 1)[1].split("/api/")[0]
        key = etree.fromstring(
            requests.post(
                url + "/api/", data={"type": "keygen", "user": "ops", "password": "pw"}, timeout=10
            ).content
        ).findtext("result/key")
        caller = Caller(url, key)
        assert names(caller.ok(type="config", action="get", xpath=ADDRESS + "/entry"), "result/entry") == [
            "only"
        ]
        caller.close()
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_python_dash_m_refuses_a_broken_config(tmp_path):
    config = tmp_path / "broken.xml"
    config.write_text("<config><unclosed></config>")
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "--port", "0", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "broken.xml" in result.stderr and "Traceback" not in result.stderr


def test_concurrent_writers_all_land(emu):
    errors: list[str] = []

    def writer(index: int) -> None:
        caller = Caller(emu.url, emu.api_key("automation" if index % 2 else "admin"))
        for n in range(15):
            root = caller.call(
                type="config",
                action="set",
                xpath=f"{ADDRESS}/entry[@name='t{index}-{n}']",
                element=f"<ip-netmask>10.200.{index}.{n}</ip-netmask>",
            )
            if root.get("status") != "success":
                errors.append(etree.tostring(root).decode())
        caller.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    created = [n for n in names(emu.candidate(), f"{ADDRESS}/entry") if n.startswith("t")]
    assert len(created) == 90
    assert emu.pending_admins() == ["admin", "automation"]
    assert emu.request_count == 90


def test_stop_closes_keep_alive_connections():
    emu = EmulatorServer().start()
    session = requests.Session()
    session.post(emu.url + "/api/", data={"type": "keygen", "user": "admin", "password": "admin"}, timeout=10)
    before = threading.active_count()
    emu.stop()
    session.close()
    assert threading.active_count() <= before
    assert not any(t.name == "panos-emulator" for t in threading.enumerate())


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command")
def test_the_openssl_fallback_certificate_verifies_for_127_0_0_1(tmp_path):
    from cryptography import x509

    from emulator.server import _self_signed_openssl

    cert_file, _key = _self_signed_openssl(tmp_path)
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "127.0.0.1" in [str(ip) for ip in names.get_values_for_type(x509.IPAddress)]
    context = ssl.create_default_context(cafile=str(cert_file))  # loads as a trust anchor
    assert context.cert_store_stats()["x509_ca"] == 1


def test_a_malformed_http_request_gets_a_400_not_a_hang(emu):
    port = int(emu.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(b"POST /api/ HTTP/1.1\r\nHost: x\r\nContent-Length: lots\r\n\r\n")
        assert conn.recv(200).startswith(b"HTTP/1.1 400")


def test_python_dash_m_plays_the_device_it_is_told(tmp_path):
    """--sw-version / --multi-vsys / --ha-state: `show system info` and HA state answer as that device."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--port", "0", "--sw-version", "10.0.3",
         "--multi-vsys", "--ha-state", "passive", "--release-locks-on-commit"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        url = proc.stdout.readline().split(" on ", 1)[1].split("/api/")[0]
        key = etree.fromstring(requests.post(url + "/api/", data={
            "type": "keygen", "user": "automation", "password": "automation"}, timeout=10).content
        ).findtext("result/key")
        caller = Caller(url, key)
        info = caller.ok(type="op", cmd="<show><system><info></info></system></show>")
        assert (info.findtext("result/system/sw-version"), info.findtext("result/system/multi-vsys")) == (
            "10.0.3", "on")
        ha = caller.ok(type="op", cmd="<show><high-availability><state></state></high-availability></show>")
        assert ha.findtext("result/group/local-info/state") == "passive"
        refused = caller.call(type="config", action="multi-config",
                              element=f"<m><set xpath=\"{ADDRESS}\"><entry name='a'><ip-netmask>10.0.0.1"
                                      "</ip-netmask></entry></set></m>")
        assert refused.get("status") == "error"  # 10.0: disabled until enabled
        caller.ok(type="op", cmd="<request><multi-config><enabled></enabled></multi-config></request>")
        caller.ok(type="config", action="multi-config",
                  element=f"<m><set xpath=\"{ADDRESS}\"><entry name='a'><ip-netmask>10.0.0.1"
                          "</ip-netmask></entry></set></m>")
        caller.close()
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0
