"""Fault injection: make the Nth future request of a kind fail, for the client's tests.

Kinds: keygen, lock, unlock, get, show, set, edit, delete, move, rename, multi-config,
commit, op (any other op command), and job (the Nth commit job that is enqueued ends
FIN/FAIL with the message as its detail line, leaving running unchanged).

Two faults model what a real device answers when a commit does not take the caller's
changes: `commit-race` (a full commit from another session, e.g. the web UI, commits every
pending change just before the Nth commit request, which then finds nothing to commit) and
`commit-nothing` (the Nth commit answers "There are no changes to commit." and commits
nothing, as a partial commit naming an admin without pending changes does).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

KINDS = frozenset(
    {
        "keygen",
        "lock",
        "unlock",
        "get",
        "show",
        "set",
        "edit",
        "delete",
        "move",
        "rename",
        "multi-config",
        "commit",
        "commit-race",
        "commit-nothing",
        "job",
        "op",
        "user-id",
    }
)


@dataclass
class Fault:
    kind: str
    remaining: int
    code: str
    message: str


class FaultPlan:
    """Pending faults; `take(kind)` counts one request of that kind and returns a fault that fires."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._mutex = threading.Lock()

    def add(self, kind: str, nth: int = 1, code: str = "13", message: str | None = None) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {', '.join(sorted(KINDS))}")
        if nth < 1:
            raise ValueError("nth counts future requests from 1")
        with self._mutex:
            self._faults.append(Fault(kind, nth, str(code), message or f"injected {kind} failure"))

    def take(self, kind: str) -> Fault | None:
        fired = None
        with self._mutex:
            for fault in list(self._faults):
                if fault.kind != kind:
                    continue
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                    fired = fired or fault
        return fired

    def clear(self) -> None:
        with self._mutex:
            self._faults.clear()
