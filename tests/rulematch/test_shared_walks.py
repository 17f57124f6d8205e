"""The check shares one walk between candidates that no rule tells apart, and walks only the rules
that overlap them (atoms.py): on random estates its decisions and warnings must be those of the
plain per-candidate walk over every counted rule of every zone pair, the way the check used to run.

The estates draw candidates and firewall rules from small pools of overlapping subnets, hosts,
ranges, ports, applications and zones, so that many candidates share a key (and must still get
their own name) while others differ in one atom only.
"""

from __future__ import annotations

import random

import pytest

from generator.location import Location
from generator.rulematch import RuleBase, RuleVerdict
from generator.rulematch.boxes import candidate_boxes
from generator.rulematch.config import Fields, tables_for
from generator.rulematch.match import _decide, _names, _Walk, _walk
from generator.rulematch.resolve import Resolver
from tests.rulematch.build import BOTTOM, TAG, Objects, Rule, check, config

ZONES = ("untrust", "dmz", "trust", "any")
APPS = ("any", "ssh", "ssl", "web-browsing", "icmp", "ping")


def _subnet(rng: random.Random) -> str:
    third, fourth = rng.randrange(4), rng.choice((0, 64, 128))
    return f"10.{rng.randrange(2)}.{third}.{fourth}/{rng.choice((24, 25, 26, 28))}"


def firewall_estate(rng: random.Random) -> tuple[list[Rule], Objects]:
    objects = Objects(
        address={f"n{i}": ("ip-netmask", _subnet(rng)) for i in range(12)}
        | {f"r{i}": ("ip-range", f"10.0.{i}.10-10.0.{i}.{rng.randrange(11, 200)}") for i in range(3)}
        | {"fq": ("fqdn", "www.example.net"), "v6": ("ip-netmask", "2001:db8::/64")},
        groups={"g1": ("n0", "n1", "r0"), "g2": ("n2", "v6")},
        dynamic_groups={"dag": "'web'"},
        services={f"p{i}": ("tcp", f"{rng.randrange(1, 90)}-{rng.randrange(90, 200)}") for i in range(5)}
        | {"dns": ("udp", "53"), "srcport": ("tcp", "22", "1024-65535")},
        service_groups={"web": ("p0", "p1", "service-http")},
    )
    rules = [  # a few broad, sure rules among the random ones
        Rule("wide-allow", dst=("10.0.0.0/16",), svc=("p0", "p1", "p2", "dns"), from_=("untrust", "dmz")),
        Rule("wide-deny", dst=("10.1.0.0/16",), svc=("any",), app=("any",), action="deny"),
        Rule("ssh-allow", dst=("10.0.0.0/8",), svc=("application-default",), app=("ssh", "ping")),
    ]
    for i in range(40):
        app = rng.choice([("any",), ("any",), (rng.choice(APPS[1:]),)])
        svc = rng.choice([("any",), ("dns",), ("web",), ("srcport",), (rng.choice(list(objects.services)),)])
        if app != ("any",) and rng.random() < 0.5:
            svc = ("application-default",)
        rules.append(Rule(
            f"fw{i}",
            src=rng.choice([("any",), ("any",), ("198.51.100.0/24",),
                            ("203.0.113.0/25", "198.51.100.128/25")]),
            dst=rng.choice([(rng.choice(list(objects.address)),), ("g1",), ("g2",), (_subnet(rng),),
                            rng.choice([("dag",), ("any",), ("fq",)]) if rng.random() < 0.2
                            else (_subnet(rng),)]),
            svc=svc,
            app=app,
            action="weird" if rng.random() < 0.05
            else rng.choice(["allow", "allow", "allow", "deny", "drop", "reset-both"]),
            from_=rng.choice([("untrust",), ("untrust",), ("dmz",), ("any",), ("untrust", "dmz")]),
            to=rng.choice([("trust",), ("trust",), ("any",)]),
            disabled=rng.random() < 0.05,
            tags=(TAG,) if rng.random() < 0.05 else (),
            negate_source=rng.random() < 0.05,
            negate_destination=rng.random() < 0.05,
            extra={"source-user": ("bob",)} if rng.random() < 0.05 else {},
            rule_type=rng.choice([None, None, "intrazone", "interzone"]),
        ))
    for _ in range(3):
        rules.insert(rng.randrange(len(rules)), rules.pop(0))
    return rules, objects


def _candidates(rng: random.Random) -> tuple[list[Rule], Objects]:
    hosts = {f"h{i}": ("ip-netmask", f"10.{rng.randrange(2)}.{rng.randrange(4)}.{rng.randrange(256)}")
             for i in range(40)}
    objects = Objects(
        address=hosts | {"h6": ("ip-netmask", "2001:db8::5")},
        groups={f"sg{i}": tuple(rng.sample(sorted(hosts), rng.randrange(1, 5))) for i in range(8)}
        | {"mixed": ("h1", "h6"), "ghost": ("h2", "nowhere")},
        services={f"c{i}": ("tcp", f"{rng.randrange(1, 150)}-{rng.randrange(150, 210)}") for i in range(4)}
        | {"c-udp": ("udp", "53")},
    )
    rules = []
    for i in range(400):
        app = rng.choice([("any",), ("any",), ("any",), ("ssh",), ("icmp",), ("ssh", "ping"), ("icmp-3-4",)])
        svc = ("application-default",) if app != ("any",) else rng.choice(
            [(rng.choice(list(objects.services)),), ("any",), ("c0", "c-udp"), ("service-https",)])
        rules.append(Rule(
            f"cand{i}",
            src=rng.choice([("any",), ("198.51.100.7/32",), ("203.0.113.0/24", "198.51.100.9"), ("any",)]),
            dst=rng.choice([(rng.choice(list(objects.groups)),), (rng.choice(list(hosts)),), ("10.1.2.0/24",),
                            (rng.choice(list(objects.groups)),),
                            ("unknown-name",) if rng.random() < 0.1 else ("h3",)]),
            svc=svc,
            app=app,
            from_=rng.choice([(), (), ("untrust",), ("dmz",), ("untrust", "dmz"), ("any",)]),
            to=rng.choice([(), (), ("trust",), ("trust", "dmz")]),
            negate_source=rng.random() < 0.03,
            negate_destination=rng.random() < 0.03,
            tags=(TAG,),
        ))
    return rules, objects


def _linear(fragment: object, firewall: object, rulebase: RuleBase) -> tuple[list[RuleVerdict], list[str]]:
    """The check as it ran before: each candidate walks every counted rule of each zone pair."""
    index = rulebase.indexes[(Location(), BOTTOM, TAG)]
    resolver = Resolver(tables_for([fragment, firewall], Location()))
    decisions, warnings = [], list(index.warnings)
    for entry in Location().rule_entries(Location().container(fragment)):
        fields = Fields(entry)
        boxes, unknown = candidate_boxes(entry, resolver)
        if unknown:
            warnings.append(f"candidate rule {entry.get('name')!r} references unknown "
                            f"{_names(list(unknown))}; that part is taken as any")
        walk = _Walk([], [], {})
        if boxes:
            for f in fields.members("from") or ["untrust"]:
                for t in fields.members("to") or ["trust"]:
                    _walk(boxes, index.view(f, t).rules, walk)
        decisions.append(_decide(entry.get("name"), walk))
    return decisions, warnings


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_shared_walks_decide_as_one_walk_per_candidate_over_every_rule(seed: int) -> None:
    rng = random.Random(seed)
    fw_rules, fw_objects = firewall_estate(rng)
    cand_rules, cand_objects = _candidates(rng)
    firewall = config(fw_rules, fw_objects)
    fragment = config(cand_rules, cand_objects, bottom=None)
    rulebase = RuleBase(firewall, "rulebase.xml")
    decisions, warnings = check(fragment, rulebase)
    assert (decisions, warnings) == _linear(fragment, firewall, rulebase)
    assert [d.rule for d in decisions] == [r.name for r in cand_rules]
    verdicts = {d.verdict for d in decisions}
    assert {"partial", "uncovered"} <= verdicts and len(verdicts & {"allowed", "blocked", "shadowed"}) >= 2
    # the point of sharing: far fewer distinct (verdict, covering, reason) than candidates, yet
    # candidates with the same outcome keep their own names
    outcomes = {d[1:] for d in decisions}
    assert len(outcomes) < len(decisions) / 2
