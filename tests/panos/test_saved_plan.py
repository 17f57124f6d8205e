"""push --plan FILE applies exactly the reviewed change, or nothing: each way the firewall, the
files, the policy or the device can move after `plan --out`, tried as issue 22 describes it, and
saved-plan files that are not what they claim."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from lxml import etree

from emulator import EmulatorServer
from emulator.device import DeviceProfile
from emulator.server import default_config
from generator.location import Location
from generator.panos.config.canonical import canonical_text
from generator.resources import load_json_schema
from tests.panos import plan_scenarios as sc
from tests.panos.helpers import add_rule_below_cleanup, address, fragment, icmp_app, members, rule
from tests.policies import write_policy

LOC = Location()
REFUSED = "push refused, nothing was changed: the saved plan"
SSH = f"{sc.WEB}-tcp-22"


def untouched(emu: EmulatorServer) -> None:
    assert not any(r["action"] == "multi-config" for r in emu.requests)
    assert not any(r["type"] in ("commit", "user-id") for r in emu.requests)
    assert emu.config_locks() == {}


def state(emu: EmulatorServer) -> tuple[str, str]:
    return canonical_text(emu.running()), canonical_text(emu.candidate())


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def refused(emu: EmulatorServer, awspan, saved: Path, frag: str) -> str:
    """push --plan SAVED with FRAG: exit 1, one line, and nothing changed on the firewall; the line."""
    before = state(emu)
    emu.reset_counters()
    res = awspan("push", "--plan", str(saved), fragment=frag)
    assert res.code == 1, res.out
    line = one_line(res.err)
    assert REFUSED in line and "make and review a new plan" in line
    untouched(emu)
    assert state(emu) == before
    return line


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    return tmp_path / "plan.json"


def test_a_saved_plan_is_applied_when_nothing_moved(emu: EmulatorServer, awspan, saved: Path):
    res = awspan("plan", "--detailed-exitcode", "--out", str(saved), fragment=sc.estate())
    assert res.code == 2, res.err
    doc = json.loads(saved.read_text())
    schema = load_json_schema("plan.schema.json")
    jsonschema.validators.validator_for(schema)(schema).validate(doc)
    binding = doc["saved"]["binding"]
    assert doc["saved"]["version"] == 2 and doc["saved"]["digest"].startswith("sha256:")
    assert binding["device"] == {"serial": "007000000000001", "panorama": False}
    assert binding["location"] == {"vsys": "vsys1"}
    assert binding["policy"]["values"]["rules.membership"] == "static"
    assert binding["registrations"] is None and binding["files"]["registrations"] is None
    created = {(o["kind"], o["name"]) for o in binding["objects"] if o["op"] == "create"}
    assert ("rules", SSH) in created and binding["rule_order"]["after"].index(SSH) < \
        binding["rule_order"]["after"].index("clean-up")
    res = awspan("push", "--plan", str(saved), fragment=sc.estate())
    assert res.code == 0, res.err
    assert emu.running().xpath(LOC.entry_xpath("rules", SSH))


def test_an_unrelated_edit_on_the_firewall_does_not_block_the_saved_plan(emu: EmulatorServer, awspan,
                                                                         saved: Path):
    """Only what push would do is bound: an operator's own object is not part of what was reviewed."""
    assert awspan("plan", "--out", str(saved), fragment=sc.estate()).code == 0
    emu.edit_as("admin", "set", LOC.xpath("address"), address("jump-host", "10.9.9.9/32", tag=None))
    assert emu.commit_as("admin")
    assert awspan("push", "--plan", str(saved), fragment=sc.estate()).code == 0


def test_a_rule_added_by_hand_since_the_plan_refuses_it(emu: EmulatorServer, awspan, saved: Path):
    """The rule order is bound: where the managed block lands among the operator's rules (a deny
    rule of theirs above it, say) is part of what was reviewed."""
    assert awspan("plan", "--out", str(saved), fragment=sc.estate()).code == 0
    emu.edit_as("admin", "set", LOC.rules_xpath, rule("block-bad-actors", action="deny", tag=None))
    assert emu.commit_as("admin")
    line = refused(emu, awspan, saved, sc.estate())
    assert "the rule order on the firewall differs: ['block-bad-actors'] added" in line


def test_a_stale_plan_does_not_put_back_what_an_admin_removed(emu: EmulatorServer, awspan, saved: Path):
    """Issue 22's first case: a rule holds 198.18.0.0/15; the plan adds 192.0.2.77/32; an admin then
    removes 198.18.0.0/15 in an emergency and commits. push --plan must refuse, not reopen it."""
    assert awspan("push", fragment=sc.estate(ssh_sources=("198.18.0.0/15", "203.0.113.0/24"))).code == 0
    wider = sc.estate(ssh_sources=("198.18.0.0/15", "203.0.113.0/24", "192.0.2.77/32"))
    assert awspan("plan", "--detailed-exitcode", "--out", str(saved), fragment=wider).code == 2
    emu.edit_as("admin", "edit", LOC.entry_xpath("rules", SSH) + "/source",
                members("source", ["203.0.113.0/24"]))
    assert emu.commit_as("admin")
    line = refused(emu, awspan, saved, wider)
    assert f"rule '{SSH}' on the firewall: 'source'" in line
    assert "'198.18.0.0/15', '203.0.113.0/24'] then, ['203.0.113.0/24'] now" in line
    assert "198.18.0.0/15" not in canonical_text(emu.running().xpath(LOC.entry_xpath("rules", SSH))[0])


def test_of_two_plans_made_from_one_state_the_second_is_refused(emu: EmulatorServer, awspan, tmp_path: Path):
    """Two CI runs plan from the same firewall state, each changing one rule; the first applies.
    The second would silently undo the first's reviewed change (before issue 22 it exited 0)."""
    assert awspan("push", fragment=sc.estate()).code == 0
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    a = sc.estate(ssh_sources=("198.51.100.0/24", "203.0.113.7/32"))
    b = sc.estate(ssh_sources=("198.51.100.0/24", "192.0.2.9/32"))
    assert awspan("plan", "--out", str(first), fragment=a).code == 0
    assert awspan("plan", "--out", str(second), fragment=b).code == 0
    assert awspan("push", "--plan", str(first), fragment=a).code == 0
    line = refused(emu, awspan, second, b)
    assert (f"rule '{SSH}' on the firewall: 'source' ['198.51.100.0/24'] then, ['198.51.100.0/24', "
            "'203.0.113.7/32'] now") in line  # what the first push applied


def test_a_managed_object_edited_since_the_plan_refuses_the_push(emu: EmulatorServer, awspan, saved: Path):
    assert awspan("push", fragment=sc.estate()).code == 0
    changed = sc.estate(ssh_sources=("198.51.100.0/24", "203.0.113.7/32"))
    assert awspan("plan", "--out", str(saved), fragment=changed).code == 0
    xpath = LOC.entry_xpath("rules", f"{sc.WEB}-tcp-443") + "/source"
    emu.edit_as("admin", "edit", xpath, members("source", ["192.0.2.1"]))
    assert emu.commit_as("admin")
    line = refused(emu, awspan, saved, changed)
    assert f"rule '{sc.WEB}-tcp-443': not in the plan, now push would change it" in line
    assert "fragment" not in line


def test_a_different_fragment_refuses_the_push(emu: EmulatorServer, awspan, saved: Path):
    assert awspan("plan", "--out", str(saved), fragment=sc.estate()).code == 0
    emu.reset_counters()
    res = awspan("push", "--plan", str(saved), fragment=sc.estate(drop_app=True))
    assert res.code == 1 and "the fragment is not the one planned" in one_line(res.err)
    untouched(emu)


def icmp_fragment(*apps: str) -> str:
    return fragment([rule("sg-icmp", source=["198.51.100.0/24"], application=["icmp-8"])],
                    applications=list(apps))


@pytest.mark.parametrize("edited", [
    icmp_app("icmp-8", 8, code=0),                             # the reviewed application, changed
    icmp_app("icmp-8", 8) + icmp_app("icmp-13", 13),           # one more application
])
def test_a_custom_application_edited_in_the_fragment_after_the_plan_is_refused(
        emu: EmulatorServer, awspan, saved: Path, edited: str):
    assert awspan("push", fragment=icmp_fragment(icmp_app("icmp-8", 8))).code == 0
    reviewed = icmp_fragment(icmp_app("icmp-8", 8))
    assert awspan("plan", "--detailed-exitcode", "--out", str(saved), fragment=reviewed).code == 0
    line = refused(emu, awspan, saved, icmp_fragment(edited))
    assert "the fragment is not the one planned" in line and "application 'icmp-" in line


def test_an_admins_edit_of_a_custom_application_refuses_the_plan(emu: EmulatorServer, awspan, saved: Path):
    frag = icmp_fragment(icmp_app("icmp-8", 8))
    assert awspan("push", fragment=frag).code == 0
    assert awspan("plan", "--detailed-exitcode", "--out", str(saved), fragment=frag).code == 0
    emu.edit_as("admin", "edit", LOC.entry_xpath("application", "icmp-8"), icmp_app("icmp-8", 8, code=3))
    assert emu.commit_as("admin")
    line = refused(emu, awspan, saved, frag)
    assert "application 'icmp-8': not in the plan, now push would change it" in line


def test_a_saved_plan_of_no_changes_stays_no_changes(emu: EmulatorServer, awspan, saved: Path):
    assert awspan("push", fragment=sc.estate()).code == 0
    assert awspan("plan", "--detailed-exitcode", "--out", str(saved), fragment=sc.estate()).code == 0
    emu.reset_counters()
    assert awspan("push", "--plan", str(saved), fragment=sc.estate()).code == 0
    untouched(emu)


def test_pending_state_is_part_of_the_saved_plan(emu: EmulatorServer, awspan, saved: Path):
    """A plan that promised to commit awspan's pending objects is refused once someone committed them."""
    assert awspan("push", fragment=sc.estate()).code == 0
    xpath = LOC.entry_xpath("rules", SSH) + "/source"
    emu.edit_as("automation", "edit", xpath, members("source", ["203.0.113.7/32"]))
    frag = sc.estate(ssh_sources=("203.0.113.7/32",))
    assert awspan("plan", "--detailed-exitcode", "--out", str(saved), fragment=frag).code == 2
    assert emu.commit_as("automation")
    res = awspan("push", "--plan", str(saved), fragment=frag)
    assert res.code == 1 and "the pending (uncommitted) state differs" in res.err


def test_a_plan_for_one_firewall_is_refused_by_another(emu: EmulatorServer, awspan, saved: Path,
                                                      monkeypatch: pytest.MonkeyPatch):
    """Two firewalls with the same configuration: the plan made for one does not apply to the other."""
    assert awspan("plan", "--out", str(saved), fragment=sc.estate()).code == 0
    with EmulatorServer(device=DeviceProfile(serial="007000000000099")) as other:
        add_rule_below_cleanup(other)
        other.reset_counters()
        monkeypatch.setenv("PANOS_URL", other.url)  # the same policy.yaml, another device
        monkeypatch.setenv("PANOS_API_KEY", other.api_key("automation"))
        before = state(other)
        res = awspan("push", "--plan", str(saved), fragment=sc.estate())
        assert res.code == 1
        line = one_line(res.err)
        assert "the plan was made on device '007000000000001', this is '007000000000099'" in line
        assert "policy.yaml" not in line and "fragment" not in line
        untouched(other)
        assert state(other) == before


def _two_vsys() -> bytes:
    root = etree.fromstring(default_config())
    vsys1 = root.xpath("/config/devices/entry/vsys/entry[@name='vsys1']")[0]
    copy = etree.fromstring(etree.tostring(vsys1))
    copy.set("name", "vsys2")
    vsys1.addnext(copy)
    return etree.tostring(root)


def test_a_plan_for_vsys1_is_refused_for_vsys2(tmp_path: Path, awspan, monkeypatch: pytest.MonkeyPatch,
                                              saved: Path):
    vsys2 = Location(vsys="vsys2")
    with EmulatorServer(config_xml=_two_vsys(), device=DeviceProfile(multi_vsys=True)) as emu:
        monkeypatch.setenv("PANOS_URL", emu.url)
        monkeypatch.setenv("PANOS_API_KEY", emu.api_key("automation"))
        frag = [rule("sg-web-tcp-443", source=["198.51.100.0/24"])]
        assert awspan("plan", "--out", str(saved), fragment=fragment(frag)).code == 0
        write_policy(tmp_path, emu.url, firewall={"location": {"vsys": "vsys2"}})
        line = refused(emu, awspan, saved, fragment(frag, location=vsys2))
        assert "the plan was made for vsys 'vsys1', this push is for vsys 'vsys2'" in line
        assert "policy.yaml 'firewall.location.vsys': 'vsys1' when planned, 'vsys2' now" in line


def test_a_policy_edited_after_the_plan_is_named(emu: EmulatorServer, awspan, saved: Path, policy: Path):
    assert awspan("plan", "--out", str(saved), fragment=sc.estate()).code == 0
    policy.write_text(policy.read_text() + "safety:\n  max_delete_percent: 90\n")
    res = awspan("push", "--plan", str(saved), fragment=sc.estate())
    assert res.code == 1
    assert "policy.yaml 'safety.max_delete_percent': 30.0 when planned, 90.0 now" in one_line(res.err)
    untouched(emu)


def test_a_long_list_of_differences_is_capped_and_escaped(emu: EmulatorServer, awspan, saved: Path):
    """40 rules edited by hand since the plan: five are named, the rest counted, and a value holding
    a newline (a description) cannot add a line to the refusal."""
    rules = [rule(f"sg-{i:03d}", source=["198.51.100.0/24"]) for i in range(40)]
    assert awspan("push", fragment=fragment(rules)).code == 0
    wider = [rule(f"sg-{i:03d}", source=["198.51.100.0/24", "192.0.2.7"]) for i in range(40)]
    assert awspan("plan", "--out", str(saved), fragment=fragment(wider)).code == 0
    for i in range(40):
        emu.edit_as("admin", "set", LOC.entry_xpath("rules", f"sg-{i:03d}"),
                    "<description>by hand\nawspan push: ok</description>")
    assert emu.commit_as("admin")
    emu.reset_counters()
    res = awspan("push", "--plan", str(saved), fragment=fragment(wider))
    assert res.code == 1
    line = one_line(res.err)
    assert "and 35 more" in line and len(line) <= 1100
    assert "rule 'sg-000' on the firewall: 'description' absent then, 'by hand\\nawspan push: ok' now" in line
    untouched(emu)


OLD_V1 = json.dumps({"saved": {"version": 1, "change_set": "sha256:" + "0" * 64,
                               "fingerprints": {"fragment": "a", "managed": "b", "pending": "c"}}})


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "invalid JSON"),
    ('{"format_version": 1}', "no `saved` block"),
    ('[1, 2]', "no `saved` block"),
    (OLD_V1, "saved plan version 1; this awspan reads version 2"),
    (json.dumps({"saved": {"version": 2, "digest": "sha256:" + "0" * 64, "binding": {}}}),
     "lacks its digest or binding"),
])
def test_a_bad_saved_plan_is_one_line_and_no_request(emu: EmulatorServer, awspan, saved: Path, content,
                                                      message):
    saved.write_text(content)
    res = awspan("push", "--plan", str(saved), fragment=sc.estate())
    assert res.code == 1 and message in res.err and str(saved) in res.err
    assert len(res.err.strip().splitlines()) == 1 and "Traceback" not in res.err
    assert emu.request_count == 0


def test_an_old_plan_says_to_make_a_new_one(emu: EmulatorServer, awspan, saved: Path):
    saved.write_text(OLD_V1)
    res = awspan("push", "--plan", str(saved), fragment=sc.estate())
    assert res.code == 1 and "make a new plan with `awspan plan --out FILE`" in res.err


def test_a_hand_edited_binding_is_refused(emu: EmulatorServer, awspan, saved: Path):
    assert awspan("plan", "--out", str(saved), fragment=sc.estate()).code == 0
    doc = json.loads(saved.read_text())
    doc["saved"]["binding"]["device"]["serial"] = "anything"
    saved.write_text(json.dumps(doc))
    emu.reset_counters()
    res = awspan("push", "--plan", str(saved), fragment=sc.estate())
    assert res.code == 1 and "digest does not match its binding" in res.err and emu.request_count == 0


def test_a_missing_saved_plan_is_named(emu: EmulatorServer, awspan, tmp_path: Path):
    res = awspan("push", "--plan", str(tmp_path / "nope.json"), fragment=sc.estate())
    assert res.code == 1 and "saved plan not found" in res.err and emu.request_count == 0


def test_an_oversized_saved_plan_is_refused_unread(emu: EmulatorServer, awspan, saved: Path):
    with saved.open("wb") as fh:
        fh.truncate(65 * 1024 * 1024)  # sparse: nothing is written
    res = awspan("push", "--plan", str(saved), fragment=sc.estate())
    assert res.code == 1 and "over the 64 MiB limit" in res.err and emu.request_count == 0
