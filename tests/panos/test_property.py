"""Random transitions against the emulator: whatever the managed rules and objects were (even after an
operator moved awspan's rules around), one push makes them equal to the fragment, in order, directly
above the bottom rule, and leaves everything else as it was; a failed commit puts everything back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from emulator import EmulatorServer
from generator.location import Location
from generator.panos.config.canonical import canonical_text
from generator.panos.config.contain import holds
from generator.panos.config.fragment import parse_fragment
from generator.panos.plan.changes import build_plan
from generator.panos.push.apply import PushFailed, PushSettings, push
from generator.panos.xmlapi.client import PanosClient
from generator.panos.xmlapi.read_config import read_location
from tests.panos.helpers import add_rule_below_cleanup, address, fragment, group, rule, service, unmanaged

LOC = Location()
SETTINGS = PushSettings(tag="awspan", bottom_rule="clean-up", max_delete_percent=100, admin="automation",
                        force=True)
ADDRESSES = [f"a{i}" for i in range(6)]
GROUPS = [f"g{i}" for i in range(3)]
SERVICES = [f"s{i}" for i in range(3)]


@st.composite
def fragments(draw) -> str:
    names = draw(st.lists(st.sampled_from([f"r{i}" for i in range(8)]), unique=True, max_size=8))
    members = {g: draw(st.lists(st.sampled_from(ADDRESSES), unique=True, min_size=1, max_size=3))
               for g in GROUPS}
    rules, used = [], set()
    for n in names:
        dst = draw(st.lists(st.sampled_from(ADDRESSES + GROUPS), unique=True, min_size=1, max_size=3))
        svc = draw(st.lists(st.sampled_from(SERVICES), unique=True, min_size=1, max_size=2))
        desc = draw(st.sampled_from(["", "v1", "v2"]))
        rules.append(rule(n, destination=dst, service=svc, description=desc or None))
        used |= set(dst) | set(svc)
    used |= {m for g in GROUPS if g in used for m in members[g]}
    used |= set(draw(st.lists(st.sampled_from(ADDRESSES + SERVICES), max_size=3)))  # unreferenced extras
    port = draw(st.sampled_from(["443", "8443"]))
    return fragment(
        rules,
        addresses=[address(a, f"10.0.0.{i + 1}/32") for i, a in enumerate(ADDRESSES) if a in used],
        groups=[group(g, members[g]) for g in GROUPS if g in used],
        services=[service(s, port if s == "s0" else str(1000 + i))
                  for i, s in enumerate(SERVICES) if s in used],
    )


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(job_steps=0) as emu:
        add_rule_below_cleanup(emu)
        yield emu


def managed_names(config: etree._Element) -> list[str]:
    return [e.get("name") for e in config.xpath(LOC.rules_xpath + "/entry[tag/member='awspan']")]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(frag=fragments(), scatter=st.integers(0, 3), fail_job=st.booleans())
def test_one_push_reaches_any_fragment_from_any_state(server: EmulatorServer, frag: str, scatter: int,
                                                      fail_job: bool):
    base = unmanaged(server.running())
    # an operator moves one of awspan's rules (to the top, or below the bottom rule) and commits
    managed = managed_names(server.running())
    if managed and scatter:
        where = ("top", "bottom", "top")[scatter - 1]
        moved = managed[scatter % len(managed)]
        server.edit_as("admin", "move", LOC.entry_xpath("rules", moved), where=where)
        assert server.commit_as("admin")
    client = PanosClient(server.url, api_key=server.api_key("automation"))
    parsed = parse_fragment(frag.encode(), LOC, "awspan", "fragment.xml")
    # as a client reads them: a rollback writes back the defaults a device shows (emulator/decorate.py)
    before_running, before_candidate = canonical_text(server.view(True)), canonical_text(server.view(False))
    plan = build_plan(parsed, read_location(client, LOC), tag="awspan", bottom_rule="clean-up",
                      max_delete_percent=100, admin="automation")
    if fail_job and plan.has_changes:  # no change, no commit: nothing to fail
        server.fail("job")
        with pytest.raises(PushFailed):
            push(client, parsed, SETTINGS)
        assert canonical_text(server.view(True)) == before_running
        assert canonical_text(server.view(False)) == before_candidate
    else:
        push(client, parsed, SETTINGS)
        running = server.running()
        names = [e.get("name") for e in running.xpath(LOC.rules_xpath + "/entry")]
        want = parsed.rule_names
        at = names.index("clean-up")
        assert names[at - len(want):at] == want and managed_names(running) == want
        for kind in ("address", "address-group", "service"):
            got = {e.get("name"): e for e in running.xpath(LOC.xpath(kind) + "/entry")
                   if e.find("tag/member") is not None and e.findtext("tag/member") == "awspan"}
            want_objects = parsed.objects.get(kind, {})
            assert set(got) == set(want_objects)
            assert all(holds(got[n], e, kind) for n, e in want_objects.items())
        for r in parsed.rules:
            got_rule = running.xpath(LOC.entry_xpath("rules", r.get("name")))[0]
            assert holds(got_rule, r, "rules")  # what awspan set; defaults a rollback wrote back are fine
        assert canonical_text(server.candidate()) == canonical_text(running)  # all of it committed
    assert unmanaged(server.running()) == base
    assert server.config_locks() == {}
