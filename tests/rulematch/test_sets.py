"""The set algebra and the destination index, checked against plain Python sets (hypothesis)."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.location import Location
from generator.rulematch import RuleBase
from generator.rulematch.boxes import candidate_boxes
from generator.rulematch.config import tables_for
from generator.rulematch.index import CountedRule, ZoneView
from generator.rulematch.match import _decide, _Walk, _walk
from generator.rulematch.resolve import Resolver
from generator.rulematch.sets import (
    APP_ANY,
    app_and,
    app_sub,
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
@given(st.lists(st.tuples(intervals, intervals), min_size=1, max_size=12), intervals)
def test_sets_with_one_key_are_cut_alike_by_every_rule(specs: list, a: tuple) -> None:
    """A set and another touching the same atoms (here: one point of each) meet every rule's
    sets alike, and what is left of them after an intersection or a difference touches the same
    atoms again: so one walk holds for both."""
    rules = [CountedRule(i, f"r{i}", "allow", (under, under, under, APP_ANY) if under else None,
                         (over, over, over, APP_ANY), "")
             for i, (over, under) in enumerate(specs) if over]
    if not rules or not a:
        return
    line = ZoneView(rules).atoms.lines[0]
    ranges = line.atoms(a)
    touched = [i for first, last in ranges for i in range(first, last + 1)]
    b = normalize((line.cuts[i - 1], line.cuts[i - 1]) if i else (0, 0) for i in touched)
    assert line.atoms(b) == ranges
    for r in rules:
        for side in (r.over, r.under):
            if side is None:
                continue
            for op in (iv_and, iv_sub):
                left, right = op(a, side[0]), op(b, side[0])
                assert bool(left) == bool(right)
                assert not left or line.atoms(left) == line.atoms(right)


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
    entries = Location().rule_entries(Location().container(fragment))
    linear = []
    for entry in entries:
        walk = _Walk([], [], {})
        _walk(candidate_boxes(entry, resolver)[0], view.rules, walk)
        linear.append(_decide(entry.get("name"), walk))
    assert decisions == linear
    verdicts = {d.verdict for d in decisions}
    assert {"allowed", "partial", "uncovered"} <= verdicts  # the random rulebase exercises the paths
