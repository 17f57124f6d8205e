"""Rule moves: applied as PAN-OS applies them, they give exactly the wanted order, and few of them."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.panos.plan.order import Move, apply_moves, plan_moves


@st.composite
def reorderings(draw):
    """An operator rulebase with managed rules scattered in it, and a target that keeps the
    operator's rules in order and puts the managed ones anywhere."""
    fixed = [f"u{i}" for i in range(draw(st.integers(0, 6)))]
    managed = [f"m{i}" for i in range(draw(st.integers(0, 12)))]
    rnd = random.Random(draw(st.integers(0, 2**32)))

    def scatter(names):
        order = list(fixed)
        for n in names:
            order.insert(rnd.randint(0, len(order)), n)
        return order

    current = scatter(rnd.sample(managed, len(managed)))
    target = scatter(rnd.sample(managed, len(managed)))
    return current, target, set(managed)


@settings(max_examples=300, deadline=None)
@given(reorderings())
def test_moves_reach_the_target_and_touch_only_managed_rules(case):
    current, target, managed = case
    moves = plan_moves(current, target, managed)
    assert apply_moves(current, moves) == target
    assert all(m.name in managed for m in moves)
    assert len(moves) <= len(managed)


def test_one_new_rule_costs_one_move():
    current = ["a", "m1", "m2", "m3", "clean-up", "below", "m4"]  # m4 just created (appended)
    target = ["a", "m1", "m2", "m3", "m4", "clean-up", "below"]
    moves = plan_moves(current, target, {"m1", "m2", "m3", "m4"})
    assert moves == [Move("m4", "before", "clean-up")]


def test_already_in_place_needs_no_move():
    order = ["a", "m1", "m2", "clean-up"]
    assert plan_moves(order, order, {"m1", "m2"}) == []


def test_last_gap_uses_bottom():
    moves = plan_moves(["m2", "a", "m1"], ["a", "m1", "m2"], {"m1", "m2"})
    assert apply_moves(["m2", "a", "m1"], moves) == ["a", "m1", "m2"]
    assert moves == [Move("m2", "bottom")]


def test_refuses_to_reorder_operator_rules():
    with pytest.raises(ValueError, match="does not manage"):
        plan_moves(["a", "b", "m"], ["b", "a", "m"], {"m"})


def test_reversal_of_a_large_block_is_linear():
    managed = [f"m{i}" for i in range(5000)]
    current = ["top", *managed, "clean-up"]
    target = ["top", *reversed(managed), "clean-up"]
    moves = plan_moves(current, target, set(managed))
    assert len(moves) == 4999
    assert apply_moves(current, moves) == target
