"""What a start or a stop of one instance changes with membership `dynamic`: its registrations only.

With `rules.membership: dynamic` the rules of a stopped instance stay and its addresses are
simply not registered (generate.membership), so a StartInstances or StopInstances changes, in
the state, the instance's `state` and its interfaces' `public_ip` (which generate does not read),
and, on the firewall, the registrations of the instance's addresses. The event reaction answers
such an event without regenerating the whole fragment (events.fastpath), from an index this
module derives once per full push with generate's own steps (model.build, membership's
`dynamic_form`): per instance, the tags its addresses get while it is live.

That shortcut is exact only for a *steady* instance. An instance is unsteady (and its start or
stop takes the full reaction) when its liveness changes more than registrations:
- an IPv6 delegated prefix, which stays a static address object named in rules while live;
- an address another protected interface also holds: the IP's registrations are the union of
  both owners', and two live owners of one address are refused by generate (model._one_owner).

tests/test_start_stop.py flips every instance of the example estate and checks, against a full
generate, that a steady instance's start or stop leaves the fragment byte-identical and changes the
registrations by exactly its entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.generate.membership import registrable
from generator.generate.objects import Member
from generator.generate.protect import LIVE_STATES, PARKED_STATES

STEADY_STATES = LIVE_STATES | PARKED_STATES
"""States between which a start or stop only registers or unregisters: the instance's rules stay."""

START_STOP_FIELDS = {"instances": frozenset({"state"}), "interfaces": frozenset({"public_ip"})}
"""The fields of a state entry (collect.normalize) that a start or stop changes: an instance's
`state`, an interface's `public_ip` (an auto-assigned public IPv4 address is released on stop).
Any other difference means something else changed too (a lost event, a concurrent change)."""


@dataclass(frozen=True)
class StartStop:
    """One instance: the awspan tags of each of its addresses while live, or why its start or stop
    changes more than that (`unsteady`)."""

    tags: dict[str, tuple[str, ...]]
    unsteady: str | None = None


def only_started_or_stopped(kind: str, old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether two entries of state.yaml's `kind` list differ at most in what a start or stop changes."""
    ignored = START_STOP_FIELDS[kind]

    def kept(entry: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in entry.items() if k not in ignored}

    return kept(old) == kept(new)


def live(state: str | None) -> bool:
    """Whether an instance in this state has its addresses registered."""
    return state in LIVE_STATES


def entries(state: dict[str, Any], members: dict[str, Member], tags_by_address: dict[str, set[str]]
            ) -> tuple[dict[str, StartStop], int]:
    """Every instance of the state -> its StartStop, from the model (its members) and the dynamic
    form's tags by address object for the fragment generated (generate's already-allowed check may
    have left rules out, and their tags with them); and the number of addresses registered now
    (registrations.yaml's entries). step.generate calls it with the model in hand."""
    holders: dict[str, set[str]] = {}
    for member in members.values():
        holders.setdefault(member.ip, set()).add(member.interface)
    tags: dict[str, dict[str, set[str]]] = {}
    unsteady: dict[str, str] = {}
    for name, member in sorted(members.items()):
        if member.instance is None:
            continue
        mine = tags.setdefault(member.instance, {})
        if not registrable(member):
            unsteady.setdefault(member.instance, f"its IPv6 prefix {member.ip} is a static address object "
                                                 "while the instance is live")
        others = sorted(holders[member.ip] - {member.interface})
        if others:
            unsteady.setdefault(member.instance, f"its address {member.ip} is also behind {others[0]}")
        if tags_by_address.get(name):
            mine.setdefault(member.ip, set()).update(tags_by_address[name])
    index = {
        inst["id"]: StartStop({ip: tuple(sorted(t)) for ip, t in sorted(tags.get(inst["id"], {}).items())},
                              unsteady.get(inst["id"]))
        for vpc in state["vpcs"] for inst in vpc.get("instances", [])
    }
    registered = {members[name].ip for name, t in tags_by_address.items() if t and members[name].live}
    return index, len(registered)
