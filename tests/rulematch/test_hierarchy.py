"""The already-allowed check on Panorama sees what the device group's firewalls enforce: shared
and every ancestor's pre-rules before the group's own, names resolved group first, then the
ancestors nearest first, then shared (Panorama Administrator's Guide, "Device Group Policies",
"Manage Precedence of Inherited Objects"). Config on the emulator -> take_snapshot over HTTP ->
out/rulebase.xml -> load_rulebase -> check_candidates."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

import emulator
from generator.location import Location
from generator.panos.xmlapi import client as client_mod
from generator.panos.xmlapi import snapshot
from generator.rulematch import load_rulebase
from tests.panorama_hierarchy import CLEAN_UP, address, panorama_config, rule
from tests.rulematch.build import TAG, Objects, Rule, check, config

DG1 = Location(vsys=None, device_group="dg1", rulebase="pre")
OWN = Objects(address={"web-1": ("ip-netmask", "10.10.1.10"), "web-2": ("ip-netmask", "10.10.1.11")},
              groups={"webs": ("web-1", "web-2")}, services={"tcp-443": ("tcp", "443")})


def _snapshot(tmp_path: Path, **levels: str) -> Path:
    with emulator.EmulatorServer(config_xml=panorama_config(**levels), panorama=True) as emu:
        client = client_mod.PanosClient(emu.url, api_key=emu.api_key("admin"))
        data, _count = snapshot.take_snapshot(client, DG1)
        requests = [r.get("action") or r.get("xpath") for r in emu.requests]
    path = tmp_path / "rulebase.xml"
    path.write_bytes(data)
    assert "show dg-hierarchy" in requests  # the ancestors were looked up
    return path


def _decide(path: Path, dst: str = "webs") -> tuple[str, tuple[str, ...]]:
    fragment = config([Rule("web-443", dst=(dst,), svc=("tcp-443",), tags=(TAG,))], OWN, location=DG1,
                      bottom=None)
    [decision], _ = check(fragment, load_rulebase(path), DG1)
    return decision.verdict, decision.covering


def _addresses(value: str) -> str:
    return "<address>" + address("web-net", value) + "</address>"


def test_an_ancestors_pre_rule_decides_before_the_groups_own(tmp_path: Path) -> None:
    path = _snapshot(tmp_path, parent_objects=_addresses("10.10.1.10/31"),
                     parent_pre=rule("aws-web", dst="web-net", service="service-https"))
    assert _decide(path) == ("allowed", ("aws-web",))
    snap = etree.parse(str(path)).getroot()
    assert snap.xpath("devices/entry/device-group/entry/@name") == ["aws", "dg1"]
    assert snap.findtext("readonly/devices/entry/device-group/entry[@name='dg1']/parent-dg") == "aws"
    assert snap.xpath("//device-group/entry[@name='aws']/address/entry/@name") == ["web-net"]


def test_shared_pre_rules_come_before_the_ancestors(tmp_path: Path) -> None:
    path = _snapshot(tmp_path, shared_pre=rule("quarantine", dst="10.10.1.10/31", action="deny"),
                     parent_pre=rule("aws-any", dst="10.10.1.0/24"))
    assert _decide(path) == ("blocked", ("quarantine",))


def test_the_groups_own_object_overrides_the_ancestors_of_the_same_name(tmp_path: Path) -> None:
    """The parent's rule names web-net: dg1's narrower web-net (web-1 only) is what dg1's firewalls
    use, so the rule covers web-1 only and the candidate stays (partial); the parent's /31 would
    have left it out, and web-2 would have lost 443."""
    web = rule("aws-web", dst="web-net", service="service-https")
    narrowed = _snapshot(tmp_path, parent_objects=_addresses("10.10.1.10/31"),
                         dg_objects=_addresses("10.10.1.10"), parent_pre=web)
    assert _decide(narrowed) == ("partial", ("aws-web",))
    widened = _snapshot(tmp_path, parent_objects=_addresses("10.10.1.10"),
                        dg_objects=_addresses("10.10.1.10/31"), shared_objects=_addresses("192.0.2.0/24"),
                        parent_pre=web)
    assert _decide(widened) == ("allowed", ("aws-web",))
    snap = etree.parse(str(widened)).getroot()
    assert snap.xpath("//device-group/entry[@name='dg1']/address/entry/@name") == ["web-net"]
    assert snap.xpath("//device-group/entry[@name='aws']/address") == []  # shadowed: not in the snapshot
    assert snap.xpath("shared/address") == []


def test_a_rule_below_the_groups_bottom_rule_or_in_post_rulebases_does_not_count(tmp_path: Path) -> None:
    path = _snapshot(tmp_path, dg_pre=CLEAN_UP + rule("too-late", dst="10.10.1.0/24"),
                     parent_post=rule("aws-post", dst="10.10.1.0/24"))
    assert _decide(path)[0] == "uncovered"


def test_a_refused_hierarchy_leaves_the_ancestors_out_and_says_so(tmp_path: Path, caplog) -> None:
    """Without the ancestors the check can only keep more rules: a warning, not a failed snapshot."""
    config = panorama_config(parent_objects=_addresses("10.10.1.10/31"),
                             parent_pre=rule("aws-web", dst="web-net", service="service-https"))
    with emulator.EmulatorServer(config_xml=config, panorama=True) as emu:
        emu.fail("op", nth=1, code="17", message="show -> dg-hierarchy is unexpected")
        client = client_mod.PanosClient(emu.url, api_key=emu.api_key("admin"))
        data, _count = snapshot.take_snapshot(client, DG1)
    path = tmp_path / "rulebase.xml"
    path.write_bytes(data)
    assert "the snapshot holds no ancestor device group" in caplog.text
    assert _decide(path)[0] == "uncovered"
