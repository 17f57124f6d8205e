"""type=config: get/show/set/edit/delete/move/rename over HTTP."""

from __future__ import annotations

from tests.emulator.helpers import ADDRESS, RULES, VSYS, lines, names, rule_xml


def test_get_reads_candidate_with_counts_and_code_7_when_absent(auto):
    root = auto.config("get", RULES + "/entry")
    assert (root.get("status"), root.get("code")) == ("success", "19")
    result = root.find("result")
    assert result.get("total-count") == result.get("count") == "3"
    assert names(result, "entry") == ["allow-admin-ssh", "block-known-bad", "clean-up"]
    missing = auto.config("get", ADDRESS + "/entry[@name='nope']")
    assert (missing.get("status"), missing.get("code")) == ("success", "7")
    assert len(missing.find("result")) == 0


def test_show_reads_running_not_candidate(auto):
    auto.config_ok("set", ADDRESS + "/entry[@name='web-1']", "<ip-netmask>10.1.0.10/32</ip-netmask>")
    assert names(auto.config("get", ADDRESS + "/entry").find("result"), "entry")[-1] == "web-1"
    shown = auto.config("show", ADDRESS + "/entry[@name='web-1']")
    assert (shown.get("status"), shown.get("code")) == ("error", "7")
    assert "No such node" in lines(shown)[0]
    assert "web-1" not in names(auto.config("show", ADDRESS).find("result/address"), "entry")


def test_set_creates_missing_path_and_merges(auto, emu):
    root = auto.config("set", RULES, rule_xml("r1", service="service-https"))
    assert (root.get("status"), root.get("code"), root.findtext("msg")) == (
        "success",
        "20",
        "command succeeded",
    )
    # set merges: a second member is added, text leaves are replaced
    auto.config_ok(
        "set",
        RULES + "/entry[@name='r1']",
        "<service><member>service-http</member></service><action>deny</action>",
    )
    rule = emu.candidate().xpath(f"{RULES}/entry[@name='r1']")[0]
    assert [m.text for m in rule.findall("service/member")] == ["service-https", "service-http"]
    assert rule.findtext("action") == "deny"
    assert rule.get("uuid")  # rules get a uuid, as on PAN-OS 9.0+
    assert rule.get("admin") == "automation" and rule.get("dirtyId") and rule.get("time")
    # new entries go to the bottom of the rulebase
    assert names(emu.candidate(), f"{RULES}/entry")[-1] == "r1"
    # a new container path is created on demand
    auto.config_ok(
        "set", VSYS + "/service-group/entry[@name='web']", "<members><member>service-https</member></members>"
    )
    assert emu.candidate().xpath(f"{VSYS}/service-group/entry[@name='web']")


def test_edit_replaces_the_node_and_keeps_the_uuid(auto, emu):
    xpath = RULES + "/entry[@name='block-known-bad']"
    uuid = emu.candidate().xpath(xpath)[0].get("uuid")
    auto.config_ok("edit", xpath, rule_xml("block-known-bad", from_zone="any", to_zone="any", action="drop"))
    rule = emu.candidate().xpath(xpath)[0]
    assert rule.get("uuid") == uuid
    assert rule.findtext("action") == "drop"
    assert rule.find("source-user") is None  # replaced, not merged
    mismatch = auto.config("edit", xpath, "<entry name='other'><action>deny</action></entry>")
    assert (mismatch.get("status"), mismatch.get("code")) == ("error", "12")


def test_delete_with_or_predicate_and_missing_object(auto, emu):
    for name in ("a", "b", "c"):
        auto.config_ok("set", f"{ADDRESS}/entry[@name='{name}']", "<ip-netmask>192.0.2.1</ip-netmask>")
    auto.ok(type="config", action="delete", xpath=f"{ADDRESS}/entry[@name='a' or @name='c']")
    assert [n for n in names(emu.candidate(), f"{ADDRESS}/entry") if len(n) == 1] == ["b"]
    missing = auto.config("delete", f"{ADDRESS}/entry[@name='zzz']")
    assert (missing.get("status"), missing.get("code")) == ("success", "7")


def test_move_top_bottom_before_after(auto, emu):
    for name in ("r1", "r2"):
        auto.config_ok("set", RULES, rule_xml(name))

    def order():
        return names(emu.candidate(), f"{RULES}/entry")

    auto.ok(type="config", action="move", xpath=RULES + "/entry[@name='r2']", where="before", dst="clean-up")
    auto.ok(type="config", action="move", xpath=RULES + "/entry[@name='r1']", where="after", dst="r2")
    assert order() == ["allow-admin-ssh", "block-known-bad", "r2", "r1", "clean-up"]
    auto.ok(type="config", action="move", xpath=RULES + "/entry[@name='r1']", where="top")
    auto.ok(type="config", action="move", xpath=RULES + "/entry[@name='allow-admin-ssh']", where="bottom")
    assert order() == ["r1", "block-known-bad", "r2", "clean-up", "allow-admin-ssh"]
    bad = auto.config("move", RULES + "/entry[@name='r1']", where="before", dst="no-such-rule")
    assert bad.get("status") == "error" and "no-such-rule" in lines(bad)[0]
    assert order() == ["r1", "block-known-bad", "r2", "clean-up", "allow-admin-ssh"]
    bad_where = auto.config("move", RULES + "/entry[@name='r1']", where="sideways")
    assert bad_where.get("status") == "error"


def test_rename_updates_references(auto, emu):
    auto.ok(type="config", action="rename", xpath=ADDRESS + "/entry[@name='bastion']", newname="jump-host")
    tree = emu.candidate()
    assert tree.xpath(f"{ADDRESS}/entry[@name='jump-host']")
    ssh = tree.xpath(f"{RULES}/entry[@name='allow-admin-ssh']")[0]
    assert [m.text for m in ssh.findall("destination/member")] == ["jump-host"]
    assert "jump-host" in [
        m.text for m in tree.xpath(f"{VSYS}/address-group/entry[@name='admins']/static/member")
    ]
    clash = auto.config("rename", ADDRESS + "/entry[@name='admin-net']", newname="jump-host")
    assert clash.get("status") == "error"


def test_bad_xpath_and_malformed_element(auto, emu):
    before = emu.candidate_xml()
    bad = auto.config("get", "/config/devices/entry[@name='x'")
    assert (bad.get("status"), bad.get("code")) == ("error", "6")
    relative = auto.config("set", "devices", "<x/>")
    assert relative.get("code") == "6"
    malformed = auto.config("set", ADDRESS, "<entry name='a'><ip-netmask>1.2.3.4</entry>")
    assert (malformed.get("status"), malformed.get("code")) == ("error", "18")
    comment = auto.config(
        "set", ADDRESS, "<entry name='a'><!-- hi --><ip-netmask>1.2.3.4</ip-netmask></entry>"
    )
    assert comment.get("status") == "error"
    assert emu.candidate_xml() == before


def test_clients_cannot_forge_change_marks(auto, emu):
    auto.ok(
        type="config",
        action="set",
        xpath=ADDRESS,
        element="<entry name='w' admin='someone-else' dirtyId='999' time='never'>"
        "<fqdn>w.example</fqdn></entry>",
    )
    entry = emu.candidate().xpath(f"{ADDRESS}/entry[@name='w']")[0]
    assert entry.get("admin") == "automation" and entry.get("dirtyId") != "999"
    assert auto.commit_and_wait().findtext("result") == "OK"
    assert emu.running().xpath(f"{ADDRESS}/entry[@name='w']")[0].get("admin") is None
