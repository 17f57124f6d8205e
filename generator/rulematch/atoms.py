"""Atoms: the coarsest cut of each line that the counted rules respect, so that walks are shared.

Every interval of a counted rule (its `over` and its `under`, on the source, destination and
service lines) starts and ends on a cut; the stretches between two cuts are the atoms. No rule
tells two points of one atom apart, so the walk over the rules (overlap, intersection and
difference of boxes, the number of pieces, which rules hit or only may match) goes exactly the
same way for two candidates whose boxes touch the same atoms with the same applications: the
atoms a box touches are its key, and a walk is done once per key, not once per candidate.
At 50,000 instances, 52,552 candidates have about 5,400 keys.

The same atoms give the rules a walk must look at: per line, the rules whose `over` overlaps
a stretch of atoms, as a bit mask (bit i: the view's i-th rule) found with one bisect per size
class; a box's rules are the AND of its three lines and its applications, exactly the rules
whose `over` overlaps it. Any other rule would leave the walk unchanged.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, replace

from generator.rulematch.sets import AppSet, Box, Intervals, app_and, app_empty

BoxKey = Box  # a box on the atom lines: (source, destination, service) atom ranges, applications


@dataclass(frozen=True)
class CountedRule:
    """A firewall rule that counts, resolved. `under` None: it may match but never decides."""

    position: int
    name: str
    action: str       # "allow", "deny" (any blocking action) or the raw text when unknown
    under: Box | None
    over: Box
    doubt: str        # why `under` is smaller than `over` ("" when the rule is exact)


class Line:
    """One line (source, destination or service) of a zone view: its cuts and an overlap index."""

    def __init__(self, over: list[Intervals], under: Iterable[Intervals]) -> None:
        """`over[i]`: the i-th rule's set on this line; `under`: the sets it surely matches."""
        cuts: set[int] = set()
        for ivs in (*over, *under):
            for lo, hi in ivs:
                cuts.add(lo)
                cuts.add(hi + 1)
        self.cuts = sorted(cuts)
        self._atoms: dict[Intervals, Intervals] = {}
        self._one: dict[Intervals, Intervals] = {}  # one tuple per set of atoms: ids tell them apart
        self._seen: dict[int, tuple[Intervals, Intervals]] = {}
        self._masks: dict[Intervals, int] = {}
        by_interval: dict[tuple[int, int], int] = {}
        for idx, ivs in enumerate(over):
            bit = 1 << idx
            for iv in ivs:
                by_interval[iv] = by_interval.get(iv, 0) | bit
        by_class: dict[int, list[tuple[int, int, int]]] = {}
        for (lo, hi), mask in by_interval.items():
            by_class.setdefault((hi - lo + 1).bit_length(), []).append((lo, hi, mask))
        # per size class k: every interval shorter than 2**k that overlaps [qs, qe] starts in
        # [qs - 2**k + 1, qe], one bisect away
        self._classes: list[tuple[int, list[int], list[int], list[int]]] = []
        for k, items in sorted(by_class.items()):
            items.sort()
            starts, ends, masks = ([i[n] for i in items] for n in range(3))
            self._classes.append((1 << k, starts, ends, masks))

    def atoms(self, ivs: Intervals) -> Intervals:
        """The atoms that `ivs` touches, as merged ranges of atom numbers (equal sets, equal keys):
        a set on the atom line, where the walk goes the same way as on the real one."""
        seen = self._seen.get(id(ivs))  # the resolver hands the same tuple for the same names
        if seen is not None and seen[0] is ivs:
            return seen[1]
        found = self._atoms.get(ivs)
        if found is None:
            cuts = self.cuts
            out: list[tuple[int, int]] = []
            for lo, hi in ivs:
                first, last = bisect_right(cuts, lo), bisect_right(cuts, hi)
                if out and first <= out[-1][1] + 1:
                    out[-1] = (out[-1][0], max(out[-1][1], last))
                else:
                    out.append((first, last))
            atoms = tuple(out)
            found = self._atoms[ivs] = self._one.setdefault(atoms, atoms)
        self._seen[id(ivs)] = (ivs, found)  # holding `ivs`: its id is not reused meanwhile
        return found

    def mask(self, atoms: Intervals) -> int:
        """The rules whose set on this line overlaps these atoms."""
        found = self._masks.get(atoms)
        if found is None:
            cuts = self.cuts
            found = 0
            for first, last in atoms:
                qs = cuts[first - 1] if first > 0 else -1
                qe = cuts[last] - 1 if last < len(cuts) else 1 << 160  # beyond every line's end
                for width, starts, ends, masks in self._classes:
                    lo = bisect_left(starts, qs - width + 1)
                    for j in range(lo, bisect_right(starts, qe, lo)):
                        if ends[j] >= qs:
                            found |= masks[j]
            self._masks[atoms] = found
        return found


class Atoms:
    """The three lines and the application sets of one zone view's rules."""

    def __init__(self, rules: list[CountedRule]) -> None:
        unders = [r.under for r in rules if r.under is not None]
        self.lines = tuple(Line([r.over[d] for r in rules], (u[d] for u in unders)) for d in range(3))
        self._rules = rules
        self._on_atoms: dict[int, CountedRule] = {}
        self._apps: dict[AppSet, int] = {}
        for idx, rule in enumerate(rules):
            self._apps[rule.over[3]] = self._apps.get(rule.over[3], 0) | (1 << idx)
        self._app_masks: dict[AppSet, int] = {}
        self._app_objects: dict[AppSet, AppSet] = {}

    def key(self, boxes: list[Box]) -> tuple[BoxKey, ...]:
        """The boxes on the atom lines: candidates with equal keys are decided alike. Each part is
        one object per value (equal keys hold the same objects), so ids can stand for a key."""
        src, dst, svc = self.lines
        apps = self._app_objects
        if len(boxes) == 1:  # the common case, without a generator
            b = boxes[0]
            return ((src.atoms(b[0]), dst.atoms(b[1]), svc.atoms(b[2]), apps.setdefault(b[3], b[3])),)
        return tuple((src.atoms(b[0]), dst.atoms(b[1]), svc.atoms(b[2]), apps.setdefault(b[3], b[3]))
                     for b in boxes)

    def _box(self, box: Box) -> Box:
        src, dst, svc = self.lines
        return (src.atoms(box[0]), dst.atoms(box[1]), svc.atoms(box[2]), box[3])

    def rule(self, idx: int) -> CountedRule:
        """The view's idx-th rule with its boxes on the atom lines (exact there: every one of its
        sets is a union of atoms)."""
        found = self._on_atoms.get(idx)
        if found is None:
            r = self._rules[idx]
            under = None if r.under is None else self._box(r.under)
            found = self._on_atoms[idx] = replace(r, under=under, over=self._box(r.over))
        return found

    def app_mask(self, app: AppSet) -> int:
        found = self._app_masks.get(app)
        if found is None:
            found = 0
            for rule_app, mask in self._apps.items():
                if not app_empty(app_and(app, rule_app)):
                    found |= mask
            self._app_masks[app] = found
        return found

    def overlapping(self, key: tuple[BoxKey, ...]) -> list[CountedRule]:
        """The rules, on the atom lines and in order, whose `over` overlaps one of the boxes of
        `key`: the only ones a walk of these boxes must look at."""
        src, dst, svc = self.lines
        mask = 0
        for s, d, v, app in key:
            mask |= src.mask(s) & dst.mask(d) & svc.mask(v) & self.app_mask(app)
        out = []
        while mask:
            low = mask & -mask
            out.append(self.rule(low.bit_length() - 1))
            mask ^= low
        return out
