"""`make bench`: run each benchmark and print its figures (not timed tests: nothing asserts speed).

    python -m bench [NAME ...] [--instances N] [--profile]

NAME is one of the benchmarks below (all when none is given); --instances scales the estates
of those that take it, for a quick run (e.g. --instances 5000).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import time

BENCHES = ("generate", "rulematch", "collect", "push", "plan", "membership", "aerleon", "lambda_reaction",
           "event_reaction")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="awspan benchmarks: figures as ratios to floors measured in the same run.",
    )
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"benchmarks to run (default: all): {', '.join(BENCHES)}"
    )
    parser.add_argument(
        "--instances",
        type=int,
        metavar="N",
        help="estate size in instances for generate, collect, aerleon and lambda_reaction "
        "(defaults: 50,000 / 10,000 / 5,000 / 5,000)",
    )
    parser.add_argument("--profile", action="store_true", help="generate: also time each step")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHES]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)} (choose from {', '.join(BENCHES)})")
    if args.instances:
        os.environ["AWSPAN_BENCH_INSTANCES"] = str(args.instances)  # read by the older benches
    for name in args.names or BENCHES:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name} ==", flush=True)
        started = time.perf_counter()
        accepted = inspect.signature(module.main).parameters
        options = {
            k: v for k, v in (("instances", args.instances), ("profile", args.profile)) if k in accepted
        }
        module.main(**options)
        print(f"   ({name} bench took {time.perf_counter() - started:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
