"""Pause Python's cyclic garbage collector around a step that builds millions of objects.

generate reads a 50,000-instance state.yaml into millions of dicts, lists and strings, and
builds hundreds of thousands of model objects from them. None of them form reference
cycles that outlive the step (they are freed by reference counting), yet the collector,
triggered by allocation counts, walks every live container again and again while they are
built: a fifth of generate's time at that scale (docs/performance.md). The step runs with
the collector paused and restores it afterwards, whatever happens; garbage made meanwhile
is collected by the next collection as usual.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic collector inside the block; restore its previous state on exit."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
