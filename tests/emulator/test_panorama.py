"""Panorama mode: device-group objects, pre-/post-rulebase, zones not validated."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator import EmulatorServer
from generator.location import Location
from tests.emulator.helpers import Caller, lines, names, rule_xml


def test_device_group_paths_of_location_work_against_the_panorama_default():
    where = Location.from_policy({"device_group": "dg1", "rulebase": "pre"})
    post = Location.from_policy({"device_group": "dg1", "rulebase": "post"})
    with EmulatorServer(panorama=True) as emu:
        caller = Caller(emu.url, emu.api_key("automation"))
        assert names(
            caller.ok(type="config", action="get", xpath=where.rules_xpath + "/entry"), "result/entry"
        ) == ["allow-admin-ssh", "block-known-bad", "clean-up"]
        assert names(
            caller.ok(type="config", action="get", xpath=post.rules_xpath + "/entry"), "result/entry"
        ) == ["post-deny-all"]
        # zones live in templates on Panorama: any zone name is accepted in a rule
        caller.config_ok(
            "set",
            where.rules_xpath,
            rule_xml("aws-web", from_zone="outside", to_zone="inside", dst="bastion"),
        )
        # a rule name is unique across the pre- and post-rulebase of a device group
        dup = caller.call(type="config", action="set", xpath=post.rules_xpath, element=rule_xml("aws-web"))
        assert dup.get("status") == "error" and "already in use" in lines(dup)[0]
        # the lock scope is the device group
        caller.ok(type="op", cmd="<request><config-lock><add/></config-lock></request>", vsys="dg1")
        listing = caller.ok(type="op", cmd="<show><config-locks><vsys>all</vsys></config-locks></show>")
        locks = listing.find("result/config-locks/entry")
        assert (locks.findtext("name"), locks.findtext("type")) == ("dg1", "device-group")
        assert caller.commit_and_wait(["automation"]).findtext("result") == "OK"
        assert "aws-web" in names(emu.running(), where.rules_xpath + "/entry")
        caller.close()


@pytest.mark.parametrize(("option", "merged"), [
    ("", True),  # absent means yes (pan-python lib/pan/commit.py)
    ("<merge-with-candidate-cfg>yes</merge-with-candidate-cfg>", True),
    ("<merge-with-candidate-cfg>no</merge-with-candidate-cfg>", False),
])
def test_commit_all_reads_merge_with_candidate_cfg(option, merged):
    with EmulatorServer(panorama=True) as emu:
        caller = Caller(emu.url, emu.api_key("automation"))
        cmd = (f"<commit-all><shared-policy><device-group><entry name='dg1'/></device-group>{option}"
               "</shared-policy></commit-all>")
        job_id = caller.ok(type="commit", action="all", cmd=cmd).findtext("result/job")
        job = caller.wait_job(job_id)
        assert job.findtext("type") == "CommitAll" and len(job.findall("devices/entry")) == 2
        assert emu.store.jobs[int(job_id)].merge_with_candidate is merged
        maybe = "<merge-with-candidate-cfg>maybe</merge-with-candidate-cfg>"
        bad = cmd.replace(option or "</shared-policy>", maybe + ("" if option else "</shared-policy>"))
        assert caller.call(type="commit", action="all", cmd=bad).get("status") == "error"


HIERARCHY = """<readonly><devices><entry name="localhost.localdomain"><device-group>
  <entry name="dg1"><parent-dg>region</parent-dg></entry>
  <entry name="region"><parent-dg>top</parent-dg></entry>
</device-group></entry></devices></readonly>"""

ANCESTORS = """<entry name="region"><address><entry name="region-net"><ip-netmask>10.9.0.0/16</ip-netmask>
  </entry></address></entry><entry name="top"/><entry name="other"/>"""


def _nested_panorama() -> str:
    text = (Path(__file__).resolve().parents[2] / "emulator" / "default_panorama.xml").read_text()
    return text.replace("<device-group>", "<device-group>" + ANCESTORS, 1).replace(
        "</config>", HIERARCHY + "</config>")


def test_show_dg_hierarchy_nests_each_device_group_under_its_parent():
    """The answer pan-os-python's PanoramaDeviceGroupHierarchy.fetch reads (its tests/test_panorama.py
    holds a device's sample): `<dg-hierarchy>` with `<dg name dg_id>` nested under the parent."""
    with EmulatorServer(config_xml=_nested_panorama(), panorama=True) as emu:
        caller = Caller(emu.url, emu.api_key("automation"))
        root = caller.ok(type="op", cmd="<show><dg-hierarchy></dg-hierarchy></show>")
        top = root.find("result/dg-hierarchy")
        assert [g.get("name") for g in top.findall("dg")] == ["top", "other"]
        assert top.find("dg[@name='top']/dg[@name='region']/dg[@name='dg1']") is not None
        assert all(g.get("dg_id", "").isdigit() for g in top.iter("dg"))
        caller.close()
    with EmulatorServer() as firewall:  # a firewall has no device groups
        caller = Caller(firewall.url, firewall.api_key("automation"))
        answer = caller.call(type="op", cmd="<show><dg-hierarchy></dg-hierarchy></show>")
        assert answer.get("status") == "error"
        caller.close()


def test_a_device_group_resolves_names_of_its_ancestors_but_not_of_other_groups():
    where = Location.from_policy({"device_group": "dg1", "rulebase": "pre"})
    with EmulatorServer(config_xml=_nested_panorama(), panorama=True) as emu:
        caller = Caller(emu.url, emu.api_key("automation"))
        caller.config_ok("set", where.rules_xpath, rule_xml("from-region", dst="region-net"))
        other = Location.from_policy({"device_group": "other", "rulebase": "pre"})
        refused = caller.call(type="config", action="set", xpath=other.rules_xpath,
                              element=rule_xml("not-mine", dst="region-net"))
        assert refused.get("status") == "error"
        assert lines(refused)[0] == "not-mine -> destination 'region-net' is not a valid reference"
        caller.close()
