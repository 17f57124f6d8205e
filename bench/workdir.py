"""Where the benches keep the estates they build: bench/.work/ (cached between runs), or the
directory AWSPAN_BENCH_WORK names (tests/test_bench.py runs every bench small in a temp dir)."""

from __future__ import annotations

import os
from pathlib import Path


def work_dir(*parts: str) -> Path:
    base = os.environ.get("AWSPAN_BENCH_WORK") or Path(__file__).resolve().parent / ".work"
    return Path(base, *parts)
