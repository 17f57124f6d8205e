"""The collect step as a library call: policy.yaml + AWS -> out/state.yaml, written only when every
call succeeded (pipeline.collect runs it; generator.cli.collect is the command)."""

from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import urlsplit

from generator.atomicio import write_atomic
from generator.collect.collector import collect
from generator.collect.sessions import AccountCredentials, SessionFactory
from generator.errors import AwspanError, quote
from generator.policy import Policy
from generator.yamlio import dump_yaml

log = logging.getLogger(__name__)


def check_endpoint_url(url: str | None) -> str | None:
    """Refuse a malformed --endpoint-url before any call, with a message that says why."""
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AwspanError(f"--endpoint-url {quote(url)}: expected http(s)://host[:port]")
    return url


def state_bytes(state: dict[str, Any]) -> bytes:
    """The exact bytes of state.yaml: PyYAML's (C) dumper, key order as built, no aliases."""
    return dump_yaml(state).encode("utf-8")


def collect_to_file(policy: Policy, output: str | os.PathLike[str], factory: SessionFactory | None = None,
                    accounts: dict[int | None, AccountCredentials] | None = None) -> dict[str, Any]:
    """Collect and replace `output` atomically; on any failure the old file stays as it was.
    `accounts`: see collector.collect."""
    state = collect(policy, factory, accounts)
    write_atomic(output, state_bytes(state))
    return state
