"""Push safety in one place: what makes a change unsafe, and the typed error that says so.

plan, push and the events push reaction (which runs push) all ask this module, so a
plan that exits 0 is a plan push will take, and a plan push refuses exits 1 with the same
reason. Two families (as octoDNS's `Plan.raise_if_unsafe`):

- blockers (`Blocked`): push must not start whatever the flags: a name held by an
  operator's object, a bottom rule that is missing or awspan's own, another admin's
  uncommitted changes to awspan's objects, a name the fragment uses that the firewall does
  not hold (a zone, profile group, log forwarding profile, object: PAN-OS would refuse it);
- guards (`Guarded`): push refuses unless `--force`: deleting more than
  `safety.max_delete_percent` of the managed rules, or an empty fragment while rules are
  managed.

The percentage has a floor, `safety.min_existing` (default 10, octoDNS's
MIN_EXISTING_RECORDS): with 3 managed rules one delete is 33 %, and a guard that trips on
every StopInstances of a small estate teaches people to pass --force always.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.errors import AwspanError


class UnsafePlan(AwspanError):
    """A plan push refuses; `reason` is the sentence without the `push refused` prefix."""

    forceable = False

    def __init__(self, reason: str, prefix: str = "") -> None:
        self.reason = reason
        super().__init__(prefix + reason)


class Blocked(UnsafePlan):
    """Push must not start, --force or not."""


class OwnershipConflict(Blocked):
    """A fragment object's name is held by an object without the ownership tag."""


class BottomRuleProblem(Blocked):
    """The bottom rule is missing, or is awspan's own."""


class OthersPending(Blocked):
    """Another admin has uncommitted changes to awspan's objects: awspan's partial commit would
    leave them pending, and its own edits would be mixed with theirs."""


class OthersCommitting(OthersPending):
    """Another admin's commit job holding changes to awspan's objects was still running when
    awspan stopped waiting: they are committed, not yet in running."""


class UnknownReference(Blocked):
    """The fragment names a zone, profile group, log forwarding profile or object the firewall
    does not hold: PAN-OS would refuse the batch ("... is not a valid reference")."""


class Guarded(UnsafePlan):
    """Push refuses unless --force."""

    forceable = True


class TooManyDeletes(Guarded):
    """More than max_delete_percent of the managed rules would go (once min_existing are managed)."""


class EmptyFragment(Guarded):
    """The fragment has no rules while rules are managed: everything would go."""


class TooManyUnregisters(Guarded):
    """Membership dynamic: more than max_delete_percent of awspan's registered addresses would
    lose their tags (once min_existing are registered): the same partial-collect hazard as
    mass rule deletes, in the form an outage takes when membership is runtime state."""


@dataclass(frozen=True)
class Safety:
    """policy.yaml `safety:` — the thresholds of the guards."""

    max_delete_percent: float = 30.0
    min_existing: int = 10

    def guards(self, managed_rules: int, deleted_rules: int, fragment_rules: int) -> list[Guarded]:
        """The guards a change trips: an empty fragment always, a percentage only above the floor."""
        if managed_rules and not fragment_rules:
            return [EmptyFragment(
                f"the fragment has no rules while {managed_rules} managed rules are on the firewall: "
                "pushing it deletes them all (use --force if that is what you want)")]
        over = self._over_limit(managed_rules, deleted_rules)
        if over is None:
            return []
        return [TooManyDeletes(f"push would delete {deleted_rules} of {managed_rules} managed rules {over}")]

    def _over_limit(self, total: int, going: int) -> str | None:
        """`(P%), over safety.max_delete_percent ...` when `going` of `total` is too many; None when
        it is not, or when `total` is under the floor (safety.min_existing) where no percentage applies."""
        if total < max(self.min_existing, 1) or going * 100.0 <= self.max_delete_percent * total:
            return None
        limit = f"safety.max_delete_percent ({self.max_delete_percent:g}%)"
        return (f"({100.0 * going / total:.0f}%), over {limit}; "
                "check the state (a failed or partial collect?) or use --force")

    def registration_guards(self, registered: int, leaving: int) -> list[Guarded]:
        """Membership dynamic: addresses that would lose every awspan tag, against the floor."""
        over = self._over_limit(registered, leaving)
        if over is None:
            return []
        return [TooManyUnregisters(
            f"push would unregister {leaving} of {registered} addresses with awspan tags {over}")]


def refusal(plan: object, force: bool = False) -> UnsafePlan | None:
    """The first reason push would refuse this plan (blockers first), or None.

    `plan` is a generator.panos.plan.changes.Plan: its `refusals` hold the typed problems found while
    planning.
    """
    refusals: list[UnsafePlan] = list(getattr(plan, "refusals", []))
    blocked = [r for r in refusals if not r.forceable]
    guarded = [r for r in refusals if r.forceable and not force]
    found = blocked or guarded
    if not found:
        return None
    first = found[0]
    text = "; ".join(r.reason for r in found)
    return type(first)(text)


def raise_if_unsafe(plan: object, force: bool = False) -> None:
    """Raise the typed error of `refusal()` with push's wording; nothing has changed at this point."""
    problem = refusal(plan, force)
    if problem is not None:
        raise type(problem)(problem.reason, prefix="push refused, nothing was changed: ")
