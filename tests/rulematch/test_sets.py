"""The set algebra and the destination index, checked against plain Python sets (hypothesis)."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.location import Location
from generator.rulematch import RuleBase
from generator.rulematch.boxes import candidate_boxes
from generator.rulematch.config import container, rule_entries, tables_for
from generator.rulematch.index import FILTER_AFTER, CountedRule, ZoneView
from generator.rulematch.match import _decide, _Walk, _walk
from generator.rulematch.resolve import Resolver
from generator.rulematch.sets import (
    APP_ANY,
    app_and,
    app_sub,
    box_and,
    box_sub,
    iv_and,
    iv_overlaps,
    iv_sub,
    normalize,
)
from tests.rulematch.build import BOTTOM, TAG, Objects, Rule, check, config

UNIVERSE = 48
intervals = st.lists(st.tuples(st.integers(0, UNIVERSE - 1), st.integers(0, 12)), max_size=5).map(
    lambda pairs: normalize((lo, min(lo + w, UNIVERSE - 1)) for lo, w in pairs)
)


def points(ivs: tuple) -> set[int]:
    return {p for lo, hi in ivs for p in range(lo, hi + 1)}


@settings(deadline=None)
@given(intervals, intervals)
def test_interval_ops_match_python_sets(a: tuple, b: tuple) -> None:
    assert points(iv_and(a, b)) == points(a) & points(b)
    assert points(iv_sub(a, b)) == points(a) - points(b)
    assert iv_overlaps(a, b) == bool(points(a) & points(b))
    for result in (iv_and(a, b), iv_sub(a, b)):
        assert normalize(result) == result  # stays sorted, disjoint, merged


APPS = ("ssh", "ssl", "dns", "icmp")
app_sets = st.one_of(
    st.frozensets(st.sampled_from(APPS)).map(lambda s: (False, s)),
    st.frozensets(st.sampled_from(APPS)).map(lambda s: (True, s)),
)


def app_points(a: tuple) -> set[str]:
    universe = {*APPS, "other"}  # "other": any application not named anywhere
    return universe - set(a[1]) if a[0] else set(a[1])


@settings(deadline=None)
@given(app_sets, app_sets)
def test_application_sets_match_python_sets(a: tuple, b: tuple) -> None:
    assert app_points(app_and(a, b)) == app_points(a) & app_points(b)
    assert app_points(app_sub(a, b)) == app_points(a) - app_points(b)


boxes = st.tuples(intervals, intervals, intervals, app_sets)


def box_points(box: tuple, samples: list[tuple]) -> set[tuple]:
    src, dst, svc, app = (points(box[0]), points(box[1]), points(box[2]), app_points(box[3]))
    return {p for p in samples if p[0] in src and p[1] in dst and p[2] in svc and p[3] in app}


@settings(max_examples=150, deadline=None)
@given(boxes, boxes, st.randoms(use_true_random=False))
def test_box_difference_is_exact_and_disjoint(a: tuple, b: tuple, rnd: random.Random) -> None:
    samples = [
        (
            rnd.randrange(UNIVERSE),
            rnd.randrange(UNIVERSE),
            rnd.randrange(UNIVERSE),
            rnd.choice([*APPS, "other"]),
        )
        for _ in range(300)
    ]
    pieces = box_sub(a, b)
    covered = [box_points(p, samples) for p in pieces]
    assert set().union(*covered) == box_points(a, samples) - box_points(b, samples)
    assert sum(map(len, covered)) == len(set().union(*covered))  # pieces never overlap
    inter = box_and(a, b)
    together = box_points(inter, samples) if inter else set()
    assert together == box_points(a, samples) & box_points(b, samples)


def _rule(idx: int, dst: tuple, svc: tuple) -> CountedRule:
    return CountedRule(idx, f"r{idx}", "allow", None, (((0, 10**6),), dst, svc, APP_ANY), "")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(intervals, intervals), min_size=1, max_size=30), intervals, intervals)
def test_destination_index_finds_exactly_the_overlapping_rules(specs: list, query: tuple, svc: tuple) -> None:
    rules = [_rule(i, dst, s) for i, (dst, s) in enumerate(specs) if dst and s]
    view = ZoneView(rules)
    expected = [r.name for r in rules if iv_overlaps(r.over[1], query)]
    assert [r.name for r in view.rules_for(query)] == expected
    key = ((svc, APP_ANY),)
    narrowed = [r.name for r in rules if iv_overlaps(r.over[1], query) and iv_overlaps(r.over[2], svc)]
    for _ in range(FILTER_AFTER + 1):  # before and after the (service, application) filter kicks in
        got = [r.name for r in view.rules_for(query, key)]
        assert set(narrowed) <= set(got) <= set(expected)
    assert got == narrowed


def test_indexed_check_equals_a_walk_over_every_rule() -> None:
    """The index only skips rules that cannot match: same decisions as a linear walk, on a random
    rulebase of many overlapping subnets, ports and actions."""
    rng = random.Random(7)
    fw_objects = Objects(
        address={
            f"n{i}": (
                "ip-netmask",
                f"10.{rng.randrange(3)}.{rng.randrange(8)}.0/{rng.choice((16, 20, 24, 28))}",
            )
            for i in range(40)
        },
        services={f"p{i}": ("tcp", f"{rng.randrange(1, 100)}-{rng.randrange(100, 200)}") for i in range(10)},
    )
    rules = [
        Rule(
            f"fw{i}",
            dst=(rng.choice(list(fw_objects.address)),),
            svc=(rng.choice([*fw_objects.services, "any"]),),
            src=rng.choice([("any",), ("198.51.100.0/24",)]),
            action=rng.choice(["allow", "allow", "deny"]),
        )
        for i in range(120)
    ]
    cand_objects = Objects(
        address={
            f"h{i}": ("ip-netmask", f"10.{rng.randrange(6)}.{rng.randrange(8)}.{rng.randrange(256)}")
            for i in range(150)
        },
        services={f"c{i}": ("tcp", f"{rng.randrange(1, 150)}-{rng.randrange(150, 210)}") for i in range(5)},
    )
    candidates = [
        Rule(
            f"cand{i}",
            dst=(f"h{i}",),
            svc=(rng.choice(list(cand_objects.services)),),
            src=rng.choice([("any",), ("198.51.100.7/32",)]),
            tags=(TAG,),
        )
        for i in range(150)
    ]
    firewall = config(rules, fw_objects)
    fragment = config(candidates, cand_objects, bottom=None)
    rulebase = RuleBase(firewall, "x")
    decisions, _ = check(fragment, rulebase)
    view = rulebase.indexes[(Location(), BOTTOM, TAG)].view("untrust", "trust")
    resolver = Resolver(tables_for([fragment, firewall], Location()))
    entries = rule_entries(container(fragment, Location()), "rulebase")
    linear = []
    for entry in entries:
        walk = _Walk([], [], {})
        _walk(candidate_boxes(entry, resolver)[0], view.rules, walk)
        linear.append(_decide(entry.get("name"), walk))
    assert decisions == linear
    verdicts = {d.verdict for d in decisions}
    assert {"allowed", "partial", "uncovered"} <= verdicts  # the random rulebase exercises the paths
