"""Keygen and key handling, as the PAN-OS XML API documents them."""

from __future__ import annotations

import requests
from lxml import etree

from tests.emulator.helpers import RULES


def test_keygen_returns_the_users_key_and_it_works(emu):
    response = requests.post(
        emu.url + "/api/", data={"type": "keygen", "user": "automation", "password": "automation"}, timeout=10
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/xml")
    key = etree.fromstring(response.content).findtext("result/key")
    assert key == emu.api_key("automation")
    assert key != emu.api_key("admin")


def test_keygen_with_a_wrong_password_is_403_with_the_panos_envelope(emu):
    response = requests.post(
        emu.url + "/api/", data={"type": "keygen", "user": "automation", "password": "nope"}, timeout=10
    )
    assert response.status_code == 403
    root = etree.fromstring(response.content)
    assert (root.get("status"), root.get("code")) == ("error", "403")
    assert root.findtext("result/msg") == "Invalid Credential"


def test_key_accepted_in_header_query_and_post_body(emu):
    key = emu.api_key("automation")
    url = emu.url + "/api/"
    params = {"type": "config", "action": "get", "xpath": RULES}
    by_header = requests.post(url, data=params, headers={"X-PAN-KEY": key}, timeout=10)
    by_body = requests.post(url, data={**params, "key": key}, timeout=10)
    by_query = requests.get(url, params={**params, "key": key}, timeout=10)
    for response in (by_header, by_body, by_query):
        assert response.status_code == 200
        assert etree.fromstring(response.content).get("status") == "success"
    assert [r["admin"] for r in emu.requests] == ["automation"] * 3


def test_a_bad_or_missing_key_is_refused_and_changes_nothing(emu):
    before = emu.candidate_xml()
    url = emu.url + "/api/"
    params = {
        "type": "config",
        "action": "set",
        "xpath": RULES + "/entry[@name='x']",
        "element": "<action>allow</action>",
    }
    for headers in ({"X-PAN-KEY": "LUFRPTforged"}, {}):
        response = requests.post(url, data=params, headers=headers, timeout=10)
        assert response.status_code == 403
        assert etree.fromstring(response.content).findtext("result/msg") == "Invalid Credential"
    assert emu.candidate_xml() == before


def test_custom_users_and_unknown_paths(emu):
    from emulator import EmulatorServer

    with EmulatorServer(users={"ops": "s3cret"}) as other:
        ok = requests.post(
            other.url + "/api/", data={"type": "keygen", "user": "ops", "password": "s3cret"}, timeout=10
        )
        assert etree.fromstring(ok.content).findtext("result/key") == other.api_key("ops")
        refused = requests.post(
            other.url + "/api/", data={"type": "keygen", "user": "admin", "password": "admin"}, timeout=10
        )
        assert refused.status_code == 403
    assert requests.get(emu.url + "/not-the-api", timeout=10).status_code == 404


def test_unknown_request_type_is_an_error_envelope(auto):
    root = auto.call(type="bogus")
    assert (root.get("status"), root.get("code")) == ("error", "1")
