"""Rule order: the fewest `move` operations that turn one rule order into another.

Only awspan's own rules are ever moved: the operator's rules (`fixed`) keep their places
and their relative order, and awspan's rules are placed in the gaps between them. Inside
each gap the rules that are already in the right relative order stay where they are (a
longest increasing subsequence); every other one is moved `before` its successor in the
target order (or `before` the fixed rule that closes the gap, or to the `bottom` for the
last gap). A push that only adds one rule thus sends one move, not one per rule.

Used forward (managed rules contiguous, in fragment order, directly above the bottom rule)
and backward (rollback to the order read before the push).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Move:
    name: str
    where: str  # "before" | "after" | "top" | "bottom"
    dst: str | None = None

    def describe(self) -> str:
        return f"{self.where} {self.dst}" if self.dst else self.where


def _lis_keep(seq: Sequence[int]) -> set[int]:
    """Positions (into seq) of one longest strictly increasing subsequence, O(n log n)."""
    tails: list[int] = []  # seq values
    tails_at: list[int] = []  # position in seq of each tail
    prev = [-1] * len(seq)
    for i, value in enumerate(seq):
        k = bisect_left(tails, value)
        if k == len(tails):
            tails.append(value)
            tails_at.append(i)
        else:
            tails[k] = value
            tails_at[k] = i
        prev[i] = tails_at[k - 1] if k else -1
    keep: set[int] = set()
    i = tails_at[-1] if tails_at else -1
    while i >= 0:
        keep.add(i)
        i = prev[i]
    return keep


def plan_moves(current: Sequence[str], target: Sequence[str], movable: Iterable[str]) -> list[Move]:
    """Moves that turn `current` into `target` (same names), moving only `movable` names.

    The non-movable names must be in the same relative order in both lists (ValueError if not:
    that would need an operator's rule to move).
    """
    movable = set(movable)
    if set(current) != set(target) or len(current) != len(target):
        raise ValueError("current and target hold different rules")
    fixed_cur = [n for n in current if n not in movable]
    fixed_tgt = [n for n in target if n not in movable]
    if fixed_cur != fixed_tgt:
        raise ValueError("the order of rules awspan does not manage would have to change")

    def gaps(order: Sequence[str]) -> dict[str, int]:
        out, g = {}, 0
        for n in order:
            if n in movable:
                out[n] = g
            else:
                g += 1
        return out

    gap_cur, gap_tgt = gaps(current), gaps(target)
    per_gap: dict[int, list[str]] = {}
    for n in target:
        if n in movable:
            per_gap.setdefault(gap_tgt[n], []).append(n)
    moves: list[Move] = []
    for g, wanted in sorted(per_gap.items()):
        index = {n: i for i, n in enumerate(wanted)}
        present = [index[n] for n in current if n in index and gap_cur[n] == g]
        keep = {present[i] for i in _lis_keep(present)}
        for j in range(len(wanted) - 1, -1, -1):
            if j in keep:
                continue
            name = wanted[j]
            if j + 1 < len(wanted):
                moves.append(Move(name, "before", wanted[j + 1]))
            elif g < len(fixed_tgt):
                moves.append(Move(name, "before", fixed_tgt[g]))
            else:
                moves.append(Move(name, "bottom"))
    return moves


def apply_moves(order: Sequence[str], moves: Iterable[Move]) -> list[str]:
    """The order after the moves, as PAN-OS applies them (a linked list: O(1) per move)."""
    names = list(order)
    if not names:
        return []
    nxt: dict[str, str | None] = dict(zip(names, [*names[1:], None], strict=True))
    prv: dict[str, str | None] = dict(zip(names, [None, *names[:-1]], strict=True))
    head, tail = names[0], names[-1]

    def unlink(n: str) -> None:
        nonlocal head, tail
        p, q = prv[n], nxt[n]
        if p is None:
            head = q
        else:
            nxt[p] = q
        if q is None:
            tail = p
        else:
            prv[q] = p

    def link_before(n: str, d: str | None) -> None:  # d None: at the end
        nonlocal head, tail
        if d is None:
            prv[n], nxt[n] = tail, None
            if tail is None:
                head = n
            else:
                nxt[tail] = n
            tail = n
            return
        p = prv[d]
        prv[n], nxt[n] = p, d
        prv[d] = n
        if p is None:
            head = n
        else:
            nxt[p] = n

    for m in moves:
        if m.name not in nxt or (m.dst is not None and m.dst not in nxt) or m.name == m.dst:
            raise ValueError(f"cannot apply move of {m.name!r} {m.describe()}")
        unlink(m.name)
        if m.where == "before":
            link_before(m.name, m.dst)
        elif m.where == "after":
            link_before(m.name, nxt[m.dst])
        elif m.where == "top":
            link_before(m.name, head)
        elif m.where == "bottom":
            link_before(m.name, None)
        else:
            raise ValueError(f"unknown move {m.where!r}")
    out, n = [], head
    while n is not None:
        out.append(n)
        n = nxt[n]
    return out
