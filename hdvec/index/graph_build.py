"""The rows of a ``GraphIndex`` and the Python side of building and repairing its graph.

``GraphRows`` is one immutable snapshot of the index: the neighbour lists
(int32 (n, degree), -1 padded), the float32 vectors (normalised for cosine),
the LVQ8 codes of ``vectors - mean``, ids, tombstones and the entry point.
Writers make a new snapshot and swap it in; a search keeps the one it began
with. ``_insert_rows`` and ``_consolidate_rows`` drive the kernels of
``_graph_build_kernels``; every random choice comes from the index's seed.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import numpy as np

from .._backend import is_torch, to_numpy
from . import _graph_build_kernels as B
from ._kernels import num_threads
from .codes import lvq_encode

LVQ_KEYS = ("codes", "lo", "delta", "sqnorm")
BATCH_FRACTION = 0.02  # the build's largest batch, as a fraction of the rows (ParlayANN's prefix doubling)
POOL_FACTOR = 2  # the build's searches stop after POOL_FACTOR * build_beam expansions


class GraphRows:
    """The rows of a GraphIndex at one moment. Writers build a new one and swap it in; searches hold one."""

    __slots__ = ("_sorted_ids", "_sorted_rows", "aug", "bias", "deleted", "entry", "graph", "ids", "lvq", "mean",
                 "metric", "n_deleted", "next_id", "vectors")

    def __init__(self, metric: str, graph: np.ndarray, vectors: np.ndarray, lvq: dict[str, np.ndarray] | None,
                 mean: np.ndarray | None, ids: np.ndarray, deleted: np.ndarray, entry: int, next_id: int,
                 aug: np.ndarray | None = None):
        self.metric, self.graph, self.vectors, self.lvq, self.mean = metric, graph, vectors, lvq, mean
        self.ids, self.deleted, self.entry, self.next_id = ids, deleted, int(entry), int(next_id)
        self.n_deleted = int(deleted.sum())
        self.aug = aug_column(vectors, metric) if aug is None else aug  # (n,) float32, see aug_column
        # (n,) float32 LVQ bias: the reconstructions' squared norms for L2, 0 for inner products
        self.bias = None if lvq is None else lvq["sqnorm"] if metric == "l2" else np.zeros(len(ids), np.float32)
        live = np.flatnonzero(~deleted)
        order = np.argsort(ids[live], kind="stable")
        self._sorted_ids, self._sorted_rows = ids[live][order], live[order]

    @classmethod
    def empty(cls, metric: str, dim: int, degree: int) -> GraphRows:
        return cls(metric, np.empty((0, degree), np.int32), np.empty((0, dim), np.float32), None, None,
                   np.empty(0, np.int64), np.empty(0, bool), -1, 0)

    def with_deleted(self, deleted: np.ndarray) -> GraphRows:
        return GraphRows(self.metric, self.graph, self.vectors, self.lvq, self.mean, self.ids, deleted, self.entry,
                         self.next_id, self.aug)

    @property
    def n_rows(self) -> int:
        return int(self.ids.shape[0])

    def __len__(self) -> int:
        return self.n_rows - self.n_deleted

    def lookup(self, ids: np.ndarray) -> np.ndarray:
        """Rows of the live ``ids`` (int64); ValueError naming the ids that are not in the index."""
        rows = np.full(ids.shape[0], -1, np.int64)
        if self._sorted_ids.shape[0]:
            pos = np.minimum(np.searchsorted(self._sorted_ids, ids), self._sorted_ids.shape[0] - 1)
            rows = np.where(self._sorted_ids[pos] == ids, self._sorted_rows[pos], -1)
        if np.any(rows < 0):
            raise ValueError(f"`ids` not in the index: {ids[rows < 0][:5].tolist()}")
        return rows

    def new_ids(self, ids: Any, n: int) -> np.ndarray:
        """Ids for ``n`` new rows: ``next_id, next_id + 1, ...`` for None, else checked (ints >= 0, unique, new)."""
        if ids is None:
            return np.arange(self.next_id, self.next_id + n, dtype=np.int64)
        arr = np.asarray(to_numpy(ids) if is_torch(ids) else ids)
        if arr.dtype.kind not in "iu" or arr.shape != (n,):
            raise ValueError(f"`ids` must be ({n},) integers, one per vector; got shape {arr.shape}, dtype {arr.dtype}")
        if n and arr.dtype.kind == "u" and arr.max() > np.iinfo(np.int64).max:
            raise ValueError(f"`ids` must be < 2**63 (ids are int64); got {int(arr.max())}")
        new = arr.astype(np.int64)
        if n and new.min() < 0:
            raise ValueError(f"`ids` must be >= 0; got {new.min()}")
        if np.unique(new).shape[0] != n:
            raise ValueError("`ids` must be unique; got duplicates within the call")
        clash = np.isin(new, self.ids)
        if clash.any():
            raise ValueError(f"`ids` must be new; id {new[clash][0]} is already in the index (a removed id is "
                             f"free again after consolidate())")
        return new


class StampPool:
    """Visited-stamp arrays (chunks, rows) uint32 and their epochs, reused by later searches (one per search)."""

    def __init__(self) -> None:
        self._free: list[tuple[np.ndarray, np.ndarray]] = []
        self._lock = threading.Lock()

    def take(self, nc: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            for j, (stamps, _) in enumerate(self._free):
                if stamps.shape[0] >= nc and stamps.shape[1] >= n:
                    return self._free.pop(j)
        return np.zeros((nc, n), np.uint32), np.zeros(nc, np.uint32)

    def give(self, pair: tuple[np.ndarray, np.ndarray]) -> None:
        with self._lock:
            self._free.append(pair)
            del self._free[:-4]


def unit(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit norm (zero rows stay zero), float32 (n, d)."""
    norms = np.sqrt(np.einsum("ij,ij->i", x, x, dtype=np.float64))
    inv = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return np.ascontiguousarray(x * inv[:, None], np.float32)


def aug_column(vectors: np.ndarray, metric: str) -> np.ndarray:
    """(n,) float32 extra coordinate of the flat geometry: ``sqrt(M^2 - |x|^2)`` (M the largest norm) for "ip"
    and "cosine" (where L2 to ``[q, 0]`` ranks by ``-<q, x>``, and a zero vector sits at cosine 0), else 0."""
    if metric == "l2" or not vectors.shape[0]:
        return np.zeros(vectors.shape[0], np.float32)
    sq = np.einsum("ij,ij->i", vectors, vectors, dtype=np.float64)
    return np.sqrt(np.maximum(sq.max() - sq, 0.0)).astype(np.float32)


def medoid(vectors: np.ndarray, aug: np.ndarray, rows: np.ndarray) -> int:
    """The row among ``rows`` closest to their centroid in the build geometry (ties: the lower row).

    Two passes of 65,536 rows at a time: no copy of the vectors.
    """
    step = 65536
    c = np.zeros(vectors.shape[1], np.float64)
    for a in range(0, rows.shape[0], step):
        c += vectors[rows[a : a + step]].sum(axis=0, dtype=np.float64)
    c /= rows.shape[0]
    ca = aug[rows].mean(dtype=np.float64)
    best, best_d = -1, np.inf
    for a in range(0, rows.shape[0], step):
        r = rows[a : a + step]
        d = ((vectors[r] - c) ** 2).sum(axis=1) + (aug[r] - ca) ** 2
        j = int(np.argmin(d))
        if d[j] < best_d:
            best, best_d = int(r[j]), float(d[j])
    return best


def batches(m: int, in_graph: int, n: int) -> np.ndarray:
    """Batch bounds (int64) for inserting ``m`` rows into a graph of ``in_graph`` rows, ``n`` rows in all.

    Each batch is at most as large as the graph it is inserted into (prefix
    doubling) and at most ``BATCH_FRACTION * n`` rows.
    """
    cap = max(1, math.ceil(BATCH_FRACTION * n))
    bounds, done = [0], 0
    while done < m:
        done += min(max(in_graph + done, 1), cap, m - done)
        bounds.append(done)
    return np.asarray(bounds, np.int64)


def _insert_rows(st: GraphRows, x: np.ndarray, ids: np.ndarray, *, codes: str, build_beam: int, alpha: float,
                seed: int) -> GraphRows:
    """``st`` with the rows ``x`` (m, dim) float32 (ids (m,) int64) inserted into a copy of its graph.

    Into an empty graph: the two-pass Vamana build (``alpha = 1``, then
    ``alpha``); otherwise one ``alpha`` pass over the new rows. The insertion
    orders come from ``seed`` and the number of rows already stored.
    """
    if st.metric == "cosine":
        x = unit(x)
    n0, m = st.n_rows, x.shape[0]
    n = n0 + m
    vectors = np.ascontiguousarray(np.concatenate([st.vectors, x]), np.float32)
    mean, lvq = st.mean, None
    if codes == "lvq8":
        if mean is None:
            mean = x.mean(axis=0, dtype=np.float64).astype(np.float32)
        enc = lvq_encode(x - mean, 8)
        lvq = {key: np.ascontiguousarray(np.concatenate([st.lvq[key], enc[key]]) if st.lvq else enc[key])
               for key in LVQ_KEYS}
    graph = np.concatenate([st.graph, np.full((m, st.graph.shape[1]), -1, np.int32)])
    aug = aug_column(vectors, st.metric)
    entry = st.entry if n0 else medoid(vectors, aug, np.arange(n))
    rng = np.random.default_rng(np.random.SeedSequence([seed, n0]))
    nc = num_threads()
    stamps, epochs = np.zeros((nc, n), np.uint32), np.zeros(nc, np.uint32)
    beam = min(build_beam, n)  # a longer list than the rows would only cost memory
    for first, a in enumerate((1.0, alpha) if n0 == 0 else (alpha,)):
        order = n0 + rng.permutation(m).astype(np.int64)
        bounds = batches(m, n0 if first == 0 else n, n)
        B.build_pass(vectors, aug, graph, order, bounds, entry, beam, a, POOL_FACTOR * beam, nc, stamps, epochs)
    ids = np.concatenate([st.ids, ids])
    deleted = np.concatenate([st.deleted, np.zeros(m, bool)])
    return GraphRows(st.metric, graph, vectors, lvq, mean, ids, deleted, entry, max(st.next_id, int(ids.max()) + 1),
                     aug)


def _consolidate_rows(st: GraphRows, alpha: float) -> GraphRows:
    """``st`` without its deleted rows, the graph repaired around them (``_graph_build_kernels.repair``).

    Rows are renumbered in order; a deleted entry point is replaced by the medoid of the rows left.
    """
    keep = ~st.deleted
    graph = np.array(st.graph, np.int32)  # a writable copy: searches may still read the old one
    B.repair(graph, st.deleted, st.vectors, st.aug, alpha, num_threads())
    new_row = np.cumsum(keep) - 1
    g = graph[keep]
    g = np.where(g >= 0, np.where(keep[np.maximum(g, 0)], new_row[np.maximum(g, 0)], -1), -1)
    g = np.take_along_axis(g, np.argsort(g < 0, axis=1, kind="stable"), axis=1)  # -1 to the end of each row
    vectors = np.ascontiguousarray(st.vectors[keep])
    lvq = {key: np.ascontiguousarray(v[keep]) for key, v in st.lvq.items()} if st.lvq else None
    rows = np.arange(vectors.shape[0])
    if not rows.shape[0]:
        entry = -1
    elif keep[st.entry]:
        entry = int(new_row[st.entry])
    else:
        entry = medoid(vectors, aug_column(vectors, st.metric), rows)
    return GraphRows(st.metric, np.ascontiguousarray(g, np.int32), vectors, lvq, st.mean, st.ids[keep],
                     np.zeros(rows.shape[0], bool), entry, st.next_id)
