"""Credentials for the event reaction's reads by id, resolved once per full collect.

A read of one instance must not cost an STS call more than the read itself: collect resolves
each account (GetCallerIdentity for the default credentials, AssumeRole for a role) at every full
collect, and the reaction keeps what it resolved, in this process (a warm Lambda environment),
for the reads by id until the next full collect. Never on disk: an assumed role's keys are
secrets. An assumed role's credentials are used only while at least MARGIN seconds remain;
after that (or in a new process) the account is resolved again, with the same checks as
collect's (the role's account, the default credentials' account).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from generator.collect.collector import AccountSpec, account_specs, resolve_account
from generator.collect.sessions import AccountCredentials, SessionFactory

MARGIN = 300.0
"""Seconds an assumed role's credentials must still be valid to be used for a read."""

_RESOLVED: dict[str, tuple[float, dict[int | None, AccountCredentials]]] = {}
"""work_dir -> (the full collect's time stamp, credentials per aws.accounts index)."""


def remember(work: Path, stamp: float, accounts: dict[int | None, AccountCredentials]) -> None:
    """Keep what the full collect of `work` at `stamp` resolved (replacing an older collect's)."""
    _RESOLVED[str(work)] = (stamp, dict(accounts))


def spec_for(policy: Any, account: str | None, region: str) -> AccountSpec | None:
    """The account to read for a pair (account None: the default credentials'), or None when the
    policy does not collect it."""
    for spec in account_specs(policy):
        if account is None or spec.account_id == account:
            return AccountSpec(spec.index, spec.account_id, spec.role_arn, spec.external_id, (region,))
    return None


def credentials(policy: Any, spec: AccountSpec, work: Path, stamp: float, factory: SessionFactory
                ) -> AccountCredentials:
    """The credentials for `spec`: those of the full collect at `stamp` while still valid, else
    resolved now (and kept for the next read)."""
    held = _RESOLVED.get(str(work))
    if held is not None and held[0] == stamp:
        creds = held[1].get(spec.index)
        if creds is not None and (creds.expires is None or creds.expires - time.time() > MARGIN):
            return creds
    creds = resolve_account(factory, spec, policy.source)
    if held is not None and held[0] == stamp:
        held[1][spec.index] = creds
    else:
        _RESOLVED[str(work)] = (stamp, {spec.index: creds})
    return creds
