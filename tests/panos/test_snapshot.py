"""awspan snapshot: every rule in order and the objects they name (location first, then shared),
from running or candidate, in the device's own tree shape, the same bytes for the same rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from emulator import EmulatorServer
from generator.location import Location
from tests.panos.helpers import address, group, rule

LOC = Location()
RULES = ("/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']"
         "/rulebase/security/rules/entry")


def names(doc: etree._Element, xpath: str) -> list[str]:
    return [e.get("name") for e in doc.xpath(xpath)]


def test_snapshot_of_the_running_rules(emu: EmulatorServer, awspan, tmp_path: Path):
    # an operator rule naming a shared object, and a nested group
    emu.edit_as("admin", "set", LOC.xpath("address-group"),
                group("outer", ["admins", "update-server"], tag=None))
    emu.edit_as("admin", "set", LOC.rules_xpath, rule("dns-out", source=["outer"], destination=["dns-public"],
                                                      tag=None))
    emu.edit_as("admin", "move", LOC.entry_xpath("rules", "dns-out"), where="top")
    assert emu.commit_as("admin")
    out = tmp_path / "out" / "rulebase.xml"
    res = awspan("snapshot", "--output", str(out))
    assert res.code == 0, res.err
    doc = etree.parse(str(out)).getroot()
    assert names(doc, RULES) == ["dns-out", "allow-admin-ssh", "block-known-bad", "clean-up", "below-cleanup"]
    vsys = "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']"
    assert names(doc, vsys + "/address-group/entry") == ["admins", "outer"]
    assert names(doc, vsys + "/address/entry") == ["admin-net", "bastion", "blocked-range", "update-server"]
    assert names(doc, vsys + "/tag/entry") == ["admin-managed"]
    assert names(doc, "/config/shared/address/entry") == ["dns-public"]
    assert not doc.xpath(vsys + "/service/entry")  # svc-tcp-8443 is named by no rule
    assert not doc.xpath("//@admin | //@dirtyId | //@time | //@uuid")
    first = out.read_bytes()
    assert awspan("snapshot", "--output", str(out)).code == 0
    assert out.read_bytes() == first
    assert [p.name for p in out.parent.iterdir()] == ["rulebase.xml"]


def test_snapshot_reads_the_candidate_only_when_asked(emu: EmulatorServer, awspan, tmp_path: Path):
    emu.edit_as("admin", "set", LOC.xpath("address"), address("pending-host", "10.9.9.9/32", tag=None))
    emu.edit_as("admin", "set", LOC.rules_xpath, rule("pending-rule", destination=["pending-host"], tag=None))
    out = tmp_path / "rulebase.xml"
    assert awspan("snapshot", "--output", str(out)).code == 0
    assert "pending-rule" not in names(etree.parse(str(out)).getroot(), RULES)
    assert awspan("snapshot", "--candidate", "--output", str(out)).code == 0
    doc = etree.parse(str(out)).getroot()
    assert names(doc, RULES)[-1] == "pending-rule"
    assert "pending-host" in names(doc, "//vsys/entry/address/entry")
    assert [r["action"] for r in emu.requests if r["type"] == "config"] == ["show", "show", "get", "get"]


def test_a_failed_snapshot_keeps_the_previous_file(emu: EmulatorServer, awspan, tmp_path: Path):
    out = tmp_path / "rulebase.xml"
    out.write_text("previous")
    emu.fail("show", nth=2)
    res = awspan("snapshot", "--output", str(out))
    assert res.code == 1 and "injected show failure" in res.err
    assert out.read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["rulebase.xml", "policy.yaml"])


@pytest.mark.emulator(panorama=True)
def test_panorama_snapshot_keeps_pre_and_post_rules(emu: EmulatorServer, tmp_path: Path, monkeypatch, capsys):
    from generator.cli.main import main
    from tests.policies import write_policy

    monkeypatch.setenv("PANOS_API_KEY", emu.api_key("automation"))
    post = {"device_group": "dg1", "rulebase": "post"}
    policy = write_policy(tmp_path, emu.url, firewall={"location": post})
    out = tmp_path / "rulebase.xml"
    assert main(["snapshot", "--config", str(policy), "--output", str(out)]) == 0, capsys.readouterr().err
    doc = etree.parse(str(out)).getroot()
    dg = "/config/devices/entry[@name='localhost.localdomain']/device-group/entry[@name='dg1']"
    assert names(doc, dg + "/pre-rulebase/security/rules/entry") == ["allow-admin-ssh", "block-known-bad",
                                                                     "clean-up"]
    assert names(doc, dg + "/post-rulebase/security/rules/entry") == ["post-deny-all"]
    assert names(doc, dg + "/address-group/entry") == ["admins"]


def test_a_location_that_does_not_exist_is_one_readable_error(emu: EmulatorServer, awspan, policy: Path):
    from tests.policies import write_policy

    write_policy(policy.parent, emu.url, firewall={"location": {"vsys": "vsys7"}})
    res = awspan("snapshot", "--output", str(policy.parent / "rb.xml"))
    assert res.code == 1
    assert "vsys vsys7 does not exist on the firewall" in res.err
