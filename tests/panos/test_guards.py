"""What push refuses before it changes anything: mass deletes, an empty fragment, a missing bottom
rule, a name taken by an operator's object, a lock held by someone else, a fragment for another place."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator import EmulatorServer
from generator.location import Location
from generator.panos.config.canonical import canonical_text
from tests.panos.helpers import address, first_fragment, fragment, rule, rule_names
from tests.policies import DG1_PRE, write_policy


@pytest.fixture
def pushed(emu: EmulatorServer, awspan) -> EmulatorServer:
    assert awspan("push", fragment=first_fragment()).code == 0
    emu.reset_counters()
    return emu


def assert_untouched(emu: EmulatorServer, running: str, candidate: str) -> None:
    assert canonical_text(emu.running()) == running
    assert canonical_text(emu.candidate()) == candidate
    assert not any(r["action"] == "multi-config" for r in emu.requests)
    assert not any(r["type"] == "commit" for r in emu.requests)


def snapshot(emu: EmulatorServer) -> tuple[str, str]:
    return canonical_text(emu.running()), canonical_text(emu.candidate())


def test_deleting_over_the_threshold_needs_force(pushed: EmulatorServer, awspan, policy: Path):
    write_policy(policy.parent, pushed.url, safety={"min_existing": 4})  # 4 rules managed: floor met
    before = snapshot(pushed)
    one_left = fragment([rule("sg-db-all", source=["10.20.0.0/16"], destination=["10.0.2.10"],
                              service=["any"])])
    res = awspan("push", fragment=one_left)
    assert res.code == 1
    assert "delete 3 of 4 managed rules (75%)" in res.err and "--force" in res.err
    assert_untouched(pushed, *before)
    assert pushed.config_locks() == {}
    res = awspan("push", "--force", fragment=one_left)
    assert res.code == 0, res.err
    assert rule_names(pushed.running())[2:4] == ["sg-db-all", "clean-up"]


def test_an_empty_fragment_while_rules_are_managed_needs_force(pushed: EmulatorServer, awspan):
    before = snapshot(pushed)
    res = awspan("push", fragment=fragment([]))
    assert res.code == 1 and "fragment has no rules while 4 managed rules" in res.err
    assert_untouched(pushed, *before)
    res = awspan("push", "--force", fragment=fragment([]))
    assert res.code == 0, res.err
    assert rule_names(pushed.running()) == ["allow-admin-ssh", "block-known-bad", "clean-up", "below-cleanup"]
    assert not pushed.running().xpath("//address/entry[tag/member='awspan']")


def test_a_missing_bottom_rule_stops_the_push(emu: EmulatorServer, awspan, policy: Path):
    write_policy(policy.parent, emu.url, rules={"bottom_rule": "no-such-rule"})
    before = snapshot(emu)
    res = awspan("push", fragment=first_fragment())
    assert res.code == 1 and "'no-such-rule'" in res.err and "not in the rulebase" in res.err
    assert_untouched(emu, *before)


@pytest.mark.parametrize(("frag", "name"), [
    (fragment([rule("r1", destination=["bastion"])], addresses=[address("bastion", "10.0.0.6/32")]),
     "bastion"),
    (fragment([rule("block-known-bad")]), "block-known-bad"),
])
def test_a_name_taken_by_an_operator_object_stops_the_push(emu: EmulatorServer, awspan, frag, name):
    before = snapshot(emu)
    res = awspan("push", fragment=frag)
    assert res.code == 1
    assert f"{name!r} exists on the firewall without the tag 'awspan'" in res.err
    assert_untouched(emu, *before)


def test_a_lock_held_by_another_admin_stops_the_push(emu: EmulatorServer, awspan):
    emu.lock_as("admin", "config", "vsys1", comment="change window")
    before = snapshot(emu)
    res = awspan("push", fragment=first_fragment())
    assert res.code == 1
    assert "cannot take the config lock" in res.err and "locked by admin" in res.err
    assert_untouched(emu, *before)
    assert not any(r["action"] == "get" for r in emu.requests)
    assert emu.config_locks() == {"vsys1": "admin"}


def test_a_fragment_for_another_vsys_is_refused(emu: EmulatorServer, awspan):
    res = awspan("push", fragment=first_fragment().replace('name="vsys1"', 'name="vsys2"'))
    assert res.code == 1
    assert "fragment.xml" in res.err and "must be for vsys vsys1" in res.err
    assert emu.request_count == 0


@pytest.mark.parametrize(("frag", "message"), [
    (fragment([rule("r1", tag=None)]), "does not carry the ownership tag 'awspan'"),
    (fragment([rule("r1"), rule("r1")]), "the name appears twice"),
    (fragment([rule("r" * 64)]), "the name is 64 characters"),
    (fragment([rule("it's")]), "PAN-OS names hold only letters"),
    ("<config><devices>", "not well-formed XML"),
    (first_fragment().replace("<tag>", "<!-- hi --><tag>", 1), "comments are not allowed"),
    (first_fragment().replace("<tag>", "<zone><entry name='z'/></zone><tag>", 1),
     "does not belong in a fragment"),
    # a second <tag> container would have silently replaced the first (and its entries)
    (first_fragment().replace("<tag>", "<tag><entry name='x'><comments>c</comments></entry></tag><tag>", 1),
     "appears twice"),
])
def test_a_bad_fragment_is_one_readable_error(emu: EmulatorServer, awspan, frag, message):
    res = awspan("push", fragment=frag)
    assert res.code == 1
    assert message in res.err and "Traceback" not in res.err
    assert len(res.err.strip().splitlines()) == 1
    assert emu.request_count == 0


def test_the_batch_rejected_by_pan_os_names_the_operation(emu: EmulatorServer, awspan):
    before = snapshot(emu)
    # (a name the firewall does not hold is refused by plan before any batch: test_references.py;
    # `any` beside another member is one PAN-OS refuses that plan does not look for)
    res = awspan("push", fragment=fragment([rule("r1", destination=["any", "10.0.0.1"])]))
    assert res.code == 1
    assert "refused the batch, nothing was changed" in res.err
    assert "create rule 'r1'" in res.err and "'any' cannot be combined" in res.err
    assert canonical_text(emu.running()) == before[0]
    assert canonical_text(emu.candidate()) == before[1]
    assert emu.config_locks() == {}


@pytest.mark.emulator(panorama=True)
def test_panorama_device_group_pre_rulebase(emu: EmulatorServer, tmp_path: Path, monkeypatch, capsys):
    from generator.cli.main import main

    loc = Location(vsys=None, device_group="dg1", rulebase="pre")
    monkeypatch.setenv("PANOS_API_KEY", emu.api_key("automation"))
    policy = write_policy(tmp_path, emu.url, firewall={"location": DG1_PRE})
    frag = tmp_path / "fragment.xml"
    frag.write_text(fragment([rule("sg-1", destination=["web-1"]), rule("sg-2", destination=["web-1"])],
                             addresses=[address("web-1", "10.0.1.10/32")], location=loc))
    assert main(["push", "--config", str(policy), "--fragment", str(frag)]) == 0, capsys.readouterr().err
    running = emu.running()
    names = [e.get("name") for e in running.xpath(loc.rules_xpath + "/entry")]
    assert names == ["allow-admin-ssh", "block-known-bad", "sg-1", "sg-2", "clean-up"]
    post = [e.get("name") for e in running.xpath(Location(vsys=None, device_group="dg1", rulebase="post")
                                                 .rules_xpath + "/entry")]
    assert post == ["post-deny-all"]
    assert emu.config_locks() == {}


def test_an_admin_that_is_not_the_keys_owner_stops_the_push(emu: EmulatorServer, awspan, policy: Path):
    """A partial commit of firewall.admin would commit that admin's pending work, not awspan's."""
    write_policy(policy.parent, emu.url, firewall={"admin": "admin"})
    emu.edit_as("admin", "set", Location().xpath("address"), address("admins-work", "10.8.0.1/32", tag=None))
    before = snapshot(emu)
    res = awspan("push", fragment=first_fragment())
    assert res.code == 1
    assert "firewall.admin is 'admin' but the API key belongs to 'automation'" in res.err
    assert_untouched(emu, *before)
    assert emu.config_locks() == {}
