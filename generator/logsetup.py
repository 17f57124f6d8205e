"""One logging setup for the command line: every module logs to `logging.getLogger(__name__)`,
so all of awspan's messages sit under one root, the `generator` logger, whose level
`--verbose`/`--quiet`/`--debug` set.

Why a context manager: `main()` runs several times in one process (the tests run
hundreds), so each run installs its stderr handler and levels and puts the previous ones
back. While a run lasts, awspan's records go only to its handler (not also to a root
handler that Lambda's runtime may have installed, which would print every line twice);
third-party libraries keep logging through the root logger.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

ROOT = "generator"
"""The package name: `logging.getLogger(__name__)` in any module is a child of it."""

THIRD_PARTY = ("botocore", "boto3", "urllib3", "werkzeug", "s3transfer")
"""Chatty libraries: their debug logs only with --debug (botocore's include response bodies)."""


class _CliHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler a command-line run installs (told apart from anyone else's)."""


def level_for(*, verbose: int = 0, quiet: bool = False, debug: bool = False) -> int:
    """--quiet: warnings and errors only; default: progress too; --verbose/--debug: everything."""
    if debug or verbose > 0:
        return logging.DEBUG
    return logging.WARNING if quiet else logging.INFO


@contextmanager
def configured(level: int, *, debug: bool = False) -> Iterator[None]:
    """Send awspan's log records at `level` and above to stderr while the block runs."""
    awspan = logging.getLogger(ROOT)
    root = logging.getLogger()
    previous = [h for h in awspan.handlers if isinstance(h, _CliHandler)]
    saved = (awspan.level, awspan.propagate, root.level)
    handler = _CliHandler(sys.stderr)  # the current stderr: a test may have replaced it
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s" if debug else "%(message)s"))
    for old in previous:
        awspan.removeHandler(old)
    awspan.addHandler(handler)
    awspan.setLevel(level)
    awspan.propagate = False
    if debug:
        if not root.handlers:
            logging.basicConfig(stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
        root.setLevel(logging.DEBUG)
    for name in THIRD_PARTY:
        logging.getLogger(name).setLevel(logging.NOTSET if debug else logging.WARNING)
    try:
        yield
    finally:
        awspan.removeHandler(handler)
        for old in previous:
            awspan.addHandler(old)
        awspan.setLevel(saved[0])
        awspan.propagate = saved[1]
        root.setLevel(saved[2])
        # The third-party levels stay as set: with botocore at DEBUG, a later boto3 call in this
        # process (the Lambda fetching a secret) would log response bodies, secrets included.
