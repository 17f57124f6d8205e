"""The dialect check: pan-python, a client no one here wrote, works against the emulator.

pan.xapi picks http when `use_http=True` and https otherwise; it POSTs forms with the key
in the body, polls `show jobs id` for `commit(sync=True)` and parses the envelopes.
"""

from __future__ import annotations

import ssl

import pan.xapi
import pytest

from emulator import EmulatorServer
from tests.emulator.helpers import RULES, VSYS


def _xapi(emu: EmulatorServer, **kwargs) -> pan.xapi.PanXapi:
    return pan.xapi.PanXapi(
        hostname="127.0.0.1",
        port=emu.port,
        api_username="automation",
        api_password="automation",
        timeout=10,
        **kwargs,
    )


def _roundtrip(xapi: pan.xapi.PanXapi, emu: EmulatorServer) -> None:
    assert xapi.keygen() == emu.api_key("automation")
    xapi.get(xpath=RULES)
    assert [e.get("name") for e in xapi.element_result.findall("rules/entry")] == [
        "allow-admin-ssh",
        "block-known-bad",
        "clean-up",
    ]
    xapi.set(xpath=VSYS + "/tag", element="<entry name='from-pan-python'><color>color2</color></entry>")
    assert (xapi.status, xapi.status_code) == ("success", "20")
    xapi.commit(
        cmd="<commit><partial><admin><member>automation</member></admin></partial>"
        "<description>pan-python</description></commit>",
        sync=True,
        interval=0.01,
        timeout=10,
    )
    assert xapi.element_root.findtext("result/job/status") == "FIN"
    assert xapi.element_root.findtext("result/job/result") == "OK"
    assert emu.running().xpath(f"{VSYS}/tag/entry[@name='from-pan-python']")
    xapi.op(cmd="<check><pending-changes/></check>")
    assert xapi.element_result.text == "no"
    with pytest.raises(pan.xapi.PanXapiError, match="not a valid reference"):
        xapi.set(xpath=RULES + "/entry[@name='x']", element="<source><member>nowhere</member></source>")


def test_pan_python_over_http(emu):
    _roundtrip(_xapi(emu, use_http=True), emu)


def test_pan_python_over_https_with_the_emulators_ca():
    with EmulatorServer(tls=True) as emu:
        assert emu.url.startswith("https://")
        context = ssl.create_default_context(cafile=emu.ca_file)
        _roundtrip(_xapi(emu, ssl_context=context), emu)


def test_pan_python_gets_the_auth_error():
    with EmulatorServer() as emu:
        xapi = pan.xapi.PanXapi(
            hostname="127.0.0.1",
            port=emu.port,
            use_http=True,
            api_username="automation",
            api_password="wrong",
            timeout=10,
        )
        with pytest.raises(pan.xapi.PanXapiError):
            xapi.keygen()
