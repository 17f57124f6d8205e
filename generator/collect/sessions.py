"""Credentials and clients for collect: one boto3 Session per account/region pair.

Why a factory object: boto3 Sessions are not thread-safe, so every pair builds its own,
and every one of them must get the same client settings (endpoint, retries, timeouts)
and the same botocore event hooks. Hooks are how tests count API calls and inject
failures without patching anything: they are registered on each session's own event
system, exactly as a user's plugin would be.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from generator import __version__

Hook = tuple[str, Callable[..., Any]]
"""(botocore event name, handler), e.g. ("before-call.ec2", count_calls)."""

MAX_ATTEMPTS = 10
"""Adaptive retries: throttling (RequestLimitExceeded) is normal at thousands of instances."""


@dataclass(frozen=True)
class AccountCredentials:
    """Frozen credentials of one account (None: the default credential chain)."""

    account_id: str
    access_key: str | None = None
    secret_key: str | None = None
    session_token: str | None = None
    expires: float | None = None  # an assumed role's: when its credentials end (epoch seconds)


@dataclass(frozen=True)
class SessionFactory:
    """Builds sessions and clients that all share one configuration."""

    endpoint_url: str | None = None
    hooks: Sequence[Hook] = field(default_factory=tuple)
    max_attempts: int = MAX_ATTEMPTS
    connect_timeout: float = 10.0
    read_timeout: float = 60.0

    def config(self) -> Config:
        return Config(
            retries={"mode": "adaptive", "max_attempts": self.max_attempts},
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            user_agent_extra=f"awspan/{__version__}",
        )

    def session(self, creds: AccountCredentials | None = None) -> boto3.Session:
        """A new Session (default chain when `creds` carries no keys), hooks registered."""
        if creds is not None and creds.access_key:
            session = boto3.Session(
                aws_access_key_id=creds.access_key,
                aws_secret_access_key=creds.secret_key,
                aws_session_token=creds.session_token,
            )
        else:
            session = boto3.Session()
        for event, handler in self.hooks:
            session.events.register(event, handler)
        return session

    def client(self, session: boto3.Session, service: str, region: str) -> Any:
        return session.client(
            service, region_name=region, endpoint_url=self.endpoint_url, config=self.config()
        )
