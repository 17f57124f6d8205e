"""`make bench`: run each benchmark and print its figures (not timed tests: nothing asserts speed).

`python -m bench NAME...` runs only the named ones.
"""

from __future__ import annotations

import importlib
import sys
import time

BENCHES = ("generate", "rulematch", "collect", "push", "membership")


def main(argv: list[str]) -> int:
    names = argv or list(BENCHES)
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name} ==", flush=True)
        started = time.perf_counter()
        module.main()
        print(f"   ({name} bench took {time.perf_counter() - started:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
