"""SIGINT, SIGTERM and SIGHUP become one exception, so that cleanup runs whatever the signal.

Why: CI runners and container schedulers stop a job with SIGTERM, a closed terminal sends
SIGHUP. Python's default for both is to die on the spot: a push killed that way leaves its
config lock held (every later push fails until someone unlocks by hand) and half-applied
changes in the candidate. Raised as `Interrupted` (a KeyboardInterrupt, so code that
already handles Ctrl-C handles these too), the signal lets push put the candidate back and
release the lock, and the process then exits 128+n as a killed process would.

While that cleanup runs, further signals are noted and ignored: a second Ctrl-C must not
abandon a rollback halfway (every request of the cleanup is bounded by its own deadline).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

SIGNALS = tuple(s for s in (getattr(signal, n, None) for n in ("SIGINT", "SIGTERM", "SIGHUP")) if s)


class Interrupted(KeyboardInterrupt):
    """A signal asked awspan to stop; `outcome` says what was done about it (set by the cleanup)."""

    def __init__(self, signum: int, outcome: str = "") -> None:
        self.signum = signum
        self.outcome = outcome
        super().__init__(signum)

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    def __str__(self) -> str:
        return f"interrupted by {self.name}" + (f": {self.outcome}" if self.outcome else "")


class Trap:
    """The handler state: the first signal raises, later ones (or any during cleanup) are ignored."""

    def __init__(self) -> None:
        self.cleaning = False
        self.ignored: list[int] = []

    def handler(self, signum: int, frame: object) -> None:
        if self.cleaning:
            self.ignored.append(signum)
            log.warning("%s received: still cleaning up (putting the candidate back, releasing the lock)",
                        signal.Signals(signum).name)
            return
        self.cleaning = True
        raise Interrupted(signum)


@contextmanager
def trap_signals() -> Iterator[Trap]:
    """Turn SIGINT/SIGTERM/SIGHUP into `Interrupted` inside the block (main thread only)."""
    trap = Trap()
    if threading.current_thread() is not threading.main_thread():
        yield trap
        return
    old = {}
    try:
        for sig in SIGNALS:
            if signal.getsignal(sig) is signal.SIG_IGN:
                continue  # ignored on purpose (nohup): stay ignored
            old[sig] = signal.signal(sig, trap.handler)
        yield trap
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
