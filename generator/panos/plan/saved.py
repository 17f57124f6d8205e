"""Saved plans: `awspan plan --out FILE` and `awspan push --plan FILE`.

What a reviewer approves is a change set; what push applies must be that change set, or
nothing. The saved plan is the JSON plan (schemas/plan.schema.json) plus a `saved` block:

- `change_set`: a digest of every operation with its full value (created and changed
  objects as the fragment has them, deleted objects as the firewall had them, moves, and
  the pending objects push would commit). push --plan re-reads the firewall, recomputes
  it under the config lock, and applies only when it is equal;
- `fingerprints` of what the plan was computed from: the fragment's bytes, awspan's
  objects as read from the candidate (and the rule order), and the pending state. They do
  not decide (an unrelated edit elsewhere on the firewall must not block a push); they say
  *what* moved when the change set differs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from generator.errors import AwspanError
from generator.kinds import ALL_KINDS as KINDS
from generator.panos.config.canonical import canonical_text
from generator.panos.config.view import DeviceConfig

SAVED_VERSION = 1
MAX_SAVED_BYTES = 64 * 1024 * 1024


class PlanMismatch(AwspanError):
    """The firewall or the fragment changed since the saved plan was made; nothing was changed."""


def _sha(parts: list[bytes]) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(len(p).to_bytes(8, "big"))
        h.update(p)
    return "sha256:" + h.hexdigest()


def fragment_digest(data: bytes) -> str:
    return _sha([data])


def managed_digest(candidate: DeviceConfig, scope: dict[str, set[str]]) -> str:
    """awspan's objects as the candidate holds them (serialized as read), and the whole rule order."""
    parts: list[bytes] = []
    for kind in KINDS:
        entries = candidate.entries(kind)
        for name in sorted(scope.get(kind, ())):
            el = entries.get(name)
            parts.append(f"{kind}\0{name}".encode())
            parts.append(b"" if el is None else etree.tostring(el))
    parts.append("\0".join(candidate.rule_names).encode())
    return _sha(parts)


def pending_digest(plan: Any) -> str:
    return _sha([json.dumps([p.as_dict() for p in plan.pending.items], sort_keys=True).encode()])


def change_set_digest(plan: Any, candidate: DeviceConfig) -> str:
    """Every operation push would send (with full values) and the pending objects it would commit."""
    d = plan.diff
    parts: list[bytes] = []
    for kind in KINDS:
        have = candidate.entries(kind)
        for name in sorted(d.upserts.get(kind, {})):
            op = "create" if name in d.creates.get(kind, set()) else "change"
            parts.append(f"{op}\0{kind}\0{name}\0".encode() + canonical_text(d.upserts[kind][name]).encode())
        for name in sorted(d.deletes.get(kind, [])):
            parts.append(f"delete\0{kind}\0{name}\0".encode() + canonical_text(have[name]).encode())
    parts += [f"move\0{m.name}\0{m.describe()}".encode() for m in d.moves]
    parts += [f"pending\0{p.kind}\0{p.name}\0{p.state}".encode() for p in plan.pending.items]
    return _sha(parts)


def saved_block(plan: Any, candidate: DeviceConfig, fragment_bytes: bytes) -> dict[str, Any]:
    """The `saved` block of a saved plan."""
    return {
        "version": SAVED_VERSION,
        "change_set": change_set_digest(plan, candidate),
        "fingerprints": {
            "fragment": fragment_digest(fragment_bytes),
            "managed": managed_digest(candidate, plan.diff.scope),
            "pending": pending_digest(plan),
        },
    }


@dataclass
class SavedPlanCheck:
    """A saved plan loaded for push --plan, with the digest of the fragment push is about to use."""

    path: str
    saved: dict[str, Any]
    fragment: str  # fragment_digest of the fragment push read
    notes: list[str] = field(default_factory=list)

    def check(self, plan: Any, candidate: DeviceConfig, running: DeviceConfig) -> None:  # noqa: ARG002
        """Raise PlanMismatch unless the recomputed change set equals the saved one."""
        if change_set_digest(plan, candidate) == self.saved["change_set"]:
            return
        fp = self.saved["fingerprints"]
        moved = []
        if fp["fragment"] != self.fragment:
            moved.append("the fragment differs")
        if fp["managed"] != managed_digest(candidate, plan.diff.scope):
            moved.append("awspan's objects on the firewall differ")
        if fp["pending"] != pending_digest(plan):
            moved.append("the pending (uncommitted) state differs")
        why = ", ".join(moved) or "the change set differs"
        raise PlanMismatch(f"the firewall or the fragment changed since this plan was made: {why} "
                           f"({self.path}); nothing was changed: make and review a new plan")


def load_saved_plan(path: str | Path, fragment_bytes: bytes) -> SavedPlanCheck:
    """Read a saved plan; every problem is one line naming the file."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_SAVED_BYTES:
            raise AwspanError("the saved plan is over the 64 MiB limit", where=str(p))
        data = json.loads(p.read_bytes())
    except FileNotFoundError:
        raise AwspanError("saved plan not found (make one with `awspan plan --out FILE`)",
                          where=str(p)) from None
    except IsADirectoryError:
        raise AwspanError("the saved plan path is a directory", where=str(p)) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise AwspanError(f"not a saved plan (invalid JSON: {exc})", where=str(p)) from None
    saved = data.get("saved") if isinstance(data, dict) else None
    fp = saved.get("fingerprints") if isinstance(saved, dict) else None
    if not isinstance(fp, dict) or not isinstance(saved.get("change_set"), str) or not all(
            isinstance(fp.get(k), str) for k in ("fragment", "managed", "pending")):
        raise AwspanError("not a saved plan: no `saved` block with change_set and fingerprints (it must "
                          "come from `awspan plan --out FILE`)", where=str(p))
    if saved.get("version") != SAVED_VERSION:
        raise AwspanError(f"saved plan version {saved.get('version')!r}; this awspan reads version "
                          f"{SAVED_VERSION} (make a new plan)", where=str(p))
    return SavedPlanCheck(str(p), saved, fragment_digest(fragment_bytes))
