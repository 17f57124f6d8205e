"""A fault at each step of push: the running config unchanged, the candidate as before the push,
the lock released, exit 1 and one readable line (no traceback)."""

from __future__ import annotations

import pytest

from emulator import EmulatorServer
from generator.panos.config.canonical import canonical_text
from tests.panos.helpers import first_fragment, rule_names, second_fragment


@pytest.fixture
def pushed(emu: EmulatorServer, awspan) -> EmulatorServer:
    assert awspan("push", fragment=first_fragment()).code == 0
    emu.reset_counters()
    return emu


FAULTS = [
    pytest.param([("lock", 1)], "config lock", id="lock"),
    pytest.param([("get", 1)], "injected get failure", id="read"),
    pytest.param([("multi-config", 1)], "refused the batch, nothing was changed", id="batch"),
    pytest.param([("get", 2)], "cannot read the candidate back", id="verify"),
    pytest.param([("get", 2), ("get", 3)], "cannot read the candidate back", id="verify-and-rollback-read"),
    pytest.param([("commit", 1)], "commit was refused", id="commit"),
    pytest.param([("job", 1)], "injected job failure", id="job"),
]


@pytest.mark.parametrize(("faults", "message"), FAULTS)
def test_fault_leaves_the_firewall_as_it_was(pushed: EmulatorServer, awspan, faults, message):
    running, candidate = canonical_text(pushed.view(True)), canonical_text(pushed.view(False))
    for kind, nth in faults:
        pushed.fail(kind, nth=nth)
    res = awspan("push", "--force", fragment=second_fragment())
    assert res.code == 1
    # as a client reads it: a rollback writes back the defaults the device showed (decorate.py)
    assert canonical_text(pushed.view(True)) == running
    assert canonical_text(pushed.view(False)) == candidate
    assert rule_names(pushed.candidate())[2:7] == ["sg-web-tcp-443", "sg-web-tcp-8080", "sg-db-all", "sg-old",
                                                   "clean-up"]
    assert pushed.config_locks() == {}
    assert "Traceback" not in res.err
    lines = res.err.strip().splitlines()
    assert lines[-1].startswith("awspan push: error:")
    assert message in lines[-1]


def test_after_a_failed_push_the_next_push_succeeds(pushed: EmulatorServer, awspan):
    pushed.fail("job", nth=1)
    assert awspan("push", "--force", fragment=second_fragment()).code == 1
    res = awspan("push", "--force", fragment=second_fragment())
    assert res.code == 0, res.err
    assert "sg-new" in rule_names(pushed.running())
    assert pushed.pending_admins() == []


def test_a_failed_unlock_is_retried(pushed: EmulatorServer, awspan):
    pushed.fail("unlock", nth=1)
    res = awspan("push", "--force", fragment=second_fragment())
    assert res.code == 0, res.err
    assert pushed.config_locks() == {}
    assert "sg-new" in rule_names(pushed.running())


def test_a_lock_that_cannot_be_released_is_an_error(pushed: EmulatorServer, awspan):
    for nth in (1, 2, 3):
        pushed.fail("unlock", nth=nth)
    res = awspan("push", "--force", fragment=second_fragment())
    assert res.code == 1
    assert "could not be released" in res.err and "request config-lock remove" in res.err
    assert pushed.config_locks() == {"shared": "automation"}  # single-vsys: the shared scope
    pushed.unlock_as("automation", scope="shared")


def test_an_unreadable_commit_job_is_not_rolled_back(pushed: EmulatorServer, awspan):
    """The commit was enqueued but its job cannot be read: the result is unknown, so the candidate keeps
    awspan's changes (a rollback could leave running and candidate apart), and the next push converges."""
    # `show high-availability state`, `show system info`, `show config-locks` (who owns the key);
    # then the job polls
    ops_before_commit = 3
    for nth in range(ops_before_commit + 1, ops_before_commit + 4):
        pushed.fail("op", nth=nth)
    res = awspan("push", "--force", fragment=second_fragment())
    assert res.code == 1
    assert "cannot read the state of commit job" in res.err and "keeps awspan's changes" in res.err
    assert "sg-new" in rule_names(pushed.candidate())  # not rolled back
    assert pushed.config_locks() == {}
    res = awspan("push", "--force", fragment=second_fragment())
    assert res.code == 0, res.err
    assert "sg-new" in rule_names(pushed.running())
    assert pushed.pending_admins() == []
