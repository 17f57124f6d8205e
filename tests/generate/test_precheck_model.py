"""The already-allowed check runs on the model, once, and the fragment is rendered once."""

from __future__ import annotations

import gc
import logging
import random
from typing import Any

import pytest
from lxml import etree

from generator.generate import step as command
from generator.generate.model import build_fragment
from generator.generate.objects import Address, AddressGroup, Fragment
from generator.generate.objects import Rule as ModelRule
from generator.generate.permissions import ServiceObject
from generator.generate.precheck import _say, candidate_tree, candidates, own_objects, run_precheck
from generator.generate.render import render_fragment
from generator.generate.state import parse_state
from generator.location import Location
from generator.policy import parse_policy
from generator.rulematch import RuleVerdict, check_candidates, check_rules
from generator.rulematch.config import RuleBase
from tests.generate.helpers import example_state_data, generate_cli
from tests.generate.test_precheck import SCANNER, SNAPSHOT, WEB_443
from tests.policies import example_policy
from tests.rulematch.build import BOTTOM, TAG, config
from tests.rulematch.test_shared_walks import firewall_estate


@pytest.mark.parametrize("layout", ["group", "instance"])
def test_model_tree_gets_the_decisions_of_the_rendered_fragment(layout: str) -> None:
    """The bare tree built from the model and the full rendered document are judged alike."""
    raw = example_policy()
    raw["rules"]["layout"] = layout
    policy = parse_policy(raw)
    fragment = build_fragment(parse_state(example_state_data()), policy)
    rendered = etree.fromstring(render_fragment(fragment)[0])
    snapshot = RuleBase(etree.fromstring(SNAPSHOT.encode()), "rulebase.xml")
    settings: dict[str, Any] = {
        "location": policy.firewall.location,
        "from_zone": policy.rules.from_zone,
        "to_zone": policy.rules.to_zone,
        "bottom_rule": policy.rules.bottom_rule,
        "tag": policy.rules.tag,
    }
    from_model = check_candidates(candidate_tree(fragment), snapshot, **settings)
    from_xml = check_candidates(rendered, snapshot, **settings)
    assert from_model == from_xml
    verdicts = {d.verdict for d in from_model[0]}
    assert len(from_model[0]) == len(fragment.rules) and {"uncovered"} < verdicts


def test_generate_with_a_rulebase_renders_once(
    tmp_path: Any, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = command.render_fragment

    def counting(fragment: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(len(fragment.rules))
        return real(fragment, *args, **kwargs)

    monkeypatch.setattr(command, "render_fragment", counting)
    rulebase = tmp_path / "rulebase.xml"
    rulebase.write_text(SNAPSHOT)
    out = tmp_path / "fragment.xml"
    rc, _, err = generate_cli(capsys, out, "--rulebase", str(rulebase))
    assert rc == 0, err
    names = [e.get("name") for e in etree.fromstring(out.read_bytes()).iterfind(".//rules/entry")]
    assert WEB_443 not in names and SCANNER not in names
    assert calls == [len(names)]  # one render, of the rules that were kept


def _random_fragment(rng: random.Random) -> Fragment:
    """A model fragment with what a tree would make odd: a name twice (the first wins), an address
    and a group of one name (the address wins), an unreadable value, padded names and values,
    a group in a loop, a group naming nothing, a dynamic group (no members), odd services."""
    hosts = [Address(f"h{i}", f"10.{rng.randrange(2)}.{rng.randrange(4)}.{rng.randrange(256)}/32", "")
             for i in range(30)]
    addresses = (*hosts, Address("h1", "10.9.9.9/32", "a second h1"), Address("both", "10.0.3.3/32", ""),
                 Address("bad", "10.0.0.300/32", ""), Address("padded", " 10.0.1.5/32 ", ""),
                 Address("h6", "2001:db8::5/128", ""))
    groups = (*(AddressGroup(f"sg{i}", tuple(rng.sample([h.name for h in hosts], 4)), "") for i in range(6)),
              AddressGroup("both", ("h2",), ""), AddressGroup("loop", ("loop", "h3"), ""),
              AddressGroup("ghost", ("nowhere", "h4"), ""),
              AddressGroup("dag", (), "", dynamic_tags=("web",)),
              AddressGroup("odd", ("bad", " padded ", "h6"), ""))
    services = (ServiceObject("c0", "tcp", "22"), ServiceObject("c0", "udp", "53"),
                ServiceObject("c1", "tcp", "1-150"), ServiceObject("c2", "udp", " 100-180 "),
                ServiceObject("big", "tcp", "70000"), ServiceObject("proto", "icmp", "8"))
    dests = [g.name for g in groups] + ["h5", " h7 ", "both", "10.1.2.0/24"]
    rules = []
    for i in range(300):
        app = rng.choice([("any",), ("any",), ("ssh",), ("icmp",), ("ping", "ssh")])
        svc = ("application-default",) if app != ("any",) else rng.choice(
            [("c0",), ("c1",), ("c2",), ("big",), ("proto",), ("any",), ("c0", " c1 "), ("service-http",)])
        src = rng.choice([("any",), ("198.51.100.7/32",), ("203.0.113.0/24", " 198.51.100.9 "), ("any",)])
        rules.append(ModelRule(f"sg-{i:04d}", src, (rng.choice(dests),), app, svc, ""))
    return Fragment(Location(), "awspan", "untrust", "trust", None, None, addresses, groups, services,
                    (), tuple(rules))


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_candidates_from_the_model_are_judged_as_their_tree(seed: int) -> None:
    """check_rules on the model's own objects gives what check_candidates gives on the tree that
    candidate_tree builds of the same fragment: decisions and warnings, one by one."""
    rng = random.Random(seed)
    fragment = _random_fragment(rng)
    fw_rules, fw_objects = firewall_estate(rng)
    settings: dict[str, Any] = {"location": Location(), "from_zone": "untrust", "to_zone": "trust",
                                "bottom_rule": BOTTOM, "tag": TAG}
    snapshot = etree.tostring(config(fw_rules, fw_objects))  # parsed twice: an index each
    from_tree = check_candidates(candidate_tree(fragment), RuleBase(etree.fromstring(snapshot), "x"),
                                 **settings)
    from_model = check_rules(candidates(fragment), own_objects(fragment),
                             RuleBase(etree.fromstring(snapshot), "x"), **settings)
    assert from_model == from_tree
    assert len(from_model[0]) == len(fragment.rules)
    assert any("unreadable" in w for w in from_model[1]) and any("nowhere" in w for w in from_model[1])
    verdicts = {d.verdict for d in from_model[0]}
    assert {"partial", "uncovered"} <= verdicts and verdicts & {"allowed", "blocked", "shadowed"}


def test_each_decided_rule_is_said_once_in_rule_order_at_its_level(caplog: pytest.LogCaptureFixture) -> None:
    decisions = [RuleVerdict("a", "allowed", ("fw1",), "already allowed by fw1"),
                 RuleVerdict("b", "blocked", ("deny1",), "blocked by deny1"),
                 RuleVerdict("c", "partial", ("fw1",), "allowed in part by fw1; kept whole"),
                 RuleVerdict("d", "uncovered", (), "no rule above the bottom rule matches its traffic"),
                 RuleVerdict("e", "shadowed", ("fw1", "deny1"), "every flow is decided by rules above")]
    with caplog.at_level(logging.INFO, logger="generator"):
        _say(decisions)
    said = [(r.levelno, line) for r in caplog.records for line in r.getMessage().split("\n")]
    assert said == [
        (logging.INFO, "left out a: already allowed by rule(s) fw1"),
        (logging.WARNING,
         "BLOCKED b: denied by rule(s) deny1 above the managed rules (blocked by deny1); left out"),
        (logging.INFO, "kept c: allowed in part by fw1 (the rest of its traffic needs the rule)"),
        (logging.INFO, "left out e: shadowed by rule(s) fw1, deny1 (every flow is decided by rules above)"),
    ]


@pytest.mark.parametrize("enabled", [True, False])
def test_the_check_leaves_the_garbage_collector_as_it_found_it(tmp_path: Any, enabled: bool) -> None:
    """The check pauses Python's collector while it runs; a caller's setting outlives it."""
    rulebase = tmp_path / "rulebase.xml"
    rulebase.write_text(SNAPSHOT)
    policy = parse_policy(example_policy())
    fragment = build_fragment(parse_state(example_state_data()), policy)
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        kept, _ = run_precheck(fragment, rulebase, policy)
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()
    assert WEB_443 not in {r.name for r in kept.rules}
