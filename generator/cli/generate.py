"""`awspan generate`: policy.yaml + state.yaml -> out/fragment.xml (generator.pipeline.generate)."""

from __future__ import annotations

import argparse
from pathlib import Path

from generator import pipeline


def run(args: argparse.Namespace) -> int:
    rulebase = None if args.no_rulebase or not Path(args.rulebase).is_file() else args.rulebase
    pipeline.generate(args.config, args.state, args.output, rulebase=rulebase,
                      templates=args.templates)
    return 0
