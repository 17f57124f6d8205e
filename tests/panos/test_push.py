"""awspan push against the PAN-OS emulator over real HTTP: placement, changes, idempotence,
round trips, other admins' work, and what the operator's own config looks like afterwards."""

from __future__ import annotations

from lxml import etree

from emulator import EmulatorServer
from generator.cli.main import main
from generator.location import Location
from tests.panos.helpers import (
    add_rule_below_cleanup,
    address,
    first_fragment,
    fragment,
    rule,
    rule_names,
    second_fragment,
    unmanaged,
)
from tests.policies import write_policy

LOC = Location()


def entry(config: etree._Element, kind: str, name: str) -> etree._Element | None:
    found = config.xpath(LOC.entry_xpath(kind, name))
    return found[0] if found else None


def test_first_push_places_rules_directly_above_the_bottom_rule(emu: EmulatorServer, awspan):
    before = unmanaged(emu.running())
    res = awspan("push", fragment=first_fragment())
    assert res.code == 0, res.err
    running = emu.running()
    assert rule_names(running) == ["allow-admin-ssh", "block-known-bad", "sg-web-tcp-443", "sg-web-tcp-8080",
                                   "sg-db-all", "sg-old", "clean-up", "below-cleanup"]
    assert entry(running, "address-group", "db-servers") is not None
    assert unmanaged(running) == before
    assert emu.pending_admins() == []
    assert emu.config_locks() == {}
    assert "12 to create, 0 to change, 0 to delete, 0 to move" in res.out  # 4 rules + 8 objects


def test_change_delete_create_and_reorder_in_one_batch(emu: EmulatorServer, awspan):
    assert awspan("push", fragment=first_fragment()).code == 0
    before = unmanaged(emu.running())
    emu.reset_counters()
    res = awspan("push", "--force", fragment=second_fragment())  # 1 of 4 rules deleted = 25% < 30%
    assert res.code == 0, res.err
    running = emu.running()
    assert rule_names(running) == ["allow-admin-ssh", "block-known-bad", "sg-db-all", "sg-web-tcp-443",
                                   "sg-new", "sg-web-tcp-8080", "clean-up", "below-cleanup"]
    assert entry(running, "address", "web-2") is None and entry(running, "address", "old-1") is None
    assert entry(running, "rules", "sg-old") is None
    assert [m.text for m in entry(running, "address-group", "db-servers").iterfind("static/member")] == \
        ["db-1", "db-2"]
    assert entry(running, "rules", "sg-web-tcp-443").findtext("description") == "now one host"
    assert unmanaged(running) == before
    assert unmanaged(emu.candidate()) == before
    kinds = [r["action"] for r in emu.requests if r["type"] == "config"]
    assert kinds.count("multi-config") == 1 and not {"set", "edit", "delete", "move"} & set(kinds)


def test_second_push_sends_no_batch_and_no_commit(emu: EmulatorServer, awspan):
    assert awspan("push", fragment=first_fragment()).code == 0
    emu.reset_counters()
    res = awspan("push", fragment=first_fragment())
    assert res.code == 0, res.err
    assert "already matches" in res.out
    kinds = {(r["type"], r["action"]) for r in emu.requests}
    assert ("config", "multi-config") not in kinds
    assert not any(t == "commit" for t, _ in kinds)
    # HA state, system info, lock, whose key (show config-locks), get, show running, unlock
    assert emu.request_count == 7


def many(n: int) -> str:
    return fragment([rule(f"sg-{i:05d}", destination=[f"10.{i // 250}.{i % 250}.1"]) for i in range(n)])


def test_round_trips_do_not_grow_with_the_number_of_rules(tmp_path, monkeypatch, capsys):
    """System info, lock, read, one batch, verify, commit, job polls, running check, unlock: the same
    for 10 or 1,000 rules."""
    counts = {}
    for n in (10, 100, 1000):
        with EmulatorServer() as server:
            add_rule_below_cleanup(server)
            server.reset_counters()
            monkeypatch.setenv("PANOS_API_KEY", server.api_key("automation"))
            work = tmp_path / str(n)
            work.mkdir()
            (work / "fragment.xml").write_text(many(n))
            code = main(["push", "--config", str(write_policy(work, server.url)),
                         "--fragment", str(work / "fragment.xml")])
            assert code == 0, capsys.readouterr().err
            counts[n] = server.request_count
            assert len(rule_names(server.running())) == n + 4
    assert counts[10] == counts[100] == counts[1000], counts
    # HA state, system info, lock, owner, get, show, batch, get, commit, 2 polls, running, unlock
    assert counts[10] <= 13, counts


def test_another_admins_pending_change_is_not_committed(emu: EmulatorServer, awspan):
    emu.edit_as("admin", "set", LOC.xpath("address"), address("admin-pending", "10.99.0.1/32", tag=None))
    res = awspan("push", fragment=first_fragment())
    assert res.code == 0, res.err
    assert entry(emu.running(), "address", "admin-pending") is None
    assert entry(emu.candidate(), "address", "admin-pending") is not None
    assert emu.pending_admins() == ["admin"]
    assert "sg-old" in rule_names(emu.running())


def test_uncommitted_changes_of_an_earlier_push_are_committed(emu: EmulatorServer, awspan):
    """An earlier run that stopped between batch and commit left awspan's admin with pending changes
    equal to the fragment: the next push has nothing to send, but commits them."""
    assert awspan("push", fragment=first_fragment()).code == 0
    old = entry(emu.candidate(), "rules", "sg-old")
    emu.edit_as("automation", "delete", LOC.entry_xpath("rules", "sg-old"))
    emu.edit_as("automation", "set", LOC.rules_xpath, etree.tostring(old, encoding="unicode"))
    emu.edit_as("automation", "move", LOC.entry_xpath("rules", "sg-old"), where="before", dst="clean-up")
    assert emu.pending_admins() == ["automation"]
    emu.reset_counters()
    res = awspan("push", fragment=first_fragment())
    assert res.code == 0, res.err
    assert "uncommitted changes" in res.out
    assert not any(r["action"] == "multi-config" for r in emu.requests)
    assert [r["type"] for r in emu.requests].count("commit") == 1
    assert emu.pending_admins() == []


def test_an_object_an_operator_rule_uses_is_not_deleted(emu: EmulatorServer, awspan):
    """Deleting it would make PAN-OS refuse the whole batch; it stays, with a warning."""
    assert awspan("push", fragment=first_fragment()).code == 0
    emu.edit_as("admin", "set", LOC.rules_xpath, rule("ops-web", destination=["web-2"], tag=None))
    assert emu.commit_as("admin")
    res = awspan("push", "--force", fragment=second_fragment())
    assert res.code == 0, res.err
    assert "address 'web-2' is no longer in the fragment but rule 'ops-web' (not awspan's) use it" in res.out
    running = emu.running()
    assert entry(running, "address", "web-2") is not None and entry(running, "address", "old-1") is None
    assert "sg-new" in rule_names(running)


def test_the_commit_is_partial_for_this_admin_with_a_description(emu: EmulatorServer, awspan):
    res = awspan("push", "--description", "CHG-1234 <web> & db", fragment=first_fragment())
    assert res.code == 0, res.err
    (commit,) = [r for r in emu.requests if r["type"] == "commit"]
    cmd = etree.fromstring(commit["cmd"])
    assert [m.text for m in cmd.iterfind("partial/admin/member")] == ["automation"]
    assert cmd.findtext("description") == "CHG-1234 <web> & db"
    res = awspan("push", "--force", fragment=second_fragment())
    (commit,) = [r for r in emu.requests if r["type"] == "commit"][1:]
    assert etree.fromstring(commit["cmd"]).findtext("description") == \
        "awspan: 3 to create, 2 to change, 3 to delete, 1 to move"
