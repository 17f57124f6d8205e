"""The process environment a bench runs the product in: moto's fake credentials, nothing real.

The benches call the product in-process (the handler, collect), which reads AWS and firewall
settings from os.environ; a profile, an API key or a policy path of the user's shell must not
leak into a run, and whatever a bench sets (an endpoint, a policy path) must not outlive it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from devtools.moto_server import moto_env

FOREIGN = ("AWS_PROFILE", "PANOS_API_KEY", "PANOS_URL", "AWSPAN_CONFIG")
"""Settings of the user's shell that would point a bench at something real."""


@contextlib.contextmanager
def fake_aws_env() -> Iterator[None]:
    """os.environ without FOREIGN and with moto's fake credentials; restored as it was on exit."""
    saved = dict(os.environ)
    for name in FOREIGN:
        os.environ.pop(name, None)
    os.environ.update(moto_env())
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
