"""Code-12 validation at set/edit time, and reference checks on delete."""

from __future__ import annotations

import pytest

from tests.emulator.helpers import ADDRESS, RULES, VSYS, lines, rule_xml


def assert_refused(caller, emu, code: str, *words: str, **params: str) -> list[str]:
    before, pending = emu.candidate_xml(), emu.pending_admins()
    root = caller.call(**params)
    assert (root.get("status"), root.get("code")) == ("error", code)
    text = " ".join(lines(root))
    for word in words:
        assert word in text
    assert emu.candidate_xml() == before, "a refused change must leave the candidate untouched"
    assert emu.pending_admins() == pending
    return lines(root)


@pytest.mark.parametrize(
    ("field", "rule"),
    [
        ("from", rule_xml("r", from_zone="nowhere")),
        ("to", rule_xml("r", to_zone="nowhere")),
        ("source", rule_xml("r", src="no-such-address")),
        ("destination", rule_xml("r", dst="no-such-group")),
        ("service", rule_xml("r", service="no-such-service")),
        ("tag", rule_xml("r", extra="<tag><member>no-such-tag</member></tag>")),
        (  # a nested field is named by its path (pan-os-ansible#491: "... -> profile-setting -> profiles
            # -> virus '...' is not a valid reference")
            "profile-setting -> group",
            rule_xml("r", extra="<profile-setting><group><member>lax</member></group></profile-setting>"),
        ),
        ("log-setting", rule_xml("r", extra="<log-setting>no-such-profile</log-setting>")),
    ],
)
def test_unresolved_rule_references_are_code_12(auto, emu, field, rule):
    found = assert_refused(auto, emu, "12", type="config", action="set", xpath=RULES, element=rule)
    assert found[0].startswith(f"r -> {field} '")
    assert found[0].endswith("is not a valid reference")
    assert found[1] == f"r -> {field} is invalid"


def test_references_that_resolve_are_accepted(auto, emu):
    rule = rule_xml(
        "ok",
        src="admins",
        dst="dns-public",
        service="svc-tcp-8443",
        extra="<tag><member>admin-managed</member></tag><profile-setting><group><member>strict"
        "</member></group></profile-setting><log-setting>default</log-setting>",
    )
    auto.config_ok("set", RULES, rule)  # dns-public lives in shared
    for service in ("service-http", "service-https", "application-default", "any"):
        auto.config_ok("set", RULES, rule_xml(f"s-{service}", service=service))
    auto.config_ok("set", RULES, rule_xml("literals", src="203.0.113.0/24", dst="10.0.0.1-10.0.0.9"))


def test_long_and_invalid_names(auto, emu):
    long_name = "r" * 64
    assert_refused(
        auto, emu, "12", "too long", type="config", action="set", xpath=RULES, element=rule_xml(long_name)
    )
    auto.config_ok("set", RULES, rule_xml("r" * 63))
    assert_refused(
        auto,
        emu,
        "12",
        "not a valid name",
        type="config",
        action="set",
        xpath=ADDRESS,
        element="<entry name='-bad'><ip-netmask>1.1.1.1</ip-netmask></entry>",
    )


def test_duplicate_names_across_address_and_group(auto, emu):
    assert_refused(
        auto,
        emu,
        "12",
        "already in use",
        type="config",
        action="set",
        xpath=ADDRESS,
        element="<entry name='admins'><ip-netmask>1.1.1.1</ip-netmask></entry>",
    )
    assert_refused(
        auto,
        emu,
        "12",
        "already in use",
        type="config",
        action="set",
        xpath=VSYS + "/address-group",
        element="<entry name='bastion'><static><member>admin-net</member></static></entry>",
    )


def test_group_members_services_and_values_are_checked(auto, emu):
    assert_refused(
        auto,
        emu,
        "12",
        "static 'ghost'",
        type="config",
        action="set",
        xpath=VSYS + "/address-group",
        element="<entry name='g'><static><member>ghost</member></static></entry>",
    )
    assert_refused(
        auto,
        emu,
        "12",
        "members 'ghost'",
        type="config",
        action="set",
        xpath=VSYS + "/service-group",
        element="<entry name='g'><members><member>ghost</member></members></entry>",
    )
    assert_refused(
        auto,
        emu,
        "12",
        "ip-netmask",
        type="config",
        action="set",
        xpath=ADDRESS,
        element="<entry name='a'><ip-netmask>10.0.0.300/32</ip-netmask></entry>",
    )
    assert_refused(
        auto,
        emu,
        "12",
        "port",
        type="config",
        action="set",
        xpath=VSYS + "/service",
        element="<entry name='s'><protocol><tcp><port>70000</port></tcp></protocol></entry>",
    )
    assert_refused(
        auto,
        emu,
        "12",
        "'any' cannot be combined",
        type="config",
        action="set",
        xpath=RULES,
        element=rule_xml("r", extra="").replace(
            "<member>any</member></source>", "<member>any</member><member>bastion</member></source>"
        ),
    )
    assert_refused(
        auto,
        emu,
        "12",
        "action",
        type="config",
        action="set",
        xpath=RULES,
        element=rule_xml("r", action="permit"),
    )


def test_deleting_a_referenced_object_is_refused(auto, emu):
    assert_refused(
        auto,
        emu,
        "10",
        "bastion cannot be deleted",
        type="config",
        action="delete",
        xpath=ADDRESS + "/entry[@name='bastion']",
    )
    assert_refused(
        auto,
        emu,
        "10",
        "strict",
        type="config",
        action="delete",
        xpath=VSYS + "/profile-group/entry[@name='strict']",
    )
    # unreferenced: fine
    auto.ok(type="config", action="delete", xpath=ADDRESS + "/entry[@name='update-server']")
