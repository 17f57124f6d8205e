"""Which pairs the push reaction re-reads, and when it falls back to reading everything."""

from __future__ import annotations

import time

from generator.events.classify import Decision
from generator.events.partial_collect import (
    FULL_COLLECT_EVERY,
    _cached_state,
    affected_pairs,
    mark_full,
    scoped_policy,
)
from generator.policy import parse_policy
from tests.policies import policy_document


def policy(**aws):
    return parse_policy(policy_document(aws={"regions": ["us-east-1", "eu-west-1"], **aws}))


def d(account, region):
    return Decision(True, "x", event_name="StopInstances", account=account, region=region)


def test_pairs_of_listed_accounts_keep_each_accounts_own_regions():
    p = policy(accounts=[{"id": "111122223333"}, {"id": "444455556666", "regions": ["us-west-2"]}])
    pairs = affected_pairs([d("111122223333", "eu-west-1"), d("444455556666", "us-west-2"),
                            d("111122223333", "eu-west-1")], p)
    assert pairs == {"111122223333": {"eu-west-1"}, "444455556666": {"us-west-2"}}
    scoped = scoped_policy(p, pairs)
    assert [(a.id, a.regions) for a in scoped.aws.accounts] == [("111122223333", ("eu-west-1",)),
                                                                ("444455556666", ("us-west-2",))]
    only_one = scoped_policy(p, {"444455556666": {"us-west-2"}})
    assert [a.id for a in only_one.aws.accounts] == ["444455556666"]


def test_default_account_pairs_are_regions_and_unknown_places_mean_everything():
    p = policy()
    assert affected_pairs([d("123456789012", "eu-west-1")], p) == {None: {"eu-west-1"}}
    assert scoped_policy(p, {None: {"eu-west-1"}}).aws.regions == ("eu-west-1",)
    assert affected_pairs([d("123456789012", None)], p) is None
    listed = policy(accounts=[{"id": "111122223333"}])
    assert affected_pairs([d(None, "us-east-1")], listed) is None


def test_the_cached_state_is_used_only_when_recent_and_of_the_same_accounts(tmp_path):
    p = policy()
    (tmp_path / "state.yaml").write_text("version: 2\nvpcs: []\n")
    assert _cached_state(tmp_path, p, time.time()) is None  # never marked: no full read yet
    mark_full(tmp_path, p, now=1000.0)
    assert _cached_state(tmp_path, p, 1000.0 + FULL_COLLECT_EVERY) == {"version": 2, "vpcs": []}
    assert _cached_state(tmp_path, p, 1001.0 + FULL_COLLECT_EVERY) is None  # too old
    assert _cached_state(tmp_path, p, 999.0) is None  # from the future: the clock moved
    other = policy(accounts=[{"id": "111122223333"}])
    assert _cached_state(tmp_path, other, 1000.0) is None
    (tmp_path / "state.yaml").write_text("vpcs: [unterminated\n")
    assert _cached_state(tmp_path, p, 1000.0) is None
    # an older awspan's state (version 1: no interface that is no instance's): its VPCs cannot be
    # kept beside freshly read ones, so the reaction reads everything again
    (tmp_path / "state.yaml").write_text("version: 1\nvpcs: []\n")
    assert _cached_state(tmp_path, p, 1000.0) is None
