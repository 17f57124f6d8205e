"""Region names in policy.yaml checked against the regions the AWS SDK knows, offline.

Why: a typo (`us-eat-1`) reaches AWS as a DNS failure and a custom endpoint as an HTML
error page; neither says "your region name is wrong". A name close to a known region is
an error that suggests it; an unknown name that differs from a known one only in its number,
or is like none, is only a warning, since AWS adds regions faster than an installed SDK
learns them.
"""

from __future__ import annotations

import difflib
from functools import cache

from botocore.loaders import create_loader

from generator.policy import Policy


@cache
def known_regions() -> frozenset[str]:
    """Every region of every partition in the installed botocore's endpoint data.

    Read from the data file itself, not through a Session: a Session reads AWS_PROFILE, and
    this check must work offline, whatever the profile (`awspan validate`)."""
    data = create_loader().load_data("endpoints")
    return frozenset(region for partition in data.get("partitions", [])
                     for region in partition.get("regions", {}))


def _stem(region: str) -> str:
    """`us-east-1` -> `us-east`: what a typo changes, where a new region only changes the number."""
    return region.rstrip("0123456789")


def region_problems(policy: Policy) -> list[tuple[str, bool]]:
    """(message, fatal) for each region name of policy.yaml that the SDK does not know."""
    known = known_regions()
    places = [(f"aws.regions[{i}]", r) for i, r in enumerate(policy.aws.regions)]
    for a, account in enumerate(policy.aws.accounts):
        places += [(f"aws.accounts[{a}].regions[{i}]", r) for i, r in enumerate(account.regions or ())]
    out: list[tuple[str, bool]] = []
    for path, region in places:
        if region in known:
            continue
        close = difflib.get_close_matches(region, sorted(known), n=1, cutoff=0.8)
        if close and _stem(close[0]) != _stem(region):
            out.append((f"{path}: {region!r} is not an AWS region; did you mean {close[0]!r}?", True))
        elif close:  # only the number differs: perhaps a region newer than this SDK
            out.append((f"{path}: {region!r} is not a region this AWS SDK knows (did you mean "
                        f"{close[0]!r}? if it is a new region, upgrade boto3)", False))
        else:
            out.append((f"{path}: {region!r} is not a region this AWS SDK knows (a new region? "
                        "otherwise check the name)", False))
    return out
