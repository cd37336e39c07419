"""``Index``: projection -> coarse partition -> low-bit codes scanned in Numba -> exact re-rank.

Orchestration only. The stages live in their own modules: ``projection``
(PCA / rotation), ``partition`` (k-means and list assignment for every
metric), ``codes`` (LVQ / RaBitQ), ``storage`` (rows grouped by list, ids,
deletions, the file arrays), ``scan`` (the search paths over the stored
rows), ``calibration`` (picking ``nprobe``) and the kernel modules.
``scan``, ``faiss_interop``, ``sharded`` and ``_torch`` use the
package-level interface documented here (``storage``, ``partition``,
``mean``, ``rotation``, ``work``, ``full_query``, ``probe_lists``,
``device_arrays``, ``check_vectors``, ``prepare``), never private fields.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from typing import Any

import numpy as np

from .._backend import is_torch, to_device
from .._progress import progress_bar
from .._validation import Seed, check_count, check_dim, check_fraction, check_k, seed_entropy
from ..hdc.search import empty_results, pad_results, shape_results, work_k
from . import codes as C
from . import fastscan as FS
from . import index_file
from . import scan as S
from ._kernels import serial
from .calibration import calibrated_nprobe
from .exact import as_float_matrix, as_words, check_metric
from .filters import check_attributes, filter_rows
from .partition import Partition
from .projection import project
from .spec import IndexSpec, check_spec, default_spec, parse_spec
from .storage import ListStorage
from .training import fit_stages

log = logging.getLogger(__name__)

EXACT_FILTER_ROWS = 20_000  # a filter allowing at most this many rows is answered by an exact scan of them
_CHUNK = 65536  # rows encoded per step in add


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
        smallest nprobe reaching recall@10 >= ``target_recall`` (less one
        standard error) on 500 of the first added vectors (each searched
        without itself; once, seeded); otherwise ``nlist // 16``, at least 1.
    seed : int, numpy.random.Generator or None
    target_recall : float
        The recall@10 the automatic ``nprobe`` aims for (0.95), in (0, 1].

    Notes
    -----
    Use ``train(x)`` (needed for PCA, IVF and codes), ``add(x, ids=None,
    attributes=None)``, ``search(q, k, nprobe=None, filter=None)``,
    ``remove(ids)``, ``save(path)`` and ``Index.load(path, mmap=False)``.
    Results follow hdvec's search contract (``hdvec.hdc.search``).

    Threads: any number of threads may search at once, also while other
    threads ``add``, ``remove`` or ``compact`` (writes are serialised by a
    lock). A search sees the index as it was when the search began: all of a
    write that returned before, none of one still running. The rows are an
    immutable snapshot (``storage``) that a write replaces in one assignment,
    so searches take no lock. ``train`` and ``save`` must not overlap writes.
    """

    def __init__(self, dim: int, *, metric: str = "l2", spec: str | IndexSpec | None = None,
                 nprobe: int | None = None, seed: Seed = None, target_recall: float = 0.95):
        self.dim = check_dim(dim)
        self.metric = check_metric(metric)
        self.spec = None if spec is None else parse_spec(spec)
        if self.spec is not None:
            check_spec(self.spec, self.metric, self.dim)
        self.nprobe = nprobe
        self.target_recall = check_fraction(target_recall, "target_recall")
        self.seed = seed_entropy(seed)
        self.trained = False
        self.mean: np.ndarray | None = None  # float32 (dim,): stored vectors are x - mean
        self.matrix: np.ndarray | None = None  # (dim, work_dim) projection, or None
        self.partition: Partition | None = None
        self.rotation: np.ndarray | None = None  # RaBitQ
        self.codebooks: np.ndarray | None = None  # PQ4 (m, 16, work_dim / m)
        self.storage = ListStorage(self.nlist)  # an immutable snapshot: writes swap in a new one
        self._write_lock = threading.Lock()
        self._device_cache: dict[str, tuple[ListStorage, Any]] = {}  # per-row arrays as torch tensors, by device
        self._calibrate = False

    # ------------------------------------------------------------------ info
    @property
    def nlist(self) -> int:
        return self.spec.nlist if self.spec is not None and self.spec.nlist else 1

    @property
    def work_dim(self) -> int:
        """Dimension of the space the codes live in (after PCA, if any)."""
        return self.dim if self.matrix is None else self.matrix.shape[1]

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

    def __len__(self) -> int:
        return len(self.storage)

    @property
    def ids(self) -> np.ndarray:
        """Ids of the stored vectors, (len(self),) int64, in storage order."""
        return self.storage.live_ids()

    @property
    def next_id(self) -> int:
        """One more than the largest id ever added: the default id of the next vector, and the length a
        boolean ``filter`` mask must have."""
        return self.storage.next_id

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays held (codes, full vectors, ids, attributes, centroids, projection)."""
        extra = [a for a in (self.mean, self.matrix, self.rotation, self.codebooks) if a is not None]
        if self.partition is not None:
            extra.append(self.partition.centroids)
        return self.storage.nbytes + int(sum(a.nbytes for a in extra))

    def __repr__(self) -> str:
        spec = "auto" if self.spec is None else str(self.spec)
        return (f"Index(dim={self.dim}, metric={self.metric!r}, spec={spec!r}, n={len(self)}, "
                f"trained={self.trained}, nprobe={self.nprobe if self.spec is not None and self.spec.nlist else None})")

    # ------------------------------------------------------------------ input
    def check_vectors(self, x: Any, name: str) -> np.ndarray:
        """Validated ``(n, dim)`` float32 (normalised for cosine) or ``(n, n_words)`` uint64 rows of ``x``
        (a single vector becomes one row)."""
        if self.metric == "hamming":
            return as_words(x, name, self.dim)
        x = as_float_matrix(x, name, self.dim)
        if self.metric == "cosine":
            norms = np.linalg.norm(x, axis=1, keepdims=True)
            x = x / np.where(norms > 0, norms, 1.0)
        return x

    def work(self, x: np.ndarray, query: bool = False) -> np.ndarray:
        """Vectors in the space of the codes: ``(x - mean) @ matrix`` for stored vectors.

        Queries are centred only for L2; for inner products the stored
        ``x - mean`` gives ``<q, x> - <q, mean>``, and ``_finish`` adds the
        constant back.
        """
        centre = self.mean if (not query or self.metric == "l2") else np.zeros_like(self.mean)
        return project(x, centre, self.matrix)

    def full_query(self, qv: np.ndarray) -> np.ndarray:
        """Queries against the stored full (centred, unprojected) vectors."""
        return qv - self.mean if self.metric == "l2" else qv

    def _queries(self, q: Any) -> np.ndarray:
        """Validated queries: ``(nq, dim)`` or one ``(dim,)`` (words for hamming), as 2-D rows."""
        if not self.trained:
            raise ValueError("the index is empty and untrained: call train(x) and/or add(x) before search")
        return self.check_vectors(q, "q")

    # ------------------------------------------------------------------ train / add
    def train(self, x: Any, *, progress: bool | None = None) -> Index:
        """Fit the projection, the IVF centroids and the code parameters on ``x`` (n, dim).

        Memory stays bounded for large ``x``: PCA uses at most 100k rows and
        k-means at most 256 rows per centroid (seeded samples).
        ``progress``: a tqdm bar over the stages (None: for large ``x`` on a
        terminal; False: never).
        """
        x = self.check_vectors(x, "x")
        if x.shape[0] == 0:
            raise ValueError("`x` must hold at least one training vector; got 0")
        t0 = time.perf_counter()
        if self.spec is None:
            self.spec = default_spec(x.shape[0], self.metric, self.target_recall, self.dim)
            self._calibrate = self._nprobe is None  # the first add picks nprobe for recall@10 >= 0.95
        if not self.storage.n_rows:
            self.storage = ListStorage(self.nlist)
        fit_stages(self, x, progress)
        self.trained = True
        log.info("Index.train: %s on %d vectors in %.2f s", self.spec, x.shape[0], time.perf_counter() - t0)
        return self

    def prepare(self, n: int = 0) -> None:
        """Make an untrained index ready to add ``n`` vectors: pick the spec (``spec=None``) and, when it
        needs no training, mark the index trained (what the first ``add`` does)."""
        n = check_count(n, "n")
        if self.trained:
            return
        spec = self.spec or default_spec(n, self.metric, self.target_recall, self.dim)
        if spec.needs_training:
            raise ValueError(f"this index ('{spec}') must be trained first: call train(x)")
        self.spec, self.trained = spec, True
        self.storage = ListStorage(self.nlist)
        if self.metric != "hamming":
            self.mean = np.zeros(self.dim, np.float32)

    def add(self, x: Any, ids: Any = None, attributes: Any = None, *, progress: bool | None = None) -> np.ndarray:
        """Add vectors (n, dim) (uint64 words for hamming); returns their ids (n,) int64.

        Vectors are encoded in chunks of 65,536 rows (bounded scratch memory).
        ``progress``: a tqdm bar (None: past one chunk, on a terminal; False: never).

        ``ids`` default to consecutive integers after the largest so far;
        ``attributes`` is a dict of (n,) numeric arrays (or a structured array)
        that filters can test.
        """
        x = self.check_vectors(x, "x")
        if not self.trained and self.spec is not None and self.spec.needs_training:
            raise ValueError(f"this index ('{self.spec}') must be trained first: call train(x)")
        with self._write_lock:
            return self._add(x, ids, attributes, progress)

    def _add(self, x: np.ndarray, ids: Any, attributes: Any, progress: bool | None) -> np.ndarray:
        """``add`` of validated vectors, under the write lock; the new rows appear in one swap."""
        n = x.shape[0]
        new_ids = self.storage.check_new_ids(ids, n)
        attrs = check_attributes(attributes, n, self.storage.attrs if self.storage.n_rows else None)
        if not self.trained:
            spec = self.spec or default_spec(n, self.metric, self.target_recall, self.dim)
            if spec.needs_training:  # the automatic pipeline trains on the first add
                self._calibrate = self.spec is None and self._nprobe is None
                self.spec = spec
                self.train(x, progress=progress)
            else:
                self.prepare(n)
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
        if new:
            self.storage = self.storage.appended(new, new_ids, attrs, new.pop("_list"))
        if self._calibrate and self.spec.nlist and self._nprobe is None:
            self._calibrate = False
            self._nprobe = calibrated_nprobe(self, x, new_ids, self.seed)
        log.info("Index.add: %d vectors (%s) in %.2f s; %d stored", n, self.spec, time.perf_counter() - t0, len(self))
        return new_ids

    def _encode(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Per-row arrays of a chunk: '_list' plus the code arrays (and full vectors if kept)."""
        spec = self.spec
        if self.metric == "hamming":
            return {"words": x, "_list": self.assign_work(x)}
        work = self.work(x)
        lists = self.assign_work(work)
        if spec.codes == "pq4":
            out = {"_list": lists, **FS.encode_rows(work, self.list_centres(lists), self.codebooks)}
        else:
            out = {"_list": lists, **C.encode_rows(spec.codes, work, self.rotation)}
        if spec.rerank and spec.codes != "flat":
            out["full"] = x - self.mean  # centred original vectors for the exact re-rank
        return out

    def add_assigned(self, x: np.ndarray, ids: Any, lists: np.ndarray) -> None:
        """Add full vectors (uint64 words for hamming) whose IVF lists are already known (Faiss imports).

        Only for ``Flat`` / ``IVF<n>,Flat`` specs, after ``set_partition``; ``lists`` (n,) in [0, nlist).
        """
        x = self.check_vectors(x, "x")
        lists = np.asarray(lists)
        if lists.shape != (x.shape[0],) or lists.dtype.kind not in "iu" or (lists.size and not (
                0 <= lists.min() and lists.max() < self.nlist)):
            raise ValueError(f"`lists` must be ({x.shape[0]},) list numbers in [0, {self.nlist}); got {lists.dtype} "
                             f"{lists.shape}")
        self.trained = True
        if self.metric != "hamming" and self.mean is None:
            self.mean = np.zeros(self.dim, np.float32)
        new = {"words": x} if self.metric == "hamming" else C.encode_rows("flat", self.work(x), None)
        with self._write_lock:
            self.storage = self.storage.appended(new, self.storage.check_new_ids(ids, x.shape[0]), {}, lists)

    def set_partition(self, centroids: np.ndarray) -> None:
        """Use these IVF centroids ((nlist, d) float32 or (nlist, n_words) uint64) instead of training them."""
        p = Partition(centroids)
        width = -(-self.dim // 64) if self.metric == "hamming" else self.work_dim
        if p.nlist != self.nlist or centroids.shape[1] != width or p.binary != (self.metric == "hamming"):
            raise ValueError(f"`centroids` must be ({self.nlist}, {width}) "
                             f"{'uint64' if self.metric == 'hamming' else 'float32'}; got {centroids.dtype} "
                             f"{centroids.shape}")
        self.partition = p

    def list_centres(self, lists: np.ndarray) -> np.ndarray:
        """The IVF centroid of each entry of ``lists`` (zeros without IVF): float32 (len(lists), work dim)."""
        if self.partition is None:
            return np.zeros((lists.shape[0], self.work_dim), np.float32)
        return self.partition.centroids[lists]

    def assign_work(self, work: np.ndarray) -> np.ndarray:
        """Nearest IVF list of each validated (projected) row."""
        if self.partition is None:
            return np.zeros(work.shape[0], np.int64)
        return self.partition.assign(work, 1)[:, 0]

    def assign(self, x: Any) -> np.ndarray:
        """IVF list of each row of ``x`` (n, dim) as ``add`` would store it: (n,) int64 (zeros without IVF)."""
        if not self.trained:
            raise ValueError("the index is untrained: call train(x) before assign")
        x = self.check_vectors(x, "x")
        return self.assign_work(x if self.metric == "hamming" else self.work(x))

    def probes(self, q: Any, nprobe: int | None = None) -> np.ndarray:
        """The IVF lists ``search`` scans for each query: (nq, nprobe) int64, nearest first."""
        if not self.trained:
            raise ValueError("the index is untrained: call train(x) before probes")
        qv = self.check_vectors(q, "q")
        nprobe = self.nprobe if nprobe is None else min(check_dim(nprobe, "nprobe"), self.nlist)
        return self.probe_lists(qv if self.metric == "hamming" else self.work(qv, query=True), nprobe)

    def probe_lists(self, work: np.ndarray, nprobe: int) -> np.ndarray:
        if self.partition is None:
            return np.zeros((work.shape[0], 1), np.int64)
        return self.partition.assign(work, nprobe)

    # ------------------------------------------------------------------ remove
    def remove(self, ids: Any) -> int:
        """Remove vectors by id; unknown ids raise ValueError. Returns how many were removed.

        Searches that begin after ``remove`` returns never see these ids.
        """
        with self._write_lock:
            self.storage, count = self.storage.removed(ids)
        return count

    def compact(self) -> None:
        """Drop removed rows from the arrays."""
        with self._write_lock:
            self.storage = self.storage.compacted()

    # ------------------------------------------------------------------ Faiss
    def to_faiss(self) -> Any:
        """The same vectors, ids and lists as a Faiss index (see ``hdvec.index.faiss_interop``)."""
        from .faiss_interop import to_faiss

        return to_faiss(self)

    @classmethod
    def from_faiss(cls, faiss_index: Any, *, seed: Seed = None) -> Index:
        """An Index holding a Faiss flat / IVF-Flat / binary index's vectors, ids and lists."""
        from .faiss_interop import read_faiss

        f = read_faiss(faiss_index)
        out = cls(f.dim, metric=f.metric, spec=IndexSpec("flat", nlist=f.nlist), nprobe=f.nprobe, seed=seed)
        if f.centroids is None:
            out.add(f.vectors, ids=f.ids, progress=False)
        else:
            out.set_partition(f.centroids)
            out.add_assigned(f.vectors, f.ids, f.lists)
        return out

    # ------------------------------------------------------------------ search
    def search(self, q: Any, k: int, *, nprobe: int | None = None, filter: Any = None,
               device: Any = None) -> tuple[Any, Any]:
        """k nearest stored vectors of each query: ``(distances, ids)``, float32 and int64 ``(nq, k)``.

        Lower distances are better for every metric; missing results are
        ``inf`` / ``-1``; one ``(dim,)`` query gives ``(k,)`` results; torch
        queries give torch results (searched on their device when it is not
        the CPU, or on ``device``). ``filter`` (see ``hdvec.index.filters``) is
        applied inside the scan, so k results come back whenever k allowed
        vectors exist.
        """
        qv = self._queries(q)
        k_out = check_k(k)
        single = getattr(q, "ndim", 2) == 1
        st = self.storage  # one snapshot for the whole search: writers swap in a new one
        k = work_k(k_out, qv.shape[0], st.n_rows)  # found per query; padded to k_out in _finish
        if not k:  # trained but empty
            return self._finish(st, qv, *empty_results(qv.shape[0], 0), k_out, single, q, device)
        nprobe = self.nprobe if nprobe is None else min(check_dim(nprobe, "nprobe"), self.nlist)
        allowed = st.allowed()
        if filter is not None:
            fmask = filter_rows(filter, st.ids, st.attrs, st.next_id)
            allowed = fmask & ~st.deleted if st.n_deleted else fmask
            n_ok = int(allowed.sum())
            if n_ok <= EXACT_FILTER_ROWS or n_ok < 0.02 * allowed.shape[0]:
                d, rows = S.search_rows(self, st, qv, k, np.flatnonzero(allowed))
                return self._finish(st, qv, d, rows, k_out, single, q, device)
            nprobe = min(self.nlist, math.ceil(nprobe * allowed.shape[0] / max(n_ok, 1)))
        if device is None and is_torch(q) and q.device.type != "cpu":
            device = q.device  # tensors on an accelerator: search there, answer there
        d, rows = S.search_probed(self, st, qv, k, nprobe, allowed, device)
        if filter is not None and nprobe < self.nlist:
            # the probed lists may hold fewer than k allowed rows: scan every list for those queries
            short = np.flatnonzero(rows[:, min(k, n_ok) - 1] < 0)
            if short.shape[0]:
                d[short], rows[short] = S.search_probed(self, st, qv[short], k, self.nlist, allowed, device)
        return self._finish(st, qv, d, rows, k_out, single, q, device)

    def search_preassigned(self, q: Any, k: int, lists: Any) -> tuple[Any, Any]:
        """``search`` scanning given IVF lists per query (as Faiss's ``search_preassigned``); no filter.

        ``lists``: (nq, nprobe) int64, e.g. ``probes(q)`` computed elsewhere (a
        ``ShardedIndex`` routes queries with them); -1 entries are skipped and
        a list given twice for one query is scanned once. Results as ``search``.
        """
        qv = self._queries(q)
        k_out = check_k(k)
        single = getattr(q, "ndim", 2) == 1
        lists = np.ascontiguousarray(lists.cpu().numpy() if is_torch(lists) else lists, dtype=np.int64)
        if single and lists.ndim == 1:
            lists = lists[None]
        if lists.ndim != 2 or lists.shape[0] != qv.shape[0] or lists.size and (lists.max() >= self.nlist or
                                                                                 lists.min() < -1):
            raise ValueError(f"`lists` must be ({qv.shape[0]}, nprobe) list numbers in [-1, {self.nlist}); "
                             f"got shape {lists.shape}")
        st = self.storage
        if not st.n_rows or not self.spec.nlist:
            return self.search(q, k_out)
        k = work_k(k_out, qv.shape[0], st.n_rows)
        lists = S.unique_lists(lists)
        with serial(S.search_bytes(self, st, qv.shape[0], lists.shape[1]) < S.SERIAL_WORK):
            d, rows = S.search_lists(self, st, qv, k, lists.shape[1], st.allowed(), lists)
        return self._finish(st, qv, d, rows, k_out, single, q, None)

    def device_arrays(self, st: ListStorage, device: Any) -> dict[str, Any]:
        """The per-row arrays of the snapshot ``st`` as torch tensors on ``device`` (cached for the newest)."""
        from . import _torch as T

        key = str(device)
        cached = self._device_cache.get(key)
        if cached is None or cached[0] is not st:
            cached = (st, T.to_device(st, device))
            self._device_cache[key] = cached
        return cached[1]

    def _finish(self, st: ListStorage, qv: np.ndarray, d: np.ndarray, rows: np.ndarray, k: int, single: bool,
                like: Any, device: Any):
        """Rows -> ids of the snapshot ``st``, inner-product constants added back, padding to ``k``, then the
        contract's output rules."""
        ids = st.ids
        ids = np.where(rows >= 0, ids[np.maximum(rows, 0)], -1) if ids.shape[0] else np.full_like(rows, -1)
        if self.metric in ("ip", "cosine"):
            d = d - (qv @ self.mean)[:, None]  # codes hold x - mean: add <q, mean> back
            if self.metric == "cosine":
                d = d + 1.0
            d = np.where(rows >= 0, d, np.inf).astype(np.float32)
        d, ids = pad_results(d, ids, k)
        if device is not None and not is_torch(like):
            d, ids = shape_results(d, ids, single, None)
            return to_device(d, device), to_device(ids, device)
        return shape_results(d, ids, single, like)

    def __getstate__(self) -> dict:
        """Pickling (e.g. Dask moving a shard between workers) drops the per-device caches and the lock."""
        return {k: ({} if k == "_device_cache" else v) for k, v in self.__dict__.items() if k != "_write_lock"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._write_lock = threading.Lock()

    def save(self, path: str | os.PathLike) -> None:
        """Write the index atomically to one self-describing file (checksummed, no pickle)."""
        with self._write_lock:
            self.storage = st = self.storage.compacted()
        index_file.write(self, st, path, self._nprobe)

    @classmethod
    def load(cls, path: str | os.PathLike, *, mmap: bool = False) -> Index:
        """Read an index written by ``save``; ``mmap=True`` maps the arrays read-only.

        Checks the checksums, then the structure (``hdvec.index.index_file``):
        a file describing an impossible index raises ``FormatError`` naming the
        file and the field, before any kernel reads it.
        """
        return index_file.read(cls, path, mmap=mmap)
