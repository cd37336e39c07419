"""Tasks a ``ShardedIndex`` runs on its Dask workers: each takes and returns plain objects (a shard is an
``Index``), so Dask can move them between workers."""

from __future__ import annotations

import hashlib
import os
from typing import Any

import numpy as np

from .._io import FormatError
from ..hdc.search import empty_results
from .ivf_index import Index


def shard_new(template: Index) -> Index:
    import copy

    return copy.deepcopy(template)


def shard_add(shard: Index, *parts: tuple) -> Index:
    """Add routed parts ``(x, ids, attrs)`` to the shard (in place) and return it."""
    for x, ids, attrs in parts:
        if ids.shape[0]:
            shard.add(x, ids=ids, attributes=attrs or None, progress=False)
    return shard


def shard_len(shard: Index) -> int:
    return len(shard)


def shard_search(shard: Index, q: np.ndarray, rows: np.ndarray, nq: int, k: int, nprobe: int | None,
                  flt: Any, lists: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Search the queries ``q`` (rows ``rows`` of the batch); full (nq, k) arrays, padded elsewhere.

    ``lists``: the queries' probed lists, computed once on the client for routing (None: the shard
    finds them itself).
    """
    d, i = empty_results(nq, k)
    if len(shard) and rows.shape[0]:
        if lists is not None:
            d[rows], i[rows] = shard.search_preassigned(q, k, lists)
        else:
            d[rows], i[rows] = shard.search(q, k, nprobe=nprobe, filter=flt)
    return d, i


def merge(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray], k: int
           ) -> tuple[np.ndarray, np.ndarray]:
    """Top-k of two (nq, k) results: ascending distance, ties to the lower id, padding last."""
    d = np.concatenate([a[0], b[0]], axis=1)
    i = np.concatenate([a[1], b[1]], axis=1)
    key_i = np.where(i < 0, np.iinfo(np.int64).max, i)
    order = np.lexsort((key_i, d), axis=1)[:, :k]
    return np.take_along_axis(d, order, 1), np.take_along_axis(i, order, 1)


def shard_present(shard: Index, ids: np.ndarray) -> np.ndarray:
    return ids[shard.storage.lookup(ids, missing_ok=True) >= 0]


def shard_remove(shard: Index, ids: np.ndarray) -> Index:
    present = shard_present(shard, ids)
    if present.shape[0]:
        shard.remove(present)
    return shard


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def shard_save(shard: Index, path: str) -> tuple[int, str]:
    shard.save(path)
    return len(shard), file_sha256(path)


def shard_load(path: str, sha256: str, mmap: bool) -> Index:
    if not os.path.isfile(path):
        raise FileNotFoundError(f"shard file '{path}' is missing")
    if file_sha256(path) != sha256:
        raise FormatError(f"shard file '{path}' is damaged: its sha256 does not match the manifest")
    return Index.load(path, mmap=mmap)


def route(template: Index, layout: str, owner: np.ndarray, n_shards: int, x: np.ndarray, ids: np.ndarray,
           attrs: dict[str, np.ndarray]) -> list[tuple]:
    """Split one block of rows into ``n_shards`` parts ``(x, ids, attrs)``."""
    if layout == "cell":
        shard_of = owner[template.assign(x)]
    else:  # round-robin by id: ids are consecutive by default, so rows spread evenly
        shard_of = ids % n_shards
    parts = []
    for s in range(n_shards):
        sel = np.flatnonzero(shard_of == s)
        parts.append((x[sel], ids[sel], {k: v[sel] for k, v in attrs.items()}))
    return parts


def part(parts: list[tuple], s: int) -> tuple:
    return parts[s]
