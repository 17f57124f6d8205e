"""`awspan collect`: policy.yaml + AWS -> out/state.yaml (generator.pipeline.collect)."""

from __future__ import annotations

import argparse

from generator.collect.step import check_endpoint_url
from generator.policy import load_policy


def run(args: argparse.Namespace) -> int:
    from generator import pipeline

    policy = load_policy(args.config)
    pipeline.collect(policy, args.output, endpoint_url=check_endpoint_url(args.endpoint_url))
    return 0
