"""Start-up time: ``import hdvec``, the README example and the quickstart, cold (empty Numba cache) and warm.

Each run is a fresh Python process. Cold runs get an empty ``NUMBA_CACHE_DIR``,
so every kernel the example needs is compiled; warm runs reuse the cache the
cold run wrote. Reports the median of ``--repeats`` runs of each.

    python benchmarks/bench_startup.py --repeats 3
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_example() -> str:
    """The first Python block of README.md (the "ten lines")."""
    return re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)[0]


def timed(code: str, cache: str) -> float:
    env = {**os.environ, "NUMBA_CACHE_DIR": cache}
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rows = []
    quickstart = (ROOT / "examples" / "01_quickstart.py").read_text()
    for name, code in (("import hdvec", "import hdvec"), ("README example", readme_example()),
                       ("examples/01_quickstart.py", quickstart)):
        cold, warm = [], []
        for _ in range(args.repeats):
            with tempfile.TemporaryDirectory() as cache:
                cold.append(timed(code, cache))
                warm.append(timed(code, cache))
        rows.append((name, statistics.median(cold), statistics.median(warm)))
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, median of {args.repeats} fresh processes\n")
    print("| what | cold (empty Numba cache) | warm |")
    print("|---|---:|---:|")
    for name, c, w in rows:
        print(f"| {name} | {c:.2f} s | {w:.2f} s |")


if __name__ == "__main__":
    main()
