"""How far a push got, and what an interrupted push does about it.

A signal (generator.interrupt) can arrive at any point of the push sequence. What must be
undone depends only on how far push got: before the batch nothing changed; once the batch
has left (it may land even if no answer comes back) the candidate is put back as it was
read; once the commit has been requested, rolling the candidate back under a commit that
may yet land would leave running and candidate apart, so the candidate is left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from generator.interrupt import Interrupted
from generator.panos.config.view import DeviceConfig
from generator.panos.plan.changes import Plan
from generator.panos.xmlapi.client import PanosError


@dataclass
class Progress:
    before: DeviceConfig | None = None
    plan: Plan | None = None
    batch_sent: bool = False
    commit_sent: bool = False
    commit_failed: bool = False  # the commit was refused or its job failed: running did not change
    membership: Any = None  # registrations.MembershipPush once it may have unregistered something

    @property
    def running_unchanged(self) -> bool:
        """Running is as push found it: no commit was requested, or the one requested failed."""
        return not self.commit_sent or self.commit_failed


def interrupted(progress: Progress, error: KeyboardInterrupt, rollback: Callable[[], str]) -> Interrupted:
    """Undo what an interrupted push did to the candidate; the exception's outcome says what happened."""
    out = error if isinstance(error, Interrupted) else Interrupted(2)
    if not progress.batch_sent:
        out.outcome = "nothing was changed"
    elif progress.commit_sent:
        out.outcome = ("the commit had been requested, so the candidate keeps awspan's changes (see "
                       "`show jobs all` on the firewall; the next push commits them if the commit failed)")
    else:
        try:
            out.outcome = "running config unchanged, " + rollback()
        except PanosError as exc:
            out.outcome = f"running config unchanged; {exc}"
    return out
