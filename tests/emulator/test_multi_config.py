"""multi-config: one request, many operations, all or nothing."""

from __future__ import annotations

import urllib.parse

from lxml import etree

from tests.emulator.helpers import ADDRESS, RULES, VSYS, lines, names, rule_xml


def batch(*ops: str) -> str:
    return "<multi-config>" + "".join(ops) + "</multi-config>"


def refused(root: etree._Element) -> tuple[str, str, str, list[str]]:
    """(outer code, failing id, its code, its lines) of a refused batch, in PAN-OS's shape: an
    outer error (code 13) holding the operations' nested responses up to the failing one, and no
    message of its own (pango v0.9.0 multiconf_test.go)."""
    assert root.get("status") == "error" and root.find("msg") is None
    nested = root.findall("response")
    assert all(r.get("status") == "success" for r in nested[:-1])
    failed = nested[-1]
    assert failed.get("status") == "error"
    return root.get("code"), failed.get("id"), failed.get("code"), lines(failed)


def test_a_batch_applies_every_operation_and_echoes_ids(auto, emu):
    element = batch(
        f"<set id='1' xpath=\"{VSYS}/tag\"><entry name='awspan'/></set>",
        f"<set id='2' xpath=\"{ADDRESS}\"><entry name='web-1'><ip-netmask>10.1.0.10</ip-netmask>"
        "<tag><member>awspan</member></tag></entry></set>",
        f"<set id='3' xpath=\"{RULES}\">{rule_xml('web', dst='web-1', service='service-https')}</set>",
        f"<move id='4' xpath=\"{RULES}/entry[@name='web']\" where='before' dst='clean-up'/>",
        f"<edit id='5' xpath=\"{ADDRESS}/entry[@name='update-server']\"><entry name='update-server'>"
        "<fqdn>other.example.net</fqdn></entry></edit>",
        f"<delete id='6' xpath=\"{RULES}/entry[@name='block-known-bad']\"/>",
    )
    root = auto.call(type="config", action="multi-config", element=element)
    assert (root.get("status"), root.get("code")) == ("success", "20")
    assert [(r.get("id"), r.get("status")) for r in root.findall("response")] == [
        (str(i), "success") for i in range(1, 7)
    ]
    tree = emu.candidate()
    assert names(tree, f"{RULES}/entry") == ["allow-admin-ssh", "web", "clean-up"]
    assert tree.xpath(f"{ADDRESS}/entry[@name='update-server']/fqdn")[0].text == "other.example.net"
    assert emu.requests[-1]["ops"] == 6
    assert emu.pending_admins() == ["automation"]


def test_a_failing_operation_leaves_the_candidate_exactly_as_before(auto, emu):
    before = emu.candidate_xml()
    element = batch(
        f"<set id='a1' xpath=\"{ADDRESS}\"><entry name='web-1'><ip-netmask>10.1.0.10</ip-netmask>"
        "</entry></set>",
        f"<delete id='a2' xpath=\"{RULES}/entry[@name='block-known-bad']\"/>",
        f"<move id='a3' xpath=\"{RULES}/entry[@name='clean-up']\" where='top'/>",
        f"<set id='a4' xpath=\"{RULES}\">{rule_xml('web', dst='web-9')}</set>",
        f"<set id='a5' xpath=\"{RULES}\">{rule_xml('later')}</set>",
    )
    root = auto.call(type="config", action="multi-config", element=element)
    outer, op_id, code, text = refused(root)
    assert (outer, op_id, code) == ("13", "a4", "12")
    assert "web -> destination 'web-9' is not a valid reference" in text
    assert [r.get("id") for r in root.findall("response")] == ["a1", "a2", "a3", "a4"]
    assert emu.candidate_xml() == before
    assert emu.pending_admins() == []
    # nothing half-done: a commit has nothing to do
    assert auto.commit().findtext("msg") == "There are no changes to commit."


def test_a_reference_left_dangling_by_a_batch_fails_the_batch(auto, emu):
    before = emu.candidate_xml()
    element = batch(f"<delete id='1' xpath=\"{ADDRESS}/entry[@name='bastion']\"/>")
    root = auto.call(type="config", action="multi-config", element=element)
    assert refused(root)[:3] == ("13", "1", "10")
    assert emu.candidate_xml() == before
    # deleting the referencing rule and group first makes it valid
    ok = auto.call(
        type="config",
        action="multi-config",
        element=batch(
            f"<delete id='1' xpath=\"{RULES}/entry[@name='allow-admin-ssh']\"/>",
            f"<delete id='2' xpath=\"{VSYS}/address-group/entry[@name='admins']\"/>",
            f"<delete id='3' xpath=\"{ADDRESS}/entry[@name='bastion']\"/>",
        ),
    )
    assert ok.get("status") == "success", etree.tostring(ok)


def test_malformed_batches_are_refused_before_anything_happens(auto, emu):
    before = emu.candidate_xml()
    for element in (
        "<multi-config><frobnicate xpath='/config'/></multi-config>",
        "<multi-config><set id='1'><x/></set></multi-config>",
        "<not-multi/>",
        "<multi-config><set",
    ):
        root = auto.call(type="config", action="multi-config", element=element)
        assert root.get("status") == "error"
    assert emu.candidate_xml() == before


def test_any_root_name_and_optional_ids(auto, emu):
    root = auto.call(
        type="config",
        action="multi-config",
        element=(
            f"<batch><set xpath=\"{VSYS}/tag\"><entry name='t1'/></set>"
            f"<set id='second' xpath=\"{VSYS}/tag\"><entry name='t2'/></set></batch>"
        ),
    )
    assert root.get("status") == "success"
    assert [r.get("id") for r in root.findall("response")] == [None, "second"]
    assert names(emu.candidate(), f"{VSYS}/tag/entry")[-2:] == ["t1", "t2"]


def test_strict_transactional_rolls_back_own_pending_changes_first(auto, emu):
    emu.edit_as("admin", "set", f"{VSYS}/tag/entry[@name='theirs']", "<color>color1</color>")
    auto.config_ok("set", f"{VSYS}/tag/entry[@name='stale']", "<color>color2</color>")
    ok = auto.call(
        type="config",
        action="multi-config",
        **{"strict-transactional": "yes"},
        element=batch(f"<set id='1' xpath=\"{VSYS}/tag\"><entry name='fresh'/></set>"),
    )
    assert ok.get("status") == "success"
    tags = names(emu.candidate(), f"{VSYS}/tag/entry")
    assert "fresh" in tags and "theirs" in tags and "stale" not in tags
    # a failing strict batch restores the pending changes it rolled back
    before = emu.candidate_xml()
    bad = auto.call(
        type="config",
        action="multi-config",
        **{"strict-transactional": "yes"},
        element=batch(f"<set id='1' xpath=\"{RULES}\">{rule_xml('x', dst='nowhere')}</set>"),
    )
    assert bad.get("status") == "error"
    assert emu.candidate_xml() == before
    assert emu.pending_admins() == ["admin", "automation"]


def test_deletes_are_checked_in_operation_order(auto, emu):
    """Deleting an object before the rule that uses it fails, as each operation would on PAN-OS."""
    before = emu.candidate_xml()
    wrong_order = batch(
        f"<delete id='addr' xpath=\"{ADDRESS}/entry[@name='bastion']\"/>",
        f"<delete id='grp' xpath=\"{VSYS}/address-group/entry[@name='admins']\"/>",
        f"<delete id='rule' xpath=\"{RULES}/entry[@name='allow-admin-ssh']\"/>",
    )
    root = auto.call(type="config", action="multi-config", element=wrong_order)
    outer, op_id, code, text = refused(root)
    assert (outer, op_id, code) == ("13", "addr", "10")
    assert "bastion cannot be deleted because of references from:" in text
    assert emu.candidate_xml() == before
    # edits that drop the references later in the batch come too late as well
    late_edits = batch(
        f"<delete id='del' xpath=\"{ADDRESS}/entry[@name='bastion']\"/>",
        f"<edit id='rule' xpath=\"{RULES}/entry[@name='allow-admin-ssh']\">"
        f"{rule_xml('allow-admin-ssh', src='admin-net', dst='admin-net')}</edit>",
        f"<edit id='grp' xpath=\"{VSYS}/address-group/entry[@name='admins']\"><entry name='admins'>"
        "<static><member>admin-net</member></static></entry></edit>",
    )
    late = auto.call(type="config", action="multi-config", element=late_edits)
    assert refused(late)[:3] == ("13", "del", "10")
    assert emu.candidate_xml() == before
    # the same edits first, then the delete: fine
    right = batch(
        f"<edit id='rule' xpath=\"{RULES}/entry[@name='allow-admin-ssh']\">"
        f"{rule_xml('allow-admin-ssh', src='admin-net', dst='admin-net')}</edit>",
        f"<edit id='grp' xpath=\"{VSYS}/address-group/entry[@name='admins']\"><entry name='admins'>"
        "<static><member>admin-net</member></static></entry></edit>",
        f"<delete id='del' xpath=\"{ADDRESS}/entry[@name='bastion']\"/>",
    )
    assert auto.call(type="config", action="multi-config", element=right).get("status") == "success"


def _addresses(count: int, start: int = 0) -> str:
    entries = "".join(f"<entry name='a-{i:06d}'><ip-netmask>10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"
                      "</ip-netmask><description>padding padding padding</description></entry>"
                      for i in range(start, start + count))
    return batch(f"<set id='1' xpath=\"{ADDRESS}\">{entries}</set>")


def test_a_request_over_the_5_mb_limit_is_answered_413_and_applies_nothing(auto, emu):
    """The XML API guide: "limit the request size to 5MB". Measured on the wire (form-encoded),
    the emulator refuses a larger request before parsing it: HTTP 413, nothing applied."""
    before = emu.candidate_xml()
    element = _addresses(40_000)
    assert len(element) < 5_000_000 < len(urllib.parse.urlencode({"element": element}))  # encoding counts
    response = auto.raw(type="config", action="multi-config", element=element)
    assert response.status_code == 413 and not response.text.lstrip().startswith("<response")
    assert emu.candidate_xml() == before and emu.pending_admins() == []
    assert emu.largest_request > 5_000_000
    ok = auto.call(type="config", action="multi-config", element=_addresses(10_000))
    assert ok.get("status") == "success" and len(emu.candidate().xpath(f"{ADDRESS}/entry")) > 10_000
