"""Where the firewall's URL and credentials come from: policy.yaml and the environment
(read only by generator.pipeline.Credentials.from_env: the command line, and the event
reaction for what no secret names).

The names follow what firewall engineers already use: `PANOS_HOSTNAME`, `PANOS_API_KEY`,
`PANOS_USERNAME`, `PANOS_PASSWORD` are the variables of the Terraform provider and
pan-os-python; `PANOS_URL` is awspan's own (it carries the scheme and port). Every
failure names the variable that is missing and what to set.
"""

from __future__ import annotations

import os

from generator.errors import AwspanError


def firewall_urls(policy_url: str | tuple[str, ...] | None) -> tuple[str, ...]:
    """Every peer to ask (an HA pair has two): PANOS_URL (comma-separated), else PANOS_HOSTNAME
    (comma-separated host names, https:// assumed), else firewall.url (one URL or a list)."""
    env = os.environ.get("PANOS_URL", "").strip()
    if env:
        return tuple(u.strip() for u in env.split(",") if u.strip())
    hosts = os.environ.get("PANOS_HOSTNAME", "").strip()
    if hosts:
        return tuple(h if "://" in h else f"https://{h}" for h in (x.strip() for x in hosts.split(",")) if h)
    if isinstance(policy_url, tuple):
        return policy_url
    return (policy_url,) if policy_url else ()


def firewall_ca_bundle(policy_ca_bundle: str | None) -> str | None:
    """The CA file that signs the firewall's certificate: PANOS_CA_BUNDLE, else firewall.ca_bundle."""
    return os.environ.get("PANOS_CA_BUNDLE") or policy_ca_bundle


def require_url(url: str | None) -> str:
    if not url:
        raise AwspanError("no firewall URL: set firewall.url in policy.yaml, or PANOS_URL "
                          "(https://host[:port]) or PANOS_HOSTNAME (a host name; https is assumed)")
    return url


def checked_credentials(key: str | None, user: str | None, password: str | None
                        ) -> tuple[str | None, str | None, str | None]:
    """(api_key, username, password) when they let awspan log in; an incomplete pair is named
    (by the variables the command line reads them from)."""
    if key:
        return key, user, password
    if user and not password:
        raise AwspanError("PANOS_USERNAME is set but PANOS_PASSWORD is not: set PANOS_PASSWORD "
                          "(awspan makes an API key by keygen), or set PANOS_API_KEY instead")
    if password and not user:
        raise AwspanError("PANOS_PASSWORD is set but PANOS_USERNAME is not: set PANOS_USERNAME, "
                          "or set PANOS_API_KEY instead")
    if not user:
        raise AwspanError("no firewall credentials: set PANOS_API_KEY (`awspan` never reads it from a "
                          "file), or PANOS_USERNAME and PANOS_PASSWORD")
    return None, user, password
