"""The start/stop index (generate.start_stop) against a full generate.

The event reaction answers a start or stop with the User-ID delta the index gives, without
regenerating (events.fastpath). That is right only if, for a steady instance, a full generate
of the changed state gives a byte-identical fragment and registrations that differ by exactly
the instance's entry: checked here on generated estates with any set of instances started or
stopped (and their public IPs changed, as a stop releases them), and on the examples with an IPv6
prefix, the case the index must call unsteady because the fragment does change.
"""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.generate.membership import dynamic_form
from generator.generate.model import build
from generator.generate.start_stop import STEADY_STATES, entries, live
from generator.generate.state import parse_state
from tests.generate.helpers import example_state_data, generate_dynamic, policy_with
from tests.generate.strategies import states


def _index(state, policy):
    """generate.start_stop's entries for the whole model (no already-allowed check), as step.generate
    derives them."""
    parsed = parse_state(copy.deepcopy(state))
    built = build(parsed, policy)
    _, tags_by_address = dynamic_form(built, policy.rules.tag)
    return entries(parsed, built.members, tags_by_address)


def _flipped(state, chosen):
    """The state with the chosen instances started (parked ones) or stopped (live ones), and
    their interfaces' public IPs changed."""
    out = copy.deepcopy(state)
    for vpc in out["vpcs"]:
        for inst in vpc["instances"]:
            if inst["id"] in chosen:
                inst["state"] = "stopped" if live(inst["state"]) else "running"
        for eni in vpc["interfaces"]:
            if eni.get("instance") in chosen:
                eni["public_ip"] = None if eni.get("public_ip") else "203.0.113.77"
    return out


def _apply(registrations, index, state, chosen):
    """registrations.yaml's map after the chosen instances flipped, by the index alone."""
    out = {ip: sorted(tags) for ip, tags in registrations.items()}
    was = {i["id"]: i["state"] for v in state["vpcs"] for i in v["instances"]}
    for instance in chosen:
        for ip, tags in index[instance].tags.items():
            if live(was[instance]):
                assert out.pop(ip) == list(tags), f"{ip} of {instance} held other tags"
            else:
                assert ip not in out, f"{ip} of parked {instance} was registered"
                out[ip] = list(tags)
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(state=states(), layout=st.sampled_from(["group", "instance"]), data=st.data())
def test_a_steady_start_or_stop_changes_exactly_its_registrations(state, layout, data):
    policy = policy_with(layout=layout, membership="dynamic")
    index, registered = _index(state, policy)
    fragment, registrations = generate_dynamic(state, policy)
    assert registered == len(registrations)
    candidates = sorted(i["id"] for v in state["vpcs"] for i in v["instances"]
                        if i["state"] in STEADY_STATES and not index[i["id"]].unsteady)
    chosen = set(data.draw(st.lists(st.sampled_from(candidates), unique=True, max_size=3))
                 ) if candidates else set()
    changed = _flipped(state, chosen)
    fragment_after, registrations_after = generate_dynamic(changed, policy)
    assert fragment_after == fragment, "a steady start or stop changed the configuration"
    expected = _apply(registrations, index, state, chosen)
    assert {ip: sorted(t) for ip, t in registrations_after.items()} == expected


def test_an_ipv6_prefix_makes_its_instance_unsteady_because_the_fragment_changes():
    """A live instance's IPv6 prefix is a static address object named in its rules (PAN-OS does not
    register IPv6 networks): a stop removes it from the fragment, so the index must say so."""
    state = example_state_data()
    policy = policy_with(layout="group", membership="dynamic")
    eni = next(n for v in state["vpcs"] for n in v["interfaces"] if n["id"] == "eni-0a00000000000a001")
    eni["ipv6_prefixes"] = ["2600:1f18:1234:5601:8000::/80"]
    index, _ = _index(state, policy)
    assert "IPv6 prefix 2600:1f18:1234:5601:8000::/80" in (index[eni["instance"]].unsteady or "")
    steady = [i for i, e in index.items() if e.unsteady is None and e.tags]
    assert steady, "the other instances stay steady"
    before, _ = generate_dynamic(state, policy)
    after, _ = generate_dynamic(_flipped(state, {eni["instance"]}), policy)
    assert before != after


def test_an_address_behind_two_interfaces_makes_both_unsteady():
    """Overlapping VPC blocks can put one IP behind a parked and a live instance: starting the parked
    one is refused by generate, and its stop does not unregister the IP the other holds."""
    state = example_state_data()
    policy = policy_with(layout="group", membership="dynamic")
    enis = {n["instance"]: n for v in state["vpcs"] for n in v["interfaces"] if n.get("instance")}
    stopped = next(i["id"] for v in state["vpcs"] for i in v["instances"] if i["state"] == "stopped")
    running = next(i for i, e in _index(state, policy)[0].items() if e.tags and i != stopped)
    enis[stopped]["private_ips"] = list(enis[running]["private_ips"])
    index, _ = _index(state, policy)
    for instance in (stopped, running):
        assert "is also behind" in (index[instance].unsteady or ""), instance


def test_the_index_generate_writes_holds_with_the_already_allowed_check(tmp_path):
    """The index the event reaction keeps comes from generate's own run (step.generate's start_stop),
    after the already-allowed check left rules out: for every steady instance of the examples, a
    start or stop gives, against the same rulebase, the same fragment and the index's delta."""
    from generator.generate.step import generate
    from generator.registrations_file import load_desired
    from generator.yamlio import dump_yaml
    from tests.generate.test_precheck import SNAPSHOT

    policy = policy_with(layout="group", membership="dynamic")
    rulebase = tmp_path / "rulebase.xml"
    rulebase.write_text(SNAPSHOT)

    def run(state):
        (tmp_path / "state.yaml").write_text(dump_yaml(state))
        got = {}
        data, report, _, regs = generate(policy, str(tmp_path / "state.yaml"), rulebase=str(rulebase),
                                         start_stop=lambda _, index, n: got.update(index=index, n=n))
        (tmp_path / "registrations.yaml").write_text(regs)
        tags = load_desired(tmp_path / "registrations.yaml", policy.rules.tag).tags
        return data, report, {ip: sorted(t) for ip, t in tags.items()}, got

    state = example_state_data()
    fragment, report, registrations, got = run(state)
    assert "already allowed" in report and got["n"] == len(registrations)
    index = got["index"]
    steady = [i["id"] for v in state["vpcs"] for i in v["instances"]
              if i["state"] in STEADY_STATES and not index[i["id"]].unsteady and index[i["id"]].tags]
    assert len(steady) >= 3, steady
    for instance in steady:
        changed_fragment, _, changed, _ = run(_flipped(state, {instance}))
        assert changed_fragment == fragment, instance
        assert changed == _apply(registrations, index, state, {instance}), instance
