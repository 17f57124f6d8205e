"""Config and commit locks, per scope, as other admins experience them."""

from __future__ import annotations

import pytest

from emulator import EmulatorServer
from emulator.device import DeviceProfile
from tests.emulator.helpers import ADDRESS, Caller, lines

ADD = "<request><config-lock><add><comment>{}</comment></add></config-lock></request>"
REMOVE = "<request><config-lock><remove/></config-lock></request>"
SHOW = "<show><{kind}-locks>{vsys}</{kind}-locks></show>"
ALL = SHOW.format(kind="config", vsys="<vsys>all</vsys>")


def test_lock_add_show_remove(auto, emu):
    root = auto.ok(type="op", cmd=ADD.format("awspan push"), vsys="vsys1")
    assert "Successfully acquired lock" in root.findtext("result")
    locks = auto.ok(type="op", cmd=ALL).find("result/config-locks")
    entry = locks.find("entry")
    assert entry.get("name") == "automation"
    assert (entry.findtext("name"), entry.findtext("type"), entry.findtext("comment")) == (
        "vsys1",
        "vsys",
        "awspan push",
    )
    assert emu.config_locks() == {"vsys1": "automation"}
    again = auto.call(type="op", cmd=ADD.format("again"), vsys="vsys1")
    assert again.get("status") == "error" and "already own" in lines(again)[0]
    auto.ok(type="op", cmd=REMOVE, vsys="vsys1")
    assert emu.config_locks() == {}
    not_held = auto.call(type="op", cmd=REMOVE, vsys="vsys1")
    assert not_held.get("status") == "error"


def test_a_lock_held_by_another_admin_blocks_lock_writes_and_commit(auto, emu):
    emu.lock_as("admin", "config", "vsys1", comment="maintenance")
    taken = auto.call(type="op", cmd=ADD.format("awspan"), vsys="vsys1")
    assert taken.get("status") == "error"
    assert lines(taken) == ["Config for scope vsys1 is currently locked by admin"]
    before = emu.candidate_xml()
    for action, extra in (("set", {"element": "<ip-netmask>192.0.2.1</ip-netmask>"}), ("delete", {})):
        root = auto.call(
            type="config", action=action, xpath=ADDRESS + "/entry[@name='update-server']", **extra
        )
        assert root.get("status") == "error"
        assert "currently locked by admin" in lines(root)[0]
    assert emu.candidate_xml() == before
    emu.edit_as(
        "admin", "set", ADDRESS + "/entry[@name='ok-for-holder']", "<ip-netmask>192.0.2.2</ip-netmask>"
    )
    blocked = auto.commit()
    assert blocked.get("status") == "error" and "locked by admin" in lines(blocked)[0]
    # someone else's lock cannot be released by us
    assert auto.call(type="op", cmd=REMOVE, vsys="vsys1").get("status") == "error"
    emu.unlock_as("admin", "config", "vsys1")
    auto.ok(type="op", cmd=ADD.format("awspan"), vsys="vsys1")


def test_a_shared_lock_conflicts_with_every_scope(auto, emu):
    emu.lock_as("admin", "config", "shared")
    assert auto.call(type="op", cmd=ADD.format("x"), vsys="vsys1").get("status") == "error"
    emu.unlock_as("admin", "config", "shared")
    emu.lock_as("admin", "config", "vsys2")
    auto.ok(type="op", cmd=ADD.format("x"), vsys="vsys1")  # different vsys: no conflict


def test_commit_lock(auto, admin, emu):
    admin.ok(
        type="op", cmd="<request><commit-lock><add><comment>freeze</comment></add></commit-lock></request>"
    )
    locks = auto.ok(type="op", cmd=SHOW.format(kind="commit", vsys="<vsys>all</vsys>"))
    locks = locks.find("result/commit-locks")
    assert [e.get("name") for e in locks.findall("entry")] == ["admin"]
    auto.config_ok("set", ADDRESS + "/entry[@name='x']", "<fqdn>x.example</fqdn>")
    refused = auto.commit(["automation"])
    assert refused.get("status") == "error"
    admin.ok(type="op", cmd="<request><commit-lock><remove/></commit-lock></request>")
    assert auto.commit_and_wait(["automation"]).findtext("result") == "OK"


def test_lock_as_rejects_unknown_kinds(emu):
    with pytest.raises(ValueError):
        emu.lock_as("admin", "everything")


def test_a_commit_releases_the_committers_commit_lock_but_not_the_config_lock(auto, emu):
    auto.ok(type="op", cmd="<request><commit-lock><add/></commit-lock></request>", vsys="vsys1")
    auto.ok(type="op", cmd=ADD.format("push"), vsys="vsys1")
    auto.config_ok("set", ADDRESS + "/entry[@name='x']", "<fqdn>x.example</fqdn>")
    assert auto.commit_and_wait(["automation"]).findtext("result") == "OK"
    assert emu.commit_locks() == {}
    assert emu.config_locks() == {"vsys1": "automation"}


def test_show_config_running_and_candidate(auto):
    auto.config_ok("set", ADDRESS + "/entry[@name='only-candidate']", "<fqdn>x.example</fqdn>")
    running = auto.ok(type="op", cmd="<show><config><running/></config></show>")
    candidate = auto.ok(type="op", cmd="<show><config><candidate/></config></show>")
    assert not running.xpath("result/config//entry[@name='only-candidate']")
    assert candidate.xpath("result/config//entry[@name='only-candidate']")


@pytest.mark.parametrize("kind", ["config", "commit"])
def test_from_9_1_listing_locks_needs_a_vsys_and_all_lists_every_scope(auto, emu, kind):
    """pango issue #88: from PAN-OS 9.1 `show config-locks` without <vsys> answers "vsys not
    provided"; `<vsys>all</vsys>` lists every lock, a vsys name its own (and the shared ones)."""
    emu.lock_as("admin", kind, "vsys1", comment="maintenance")
    emu.lock_as("automation", kind, "vsys2")
    refused = auto.call(type="op", cmd=SHOW.format(kind=kind, vsys=""))
    assert refused.get("status") == "error" and lines(refused) == ["vsys not provided"]
    every = auto.ok(type="op", cmd=SHOW.format(kind=kind, vsys="<vsys>all</vsys>"))
    listed = sorted(e.get("name") for e in every.iterfind(f"result/{kind}-locks/entry"))
    assert listed == ["admin", "automation"]
    other = auto.ok(type="op", cmd=SHOW.format(kind=kind, vsys="<vsys>vsys2</vsys>"))
    assert [e.get("name") for e in other.iterfind(f"result/{kind}-locks/entry")] == ["automation"]


def test_before_9_1_locks_are_listed_without_a_vsys():
    with EmulatorServer(device=DeviceProfile(sw_version="9.0.5")) as emu:
        caller = Caller(emu.url, emu.api_key("automation"))
        try:
            emu.lock_as("admin", "config", "shared")
            listed = caller.ok(type="op", cmd=SHOW.format(kind="config", vsys=""))
            assert listed.find("result/config-locks/entry").get("name") == "admin"
        finally:
            caller.close()
