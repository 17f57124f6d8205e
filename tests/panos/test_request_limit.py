"""The XML API's 5 MB request limit: a batch larger than that goes in several multi-config requests,
each under the limit as encoded on the wire, and the push stays all or nothing across them.

The emulator enforces the limit as a device does (HTTP 413, nothing applied): before issue 20
awspan sent the whole batch as one request, and a fragment of a few thousand rules failed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator import EmulatorServer
from generator.cli.main import main
from generator.location import Location
from generator.panos.config.canonical import canonical_text
from generator.panos.xmlapi.wire import REQUEST_LIMIT
from tests.panos.helpers import address, fragment, rule, rule_names
from tests.policies import write_policy

LOC = Location()
N = 2700
NOTE = "ticket CHG-4711 (reviewed: 2026/01/05) " * 30  # ~1.2 KB of description per rule


def _big(n: int = N) -> str:
    rules = [rule(f"sg-{i:05d}-tcp-443", destination=[f"h-{i:05d}"], description=NOTE) for i in range(n)]
    addresses = [address(f"h-{i:05d}", f"10.{i // 250}.{i % 250}.7/32") for i in range(n)]
    return fragment(rules, addresses=addresses)


def _multi_configs(emu: EmulatorServer) -> list[dict]:
    return [r for r in emu.requests if r.get("action") == "multi-config"]


@pytest.fixture
def push(tmp_path: Path, monkeypatch, capsys):
    def run(emu: EmulatorServer, text: str, *extra: str) -> tuple[int, str]:
        monkeypatch.setenv("PANOS_API_KEY", emu.api_key("automation"))
        frag = tmp_path / "fragment.xml"
        frag.write_text(text)
        capsys.readouterr()
        policy = write_policy(tmp_path, emu.url, safety={"max_delete_percent": 100})
        code = main(["push", "--config", str(policy), "--fragment", str(frag), *extra])
        out = capsys.readouterr()
        return code, out.out + out.err

    for var in ("PANOS_URL", "PANOS_USERNAME", "PANOS_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    return run


def test_a_batch_over_5_mb_goes_in_requests_under_the_limit_and_every_rule_runs(emu, push):
    code, out = push(emu, _big())
    assert code == 0, out
    sent = _multi_configs(emu)
    assert len(sent) == 2  # ~6 MB on the wire: two requests, not one per rule
    assert not any(r.get("action") == "refused: too large" for r in emu.requests)
    assert 0 < emu.largest_request <= REQUEST_LIMIT
    names = rule_names(emu.running())
    assert names[-2:] == ["clean-up", "below-cleanup"] and len(names) == N + 4
    assert [r["type"] for r in emu.requests].count("commit") == 1  # one commit, after the last request

    emu.reset_counters()
    code, out = push(emu, _big())
    assert code == 0, out
    assert "already matches" in out and not _multi_configs(emu)
    assert not any(r["type"] == "commit" for r in emu.requests)


def test_a_failing_second_request_puts_the_candidate_back_exactly_and_commits_nothing(emu, push):
    running, candidate = canonical_text(emu.running()), canonical_text(emu.candidate())
    emu.fail("multi-config", nth=2, code="12", message="injected: the second request is refused")
    code, out = push(emu, _big())
    assert code == 1
    assert "refused request 2 of 2 of the batch" in out and "requests before it had been applied" in out
    assert "running config unchanged, the candidate was put back" in out
    assert canonical_text(emu.candidate()) == candidate and canonical_text(emu.running()) == running
    assert emu.config_locks() == {}
    assert not any(r["type"] == "commit" for r in emu.requests)
    assert emu.largest_request <= REQUEST_LIMIT


def test_a_refused_first_request_changes_nothing_and_sends_no_more(emu, push):
    candidate = canonical_text(emu.candidate())
    emu.fail("multi-config", nth=1, code="12", message="injected: refused")
    code, out = push(emu, _big())
    assert code == 1 and "refused the batch, nothing was changed" in out
    assert len(_multi_configs(emu)) == 1 and canonical_text(emu.candidate()) == candidate


@pytest.mark.slow
def test_a_rollback_over_5_mb_is_cut_too(emu, push):
    """The commit of a large deletion fails: the rollback re-creates every rule, itself a batch over
    5 MB, in requests under the limit; the candidate ends as it was."""
    assert push(emu, _big())[0] == 0
    candidate = canonical_text(emu.view(running=False))  # as read: a restored default looks the same
    emu.reset_counters()
    emu.fail("job", nth=1, message="injected: commit failed")
    code, out = push(emu, fragment([rule("sg-only", destination=["10.9.9.9"])]), "--force")
    assert code == 1 and "the candidate was put back" in out, out
    assert len(_multi_configs(emu)) >= 3  # the deletion, then the rollback in two requests
    assert emu.largest_request <= REQUEST_LIMIT
    assert canonical_text(emu.view(running=False)) == candidate and emu.config_locks() == {}
