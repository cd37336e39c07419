"""Say once per process that Numba kernels are being compiled, so a first run is not a silent wait.

hdvec's kernels are compiled the first time each one runs in a fresh
installation (seconds each) and cached on disk (``__pycache__``, or
``NUMBA_CACHE_DIR``), so later processes load them in milliseconds. The first
compilation of an hdvec kernel in a process logs one INFO record on the
``hdvec`` logger and, in an interactive session (a terminal, IPython or
Jupyter) whose logging would not show it, writes the same record to stderr.
"""

from __future__ import annotations

import logging
import sys
import threading

from numba.core import event

log = logging.getLogger("hdvec")
_CONSOLE = logging.StreamHandler(sys.stderr)  # the interactive notice, when logging would not show it
MESSAGE = ("hdvec: compiling Numba kernels on first use (seconds each); they are cached on disk, "
           "so later runs start fast")


def _interactive() -> bool:
    return hasattr(sys, "ps1") or "ipykernel" in sys.modules or bool(getattr(sys.stderr, "isatty", lambda: False)())


class _FirstCompile(event.Listener):
    """Listens to Numba's compile events (cache loads raise none) and speaks on the first hdvec one."""

    def __init__(self) -> None:
        self.said = False
        self._lock = threading.Lock()

    def on_start(self, ev: event.Event) -> None:
        if self.said:
            return
        func = getattr(ev.data.get("dispatcher"), "py_func", None) if isinstance(ev.data, dict) else None
        if not getattr(func, "__module__", "").startswith("hdvec."):
            return
        with self._lock:
            if self.said:
                return
            self.said = True
        record = log.makeRecord(log.name, logging.INFO, __file__, 0, MESSAGE, None, None)
        log.handle(record)  # wherever the user's logging configuration sends it
        if _interactive() and not log.isEnabledFor(logging.INFO):  # not shown by that configuration
            _CONSOLE.handle(record)

    def on_end(self, ev: event.Event) -> None:
        pass


LISTENER = _FirstCompile()
event.register("numba:compile", LISTENER)
