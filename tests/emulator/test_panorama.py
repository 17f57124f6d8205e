"""Panorama mode: device-group objects, pre-/post-rulebase, zones not validated."""

from __future__ import annotations

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
        caller.close()
