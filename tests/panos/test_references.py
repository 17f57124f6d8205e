"""Plan refuses what the firewall will refuse: a name the fragment uses that the firewall does not hold.

With `to_zone: inside` (no such zone) or an unknown profile group, plan used to exit 0 and push
then failed with "… is not a valid reference". Now plan exits 1 naming each, push refuses before
any change, and a name that lives in `shared` (or, on Panorama, in an ancestor device group) is
accepted. The emulator refuses such a batch as a device does (tests/emulator/test_validation.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator import EmulatorServer
from generator.cli.main import main
from generator.location import Location
from generator.panos.config.canonical import canonical_text
from tests.panos.helpers import address, fragment, group, rule, service
from tests.policies import DG1_PRE, write_policy

LOC = Location()


def with_settings(rule_xml: str, *, profile: str | None = None, log: str | None = None) -> str:
    """A rule with a profile group and/or a log forwarding profile, where generate puts them."""
    extra = ""
    if profile:
        extra += f"<profile-setting><group><member>{profile}</member></group></profile-setting>"
    if log:
        extra += f"<log-setting>{log}</log-setting>"
    return rule_xml.replace("</action>", "</action>" + extra, 1)


def estate(*, to_zone: str = "trust", profile: str | None = "strict", log: str | None = "default",
           destination: str = "web-1", extra_rules: tuple[str, ...] = ()) -> str:
    rules = [with_settings(rule(f"sg-web-tcp-{p}", destination=[destination], service=[f"tcp-{p}"],
                                to_zone=to_zone), profile=profile, log=log) for p in (443, 8080)]
    return fragment([*rules, *extra_rules], addresses=[address("web-1", "10.0.1.10/32")],
                    services=[service("tcp-443", "443"), service("tcp-8080", "8080")])


def untouched(emu: EmulatorServer) -> tuple[str, str]:
    return canonical_text(emu.running()), canonical_text(emu.candidate())


def test_the_known_names_plan_without_a_further_request(emu: EmulatorServer, awspan):
    """Zones, profile group and log forwarding profile in vsys1, the rest in the fragment: the usual
    plan reads nothing more than before (system info, candidate, running)."""
    res = awspan("plan", fragment=estate())
    assert res.code == 0, res.err
    assert [(r["type"], r["action"]) for r in emu.requests] == [
        ("op", "show high-availability state"), ("op", "show system info"),
        ("config", "get"), ("config", "show")]


@pytest.mark.parametrize(("frag", "said"), [
    (estate(to_zone="inside"),
     "2 rules ('sg-web-tcp-443', 'sg-web-tcp-8080') name zone 'inside' (to), which the firewall does not "
     "have (looked in vsys vsys1 and shared): PAN-OS would refuse the batch (\"is not a valid reference\"); "
     "check rules.to_zone in policy.yaml"),
    (estate(profile="stricter"),
     "name security profile group 'stricter' (profile-setting), which the firewall does not have"),
    (estate(log="to-siem"),
     "name log forwarding profile 'to-siem' (log-setting), which the firewall does not have"),
    (estate(destination="nobody"),
     "name address, address group or external dynamic list 'nobody' (destination), which the firewall "
     "does not have"),
], ids=["zone", "profile-group", "log-setting", "address"])
def test_plan_exits_1_naming_what_the_firewall_would_refuse(emu: EmulatorServer, awspan, frag, said):
    before = untouched(emu)
    res = awspan("plan", fragment=frag)
    assert res.code == 1, res.out + res.err
    assert said in res.err and "awspan plan: push would refuse this plan" in res.err
    # the plan itself says it too (an ERROR line, folded at 120 characters with `↳` continuations)
    assert said in re.sub(r"\n *↳ ", " ", res.out)
    # the name was looked for in shared too: one more read, the same for 2 rules or 2,000
    assert [(r["type"], r["action"]) for r in emu.requests] == [
        ("op", "show high-availability state"), ("op", "show system info"),
        ("config", "get"), ("config", "show"), ("config", "get")]
    assert emu.requests[-1]["xpath"] == "/config/shared"
    assert untouched(emu) == before

    emu.reset_counters()
    push = awspan("push", fragment=frag)
    assert push.code == 1 and "push refused, nothing was changed: " in push.err and said in push.err
    assert not [r for r in emu.requests if r["type"] == "commit" or r.get("action") == "multi-config"]
    assert untouched(emu) == before


def test_every_unknown_name_is_listed(emu: EmulatorServer, awspan):
    frag = estate(to_zone="inside", profile="stricter", log="to-siem", extra_rules=(
        rule("sg-db-udp-53", destination=["db-servers"], service=["udp-53"]),),
    )
    frag = frag.replace("<service>", "<address-group>" + group("db-servers", ["db-1"]) + "</address-group>"
                        "<service>", 1)
    res = awspan("plan", fragment=frag)
    assert res.code == 1
    for name in ("zone 'inside'", "security profile group 'stricter'", "log forwarding profile 'to-siem'",
                 "service or service group 'udp-53'", "address group 'db-servers' names address or address "
                 "group 'db-1' (static)"):
        assert name in res.err, name


def test_names_in_shared_are_accepted(emu: EmulatorServer, awspan):
    """A profile group, a log forwarding profile and an address that live in shared: plan and push
    accept them, as PAN-OS does."""
    emu.edit_as("admin", "set", "/config/shared/profile-group",
                "<entry name='shared-strict'><virus><member>default</member></virus></entry>")
    emu.edit_as("admin", "set", "/config/shared/log-settings/profiles", "<entry name='shared-siem'/>")
    assert emu.commit_as("admin")
    emu.reset_counters()
    frag = estate(profile="shared-strict", log="shared-siem", destination="dns-public")  # dns-public: shared
    res = awspan("plan", fragment=frag)
    assert res.code == 0, res.err
    res = awspan("push", fragment=frag)
    assert res.code == 0, res.err


def test_a_missing_bottom_rule_is_refused_by_plan_too(emu: EmulatorServer, awspan, policy: Path):
    write_policy(policy.parent, emu.url, rules={"bottom_rule": "no-such-rule"})
    res = awspan("plan", fragment=estate())
    assert res.code == 1
    assert "the bottom rule 'no-such-rule' (rules.bottom_rule) is not in the rulebase" in res.err


# -- Panorama: zones live in templates; objects in the device group, its ancestors or shared ------------

DG_LOC = Location(vsys=None, device_group="dg1", rulebase="pre")

HIERARCHY = """
  <readonly><devices><entry name="localhost.localdomain"><device-group>
    <entry name="dg1"><parent-dg>region</parent-dg></entry>
    <entry name="region"><parent-dg>top</parent-dg></entry>
  </device-group></entry></devices></readonly>
"""

GROUPS = """
        <entry name="region"><profile-group><entry name="region-strict">
          <virus><member>default</member></virus></entry></profile-group></entry>
        <entry name="top"><log-settings><profiles><entry name="top-siem"/></profiles></log-settings></entry>
"""


@pytest.fixture
def panorama() -> Iterator[EmulatorServer]:
    """The emulator's Panorama, with dg1 under `region` under `top`."""
    config = (Path(__file__).resolve().parents[2] / "emulator" / "default_panorama.xml").read_text()
    config = config.replace("<device-group>", "<device-group>" + GROUPS, 1)
    config = config.replace("</config>", HIERARCHY + "</config>")
    with EmulatorServer(config_xml=config, panorama=True) as server:
        yield server


def _dg_run(server: EmulatorServer, tmp_path: Path, monkeypatch, capsys, command: str, frag: str):
    monkeypatch.setenv("PANOS_API_KEY", server.api_key("automation"))
    policy = write_policy(tmp_path, server.url, firewall={"location": DG1_PRE})
    path = tmp_path / "fragment.xml"
    path.write_text(frag)
    capsys.readouterr()
    code = main([command, "--config", str(policy), "--fragment", str(path)])
    out = capsys.readouterr()
    return code, out.out, out.err


def _dg_fragment(*, profile: str, log: str, to_zone: str = "trust") -> str:
    return fragment([with_settings(rule("sg-1", destination=["web-1"], to_zone=to_zone), profile=profile,
                                   log=log)],
                    addresses=[address("web-1", "10.0.1.10/32")], location=DG_LOC)


def test_panorama_accepts_names_of_the_ancestors_and_does_not_check_zones(
        panorama: EmulatorServer, tmp_path, monkeypatch, capsys):
    frag = _dg_fragment(profile="region-strict", log="top-siem", to_zone="zone-of-a-template")
    code, out, err = _dg_run(panorama, tmp_path, monkeypatch, capsys, "plan", frag)
    assert code == 0, out + err
    # shared, the hierarchy, one read per ancestor: bounded by Panorama's depth, not by the rules
    assert [(r["type"], r.get("xpath") or r["action"]) for r in panorama.requests][-4:] == [
        ("config", "/config/shared"),
        ("op", "show dg-hierarchy"),
        ("config", Location(vsys=None, device_group="region").base_xpath),
        ("config", Location(vsys=None, device_group="top").base_xpath),
    ]
    code, out, err = _dg_run(panorama, tmp_path, monkeypatch, capsys, "push", frag)
    assert code == 0, out + err


def test_panorama_refuses_a_name_nowhere_in_the_hierarchy(panorama: EmulatorServer, tmp_path, monkeypatch,
                                                          capsys):
    frag = _dg_fragment(profile="nowhere-strict", log="top-siem")
    code, out, err = _dg_run(panorama, tmp_path, monkeypatch, capsys, "plan", frag)
    assert code == 1
    assert ("rule 'sg-1' names security profile group 'nowhere-strict' (profile-setting), which the firewall "
            "does not have (looked in device-group dg1, its ancestors and shared)") in err


def test_a_name_push_deletes_does_not_count_and_an_unchanged_rule_is_not_looked_at():
    """Only what push writes is checked, against what will be there after the batch: an awspan address
    the fragment no longer defines is deleted by the same batch, so a rule naming it is refused."""
    from lxml import etree

    from generator.panos.config.fragment import parse_fragment
    from generator.panos.config.view import read_view
    from generator.panos.plan.changes import build_plan
    from generator.panos.plan.references import Inherited

    device_xml = fragment([rule("kept", destination=["web-1"])], addresses=[address("web-1", "10.0.1.10/32"),
                                                                            address("old", "10.0.9.9/32")])
    device = read_view(etree.fromstring(device_xml).xpath(LOC.base_xpath)[0], LOC)
    device.rules.append(etree.fromstring(rule("clean-up", tag=None)))
    calls = []

    def inherited() -> Inherited:
        calls.append(1)
        return Inherited()

    same = parse_fragment(device_xml.encode(), LOC, "awspan", "f")
    plan = build_plan(same, device, tag="awspan", bottom_rule="clean-up", admin=None, inherited=inherited)
    assert not plan.blockers and calls == []  # nothing written: nothing looked up, no request
    gone = fragment([rule("kept", destination=["web-1"]), rule("new", destination=["old"])],
                    addresses=[address("web-1", "10.0.1.10/32")])
    plan = build_plan(parse_fragment(gone.encode(), LOC, "awspan", "f"), device, tag="awspan",
                      bottom_rule="clean-up", admin=None, inherited=inherited)
    assert any("rule 'new' names address, address group or external dynamic list 'old' (destination)" in b
               for b in plan.blockers), plan.blockers
    assert calls == [1]


def test_a_hostile_name_is_escaped_in_the_refusal(emu: EmulatorServer, awspan):
    """A name is data: a newline in it cannot forge a second line of the message."""
    frag = estate(destination="evil\nERROR: forged")
    res = awspan("plan", fragment=frag)
    assert res.code == 1
    line = next(x for x in res.err.splitlines() if "push would refuse this plan" in x)
    assert "name address, address group or external dynamic list 'evil\\nERROR: forged' (destination)" in line
    assert not any(x.startswith("ERROR: forged") for x in res.err.splitlines())
