"""``Index``: projection -> coarse partition -> low-bit codes scanned in Numba -> exact re-rank.

Orchestration only: the stages live in ``projection``, ``partition``,
``codes`` and the kernel modules; this module validates input, keeps the
arrays (stored grouped by IVF list, so each list is one contiguous slice)
and maps rows to the user's ids.
"""

from __future__ import annotations

import logging
import math
import os
import time
from typing import Any

import numpy as np

from .._backend import is_torch, to_device
from .._io import FormatError, read_arrays, write_arrays
from .._progress import progress_bar
from .._validation import Seed, as_rng, check_dim, check_k, seed_entropy
from . import _list_kernels as L
from . import codes as C
from ._kernels import serial
from .exact import (
    as_float_matrix,
    as_words,
    check_metric,
    dense_topk,
    knn_hamming,
)
from .filters import check_attributes, filter_rows
from .partition import coarse_tables, nearest_lists, train_centroids
from .projection import fit_pca, project, random_rotation
from .spec import IndexSpec, parse_spec

FORMAT = "hdvec.Index"
log = logging.getLogger(__name__)


CALIBRATION_QUERIES = 200  # sample of added vectors used to pick nprobe for an automatic spec
CALIBRATION_RECALL = 0.95
SERIAL_WORK = 2e6  # searches touching fewer bytes than this run on one thread (see _kernels.serial)
EXACT_FILTER_ROWS = 20_000  # a filter allowing at most this many rows is answered by an exact scan of them
_CHUNK = 65536  # rows encoded per step in add


def default_spec(n: int, dim: int, metric: str) -> IndexSpec:
    """The pipeline picked when no spec is given, from the training size and metric."""
    if metric == "hamming":
        return IndexSpec("flat") if n <= 2_000_000 else IndexSpec("flat", nlist=_nlist(n))
    if n < 20_000:
        return IndexSpec("flat")
    # measured (docs/benchmarks.md): LVQ8 alone keeps recall@10 near 0.99 at about SQ8's size and was the
    # fastest pipeline at recall >= 0.95 on the 128-d and the 784-d sets
    return IndexSpec("lvq8", nlist=_nlist(n))


def _nlist(n: int) -> int:
    """About 2 sqrt(n) lists, a power of two."""
    return int(2 ** round(math.log2(max(2.0 * math.sqrt(n), 16))))


class Index:
    """Nearest-neighbour index over dense vectors or packed binary hypervectors.

    Parameters
    ----------
    dim : int
        Vector dimension (bits for ``metric="hamming"``).
    metric : "l2", "ip", "cosine" or "hamming"
        Distances returned are lower-is-better: squared L2, ``-<q, x>``,
        ``1 - cos`` or the Hamming count.
    spec : str, IndexSpec or None
        Pipeline, e.g. ``"PCA64,IVF1024,LVQ8,Rerank"`` (see ``hdvec.index.spec``).
        None picks one from the size of the first ``train``/``add``.
    nprobe : int or None
        IVF lists scanned per query. Default: when ``spec`` is None, the
        smallest nprobe reaching recall@10 >= 0.95 on 200 of the first added
        vectors (measured once, seeded); otherwise ``nlist // 16``, at least 1.
    seed : int, numpy.random.Generator or None

    Notes
    -----
    Use ``train(x)`` (needed for PCA, IVF and codes), ``add(x, ids=None,
    attributes=None)``, ``search(q, k, nprobe=None, filter=None)``,
    ``remove(ids)``, ``save(path)`` and ``Index.load(path, mmap=False)``.
    Searches are safe from several threads at once.
    """

    def __init__(self, dim: int, *, metric: str = "l2", spec: str | IndexSpec | None = None,
                 nprobe: int | None = None, seed: Seed = None):
        self.dim = check_dim(dim)
        self.metric = check_metric(metric)
        self.spec = None if spec is None else parse_spec(spec)
        if self.spec is not None:
            self._check_spec(self.spec)
        self.nprobe = nprobe
        self.seed = seed_entropy(seed)
        self.trained = False
        self._mean: np.ndarray | None = None
        self._matrix: np.ndarray | None = None  # (dim, work_dim) projection, or None
        self._centroids: np.ndarray | None = None
        self._rotation: np.ndarray | None = None  # RaBitQ
        self._data: dict[str, np.ndarray] = {}  # per-row arrays, grouped by list
        self._ids = np.empty(0, np.int64)
        self._offsets = np.zeros(2, np.int64)  # rows of list l: _offsets[l]:_offsets[l+1]
        self._deleted = np.empty(0, bool)
        self._n_deleted = 0
        self._attrs: dict[str, np.ndarray] = {}
        self._sorted_ids = np.empty(0, np.int64)  # for id -> row lookups
        self._sorted_rows = np.empty(0, np.int64)
        self._next_id = 0
        self._device_cache: dict[str, Any] = {}  # per-row arrays as torch tensors, by device
        self._coarse_cache: tuple | None = None
        self._calibrate = False

    # ------------------------------------------------------------------ info
    def _check_spec(self, spec: IndexSpec) -> None:
        if self.metric == "hamming" and (spec.codes != "flat" or spec.reduction or spec.rerank):
            raise ValueError(f"`spec` for metric='hamming' may only be 'Flat' or 'IVF<n>,Flat'; got '{spec}'")
        if spec.reduction == "pca" and spec.reduced_dim > self.dim:
            raise ValueError(f"`spec` PCA{spec.reduced_dim} exceeds dim={self.dim}")

    @property
    def _coarse(self) -> tuple | None:
        """``coarse_tables`` of the dense centroids (cached)."""
        if self._centroids is None or self.metric == "hamming":
            return None
        if self._coarse_cache is None or self._coarse_cache[0] is not self._centroids:  # retrained / loaded
            self._coarse_cache = (self._centroids, coarse_tables(self._centroids))
        return self._coarse_cache[1]

    @property
    def nlist(self) -> int:
        return self.spec.nlist if self.spec is not None and self.spec.nlist else 1

    @property
    def nprobe(self) -> int:
        if self._nprobe is not None:
            return min(self._nprobe, self.nlist)
        return max(1, self.nlist // 16)

    @nprobe.setter
    def nprobe(self, value: int | None) -> None:
        if value is not None:
            value = check_dim(value, "nprobe")
        self._nprobe = value

    def row_lists(self) -> np.ndarray:
        """IVF list of every stored row (n,) int64, from the list offsets (not stored)."""
        return np.repeat(np.arange(self._offsets.shape[0] - 1, dtype=np.int64), np.diff(self._offsets))

    def __len__(self) -> int:
        return self._ids.shape[0] - self._n_deleted

    @property
    def ids(self) -> np.ndarray:
        """Ids of the stored vectors, (len(self),) int64, in storage order."""
        return self._ids[~self._deleted] if self._n_deleted else self._ids.copy()

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays held (codes, full vectors, ids, attributes, centroids, projection)."""
        arrays = [*self._data.values(), self._ids, self._offsets, self._deleted, *self._attrs.values()]
        arrays += [a for a in (self._mean, self._matrix, self._centroids, self._rotation) if a is not None]
        return int(sum(a.nbytes for a in arrays))

    def __repr__(self) -> str:
        spec = "auto" if self.spec is None else str(self.spec)
        return (f"Index(dim={self.dim}, metric={self.metric!r}, spec={spec!r}, n={len(self)}, "
                f"trained={self.trained}, nprobe={self.nprobe if self.spec is not None and self.spec.nlist else None})")

    # ------------------------------------------------------------------ input
    def _vectors(self, x: Any, name: str) -> np.ndarray:
        if self.metric == "hamming":
            return as_words(x, name, self.dim)
        x = as_float_matrix(x, name, self.dim)
        if self.metric == "cosine":
            norms = np.linalg.norm(x, axis=1, keepdims=True)
            x = x / np.where(norms > 0, norms, 1.0)
        return x

    def _work(self, x: np.ndarray, query: bool = False) -> np.ndarray:
        """Vectors in the space of the codes: ``(x - mean) @ matrix`` for stored vectors.

        Queries are centred only for L2; for inner products the stored
        ``x - mean`` gives ``<q, x> - <q, mean>``, and ``_finish`` adds the
        constant back.
        """
        centre = self._mean if (not query or self.metric == "l2") else np.zeros_like(self._mean)
        return project(x, centre, self._matrix)

    def _full_query(self, qv: np.ndarray) -> np.ndarray:
        """Queries against the stored full (centred, unprojected) vectors."""
        return qv - self._mean if self.metric == "l2" else qv

    # ------------------------------------------------------------------ train / add
    def train(self, x: Any) -> Index:
        """Fit the projection, the IVF centroids and the code parameters on ``x`` (n, dim).

        Memory stays bounded for large ``x``: PCA uses at most 100k rows and
        k-means at most 256 rows per centroid (seeded samples).
        """

        x = self._vectors(x, "x")
        if x.shape[0] == 0:
            raise ValueError("`x` must hold at least one training vector; got 0")
        t0 = time.perf_counter()
        if self.spec is None:
            self.spec = default_spec(x.shape[0], self.dim, self.metric)
            self._calibrate = self._nprobe is None  # the first add picks nprobe for recall@10 >= 0.95
        spec = self.spec
        rng = as_rng(self.seed)
        if not self._ids.shape[0]:
            self._offsets = np.zeros(self.nlist + 1, np.int64)
        if self.metric == "hamming":
            if spec.nlist:
                self._centroids = _binary_kmeans(x, spec.nlist, rng)
            self.trained = True
            return self
        self._mean = x.mean(axis=0, dtype=np.float64).astype(np.float32)
        centred = x - self._mean
        if spec.reduction == "pca":
            self._matrix = fit_pca(centred, spec.reduced_dim, rng)
        elif spec.reduction == "rotation":
            self._matrix = random_rotation(self.dim, rng)
        work = project(x, self._mean, self._matrix)
        if spec.nlist:
            self._centroids = train_centroids(work, spec.nlist, rng)
        if spec.codes == "rabitq":
            self._rotation = C.rabitq_rotation(work.shape[1], rng)
        self.trained = True
        log.info("Index.train: %s on %d vectors in %.2f s", spec, x.shape[0], time.perf_counter() - t0)
        return self

    def add(self, x: Any, ids: Any = None, attributes: Any = None, *, progress: bool | None = None) -> np.ndarray:
        """Add vectors (n, dim) (uint64 words for hamming); returns their ids (n,) int64.

        Vectors are encoded in chunks of 65,536 rows (bounded scratch memory).
        ``progress``: a tqdm bar (None: past one chunk, on a terminal; False: never).

        ``ids`` default to consecutive integers after the largest so far;
        ``attributes`` is a dict of (n,) numeric arrays (or a structured array)
        that filters can test.
        """
        x = self._vectors(x, "x")
        n = x.shape[0]
        if not self.trained and self.spec is not None and self.spec.needs_training:
            raise ValueError(f"this index ('{self.spec}') must be trained first: call train(x)")
        new_ids = self._check_new_ids(ids, n)
        attrs = check_attributes(attributes, n, self._attrs if len(self._ids) else None)
        if not self.trained:
            spec = self.spec or default_spec(n, self.dim, self.metric)
            if spec.needs_training:  # the automatic pipeline trains on the first add
                self._calibrate = self.spec is None and self._nprobe is None
                self.spec = spec
                self.train(x)
            else:
                self.spec, self.trained = spec, True
                if self.metric != "hamming":
                    self._mean = np.zeros(self.dim, np.float32)
        parts = []
        t0 = time.perf_counter()
        bar = progress_bar(n, "Index.add", "vec", progress, _CHUNK + 1)
        for a in range(0, n, _CHUNK):  # bounded memory: one chunk of working vectors at a time
            parts.append(self._encode(x[a : a + _CHUNK]))
            if bar is not None:
                bar.update(min(n, a + _CHUNK) - a)
        if bar is not None:
            bar.close()
        new = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]} if parts else {}
        self._append(new, new_ids, attrs)
        if self._calibrate and self.spec.nlist and self._nprobe is None:
            self._calibrate = False
            self._nprobe = self._calibrated_nprobe(x, new_ids)
        log.info("Index.add: %d vectors (%s) in %.2f s; %d stored", n, self.spec, time.perf_counter() - t0, len(self))
        return new_ids

    def _calibrated_nprobe(self, x: np.ndarray, ids: np.ndarray) -> int:
        """Smallest nprobe whose recall@10 reaches CALIBRATION_RECALL on a seeded sample of the added rows.

        Used once, when ``Index()`` picked its own spec: the sample rows are
        searched against exact neighbours among everything added (at most
        ~2e10 multiply-adds of exact search).
        """
        n = x.shape[0]
        k = min(10, n - 1)
        m = int(min(CALIBRATION_QUERIES, n, max(20, 2e10 / max(n * self.dim, 1))))
        if k < 1:
            return max(1, self.nlist // 16)
        rng = np.random.default_rng([self.seed, 0x4E50524F])  # "NPRO": independent of the training draws
        q = x[np.sort(rng.choice(n, m, replace=False))]
        if self.metric == "hamming":
            truth = knn_hamming(q, x, k + 1)[1]
        else:
            truth = dense_topk(q, x, k + 1, "l2" if self.metric == "l2" else "ip")[1]
        want = ids[truth]
        nprobe = self.nlist
        for p in sorted({p for p in (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256) if p < self.nlist}):
            got = self.search(q, k + 1, nprobe=p)[1]
            recall = np.mean([np.isin(g, w).mean() for g, w in zip(got, want)])
            if recall >= CALIBRATION_RECALL:
                nprobe = p
                break
        log.info("Index: nprobe=%d (recall@%d %s %.2f on %d added vectors)", nprobe, k + 1,
                 ">=" if nprobe < self.nlist else "<", CALIBRATION_RECALL, m)
        return nprobe

    def _encode(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Per-row arrays of a chunk: '_list' plus the code arrays (and full vectors if kept)."""

        spec = self.spec
        out: dict[str, np.ndarray] = {}
        if self.metric == "hamming":
            out["words"] = x
            out["_list"] = self._lists(x)
            return out
        work = self._work(x)
        out["_list"] = self._lists(x, work)
        if spec.codes == "flat":
            out["vectors"] = work
            out["sqnorm"] = np.einsum("ij,ij->i", work, work, dtype=np.float64).astype(np.float32)
        elif spec.codes.startswith("lvq"):
            bits = 8 if spec.codes == "lvq8" else 4
            for key, arr in C.lvq_encode(work, bits, 8 if spec.codes == "lvq4x8" else None).items():
                out["lvq_" + key] = arr
        else:
            for key, arr in C.rabitq_encode(work, self._rotation).items():  # words, norm, ip, popcount
                out["rq_" + key] = arr
        if spec.rerank and spec.codes != "flat":
            out["full"] = x - self._mean  # centred original vectors for the exact re-rank
        return out

    def _add_assigned(self, x: np.ndarray, ids: np.ndarray, lists: np.ndarray) -> None:
        """Add full vectors (or words) whose IVF lists are already known: imports (``from_faiss``)."""
        self.trained = True
        if not self._ids.shape[0]:
            self._offsets = np.zeros(self.nlist + 1, np.int64)
        new = {"_list": lists}
        if self.metric == "hamming":
            new["words"] = x
        else:
            work = self._work(x)
            new["vectors"] = work
            new["sqnorm"] = np.einsum("ij,ij->i", work, work, dtype=np.float64).astype(np.float32)
        self._append(new, self._check_new_ids(ids, x.shape[0]), {})

    def assign(self, x: Any) -> np.ndarray:
        """IVF list of each row of ``x`` (n, dim) as ``add`` would store it: (n,) int64 (zeros without IVF)."""
        if not self.trained:
            raise ValueError("the index is untrained: call train(x) before assign")
        return self._lists(self._vectors(x, "x"))

    def _lists(self, x: np.ndarray, work: np.ndarray | None = None) -> np.ndarray:
        """Nearest IVF list of each validated row (``work``: its projected form, when already computed)."""
        if not self.spec.nlist:
            return np.zeros(x.shape[0], np.int64)
        if self.metric == "hamming":
            return knn_hamming(x, self._centroids, 1)[1][:, 0]
        return nearest_lists(self._work(x) if work is None else work, self._centroids, 1, self._coarse)[:, 0]

    def probes(self, q: Any, nprobe: int | None = None) -> np.ndarray:
        """The IVF lists ``search`` scans for each query: (nq, nprobe) int64, nearest first."""
        if not self.trained:
            raise ValueError("the index is untrained: call train(x) before probes")
        qv = self._vectors(q, "q")
        nprobe = self.nprobe if nprobe is None else min(check_dim(nprobe, "nprobe"), self.nlist)
        return self._probes(qv if self.metric == "hamming" else self._work(qv, query=True), nprobe)

    def __getstate__(self) -> dict:
        """Pickling (e.g. Dask moving a shard between workers) drops the per-device caches."""
        state = self.__dict__.copy()
        state["_device_cache"] = {}
        state["_coarse_cache"] = None
        return state

    # ------------------------------------------------------------------ Faiss
    def to_faiss(self) -> Any:
        """The same vectors, ids and lists as a Faiss index (see ``hdvec.index.faiss_interop``)."""
        from .faiss_interop import to_faiss

        return to_faiss(self)

    @classmethod
    def from_faiss(cls, faiss_index: Any, *, seed: Seed = None) -> Index:
        """An Index holding a Faiss flat / IVF-Flat / binary index's vectors, ids and lists."""
        from .faiss_interop import from_faiss

        return from_faiss(faiss_index, seed=seed)

    def _check_new_ids(self, ids: Any, n: int) -> np.ndarray:
        if ids is None:
            new = np.arange(self._next_id, self._next_id + n, dtype=np.int64)
        else:
            arr = np.asarray(ids)
            if arr.dtype.kind not in "iu" or arr.shape != (n,):
                raise ValueError(f"`ids` must be ({n},) integers, one per vector; got shape {arr.shape}, "
                                 f"dtype {arr.dtype}")
            new = arr.astype(np.int64)
            if n and new.min() < 0:
                raise ValueError(f"`ids` must be >= 0; got {new.min()}")
            uniq = np.unique(new)
            if uniq.shape[0] != n:
                raise ValueError("`ids` must be unique; got duplicates within the call")
            present = self._lookup(uniq, missing_ok=True) >= 0
            if present.any():
                raise ValueError(f"`ids` must be new; id {uniq[present][0]} is already in the index")
        return new

    def _append(self, new: dict[str, np.ndarray], ids: np.ndarray, attrs: dict[str, np.ndarray]) -> None:
        """Merge new rows in, keeping rows grouped by list (stable: old rows first within a list)."""
        if ids.shape[0] == 0:
            return
        lists = np.concatenate([self.row_lists(), new.pop("_list")])
        order = np.argsort(lists, kind="stable")

        def merged(old: np.ndarray | None, add: np.ndarray) -> np.ndarray:
            return np.ascontiguousarray((add if old is None else np.concatenate([old, add]))[order])

        self._data = {k: merged(self._data.get(k), v) for k, v in new.items()}
        self._attrs = {k: merged(self._attrs.get(k), v) for k, v in attrs.items()}
        self._next_id = max(self._next_id, int(ids.max()) + 1)
        self._ids = merged(self._ids, ids)
        self._deleted = merged(self._deleted, np.zeros(ids.shape[0], bool))
        self._device_cache = {}
        self._offsets = np.searchsorted(lists[order], np.arange(self.nlist + 1)).astype(np.int64)
        self._reindex()

    def _reindex(self) -> None:
        live = np.flatnonzero(~self._deleted)
        order = np.argsort(self._ids[live], kind="stable")
        self._sorted_ids = self._ids[live][order]
        self._sorted_rows = live[order]

    def _lookup(self, ids: np.ndarray, missing_ok: bool = False) -> np.ndarray:
        """Rows of ``ids`` (-1 when absent, or KeyError-like ValueError)."""
        if self._sorted_ids.shape[0] == 0:
            rows = np.full(ids.shape[0], -1, np.int64)
        else:
            pos = np.minimum(np.searchsorted(self._sorted_ids, ids), self._sorted_ids.shape[0] - 1)
            rows = np.where(self._sorted_ids[pos] == ids, self._sorted_rows[pos], -1)
        if not missing_ok and np.any(rows < 0):
            raise ValueError(f"`ids` not in the index: {ids[rows < 0][:5].tolist()}")
        return rows

    def remove(self, ids: Any) -> int:
        """Remove vectors by id; unknown ids raise ValueError. Returns how many were removed."""
        arr = np.asarray(ids).reshape(-1)
        if arr.dtype.kind not in "iu":
            raise ValueError(f"`ids` must be integers; got dtype {arr.dtype}")
        arr = np.unique(arr.astype(np.int64))
        rows = self._lookup(arr)
        self._deleted = self._deleted.copy() if not self._deleted.flags.writeable else self._deleted
        self._deleted[rows] = True
        self._n_deleted += rows.shape[0]
        self._reindex()
        if self._n_deleted > 0.25 * self._ids.shape[0]:
            self.compact()
        return int(rows.shape[0])

    def compact(self) -> None:
        """Drop removed rows from the arrays."""
        if not self._n_deleted:
            return
        keep = ~self._deleted
        self._data = {k: np.ascontiguousarray(v[keep]) for k, v in self._data.items()}
        self._attrs = {k: v[keep] for k, v in self._attrs.items()}
        lists = self.row_lists()[keep]
        self._ids = self._ids[keep]
        self._deleted = np.zeros(self._ids.shape[0], bool)
        self._n_deleted = 0
        self._device_cache = {}
        self._offsets = np.searchsorted(lists, np.arange(self.nlist + 1)).astype(np.int64)
        self._reindex()

    # ------------------------------------------------------------------ search
    def search(self, q: Any, k: int, *, nprobe: int | None = None, filter: Any = None,
               device: Any = None) -> tuple[Any, Any]:
        """k nearest stored vectors of each query: ``(distances, ids)``, float32 and int64 ``(nq, k)``.

        Lower distances are better for every metric; missing results are
        ``inf`` / ``-1``. ``filter`` (see ``hdvec.index.filters``) is applied
        inside the scan, so k results come back whenever k allowed vectors exist.
        """
        if not self.trained:
            raise ValueError("the index is empty and untrained: call train(x) and/or add(x) before search")
        torch_in = is_torch(q)
        qv = self._vectors(q, "q")
        k = check_k(k, len(self))
        if not self._ids.shape[0]:  # trained but empty
            return self._finish(qv, *_empty(qv.shape[0], k), torch_in, device)
        nprobe = self.nprobe if nprobe is None else min(check_dim(nprobe, "nprobe"), self.nlist)
        allowed = np.empty(0, bool)
        if self._n_deleted:
            allowed = ~self._deleted
        if filter is not None:
            fmask = filter_rows(filter, self._ids, self._attrs)
            allowed = fmask & ~self._deleted if self._n_deleted else fmask
            n_ok = int(allowed.sum())
            if n_ok <= EXACT_FILTER_ROWS or n_ok < 0.02 * allowed.shape[0]:
                d, rows = self._search_rows(qv, k, np.flatnonzero(allowed))
                return self._finish(qv, d, rows, torch_in, device)
            nprobe = min(self.nlist, math.ceil(nprobe * allowed.shape[0] / max(n_ok, 1)))
        if device is None and torch_in and q.device.type != "cpu":
            device = q.device  # tensors on an accelerator: search there, answer there
        d, rows = self._search_lists(qv, k, nprobe, allowed, device)
        if filter is not None and nprobe < self.nlist:
            # the probed lists may hold fewer than k allowed rows: scan every list for those queries
            short = np.flatnonzero(rows[:, min(k, n_ok) - 1] < 0)
            if short.shape[0]:
                d[short], rows[short] = self._search_lists(qv[short], k, self.nlist, allowed, device)
        return self._finish(qv, d, rows, torch_in, device)

    def search_preassigned(self, q: Any, k: int, lists: Any) -> tuple[np.ndarray, np.ndarray]:
        """``search`` scanning given IVF lists per query (as Faiss's ``search_preassigned``); no filter.

        ``lists``: (nq, nprobe) int64, e.g. ``probes(q)`` computed elsewhere (a
        ``ShardedIndex`` routes queries with them); -1 entries are skipped.
        """
        if not self.trained:
            raise ValueError("the index is empty and untrained: call train(x) and/or add(x) before search")
        qv = self._vectors(q, "q")
        k = check_k(k, len(self))
        lists = np.ascontiguousarray(lists, dtype=np.int64)
        if lists.ndim != 2 or lists.shape[0] != qv.shape[0] or lists.size and (lists.max() >= self.nlist or
                                                                                 lists.min() < -1):
            raise ValueError(f"`lists` must be ({qv.shape[0]}, nprobe) list numbers in [-1, {self.nlist}); "
                             f"got shape {lists.shape}")
        if not self._ids.shape[0] or not self.spec.nlist:
            return self.search(qv, k)
        allowed = ~self._deleted if self._n_deleted else np.empty(0, bool)
        with serial(self._search_work(qv.shape[0], lists.shape[1]) < SERIAL_WORK):
            d, rows = self._search(qv, k, lists.shape[1], allowed, lists)
        return self._finish(qv, d, rows, False, None)

    def _search_lists(self, qv: np.ndarray, k: int, nprobe: int, allowed: np.ndarray, device: Any
                      ) -> tuple[np.ndarray, np.ndarray]:
        if device is not None:
            return self._search_torch(qv, k, nprobe, allowed, device)
        with serial(self._search_work(qv.shape[0], nprobe) < SERIAL_WORK):
            return self._search(qv, k, nprobe, allowed)

    def _search_work(self, nq: int, nprobe: int) -> float:
        """Rough bytes touched by a search: centroids plus the probed share of the rows."""
        n = self._ids.shape[0]
        row_bytes = sum(v.nbytes for v in self._data.values()) / max(n, 1)
        share = min(1.0, nprobe / self.nlist) if self.spec.nlist else 1.0
        cents = 0 if self._centroids is None else self._centroids.nbytes
        return nq * (cents + share * n * row_bytes)

    def _search_torch(self, qv: np.ndarray, k: int, nprobe: int, allowed: np.ndarray, device: Any
                      ) -> tuple[np.ndarray, np.ndarray]:
        """``_search`` with the scan and re-rank in torch on ``device``."""
        from . import _torch as T

        spec = self.spec
        work = qv if self.metric == "hamming" else self._work(qv, query=True)
        if not len(self._ids):
            return _empty(qv.shape[0], k)
        probes = self._probes(work, nprobe)
        kk = k * spec.rerank if spec.rerank else (4 * k if spec.codes == "lvq4x8" else k)
        d, r = T.scan(self, work, probes, allowed, kk, device)
        if spec.rerank and spec.codes != "flat":
            d, r = T.rerank(self, self._full_query(qv), r, k, False, device)
        elif spec.codes == "lvq4x8":
            d, r = T.rerank(self, work, r, k, True, device)
        else:
            d, r = d[:, :k], r[:, :k]
        return d.cpu().numpy().astype(np.float32), r.cpu().numpy()

    def _finish(self, qv: np.ndarray, d: np.ndarray, rows: np.ndarray, torch_in: bool, device: Any):
        ids = np.where(rows >= 0, self._ids[np.maximum(rows, 0)], -1) if self._ids.shape[0] else np.full_like(rows, -1)
        if self.metric in ("ip", "cosine"):
            d = d - (qv @ self._mean)[:, None]  # codes hold x - mean: add <q, mean> back
            if self.metric == "cosine":
                d = d + 1.0
            d = np.where(rows >= 0, d, np.inf).astype(np.float32)
        if device is not None or torch_in:
            return to_device(d, device or "cpu"), to_device(ids, device or "cpu")
        return d, ids

    def _probes(self, work: np.ndarray, nprobe: int) -> np.ndarray:
        if self.spec.nlist:
            if self.metric == "hamming":
                return knn_hamming(work, self._centroids, nprobe)[1]
            return nearest_lists(work, self._centroids, nprobe, self._coarse)
        return np.zeros((work.shape[0], 1), np.int64)

    def _search(self, qv: np.ndarray, k: int, nprobe: int, allowed: np.ndarray, lists: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
        spec = self.spec
        nq = qv.shape[0]
        if self.metric == "hamming":
            if not spec.nlist and not allowed.shape[0]:
                return knn_hamming(qv, self._data["words"], k) if len(self._ids) else _empty(nq, k)
            probes = self._probes(qv, nprobe) if lists is None else lists
            out_d, out_r = np.empty((nq, k), np.float32), np.empty((nq, k), np.int64)
            L.scan_hamming(qv, probes, self._offsets, self._data["words"], allowed, out_d, out_r)
            return out_d, out_r
        work = self._work(qv, query=True)
        ip = self.metric != "l2"
        if spec.codes == "flat" and not spec.nlist and not allowed.shape[0]:
            if not len(self._ids):
                return _empty(nq, k)
            return dense_topk(work, self._data["vectors"], k, "l2" if not ip else "ip", self._data["sqnorm"])
        probes = self._probes(work, nprobe) if lists is None else lists
        kk = k * spec.rerank if spec.rerank else (4 * k if spec.codes == "lvq4x8" else k)
        out_d, out_r = np.empty((nq, kk), np.float32), np.empty((nq, kk), np.int64)
        data = self._data
        if spec.codes == "flat":
            L.scan_flat(work, probes, self._offsets, data["vectors"], data["sqnorm"], ip, allowed, out_d, out_r)
        elif spec.codes.startswith("lvq"):
            C.scan(work, probes, self._offsets, self._codes("lvq_"), 8 if spec.codes == "lvq8" else 4, ip, allowed,
                   out_d, out_r)
        else:
            C.scan_rabitq_index(work, probes, self._offsets, self._codes("rq_"), self._rotation, ip, allowed,
                                out_d, out_r)
        if spec.rerank and spec.codes != "flat":
            return C.rerank_full(self._full_query(qv), out_r, data["full"], ip, k)
        if spec.codes == "lvq4x8":
            return C.rerank_level2(work, out_r, self._codes("lvq_"), ip, k)
        return out_d[:, :k], out_r[:, :k]

    def _codes(self, prefix: str) -> dict[str, np.ndarray]:
        """The code arrays stored under ``prefix`` ('lvq_' or 'rq_'), with their plain keys."""
        return {key[len(prefix):]: v for key, v in self._data.items() if key.startswith(prefix)}

    def _search_rows(self, qv: np.ndarray, k: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exact answer among ``rows`` only (selective filters)."""
        nq = qv.shape[0]
        if rows.shape[0] == 0:
            return _empty(nq, k)
        if self.metric == "hamming":
            d, r = knn_hamming(qv, self._data["words"][rows], k)
        elif "full" in self._data:
            d, r = dense_topk(self._full_query(qv), self._data["full"][rows], k, "l2" if self.metric == "l2" else "ip")
        else:
            work = self._work(qv, query=True)
            if self.spec.codes == "flat":
                sub = self._data["vectors"][rows]
            elif self.spec.codes.startswith("lvq"):
                sub = C.lvq_decode_rows(self._codes("lvq_"), rows, work.shape[1],
                                        2 if self.spec.codes == "lvq4x8" else 1)
            else:  # RaBitQ keeps no reconstruction: decode |x| * R x_bar / <o_bar, o>
                sub = C.rabitq_decode_rows(self._codes("rq_"), rows, self._rotation, work.shape[1])
            d, r = dense_topk(work, sub, k, "l2" if self.metric == "l2" else "ip")
        return d, np.where(r >= 0, rows[np.maximum(r, 0)], -1)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> None:
        """Write the index atomically to one self-describing file (checksummed, no pickle)."""
        if self._n_deleted:
            self.compact()
        arrays = {f"data.{k}": v for k, v in self._data.items()}
        arrays.update({f"attr.{k}": v for k, v in self._attrs.items()})
        arrays.update(ids=self._ids, offsets=self._offsets)
        for name in ("_mean", "_matrix", "_centroids", "_rotation"):
            if getattr(self, name) is not None:
                arrays[name[1:]] = getattr(self, name)
        meta = {"kind": FORMAT, "dim": self.dim, "metric": self.metric, "spec": None if self.spec is None else
                str(self.spec), "nprobe": self._nprobe, "seed": self.seed, "trained": self.trained,
                "n": int(self._ids.shape[0]), "next_id": self._next_id}
        write_arrays(path, meta, arrays)

    @classmethod
    def load(cls, path: str | os.PathLike, *, mmap: bool = False) -> Index:
        """Read an index written by ``save``; ``mmap=True`` maps the arrays read-only."""
        meta, arrays = read_arrays(path, mmap=mmap)
        if meta.get("kind") != FORMAT:
            raise FormatError(f"'{path}' does not hold an hdvec Index (kind={meta.get('kind')!r})")
        try:
            idx = cls(meta["dim"], metric=meta["metric"], spec=meta["spec"], nprobe=meta["nprobe"], seed=meta["seed"])
            idx.trained = bool(meta["trained"])
            idx._next_id = int(meta["next_id"])
            idx._ids, idx._offsets = arrays.pop("ids"), np.array(arrays.pop("offsets"))
            n = int(meta["n"])
        except (KeyError, TypeError, ValueError) as exc:
            raise FormatError(f"'{path}' is corrupted: bad index header ({exc})") from None
        for name in ("mean", "matrix", "centroids", "rotation"):
            setattr(idx, "_" + name, arrays.pop(name, None))
        idx._data = {k[5:]: v for k, v in arrays.items() if k.startswith("data.")}
        idx._attrs = {k[5:]: v for k, v in arrays.items() if k.startswith("attr.")}
        if idx._ids.shape != (n,) or any(v.shape[0] != n for v in (*idx._data.values(), *idx._attrs.values())):
            raise FormatError(f"'{path}' is corrupted: arrays do not all hold {n} rows")
        idx._deleted = np.zeros(n, bool)
        idx._device_cache = {}
        if idx._offsets.shape != (idx.nlist + 1,) or idx._offsets[-1] != n or np.any(np.diff(idx._offsets) < 0):
            raise FormatError(f"'{path}' is corrupted: bad list offsets")
        idx._reindex()
        return idx


def _empty(nq: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    return np.full((nq, k), np.inf, np.float32), np.full((nq, k), -1, np.int64)


def _binary_kmeans(x: np.ndarray, nlist: int, rng: np.random.Generator, niter: int = 8) -> np.ndarray:
    """Binary k-means: centroids are bitwise majorities of their members (Hamming assignment)."""
    from ..hdc import _kernels as HK

    if nlist > x.shape[0]:
        raise ValueError(f"IVF{nlist} needs at least {nlist} training vectors; got {x.shape[0]}")
    if x.shape[0] > 256 * nlist:
        x = x[np.sort(rng.choice(x.shape[0], 256 * nlist, replace=False))]
    cent = x[rng.choice(x.shape[0], nlist, replace=False)].copy()
    tiebreak = np.zeros(x.shape[1], np.uint64)
    for _ in range(niter):
        assign = knn_hamming(x, cent, 1)[1][:, 0]
        order = np.argsort(assign, kind="stable")
        bounds = np.searchsorted(assign[order], np.arange(nlist + 1))
        for c in range(nlist):
            members = x[order[bounds[c] : bounds[c + 1]]]
            if members.shape[0]:
                out = np.empty((1, x.shape[1]), np.uint64)
                HK.majority_bits(members[None], int(members.shape[0]).bit_length(), tiebreak, out)
                cent[c] = out[0]
    return cent
