"""What the start/stop fast path learned of AWS, kept beside state.yaml until state.yaml is next written.

The fast path (events.fastpath) reads one instance by id; writing that into state.yaml would
cost what the whole file costs (tens of MB at 50,000 instances, seconds of YAML). It records the
entries it read here instead, keyed by instance id: the instance's entry and its interfaces',
and the VPC they belong in. Whoever reads the reaction's state.yaml to build on it
(partial_collect._cached_state) applies the journal first, and whoever writes a new state.yaml
(the patch by id, a full collect) clears it after the write: the journal is always the difference
between state.yaml and what AWS last said, never older than the file.

The fast path records only entries whose ids the state already holds, in the same VPC (an
instance whose interfaces changed takes the full reaction), so applying the journal replaces
entries in place and the lists stay sorted by id, as collect writes them. A journal that names
something the state does not hold is not applied: the caller then collects in full.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from generator.atomicio import write_atomic

JOURNAL = "state.journal.json"

VpcKey = tuple[str | None, str | None, str]
"""(account, region, VPC id) of a state entry's VPC."""


def vpc_key(vpc: dict[str, Any]) -> VpcKey:
    return vpc.get("account"), vpc.get("region"), vpc["id"]


def read(work: Path) -> dict[str, dict[str, Any]]:
    """instance id -> {"vpc": [account, region, id], "instance": entry, "interfaces": [entries]}."""
    try:
        data = json.loads((work / JOURNAL).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return data if isinstance(data, dict) else {}


def record(work: Path, entries: dict[str, dict[str, Any]]) -> None:
    """Add what was read of these instances (replacing what the journal said of them)."""
    if not entries:
        return
    current = read(work)
    current.update(entries)
    write_atomic(work / JOURNAL, json.dumps(current, ensure_ascii=False))  # key order: state.yaml's


def clear(work: Path) -> None:
    """After a new state.yaml was written: it holds everything the journal said (or newer)."""
    (work / JOURNAL).unlink(missing_ok=True)


def apply(state: dict[str, Any], work: Path) -> bool:
    """Put the journal's entries into `state` (in place); False when it names an entry the state does
    not hold (then `state` is unchanged and must not be used as the last state)."""
    entries = read(work)
    if not entries:
        return True
    vpcs = {vpc_key(v): v for v in state["vpcs"]}
    positions: dict[tuple[VpcKey, str], dict[str, int]] = {}
    replacements: list[tuple[list[dict[str, Any]], int, dict[str, Any]]] = []
    for entry in entries.values():
        where: VpcKey = tuple(entry["vpc"])  # type: ignore[assignment]
        vpc = vpcs.get(where)
        if vpc is None:
            return False
        for key, new in [("instances", entry["instance"]), *(("interfaces", n) for n in entry["interfaces"])]:
            if (where, key) not in positions:
                positions[where, key] = {old["id"]: i for i, old in enumerate(vpc[key])}
            at = positions[where, key].get(new["id"])
            if at is None:
                return False
            replacements.append((vpc[key], at, new))
    for entries_list, at, new in replacements:
        entries_list[at] = new
    return True
