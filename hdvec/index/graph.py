"""``GraphIndex``: a Vamana graph over LVQ8-compressed vectors, searched by beam search and re-ranked exactly.

The graph is Vamana (DiskANN, Subramanya et al. 2019): out-degree at most
``degree``, built by greedy beam search from a medoid entry point and
RobustPrune, in two passes (``alpha = 1``, then ``alpha``), with back-edges
pruned on overflow; later ``add`` calls insert with one ``alpha`` pass
(FreshDiskANN). As in Intel SVS, the traversal reads LVQ8 codes
(``hdvec.index.codes.lvq_encode`` of the centred vectors) and computes
query-to-code distances from the uint8 bytes; the beam's candidates are then
re-ranked with the stored float32 vectors. ``codes="flat"`` stores only the
float32 vectors and traverses on them.

Metrics: ``"l2"`` (squared), ``"ip"`` (``-<q, x>``) and ``"cosine"`` (``1 -
cos``; vectors and queries are normalised, a zero vector stays zero, so its
distance is 1). For ``"ip"`` and ``"cosine"`` the graph is built in the L2
geometry of the vectors augmented by ``sqrt(M^2 - |x|^2)`` (``M`` the largest
norm; Bachrach et al. 2014), where the L2 neighbours of ``[q, 0]`` are the
inner-product neighbours of ``q``; the LVQ8 traversal ranks by ``-<q, x>``.

Parallelism (Numba ``prange``): searches over chunks of queries; the build
over batches of rows (sizes 1, 2, 4, ... up to 2 % of the rows, fixed by the
row count), each searched against the graph as it was before the batch
(batch-then-merge), then committed, then the back-edges merged one target
per task; ``consolidate`` over chunks of rows. No step reads what another
task of the same step writes, so nothing depends on the thread count: a seed
gives the same graph on any number of threads.
"""

from __future__ import annotations

import math
import os
import threading
from typing import Any

import numpy as np

from .._backend import is_torch, to_numpy
from .._validation import Seed, check_dim, check_k, seed_entropy
from ..hdc.search import empty_results, pad_results, shape_results, work_k
from . import _graph_kernels as K
from ._kernels import num_threads
from .exact import as_float_matrix, check_metric
from .filters import filter_rows
from .graph_build import (
    LVQ_KEYS,
    GraphRows,
    StampPool,
    _consolidate_rows,
    _insert_rows,
    unit,
)
from .graph_file import CODES, MAX_DEGREE, METRICS, read, write

EXACT_FILTER_ROWS = 1000  # a mask allowing fewer rows than this (or EXACT_FILTER_FRACTION of them) is scanned exactly
EXACT_FILTER_FRACTION = 0.01
RETRIES = 2  # beam doublings for queries that found fewer than k candidates, before an exact scan of their rows
_NO_MASK = np.empty(0, bool)


def _check_int(value: Any, name: str, lo: int, hi: int | None = None) -> int:
    value = check_dim(value, name, lo)
    if hi is not None and value > hi:
        raise ValueError(f"`{name}` must be <= {hi}; got {value}")
    return value


class GraphIndex:
    """Graph nearest-neighbour index (Vamana) over LVQ8 codes, with an exact re-rank.

    Parameters
    ----------
    dim : int
        Vector dimension.
    metric : {"l2", "ip", "cosine"}
        Distances returned are lower-is-better: squared L2, ``-<q, x>``, ``1 - cos``.
    degree : int
        Largest out-degree R of the graph (1..1024).
    build_beam : int
        Candidate list size of the build's searches (DiskANN's L).
    alpha : float
        RobustPrune's ``alpha >= 1`` (on squared distances, as DiskANN); larger keeps more long edges.
    codes : {"lvq8", "flat"}
        What the traversal reads: LVQ8 codes (plus float32 vectors for the re-rank) or float32 only.
    seed : int, numpy.random.Generator or None
        Decides the insertion orders: the same seed and data give the same graph on any thread count.

    Notes
    -----
    ``build(x)``, ``add(x, ids=None)``, ``search(q, k, beam=None, filter=None)``,
    ``remove(ids)``, ``consolidate()``, ``save(path)``, ``GraphIndex.load(path,
    mmap=False)``. Results follow hdvec's search contract (``docs/search.md``).
    ``beam`` is the default search beam (None: ``max(2 k, 64)``). Searches may
    run from several threads while one thread writes: writes swap in a new
    snapshot of the rows, and a search uses the snapshot it started with.

    Examples
    --------
    >>> x = np.random.default_rng(0).standard_normal((500, 16)).astype(np.float32)
    >>> index = GraphIndex(16, seed=0).build(x)
    >>> d, i = index.search(x[:2], 3)
    >>> i[:, 0].tolist(), d.dtype, i.shape
    ([0, 1], dtype('float32'), (2, 3))
    """

    def __init__(self, dim: int, *, metric: str = "l2", degree: int = 32, build_beam: int = 64,
                 alpha: float = 1.2, codes: str = "lvq8", seed: Seed = None):
        self.dim = check_dim(dim)
        self.metric = check_metric(metric, METRICS)
        self.degree = _check_int(degree, "degree", 1, MAX_DEGREE)
        self.build_beam = _check_int(build_beam, "build_beam", 1)
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.integer, np.floating)):
            raise TypeError(f"`alpha` must be a number; got {type(alpha).__name__}")
        if not math.isfinite(alpha) or alpha < 1:
            raise ValueError(f"`alpha` must be a finite number >= 1; got {alpha!r}")
        self.alpha = float(alpha)
        if codes not in CODES:
            raise ValueError(f"`codes` must be one of {CODES}; got {codes!r}")
        self.codes = codes
        self.seed = seed_entropy(seed)
        self.beam = None
        self._state = GraphRows.empty(self.metric, self.dim, self.degree)
        self._lock = threading.Lock()
        self._stamps = StampPool()

    # ------------------------------------------------------------------ info
    @property
    def beam(self) -> int | None:
        """The default search beam (None: ``max(2 k, 64)``)."""
        return self._beam

    @beam.setter
    def beam(self, value: int | None) -> None:
        self._beam = None if value is None else _check_int(value, "beam", 1)

    def __len__(self) -> int:
        return len(self._state)

    @property
    def ids(self) -> np.ndarray:
        """Ids of the vectors not removed, int64, in graph order."""
        st = self._state
        return st.ids[~st.deleted] if st.n_deleted else st.ids.copy()

    @property
    def next_id(self) -> int:
        """One more than the largest id ever added: the length of a boolean ``filter`` mask."""
        return self._state.next_id

    @property
    def graph(self) -> np.ndarray:
        """The neighbour lists: int32 (rows, degree), rows in graph order, padded with -1 (read-only view)."""
        g = self._state.graph.view()
        g.flags.writeable = False
        return g

    @property
    def n_deleted(self) -> int:
        """Removed rows still in the graph (``consolidate`` drops them)."""
        return self._state.n_deleted

    @property
    def nbytes(self) -> int:
        st = self._state
        lvq = sum(a.nbytes for a in st.lvq.values()) if st.lvq else 0
        return int(st.graph.nbytes + st.vectors.nbytes + st.ids.nbytes + st.deleted.nbytes + lvq)

    def __repr__(self) -> str:
        return (f"GraphIndex(dim={self.dim}, metric={self.metric!r}, degree={self.degree}, codes={self.codes!r}, "
                f"n={len(self)}, deleted={self.n_deleted})")

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("_lock", "_stamps")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()
        self._stamps = StampPool()

    # ------------------------------------------------------------------ build
    def build(self, x: Any, ids: Any = None) -> GraphIndex:
        """Replace the contents by the vectors ``x`` (n, dim): a fresh two-pass build. Returns self."""
        xv = as_float_matrix(x, "x", self.dim)
        with self._lock:
            empty = GraphRows.empty(self.metric, self.dim, self.degree)
            new_ids = empty.new_ids(ids, xv.shape[0])
            self._state = self._insert(empty, xv, new_ids)
        return self

    def add(self, x: Any, ids: Any = None) -> np.ndarray:
        """Insert vectors ``x`` (n, dim) with ``ids`` (n,) (default: ``next_id, next_id + 1, ...``); returns the ids.

        Into an empty index this is the two-pass build; otherwise one ``alpha``
        pass over the new rows (FreshDiskANN insertion).
        """
        xv = as_float_matrix(x, "x", self.dim)
        with self._lock:
            st = self._state
            new_ids = st.new_ids(ids, xv.shape[0])
            if xv.shape[0]:
                self._state = self._insert(st, xv, new_ids)
        return new_ids

    def _insert(self, st: GraphRows, x: np.ndarray, ids: np.ndarray) -> GraphRows:
        return _insert_rows(st, x, ids, codes=self.codes, build_beam=self.build_beam, alpha=self.alpha, seed=self.seed)

    # ------------------------------------------------------------------ remove
    def remove(self, ids: Any) -> int:
        """Tombstone the vectors of ``ids`` (never returned again; still traversed until ``consolidate``).

        Unknown or already removed ids raise ValueError. Returns how many were removed.
        """
        arr = np.asarray(to_numpy(ids) if is_torch(ids) else ids).reshape(-1)
        if arr.size == 0:
            return 0
        if arr.dtype.kind not in "iu":
            raise TypeError(f"`ids` must be integers; got dtype {arr.dtype}")
        if arr.dtype.kind == "u" and arr.size and arr.max() > np.iinfo(np.int64).max:
            raise ValueError(f"`ids` not in the index: {[int(arr.max())]}")
        with self._lock:
            st = self._state
            rows = st.lookup(np.unique(arr.astype(np.int64)))
            deleted = st.deleted.copy()
            deleted[rows] = True
            self._state = st.with_deleted(deleted)
        return int(rows.shape[0])

    def consolidate(self) -> int:
        """Repair the graph around the removed rows and drop them; returns how many rows were dropped.

        Every live row with a removed neighbour gets RobustPrune of its live
        neighbours and of the live neighbours of its removed ones (FreshDiskANN);
        a removed entry point is replaced by the medoid of the rows left.
        """
        with self._lock:
            st = self._state
            if not st.n_deleted:
                return 0
            self._state = _consolidate_rows(st, self.alpha)
        return st.n_deleted

    # ------------------------------------------------------------------ search
    def search(self, q: Any, k: int, *, beam: int | None = None, filter: Any = None) -> tuple[Any, Any]:
        """k nearest stored vectors of each query: ``(distances, ids)``, float32 and int64 ``(nq, k)``.

        Parameters
        ----------
        q : numpy.ndarray or torch.Tensor
            ``(nq, dim)`` queries, or one ``(dim,)`` query (then the results are ``(k,)``).
        k : int
            Neighbours per query, >= 1; results past the stored vectors are ``(inf, -1)``.
        beam : int, optional
            Candidate list size, >= k (default ``self.beam``, else ``max(2 k, 64)``); larger is slower and
            more accurate. The beam's candidates are re-ranked exactly.
        filter : numpy.ndarray, list or torch.Tensor, optional
            A boolean mask indexed by id (length ``next_id``) or an array of allowed ids
            (``hdvec.index.filters``). Applied inside the traversal (disallowed rows are
            traversed, never returned), so k results come back whenever k allowed
            vectors are reachable; a mask allowing few rows is answered by an exact scan.

        Returns
        -------
        distances, ids
            float32 and int64 ``(nq, k)``, ascending (lower is better), ``(inf, -1)`` padded.

        Shapes
        ------
        ``(nq, dim) -> (nq, k), (nq, k)``; ``(dim,) -> (k,), (k,)``
        """
        qv = as_float_matrix(q, "q", self.dim)
        single = getattr(q, "ndim", 2) == 1
        k_out = check_k(k)
        st = self._state  # one snapshot for the whole search
        nq = qv.shape[0]
        kk = work_k(k_out, nq, len(st))
        if beam is None:
            beam = self.beam if self.beam is not None else max(2 * kk, 64)
        beam = _check_int(beam, "beam", 1)
        if beam < kk:
            raise ValueError(f"`beam` must be >= k (the candidate list holds the results); got beam={beam}, k={kk}")
        mask = None
        if filter is not None:
            mask = filter_rows(filter, st.ids, {}, st.next_id)
            if st.n_deleted:
                mask = mask & ~st.deleted
        elif st.n_deleted:
            mask = ~st.deleted
        n_ok = len(st) if mask is None else int(mask.sum())
        kk = min(kk, n_ok)
        if kk == 0 or nq == 0:
            return shape_results(*empty_results(nq, k_out), single, q)
        qx = unit(qv) if self.metric == "cosine" else qv
        n = st.n_rows
        beam = min(n, beam if mask is None else max(beam, math.ceil(beam * n / n_ok)))
        if mask is not None and (n_ok < EXACT_FILTER_ROWS or n_ok < EXACT_FILTER_FRACTION * n or n_ok <= beam):
            d, rows = self._scan(st, qx, kk, np.flatnonzero(mask))
        else:
            d, rows = self._graph_search(st, qx, kk, beam, _NO_MASK if mask is None else mask)
        ids = np.where(rows >= 0, st.ids[np.maximum(rows, 0)], -1)
        if self.metric == "cosine":
            d = np.where(rows >= 0, d + np.float32(1.0), np.inf).astype(np.float32)
        return shape_results(*pad_results(d, ids, k_out), single, q)

    def _graph_search(self, st: GraphRows, qx: np.ndarray, kk: int, beam: int, allowed: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
        """Beam search; queries that kept fewer than kk candidates retry with a doubled beam, then scan exactly."""
        d, rows, found = self._run(st, qx, kk, beam, allowed)
        for attempt in range(RETRIES + 1):
            short = np.flatnonzero(found < kk)
            if not short.shape[0]:
                break
            if attempt == RETRIES or beam >= st.n_rows:
                rows_ok = np.flatnonzero(allowed) if allowed.shape[0] else np.arange(st.n_rows)
                d[short], rows[short] = self._scan(st, qx[short], kk, rows_ok)
                break
            beam = min(st.n_rows, 2 * beam)
            d[short], rows[short], found[short] = self._run(st, qx[short], kk, beam, allowed)
        return d, rows

    def _run(self, st: GraphRows, qx: np.ndarray, kk: int, beam: int, allowed: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One parallel beam-search kernel call: (distances, rows, candidates found) for every query."""
        nq = qx.shape[0]
        ip = self.metric != "l2"
        if self.codes == "lvq8":
            qs = qx if ip else np.ascontiguousarray(qx - st.mean, np.float32)
            codes, lo, delta = st.lvq["codes"], st.lvq["lo"], st.lvq["delta"]
        else:
            qs, codes, lo, delta = qx, None, None, None
        nc = max(1, min(num_threads(), nq))
        pair = self._stamps.take(nc, st.n_rows)
        d, rows = np.empty((nq, kk), np.float32), np.empty((nq, kk), np.int64)
        found = np.empty(nq, np.int64)
        try:
            K.search_graph(qs, qx, st.vectors, st.aug, codes, lo, delta, st.bias, st.graph, st.entry, beam, allowed,
                           ip, ip or codes is not None, nc, pair[0], pair[1], d, rows, found)
        finally:
            self._stamps.give(pair)
        return d, rows, found

    def _scan(self, st: GraphRows, qx: np.ndarray, kk: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exact top-kk over the given rows (the same float32 distances as the re-rank)."""
        nq = qx.shape[0]
        d, out = np.empty((nq, kk), np.float32), np.empty((nq, kk), np.int64)
        nc = max(1, min(num_threads(), nq))
        K.scan_rows(qx, rows.astype(np.int64), st.vectors, self.metric != "l2", nc, d, out)
        return d, out

    # ------------------------------------------------------------------ files
    def save(self, path: str | os.PathLike) -> None:
        """Write the index atomically to one self-describing, checksummed file (no pickle)."""
        write(self, self._state, path)

    @classmethod
    def load(cls, path: str | os.PathLike, *, mmap: bool = False) -> GraphIndex:
        """Read an index written by ``save``; ``mmap=True`` maps the arrays read-only.

        Checksums first, then the structure (``hdvec.index.graph_file``): a file
        describing an impossible index raises ``FormatError`` naming the file and
        the field, before any kernel reads it.
        """
        h, arrays = read(path, mmap=mmap)  # checked: every array a kernel reads is in bounds
        idx = cls(h["dim"], metric=h["metric"], degree=h["degree"], build_beam=h["build_beam"], alpha=h["alpha"],
                  codes=h["codes"], seed=h["seed"])
        idx.beam = h["beam"]
        lvq = {key: arrays[f"lvq_{key}"] for key in LVQ_KEYS} if h["codes"] == "lvq8" else None
        idx._state = GraphRows(h["metric"], arrays["graph"], arrays["vectors"], lvq, arrays.get("mean"),
                               arrays["ids"], np.array(arrays["deleted"], bool), h["entry"], h["next_id"])
        return idx
