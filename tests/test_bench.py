"""`make bench` must not rot between the runs someone makes by hand: every benchmark runs here on
a small estate, in a temp work dir, and must finish and print its figures (not their values:
speed is the benches' business, not the tests')."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.__main__ import BENCHES

ROOT = Path(__file__).resolve().parent.parent

SMALL = {
    "AWSPAN_BENCH_FIREWALL_RULES": "200",
    "AWSPAN_BENCH_CANDIDATES": "2000",
    "AWSPAN_BENCH_SIZES": "10",
    "AWSPAN_BENCH_PLAN_RULES": "200",
    "AWSPAN_BENCH_COMMIT_SECONDS": "0.2",
    "AWSPAN_BENCH_EVENTS": "3",
    "AWSPAN_BENCH_STATIC_EVENTS": "1",
    "AWSPAN_BENCH_REGISTRATIONS": "200",
}

# what each bench must print: the figures the issues ask for
PRINTS = {
    "generate": [r"floor: [\d.]+ s", r"generate: median [\d.]+ s = [\d.]+x the floor",
                 r"with a 200-rule rulebase: median [\d.]+ s = [\d.]+x", r"peak RSS \d+ MiB"],
    "rulematch": [r"check 2000 candidates", r"same decisions: yes"],
    "collect": [r"collected 300 instances", r"API calls: \d+ in total"],
    "push": [r"10 \|\s+\d+ requests \(1 multi-config\) largest\s+[\d,]+ bytes"],
    "plan": [r"plan --format text\s*:\s+[\d.]+ s wall", r"plan --format markdown",
             r"clean plan: [\d.]+ s CPU", r"1 % change: [\d.]+ s CPU.*exit 2"],
    "membership": [r"dynamic: 0 commits", r"static:\s+1 commits"],
    "aerleon": [r"awspan is [\d.]+x faster"],
    "lambda_reaction": [r"handler import: [\d.]+ s", r"reaction: \w+; total [\d.]+ s"],
    "event_reaction": [r"300 \| stop \(dynamic fast path\)\s+\|\s+\d+ \|\s+\d+ KiB \|\s+\d+ \|\s+[\d.]+ s "
                       r"\|\s+[\d.]+ s \[registrations;",
                       r"index of 50,000 instances: open, look up one, settle\s+[\d.]+ ms"],
}


@pytest.mark.slow
def test_every_bench_runs_small_and_prints_its_figures(tmp_path: Path) -> None:
    assert set(PRINTS) == set(BENCHES)  # a new bench gets its line here
    env = {**os.environ, **SMALL, "AWSPAN_BENCH_WORK": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--instances", "300"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    for name, patterns in PRINTS.items():
        section = out.split(f"== {name} ==", 1)[1].split("\n== ", 1)[0]
        for pattern in patterns:
            assert re.search(pattern, section), f"{name}: no {pattern!r} in:\n{section}"
    assert (tmp_path / "state-v2-300.yaml").is_file()  # the estates went to the work dir given
