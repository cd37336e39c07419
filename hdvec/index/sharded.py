"""``ShardedIndex``: an ``Index`` split into shards held in the memory of Dask workers.

One trained, empty ``Index`` (the template: projection, centroids, code
parameters) is fitted once on the client and copied to every shard, so a
vector gets the same code on any shard. Rows go to shards by IVF cell (each
shard owns whole cells; default) or round-robin. A search is sent only to the
shards owning the cells its queries probe (every shard for round-robin or a
filter); per-shard top-k come back as Dask futures and are merged pairwise on
the workers (a tree reduction) before one (nq, k) result reaches the client.

Needs ``pip install hdvec[distributed]`` (Dask distributed).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from .._io import FormatError
from .._validation import Seed, check_dim, check_k
from ..hdc.search import empty_results, pad_results, shape_results, work_k
from . import manifest
from . import shard_tasks as T
from .filters import mask_to_ids
from .ivf_index import Index
from .spec import IndexSpec

LAYOUTS = manifest.LAYOUTS
_BLOCK = 65536  # rows per routing task for NumPy input


def _distributed():
    try:
        import distributed
    except ImportError as exc:
        raise ImportError("ShardedIndex needs Dask distributed: pip install 'hdvec[distributed]'") from exc
    return distributed


def _default_client(client: Any) -> Any:
    distributed = _distributed()
    if client is not None:
        if not isinstance(client, distributed.Client):
            raise TypeError(f"`client` must be a dask.distributed.Client; got {type(client).__name__}")
        return client
    try:
        return distributed.get_client()
    except ValueError:
        raise ValueError("`client` is None and there is no current Dask client: pass client=Client(...) "
                         "or create one first (from dask.distributed import Client; Client())") from None


# ----------------------------------------------------------------------------- the index
class ShardedIndex:
    """An ``Index`` sharded over Dask workers: same constructor, ``add``, ``search`` and ``remove``.

    Parameters
    ----------
    dim, metric, spec, nprobe, seed
        As for ``hdvec.index.Index``; ``spec`` is required (the cell
        layout needs IVF cells: e.g. ``"IVF1024,LVQ8"``).
    n_shards : int
        Number of shards, placed round-robin on the client's workers.
    client : dask.distributed.Client or None
        Default: the current client (``distributed.get_client()``); a
        ValueError naming ``client`` when there is none.
    layout : "cell" or "round-robin"
        "cell" (default): each shard owns whole IVF cells, balanced by the
        training data's cell sizes, and a query goes only to the shards owning
        the cells it probes. "round-robin": row ids modulo ``n_shards``; every
        query goes to every shard.

    Notes
    -----
    Results equal those of one ``Index`` over the same data except where
    distances tie: shards' top-k are merged by (distance, id), one index
    breaks ties by storage order (the same order for consecutive default ids
    and a flat spec).
    """

    def __init__(self, dim: int, *, metric: str = "l2", spec: str | IndexSpec | None = None,
                 nprobe: int | None = None, seed: Seed = None, n_shards: int = 2, client: Any = None,
                 layout: str = "cell"):
        self.client = _default_client(client)
        if spec is None:
            raise ValueError("`spec` is required for a ShardedIndex (e.g. 'IVF1024,LVQ8' or 'Flat')")
        if layout not in LAYOUTS:
            raise ValueError(f"`layout` must be one of {LAYOUTS}; got {layout!r}")
        self.template = Index(dim, metric=metric, spec=spec, nprobe=nprobe, seed=seed)
        if layout == "cell" and not self.template.spec.nlist:
            layout = "round-robin"  # no cells to own
        self.n_shards = check_dim(n_shards, "n_shards")
        self.layout = layout
        self._owner = np.zeros(1, np.int64)  # shard of each IVF cell
        self._shards: list[Any] = []  # futures of the shard Index objects
        self._counts = np.zeros(self.n_shards, np.int64)
        self._next_id = 0
        self._files: list[tuple[str, str]] | None = None  # (path, sha256) per shard, once saved
        self.last_routing: list[np.ndarray] = []  # query rows sent to each shard by the last search

    # ------------------------------------------------------------------ info
    @property
    def dim(self) -> int:
        return self.template.dim

    @property
    def metric(self) -> str:
        return self.template.metric

    @property
    def spec(self) -> IndexSpec:
        return self.template.spec

    @property
    def nprobe(self) -> int:
        return self.template.nprobe

    @nprobe.setter
    def nprobe(self, value: int | None) -> None:
        self.template.nprobe = value

    @property
    def trained(self) -> bool:
        return self.template.trained

    def __len__(self) -> int:
        return int(self._counts.sum())

    @property
    def counts(self) -> np.ndarray:
        """Vectors per shard (n_shards,) int64."""
        return self._counts.copy()

    def __repr__(self) -> str:
        workers = len(self.client.scheduler_info().get("workers", {}))
        return (f"ShardedIndex(dim={self.dim}, metric={self.metric!r}, spec='{self.spec}', n={len(self)}, "
                f"n_shards={self.n_shards}, layout={self.layout!r}, workers={workers}, "
                f"counts={self._counts.tolist()})")

    # ------------------------------------------------------------------ build
    def _workers(self) -> list[str]:
        workers = sorted(self.client.scheduler_info()["workers"])
        if not workers:
            raise RuntimeError("the Dask cluster has no workers")
        return workers

    def _place(self, futures_fn) -> list[Any]:
        """One future per shard from ``futures_fn(s, worker)``, shards spread round-robin on the workers."""
        workers = self._workers()
        return [futures_fn(s, workers[s % len(workers)]) for s in range(self.n_shards)]

    def train(self, x: Any) -> ShardedIndex:
        """Fit the shared stages once, on the client, and give every shard the trained (empty) template.

        ``x`` is a NumPy array or a ``dask.array`` (a sample small enough for
        one machine: k-means uses at most 256 rows per centroid anyway).
        """
        x = _local(x)
        self.template.train(x)
        if self.layout == "cell":
            self._owner = _balance(np.bincount(self.template.assign(x), minlength=self.template.nlist),
                                   self.n_shards)
        self._start_shards()
        return self

    def _start_shards(self) -> None:
        tmpl = self.client.scatter(self.template, broadcast=True, hash=False)
        self._shards = self._place(lambda s, w: self.client.submit(
            T.shard_new, tmpl, workers=[w], allow_other_workers=True, pure=False))
        self._counts = np.zeros(self.n_shards, np.int64)
        self._files = None

    def add(self, x: Any, ids: Any = None, attributes: Any = None) -> np.ndarray:
        """Add vectors (NumPy or ``dask.array``, rows = vectors); returns their ids (n,) int64.

        Rows are routed to shards block by block on the workers, so a Dask
        array is never collected on the client. ``ids`` (NumPy or Dask, or
        None for consecutive ids) and ``attributes`` (dict of equal-length
        arrays, NumPy or Dask) follow the rows.
        """
        if not self._shards:
            self.template.prepare()  # raises when the spec needs training
            self._start_shards()
        self._check_rows(x)
        blocks, sizes = _blocks(self.client, x, "x")
        n = int(sum(sizes))
        if ids is None:
            out_ids = np.arange(self._next_id, self._next_id + n, dtype=np.int64)
            id_blocks = [out_ids[a : a + m] for a, m in zip(np.cumsum([0, *sizes[:-1]]), sizes)]
        else:
            if _is_dask(ids):
                out_ids = ids.astype(np.int64)
                top = int(out_ids.max().compute()) if n else -1
            else:
                out_ids = self.template.storage.check_new_ids(ids, n)  # shape, dtype, >= 0, unique (template is empty)
                top = int(out_ids.max()) if n else -1
                self._check_ids_absent(out_ids)
            id_blocks, id_sizes = _blocks(self.client, out_ids, "ids", like=sizes)
            if list(id_sizes) != list(sizes):
                raise ValueError(f"`ids` must have one id per vector ({n}); got {sum(id_sizes)}")
        attr_blocks = {}
        if attributes is not None:
            if not isinstance(attributes, dict):
                raise TypeError("`attributes` of a ShardedIndex must be a dict of equal-length arrays")
            for name, col in attributes.items():
                attr_blocks[name], col_sizes = _blocks(self.client, col, f"attributes[{name!r}]", like=sizes)
                if list(col_sizes) != list(sizes):
                    raise ValueError(f"`attributes[{name!r}]` must have {n} values; got {sum(col_sizes)}")
        per_shard: list[list[Any]] = [[] for _ in range(self.n_shards)]
        tmpl = self.client.scatter(self.template, broadcast=True, hash=False)
        for b in range(len(blocks)):
            attrs_b = {name: cols[b] for name, cols in attr_blocks.items()}
            routed = self.client.submit(T.route, tmpl, self.layout, self._owner, self.n_shards, blocks[b],
                                        id_blocks[b], attrs_b, pure=False)
            for s in range(self.n_shards):
                per_shard[s].append(self.client.submit(T.part, routed, s, pure=False))
        new_shards = [self.client.submit(T.shard_add, shard, *parts, pure=False)
                      for shard, parts in zip(self._shards, per_shard)]
        counts = self.client.gather([self.client.submit(T.shard_len, sh, pure=False) for sh in new_shards])
        self._shards = new_shards
        self._counts = np.array(counts, np.int64)
        self._files = None
        self._next_id = max(self._next_id + (n if ids is None else 0), (top + 1) if ids is not None else 0)
        return out_ids

    def _check_ids_absent(self, ids: np.ndarray) -> None:
        """Validated NumPy ids must be on no shard yet (one small distributed lookup)."""
        uniq = np.unique(ids)
        if len(self):
            present = self.client.gather([self.client.submit(T.shard_present, sh, uniq, pure=False)
                                          for sh in self._shards])
            found = np.concatenate(present)
            if found.shape[0]:
                raise ValueError(f"`ids` must be new; id {found.min()} is already in the index")

    def _check_rows(self, x: Any) -> None:
        """Shape and dtype of the vectors, checked on the client (Dask arrays lazily: metadata only)."""
        if not _is_dask(x):
            self.template.check_vectors(x, "x")
            return
        width = (self.dim + 63) // 64 if self.metric == "hamming" else self.dim
        if x.ndim != 2 or x.shape[1] != width:
            raise ValueError(f"`x` must have shape (n, {width}); got {x.shape}")
        if self.metric == "hamming" and x.dtype != np.uint64:
            raise TypeError(f"`x` must hold uint64 words for metric='hamming'; got dtype {x.dtype}")
        if self.metric != "hamming" and x.dtype.kind not in "biuf":
            raise TypeError(f"`x` must hold real numbers; got dtype {x.dtype}")

    # ------------------------------------------------------------------ search
    def search(self, q: Any, k: int, *, nprobe: int | None = None, filter: Any = None) -> tuple[Any, Any]:
        """k nearest stored vectors of each query: ``(distances, ids)`` float32 / int64 ``(nq, k)``, as ``Index.search``.

        Results follow hdvec's search contract: one ``(dim,)`` query gives
        ``(k,)``; torch queries give torch results on their device.
        """
        if not self._shards:
            raise ValueError("the index is empty and untrained: call train(x) and/or add(x) before search")
        qv = self.template.check_vectors(q, "q")
        k_out = check_k(k)
        nq = qv.shape[0]
        k = work_k(k_out, nq, int(self._counts.sum()))  # found per query; padded to k_out
        filter = mask_to_ids(filter, self._next_id)  # shards have their own id bounds
        for attempt in range(2):
            try:
                d, i = self._search_once(qv, nq, k, nprobe, filter) if k else empty_results(nq, k_out)
                return shape_results(*pad_results(d, i, k_out), getattr(q, "ndim", 2) == 1, q)
            except Exception:
                lost = self._lost_shards()
                if not lost or attempt:
                    raise
                if self._files is None:
                    raise RuntimeError(f"shard(s) {lost} were lost with their Dask worker and were never saved: "
                                       "save() the index to make its shards recoverable") from None
                for s in lost:  # reload from the saved file, on any live worker
                    path, sha = self._files[s]
                    self._shards[s] = self.client.submit(T.shard_load, path, sha, False, pure=False)
        raise AssertionError("unreachable")

    def _lost_shards(self) -> list[int]:
        return [s for s, f in enumerate(self._shards) if f.status in ("error", "lost", "cancelled")]

    def _search_once(self, qv: np.ndarray, nq: int, k: int, nprobe: int | None, flt: Any
                     ) -> tuple[np.ndarray, np.ndarray]:
        lists = None
        if self.layout == "cell" and flt is None:
            lists = self.template.probes(qv, nprobe)  # (nq, nprobe), computed once, sent with the queries
            owners = self._owner[lists]
            routing = [np.flatnonzero((owners == s).any(axis=1)) for s in range(self.n_shards)]
        else:
            routing = [np.arange(nq) for _ in range(self.n_shards)]
        self.last_routing = routing
        parts = [self.client.submit(T.shard_search, shard, qv[rows], rows, nq, k, nprobe, flt,
                                    None if lists is None else lists[rows], pure=False)
                 for shard, rows, count in zip(self._shards, routing, self._counts) if rows.shape[0] and count]
        if not parts:
            return empty_results(nq, k)
        while len(parts) > 1:  # tree reduction on the workers
            merged = [self.client.submit(T.merge, parts[j], parts[j + 1], k, pure=False)
                      for j in range(0, len(parts) - 1, 2)]
            parts = merged + ([parts[-1]] if len(parts) % 2 else [])
        d, i = parts[0].result()
        return d, i

    # ------------------------------------------------------------------ remove
    def remove(self, ids: Any) -> int:
        """Remove vectors by id from whichever shard holds them; unknown ids raise ValueError."""
        arr = np.asarray(ids).reshape(-1)
        if arr.dtype.kind not in "iu":
            raise ValueError(f"`ids` must be integers; got dtype {arr.dtype}")
        arr = np.unique(arr.astype(np.int64))
        present = self.client.gather([self.client.submit(T.shard_present, s, arr, pure=False) for s in self._shards])
        found = np.concatenate(present) if present else np.empty(0, np.int64)
        missing = np.setdiff1d(arr, found)
        if missing.shape[0]:
            raise ValueError(f"`ids` not in the index: {missing[:5].tolist()}")
        self._shards = [self.client.submit(T.shard_remove, s, p, pure=False) if p.shape[0] else s
                        for s, p in zip(self._shards, present)]
        self._counts = self._counts - np.array([p.shape[0] for p in present], np.int64)
        self._files = None
        return int(arr.shape[0])

    # ------------------------------------------------------------------ persistence
    def save(self, directory: str | os.PathLike) -> None:
        """Each worker writes its shards as ``Index`` files; then one JSON manifest (written atomically).

        The directory must be reachable by the workers at the same path (a
        shared file system; on a LocalCluster, the local disk).
        """
        if not self._shards:
            raise ValueError("the index is empty and untrained: nothing to save")
        root = Path(directory).resolve()
        root.mkdir(parents=True, exist_ok=True)
        paths = [str(root / f"shard-{s:05d}.hdvec") for s in range(self.n_shards)]
        self.template.save(root / "template.hdvec")
        saved = self.client.gather([self.client.submit(T.shard_save, shard, p, pure=False)
                                    for shard, p in zip(self._shards, paths)])
        manifest.write(root, {
            "dim": self.dim, "metric": self.metric, "spec": str(self.spec), "n_shards": self.n_shards,
            "layout": self.layout, "next_id": self._next_id, "owner": self._owner.tolist(),
            "template_sha256": T.file_sha256(str(root / "template.hdvec")),
            "shards": [{"file": Path(p).name, "count": int(c), "sha256": h} for p, (c, h) in zip(paths, saved)]})
        self._counts = np.array([c for c, _ in saved], np.int64)
        self._files = [(p, h) for p, (_, h) in zip(paths, saved)]

    @classmethod
    def load(cls, directory: str | os.PathLike, *, client: Any = None, mmap: bool = False) -> ShardedIndex:
        """Read a directory written by ``save`` and place its shards on the client's workers.

        A missing or damaged shard file raises (FileNotFoundError / FormatError naming the file).
        """
        root = Path(directory).resolve()
        doc = manifest.read(root)  # checksum and every field, before anything is loaded
        tpath = root / "template.hdvec"
        if not tpath.is_file():
            raise FileNotFoundError(f"'{tpath}' is missing")
        if T.file_sha256(str(tpath)) != doc["template_sha256"]:
            raise FormatError(f"'{tpath}' is damaged: its sha256 does not match the manifest")
        template = Index.load(tpath)
        if (doc["layout"] == "cell" and template.spec.nlist) and len(doc["owner"]) != template.nlist:
            raise FormatError(f"'{root / manifest.MANIFEST}' is corrupted: field 'owner' must name a shard for each "
                              f"of the {template.nlist} IVF cells; got {len(doc['owner'])}")
        out = cls(template.dim, metric=template.metric, spec=template.spec,
                  seed=template.seed, n_shards=doc["n_shards"], client=client, layout=doc["layout"])
        out.template = template
        out._owner = np.asarray(doc["owner"], np.int64)
        out._next_id = doc["next_id"]
        shards = doc["shards"]
        for sh in shards:
            if not (root / sh["file"]).is_file():
                raise FileNotFoundError(f"shard file '{root / sh['file']}' is missing")
        out._files = [(str(root / sh["file"]), sh["sha256"]) for sh in shards]
        out._shards = out._place(lambda s, w: out.client.submit(
            T.shard_load, out._files[s][0], out._files[s][1], mmap, workers=[w], allow_other_workers=True,
            pure=False))
        counts = out.client.gather([out.client.submit(T.shard_len, s, pure=False) for s in out._shards])
        out._counts = np.array(counts, np.int64)
        expected = [int(sh["count"]) for sh in shards]
        if counts != expected:
            bad = next(s for s in range(len(counts)) if counts[s] != expected[s])
            raise FormatError(f"shard file '{out._files[bad][0]}' holds {counts[bad]} vectors; the manifest says "
                              f"{expected[bad]}")
        return out


# ----------------------------------------------------------------------------- helpers
def _balance(sizes: np.ndarray, n_shards: int) -> np.ndarray:
    """Shard of each cell: largest cells first, each to the least-loaded shard (ties: lowest shard)."""
    owner = np.zeros(sizes.shape[0], np.int64)
    load = np.zeros(n_shards, np.int64)
    for c in np.argsort(-sizes, kind="stable"):
        s = int(np.argmin(load))
        owner[c] = s
        load[s] += sizes[c]
    return owner


def _is_dask(x: Any) -> bool:
    import sys

    da = sys.modules.get("dask.array")
    return da is not None and isinstance(x, da.Array)


def _local(x: Any) -> np.ndarray:
    return x.compute() if _is_dask(x) else x


def _blocks(client: Any, x: Any, name: str, like: list[int] | None = None) -> tuple[list[Any], list[int]]:
    """Row blocks of ``x`` as futures on the workers (Dask) or local arrays (NumPy), and their sizes."""
    if _is_dask(x):
        if like is not None:
            x = x.rechunk({0: tuple(like)})
        if any(np.isnan(c) for c in x.chunks[0]):
            raise ValueError(f"`{name}` has unknown chunk sizes: call {name}.compute_chunk_sizes() first")
        if x.ndim == 2:
            x = x.rechunk({1: -1})
        delayed = x.to_delayed().ravel().tolist()
        return client.compute(delayed), [int(c) for c in x.chunks[0]]
    arr = np.asarray(x)
    if like is None:
        cuts = list(range(0, arr.shape[0], _BLOCK)) or [0]
        pieces, sizes = [arr[a : a + _BLOCK] for a in cuts], [min(_BLOCK, arr.shape[0] - a) for a in cuts]
    else:
        bounds = np.cumsum([0, *like])
        if arr.shape[0] != bounds[-1]:
            return [], [arr.shape[0]]
        pieces, sizes = [arr[bounds[j] : bounds[j + 1]] for j in range(len(like))], list(like)
    return client.scatter(pieces, hash=False), sizes  # to the workers once; routing tasks read them there
