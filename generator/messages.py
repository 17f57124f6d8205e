"""Turn failures nobody wrapped into one line that names the cause and the fix.

Most failures are raised as AwspanError where they happen. What is left are library
exceptions that reach the command line unexpectedly (a missing AWS profile, an endpoint
that answers HTML): this module words them for a user, without importing the AWS SDK
when the command never loaded it (generate must not pay for boto3).
"""

from __future__ import annotations

import os
import sys

MAX_DETAIL = 300
"""Characters of a library's own message kept in a line: enough to recognise it."""


def one_line(text: object, limit: int = MAX_DETAIL) -> str:
    """Collapse whitespace (a library's message may hold a whole HTML page) and cut it."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def aws_hint(exc: BaseException) -> str | None:
    """Cause and fix for the AWS SDK's configuration and transport errors, or None."""
    if "botocore" not in sys.modules:
        return None
    from botocore import exceptions as bex
    from botocore.parsers import ResponseParserError

    if isinstance(exc, bex.ProfileNotFound):
        profile = os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE") or exc.kwargs.get(
            "profile", "?")
        return (f"AWS profile {profile!r} is not in ~/.aws/config or ~/.aws/credentials: fix AWS_PROFILE "
                f"(`aws configure list-profiles` lists them) or unset it to use the default chain")
    if isinstance(exc, bex.NoCredentialsError):
        return ("no AWS credentials found: set AWS_PROFILE (after `aws sso login` if it is an SSO profile), "
                "or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run where an instance or task role applies")
    if isinstance(exc, bex.PartialCredentialsError):
        return f"incomplete AWS credentials ({one_line(exc)}): set both the access key id and the secret key"
    if isinstance(exc, bex.NoRegionError):
        return "no AWS region: list aws.regions in policy.yaml (collect reads exactly those)"
    if isinstance(exc, (bex.TokenRetrievalError, bex.SSOTokenLoadError, bex.UnauthorizedSSOTokenError)):
        return f"the AWS SSO session is missing or expired ({one_line(exc)}): run `aws sso login`"
    if isinstance(exc, ResponseParserError):
        return ("the AWS endpoint answered with something that is not an AWS API response (an HTML error "
                "page?): check --endpoint-url and that the region name is real")
    if isinstance(exc, bex.EndpointConnectionError):
        return (f"cannot connect to {exc.kwargs.get('endpoint_url', 'the AWS endpoint')}: check the region "
                "name, --endpoint-url, and the network or proxy (HTTPS_PROXY)")
    if isinstance(exc, bex.ConnectTimeoutError):
        return f"connecting to AWS timed out ({one_line(exc)}): check the network or proxy (HTTPS_PROXY)"
    return None


def describe_unexpected(exc: BaseException) -> str:
    """One line for an exception no step wrapped: a known cause and its fix, else the type and
    the first part of the message, and where to look next."""
    hint = aws_hint(exc)
    if hint is not None:
        return hint
    if isinstance(exc, MemoryError):
        return "out of memory: the input is too large for this machine"
    return (f"unexpected {type(exc).__name__}: {one_line(exc)} (this is a bug or an unhandled case: "
            "run again with --debug for the traceback and report it)")
