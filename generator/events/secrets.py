"""Secrets for the reactions: the PAN-OS API key and the pipeline token, read by name.

They come from Secrets Manager or SSM at the moment they are needed, and go no further
than a Credentials object (generator.pipeline) or one HTTP header: never the environment,
argv, a file or a log.
"""

from __future__ import annotations

import json
import os
from typing import Any

from generator.errors import AwspanError


def region_for(resource: str | None, policy: Any) -> str | None:
    """The region of an ARN, else the environment's, else the policy's first region."""
    if resource and resource.startswith("arn:"):
        parts = resource.split(":")
        if len(parts) > 3 and parts[3]:
            return parts[3]
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or policy.aws.regions[0]


def client(service: str, policy: Any, resource: str | None = None) -> Any:
    import boto3  # imported here: `awspan event --decide-only` must work without AWS set up

    return boto3.client(service, region_name=region_for(resource, policy))


def secret_value(policy: Any, secret_id: str, what: str) -> str:
    """A secret's string from Secrets Manager: plain text, or JSON with `api_key`, `token` or `key`."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        value = client("secretsmanager", policy, secret_id).get_secret_value(SecretId=secret_id)
    except (ClientError, BotoCoreError) as exc:
        raise AwspanError(f"cannot read the {what} from Secrets Manager secret {secret_id!r}: {exc}"
                          ) from None
    text = value.get("SecretString")
    if not text:
        raise AwspanError(f"Secrets Manager secret {secret_id!r} has no SecretString (the {what})")
    if text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except ValueError:
            doc = None
        if isinstance(doc, dict):
            for key in ("api_key", "token", "key"):
                if isinstance(doc.get(key), str) and doc[key]:
                    return doc[key]
            raise AwspanError(f"Secrets Manager secret {secret_id!r} is JSON without an "
                              f"'api_key', 'token' or 'key' string (the {what})")
    return text.strip()


def parameter_value(policy: Any, name: str) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        value = client("ssm", policy, name).get_parameter(Name=name, WithDecryption=True)
    except (ClientError, BotoCoreError) as exc:
        raise AwspanError(f"cannot read the PAN-OS API key from SSM parameter {name!r}: {exc}") from None
    return value["Parameter"]["Value"].strip()


def firewall_api_key(policy: Any) -> str | None:
    """The PAN-OS API key named in events.api_key_secret / events.api_key_parameter.

    None when neither is set: then the firewall client uses PANOS_API_KEY or
    PANOS_USERNAME/PANOS_PASSWORD from the environment as usual.
    """
    if policy.events.api_key_secret:
        return secret_value(policy, policy.events.api_key_secret, "PAN-OS API key")
    if policy.events.api_key_parameter:
        return parameter_value(policy, policy.events.api_key_parameter)
    return None
