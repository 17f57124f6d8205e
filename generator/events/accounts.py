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

_CLIENTS: dict[tuple[str | None, str, str, str], Any] = {}
"""(endpoint, access key, secret digest, region) -> the EC2 client of a warm environment: creating one
loads botocore's EC2 model, 0.7 s of a read by id that otherwise takes a few milliseconds."""


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


def ec2_client(creds: AccountCredentials, region: str, factory: SessionFactory) -> Any:
    """The EC2 client for the reads by id of `creds` in `region`, made once per process and kept
    while the credentials are the same (boto3 clients are thread-safe; sessions are not shared)."""
    import hashlib
    import os

    endpoint = factory.endpoint_url or os.environ.get("AWS_ENDPOINT_URL")
    secret = hashlib.sha256(f"{creds.secret_key}|{creds.session_token}".encode()).hexdigest()
    key = (endpoint, creds.access_key or "", secret, region)
    client = _CLIENTS.get(key)
    if client is None:
        if len(_CLIENTS) > 64:  # assumed roles' keys change at every full collect: keep few
            _CLIENTS.clear()
        client = _CLIENTS[key] = factory.client(factory.session(creds), "ec2", region)
    return client
