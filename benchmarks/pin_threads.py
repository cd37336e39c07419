"""Thread variables for a benchmark process, set before numpy, torch or Numba start a thread pool.

Imported first by the benchmark scripts (it imports nothing heavy): ``pin_threads.pin(sys.argv[1:])``.
"""

from __future__ import annotations

import os

NAMES = ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def thread_env(argv: list[str]) -> dict[str, str]:
    """The thread variables for ``--threads N`` in argv (default 2)."""
    threads = "2"
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            threads = argv[i + 1]
        elif arg.startswith("--threads="):
            threads = arg.split("=", 1)[1]
    return {**dict.fromkeys(NAMES, threads), "OMP_WAIT_POLICY": "PASSIVE"}


def pin(argv: list[str]) -> None:
    """Set the thread variables of ``thread_env(argv)`` in this process's environment."""
    os.environ.update(thread_env(argv))
