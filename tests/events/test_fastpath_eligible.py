"""Which batches the membership-dynamic fast path may answer with a User-ID delta alone: anything
that can change the configuration, or a firewall awspan has no recorded push to, is pushed."""

from __future__ import annotations

from generator.events.classify import Decision
from generator.events.fastindex import INDEX
from generator.events.fastpath import eligible, forget_push
from generator.policy import parse_policy


def policy(membership="dynamic", location=None):
    firewall = {"instance_id": "i-0123456789abcdef0", **({"location": location} if location else {})}
    return parse_policy({"firewall": firewall, "aws": {"regions": ["us-east-1"]},
                         "rules": {"bottom_rule": "clean-up", "from_zone": "untrust", "to_zone": "trust",
                                   "membership": membership}})


def d(name):
    return Decision(True, "x", event_name=name, account="123456789012", region="us-east-1",
                    ids=("i-0abc",))


def test_only_starts_and_stops_of_a_dynamic_firewall_with_a_recorded_push(tmp_path):
    starts = [d("StartInstances"), d("StopInstances")]
    assert eligible(policy(), tmp_path, starts) == "no successful push recorded in work_dir yet"
    (tmp_path / INDEX).write_bytes(b"")  # what remember_push writes after a successful push
    assert eligible(policy(), tmp_path, starts) is None
    assert eligible(policy("static"), tmp_path, starts) == "membership is static"
    assert "RunInstances" in eligible(policy(), tmp_path, [*starts, d("RunInstances")])
    panorama = policy(location={"device_group": "dg1", "rulebase": "pre"})
    assert "Panorama" in eligible(panorama, tmp_path, starts)
    forget_push(tmp_path)  # a push under way: until it succeeds, the firewall's state is unknown
    assert eligible(policy(), tmp_path, starts) == "no successful push recorded in work_dir yet"
