"""Saved plans: `awspan plan --out FILE` and `awspan push --plan FILE`.

What a reviewer approves is a change set on one device; what push applies must be that change
set, or nothing. The saved plan is the JSON plan (schemas/plan.schema.json) plus a `saved`
block: `binding` (binding.py: every operation with the object's value before and after, the
rule order before and after, the pending objects, the registrations delta, the device, the
location, the policy and the digests of the fragment and registrations.yaml) and `digest`, one
SHA-256 over the binding. push --plan re-reads the firewall under the config lock, recomputes
the binding and applies only when it is equal; otherwise it changes nothing and says what
differs (mismatch.py).

Version 2 (issue 22) replaced version 1, whose change set hashed each object's new value only
(a rule closed by hand since the plan was put back) and left registrations, custom
applications, the device and the location out. A version 1 plan is refused: make a new one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.errors import AwspanError
from generator.panos.config.view import DeviceConfig
from generator.panos.plan.binding import Inputs, bind, binding_digest
from generator.panos.plan.changes import Plan
from generator.panos.plan.mismatch import differences
from generator.registrations_file import Tags

SAVED_VERSION = 2
MAX_SAVED_BYTES = 64 * 1024 * 1024
MAX_LISTED = 5
"""Differences named in the refusal; the rest are counted."""

_SECTIONS = ("device", "location", "policy", "files", "objects", "rule_order", "pending", "registrations")


class PlanMismatch(AwspanError):
    """The firewall, the files or the policy changed since the saved plan was made; nothing was changed."""


def saved_block(binding: dict[str, Any]) -> dict[str, Any]:
    """The `saved` block of a saved plan."""
    return {"version": SAVED_VERSION, "digest": binding_digest(binding), "binding": binding}


@dataclass
class SavedPlanCheck:
    """A saved plan loaded for push --plan, with what binds it that push read from files."""

    path: str
    saved: dict[str, Any]
    inputs: Inputs

    def check(self, plan: Plan, candidate: DeviceConfig, *, serial: str, panorama: bool,
              membership: tuple[Tags, Tags] | None) -> None:
        """Raise PlanMismatch, naming what differs, unless the recomputed binding equals the saved one."""
        now = bind(self.inputs, plan, candidate, serial=serial, panorama=panorama, membership=membership)
        if binding_digest(now) == self.saved["digest"]:
            return
        try:
            found = differences(self.saved["binding"], now) or ["the change set differs"]
        except (KeyError, TypeError, AttributeError, IndexError):  # a binding of another shape
            found = ["its binding cannot be read (edited by hand?)"]
        more = f"; and {len(found) - MAX_LISTED} more" if len(found) > MAX_LISTED else ""
        raise PlanMismatch(f"push refused, nothing was changed: the saved plan {self.path} no longer "
                           f"matches: {'; '.join(found[:MAX_LISTED])}{more}; make and review a new plan")


def _shape_problem(saved: Any) -> str | None:
    if not isinstance(saved, dict) or "version" not in saved:
        return "no `saved` block (it must come from `awspan plan --out FILE`)"
    if saved["version"] != SAVED_VERSION:
        return (f"saved plan version {saved['version']!r}; this awspan reads version {SAVED_VERSION}, which "
                "binds each object's value before and after, the registrations, the device and the location "
                "(make a new plan with `awspan plan --out FILE`)")
    binding = saved.get("binding")
    if not isinstance(saved.get("digest"), str) or not isinstance(binding, dict) or not all(
            k in binding for k in _SECTIONS):
        return "the `saved` block lacks its digest or binding (it must come from `awspan plan --out FILE`)"
    if binding_digest(binding) != saved["digest"]:
        return "the `saved` block's digest does not match its binding (edited by hand?): make a new plan"
    return None


def load_saved_plan(path: str | Path, inputs: Inputs) -> SavedPlanCheck:
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
    problem = _shape_problem(saved)
    if problem is not None:
        raise AwspanError(f"not a usable saved plan: {problem}", where=str(p))
    assert isinstance(saved, dict)
    return SavedPlanCheck(str(p), saved, inputs)
