"""One safety object for plan and push: the floor under the delete percentage, typed refusals, plan
exiting 1 on what push refuses (with or without --detailed-exitcode), and pending state that is
never "no changes"."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator import EmulatorServer
from generator.location import Location
from generator.panos.config.canonical import canonical_text
from generator.safety import (
    EmptyFragment,
    Guarded,
    OthersPending,
    Safety,
    TooManyDeletes,
    UnsafePlan,
    raise_if_unsafe,
    refusal,
)
from tests.panos import plan_scenarios as sc
from tests.panos.helpers import fragment, members, rule
from tests.policies import write_policy

LOC = Location()


def many(n: int) -> str:
    return fragment([rule(f"sg-{i:03d}", destination=[f"10.0.0.{i + 1}"]) for i in range(n)])


def test_the_percentage_needs_min_existing_rules():
    s = Safety(max_delete_percent=30, min_existing=10)
    assert s.guards(managed_rules=3, deleted_rules=1, fragment_rules=2) == []  # 33 % of a small estate
    assert s.guards(managed_rules=9, deleted_rules=9, fragment_rules=1) == []
    [guard] = s.guards(managed_rules=10, deleted_rules=4, fragment_rules=6)
    assert isinstance(guard, TooManyDeletes) and guard.forceable
    assert "delete 4 of 10 managed rules (40%)" in guard.reason
    assert s.guards(managed_rules=10, deleted_rules=3, fragment_rules=7) == []  # 30 % is allowed
    [empty] = s.guards(managed_rules=2, deleted_rules=2, fragment_rules=0)  # no floor for "delete all"
    assert isinstance(empty, EmptyFragment)


class _Plan:
    def __init__(self, *refusals: UnsafePlan) -> None:
        self.refusals = list(refusals)


def test_blockers_win_over_guards_and_force_only_passes_guards():
    guard = TooManyDeletes("too many")
    blocker = OthersPending("someone else's work")
    assert refusal(_Plan(guard, blocker)).reason == "someone else's work"
    with pytest.raises(OthersPending, match="push refused, nothing was changed: someone else's work"):
        raise_if_unsafe(_Plan(guard, blocker), force=True)
    with pytest.raises(Guarded):
        raise_if_unsafe(_Plan(guard))
    raise_if_unsafe(_Plan(guard), force=True)
    assert refusal(_Plan()) is None


def test_a_small_estate_can_lose_a_rule_without_force(emu: EmulatorServer, awspan):
    """The StopInstances case: 3 managed rules, one goes (33 %): below the floor, no --force needed."""
    assert awspan("push", fragment=many(3)).code == 0
    res = awspan("plan", "--detailed-exitcode", fragment=many(2))
    assert res.code == 2, res.err
    assert awspan("push", fragment=many(2)).code == 0


@pytest.mark.parametrize("detailed", [True, False])
def test_plan_exits_1_when_push_would_refuse(emu: EmulatorServer, awspan, detailed: bool):
    assert awspan("push", fragment=many(10)).code == 0
    args = ["--detailed-exitcode"] if detailed else []
    res = awspan("plan", *args, fragment=many(6))
    assert res.code == 1
    assert "REFUSED without --force: push would delete 4 of 10 managed rules (40%)" in res.out
    assert res.err.strip() == ("awspan plan: push would refuse this plan: push would delete 4 of 10 managed "
                               "rules (40%), over safety.max_delete_percent (30%); check the state (a failed "
                               "or partial collect?) or use --force")
    push = awspan("push", fragment=many(6))
    assert push.code == 1 and "push would delete 4 of 10" in push.err


def test_another_admins_pending_edit_stops_plan_and_push(emu: EmulatorServer, awspan):
    assert awspan("push", fragment=sc.estate()).code == 0
    emu.edit_as("admin", "edit", LOC.entry_xpath("rules", f"{sc.WEB}-tcp-22") + "/source",
                members("source", ["any"]))
    before = canonical_text(emu.running()), canonical_text(emu.candidate())
    res = awspan("plan", fragment=sc.estate())
    assert res.code == 1 and "admin has uncommitted changes to awspan's objects" in res.err
    emu.reset_counters()
    res = awspan("push", "--force", fragment=sc.estate())  # --force does not pass a blocker
    assert res.code == 1 and "push refused, nothing was changed: admin has uncommitted" in res.err
    assert (canonical_text(emu.running()), canonical_text(emu.candidate())) == before
    assert emu.pending_admins() == ["admin"]


def test_pending_state_is_a_change_and_push_commits_it(emu: EmulatorServer, awspan):
    """An interrupted push: the batch is in the candidate, the commit never happened."""
    assert awspan("push", fragment=sc.estate()).code == 0
    emu.edit_as("automation", "delete", LOC.entry_xpath("rules", f"{sc.APP}-tcp-8000-8100"))
    frag = sc.estate(drop_app=True)
    res = awspan("plan", "--detailed-exitcode", fragment=frag)
    assert res.code == 2, res.err
    assert "1 pending (uncommitted)" in res.out
    assert "deleted rule sg-0a1b2c3d4e5f60002-tcp-8000-8100" in res.out
    assert "no changes" not in res.out
    res = awspan("push", fragment=frag)
    assert res.code == 0, res.err
    assert not emu.running().xpath(LOC.entry_xpath("rules", f"{sc.APP}-tcp-8000-8100"))
    assert emu.pending_admins() == []
    res = awspan("plan", "--detailed-exitcode", fragment=frag)
    assert res.code == 0 and "no changes" in res.out


def test_pending_alone_is_committed_without_a_batch(emu: EmulatorServer, awspan):
    assert awspan("push", fragment=sc.estate()).code == 0
    frag = sc.estate(ssh_sources=("203.0.113.7/32",))
    emu.edit_as("automation", "edit", LOC.entry_xpath("rules", f"{sc.WEB}-tcp-22") + "/source",
                members("source", ["203.0.113.7/32"]))
    emu.reset_counters()
    res = awspan("push", fragment=frag)
    assert res.code == 0, res.err
    assert "PENDING: 1 awspan object differs" in res.out  # shown, then
    assert "    changed rule sg-0a1b2c3d4e5f60001-tcp-22 by automation\n" in res.out
    assert "uncommitted changes: committing them" in res.out  # committed
    assert not any(r["action"] == "multi-config" for r in emu.requests)
    assert emu.running().xpath(LOC.entry_xpath("rules", f"{sc.WEB}-tcp-22") + "/source/member")[0].text \
        == "203.0.113.7/32"


def test_min_existing_comes_from_policy(emu: EmulatorServer, awspan, policy: Path):
    write_policy(policy.parent, emu.url, safety={"min_existing": 2})
    assert awspan("push", fragment=many(3)).code == 0
    res = awspan("plan", fragment=many(2))
    assert res.code == 1 and "delete 1 of 3 managed rules (33%)" in res.err
