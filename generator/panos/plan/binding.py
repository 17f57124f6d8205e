"""What a saved plan binds: the whole change a reviewer approved, and where it applies.

`awspan plan --out` records, and `awspan push --plan` recomputes under the config lock, a
`Binding`: push applies only when the two are equal (mismatch.py says how they differ). It
holds

- the **change set with each object's before and after**: for every operation push would
  send, on every kind awspan manages (generator.kinds.MANAGED), the object as the firewall
  holds it (canonical XML; None when it is created) and a digest of what push would write
  (None when it is deleted). The before is what makes a stale plan fail: a hole closed by
  hand since the plan changes the before of the rule the plan rewrites, so the plan cannot
  put it back unseen;
- the **rule order** before and after (every rule of the rulebase, by name);
- the **pending** objects push would commit;
- the **registrations delta** (membership dynamic): per IP whose awspan tags change, the
  tags the firewall holds (before) and the tags push makes it hold (after);
- the **device** (its serial; on Panorama, Panorama's) and the **location** (the vsys, or the
  device group and rulebase);
- the **policy** (every value of policy.yaml as parsed, by key path, and their digest), and the
  digests of the **fragment** and of **registrations.yaml**.

Only what push would do is bound: an operator's own object that no operation touches is not
part of what was reviewed, and editing it does not block a push.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from generator.kinds import ALL_KINDS
from generator.location import Location
from generator.panos.config.canonical import canonical_text
from generator.panos.config.view import DeviceConfig
from generator.panos.plan.changes import Plan
from generator.policy import Policy
from generator.registrations_file import Tags


def sha(text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def policy_values(policy: Policy) -> dict[str, Any]:
    """policy.yaml as parsed, flat: `rules.membership` -> "dynamic" (defaults included, `source` not:
    it is where the file was read from, not what it says)."""
    out: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            for f in dataclasses.fields(value):
                if not prefix and f.name == "source":
                    continue
                walk(f"{prefix}.{f.name}" if prefix else f.name, getattr(value, f.name))
        elif isinstance(value, (list, tuple)) and any(dataclasses.is_dataclass(v) for v in value):
            for i, item in enumerate(value):
                walk(f"{prefix}[{i}]", item)
        elif isinstance(value, (list, tuple)):
            out[prefix] = [list(v) if isinstance(v, tuple) else v for v in value]
        else:
            out[prefix] = value

    walk("", policy)
    return out


def location_values(location: Location) -> dict[str, str]:
    if location.is_panorama:
        return {"device_group": str(location.device_group), "rulebase": location.rulebase}
    return {"vsys": str(location.vsys)}


def object_operations(plan: Plan, candidate: DeviceConfig) -> list[dict[str, Any]]:
    """Every object push would write or delete, with the firewall's value before (canonical XML,
    None for a create) and a digest of the value after (None for a delete)."""
    d = plan.diff
    out: list[dict[str, Any]] = []
    for kind in ALL_KINDS:
        have = candidate.entries(kind)
        ups, creates = d.upserts.get(kind, {}), d.creates.get(kind, set())
        for name in sorted(set(ups) | set(d.deletes.get(kind, ()))):
            old = None if name in creates else have.get(name)
            new = ups.get(name)
            out.append({
                "kind": kind, "name": name,
                "op": "create" if name in creates else "change" if new is not None else "delete",
                "before": None if old is None else canonical_text(old),
                "after": None if new is None else sha(canonical_text(new)),
            })
    return out


def membership_values(desired: Tags, current: Tags) -> list[dict[str, Any]]:
    """Per IP whose awspan tags change: the tags the firewall holds and the tags push makes it hold."""
    out = []
    for ip in sorted(set(desired) | set(current)):
        before, after = current.get(ip, frozenset()), desired.get(ip, frozenset())
        if before != after:
            out.append({"ip": ip, "before": sorted(before), "after": sorted(after)})
    return out


@dataclasses.dataclass(frozen=True)
class Inputs:
    """What binds a plan without the firewall: read from files before push connects."""

    location: Location
    policy: dict[str, Any]  # policy_values
    fragment: str  # the fragment's digest
    registrations: str | None  # registrations.yaml's digest; None with membership static

    @classmethod
    def of(cls, policy: Policy, fragment_bytes: bytes, registrations_digest: str | None) -> Inputs:
        return cls(policy.firewall.location, policy_values(policy), sha(fragment_bytes),
                   registrations_digest)


def bind(inputs: Inputs, plan: Plan, candidate: DeviceConfig, *, serial: str, panorama: bool,
         membership: tuple[Tags, Tags] | None) -> dict[str, Any]:
    """The binding as JSON-ready data; `membership`: (desired, current) tags with membership dynamic."""
    return {
        "device": {"serial": serial, "panorama": panorama},
        "location": location_values(inputs.location),
        "policy": {"digest": sha(canonical_json(inputs.policy)), "values": inputs.policy},
        "files": {"fragment": inputs.fragment, "registrations": inputs.registrations},
        "objects": object_operations(plan, candidate),
        "rule_order": {"before": list(candidate.rule_names), "after": list(plan.diff.final_order)},
        "pending": [p.as_dict() for p in plan.pending.items],
        "registrations": None if membership is None else membership_values(*membership),
    }


def binding_digest(binding: dict[str, Any]) -> str:
    """One digest over the whole binding: equal bindings, equal digests."""
    return sha(canonical_json(binding))
