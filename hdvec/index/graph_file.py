"""The ``GraphIndex`` file: what ``GraphIndex.save`` writes, and ``GraphIndex.load``'s structural checks.

One self-describing, checksummed file (``hdvec._io``): a JSON header (dim,
metric, degree, build_beam, alpha, codes, seed, beam, n, next_id, entry) and
the arrays ``graph`` (n, degree) int32, ``ids`` (n,) int64, ``deleted`` (n,)
bool, ``vectors`` (n, dim) float32 and, for LVQ8 codes, ``mean`` (dim,)
float32, ``lvq_codes`` (n, dim) uint8 and ``lvq_lo`` / ``lvq_delta`` /
``lvq_sqnorm`` (n,) float32. A file can pass its checksums and still describe
an impossible index (written by another tool, or edited and re-checksummed);
Numba kernels do not bounds-check, so ``load`` checks every array a kernel
reads: dtypes and shapes against the header, neighbour ids in ``[-1, n)``,
ids unique and >= 0 and below ``next_id``, the entry point a row, finite
floats. Every failure is a ``FormatError`` naming the file and the field.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._io import FormatError, read_arrays, write_arrays
from .exact import METRICS
from .index_file import _check, _fail

FORMAT = "hdvec.GraphIndex"
CODES = ("lvq8", "flat")
MAX_DEGREE = 1024
_LVQ_KEYS = ("codes", "lo", "delta", "sqnorm")  # as graph_build.LVQ_KEYS


def write(index: Any, st: Any, path: Any) -> None:
    """Write ``index`` with its rows ``st`` (a ``graph._State``) to ``path``, atomically."""
    arrays = {"graph": st.graph, "ids": st.ids, "deleted": st.deleted, "vectors": st.vectors}
    if st.mean is not None:
        arrays["mean"] = st.mean
    if st.lvq:
        arrays.update({f"lvq_{key}": st.lvq[key] for key in _LVQ_KEYS})
    meta = {"kind": FORMAT, "dim": index.dim, "metric": index.metric, "degree": index.degree,
            "build_beam": index.build_beam, "alpha": index.alpha, "codes": index.codes, "seed": index.seed,
            "beam": index.beam, "n": st.n_rows, "next_id": st.next_id, "entry": st.entry}
    write_arrays(path, meta, arrays)


def check_header(path: Any, meta: dict) -> dict:
    """The validated header fields."""
    def integer(name: str, minimum: int, maximum: float = math.inf, optional: bool = False) -> int | None:
        v = meta.get(name)
        if v is None and optional:
            return None
        if isinstance(v, bool) or not isinstance(v, int) or not minimum <= v <= maximum:
            raise _fail(path, f"header field {name!r}", f"must be an int in [{minimum}, {maximum}]; got {v!r}")
        return v

    h: dict[str, Any] = {"dim": integer("dim", 1), "degree": integer("degree", 1, MAX_DEGREE),
                         "build_beam": integer("build_beam", 1), "seed": integer("seed", 0),
                         "beam": integer("beam", 1, optional=True), "n": integer("n", 0),
                         "next_id": integer("next_id", 0), "entry": integer("entry", -1)}
    for name, allowed in (("metric", METRICS), ("codes", CODES)):
        if meta.get(name) not in allowed:
            raise _fail(path, f"header field {name!r}", f"must be one of {allowed}; got {meta.get(name)!r}")
        h[name] = meta[name]
    alpha = meta.get("alpha")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not math.isfinite(alpha) or alpha < 1:
        raise _fail(path, "header field 'alpha'", f"must be a finite number >= 1; got {alpha!r}")
    h["alpha"] = float(alpha)
    if (h["n"] == 0) != (h["entry"] == -1) or h["entry"] >= h["n"]:
        raise _fail(path, "header field 'entry'", f"must be a row in [0, n={h['n']}) (-1 when empty); "
                                                  f"got {h['entry']}")
    return h


def check_arrays(path: Any, h: dict, arrays: dict) -> None:
    """Check every array of a graph file against its header ``h`` and each other."""
    n, dim = h["n"], h["dim"]
    _check(path, arrays, "graph", np.int32, (n, h["degree"]))
    _check(path, arrays, "ids", np.int64, (n,))
    _check(path, arrays, "deleted", np.bool_, (n,))
    _check(path, arrays, "vectors", np.float32, (n, dim))
    g, ids = arrays["graph"], arrays["ids"]
    if g.size and (g.min() < -1 or g.max() >= n):
        raise _fail(path, "array 'graph'", f"must hold neighbour rows in [-1, n={n}); got {g.min()}..{g.max()}")
    if n and (ids.min() < 0 or np.unique(ids).shape[0] != n):
        raise _fail(path, "array 'ids'", "must be unique and >= 0")
    if n and h["next_id"] <= ids.max():
        raise _fail(path, "header field 'next_id'", f"must exceed the largest id {ids.max()}; got {h['next_id']}")
    if h["codes"] == "lvq8":
        _check(path, arrays, "mean", np.float32, (dim,), required=n > 0)
        _check(path, arrays, "lvq_codes", np.uint8, (n, dim))
        for key in _LVQ_KEYS[1:]:
            _check(path, arrays, f"lvq_{key}", np.float32, (n,))


def read(path: Any, mmap: bool = False) -> tuple[dict, dict[str, np.ndarray]]:
    """The checked header fields and arrays of the graph file ``path`` (``mmap=True``: read-only maps)."""
    meta, arrays = read_arrays(path, mmap=mmap)
    if meta.get("kind") != FORMAT:
        raise FormatError(f"'{path}' does not hold an hdvec GraphIndex (kind={meta.get('kind')!r})")
    h = check_header(path, meta)
    check_arrays(path, h, arrays)
    return h, arrays
