"""Exact search without an index: ``knn`` (dense) and ``knn_hamming`` (packed bits).

Both return Faiss-style ``(distances, ids)``: float32 ``(nq, k)`` lower-is-better
distances (squared L2, ``-<q, x>``, ``1 - cos`` or Hamming counts) and int64
row numbers, padded with ``inf`` / ``-1`` when ``k`` exceeds the database.
Ties go to the lower row.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import is_torch, to_numpy
from .._validation import check_finite, check_k
from ..hdc.binary import tail_mask
from ..hdc.similarity import topk_dense, topk_hamming

METRICS = ("l2", "ip", "cosine")


def check_metric(metric: Any, allowed: tuple[str, ...] = (*METRICS, "hamming")) -> str:
    if metric not in allowed:
        raise ValueError(f"`metric` must be one of {allowed}; got {metric!r}")
    return metric


def as_float_matrix(x: Any, name: str, dim: int | None = None) -> np.ndarray:
    """(n, dim) finite float32, C-contiguous (a single (dim,) vector becomes (1, dim))."""
    if is_torch(x):
        x = to_numpy(x)
    if not isinstance(x, np.ndarray):
        raise TypeError(f"`{name}` must be a numpy.ndarray or torch.Tensor; got {type(x).__name__}")
    if x.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must hold real numbers; got dtype {x.dtype}")
    if x.ndim == 1:
        x = x[None]
    if x.ndim != 2:
        raise ValueError(f"`{name}` must have shape (n, dim); got {x.shape}")
    if dim is not None and x.shape[1] != dim:
        raise ValueError(f"`{name}` must have dim {dim}; got shape {x.shape}")
    x = np.ascontiguousarray(x, dtype=np.float32)
    check_finite(x, name)
    return x


def as_words(x: Any, name: str, dim: int | None = None) -> np.ndarray:
    """(n, nw) uint64 packed bits with zero tail bits (a single (nw,) row becomes (1, nw))."""
    if is_torch(x):
        x = to_numpy(x)
    if not isinstance(x, np.ndarray):
        raise TypeError(f"`{name}` must be a numpy.ndarray of uint64 words; got {type(x).__name__}")
    if x.dtype != np.uint64:
        raise TypeError(f"`{name}` must be packed uint64 words (dtype uint64); got dtype {x.dtype}. "
                        "Use hdvec.hdc.pack_bits to pack bool or bipolar arrays")
    if x.ndim == 1:
        x = x[None]
    if x.ndim != 2:
        raise ValueError(f"`{name}` must have shape (n, n_words); got {x.shape}")
    if dim is not None:
        nw = -(-dim // 64)
        if x.shape[1] != nw:
            raise ValueError(f"`{name}` must have {nw} words per row ({dim} bits); got shape {x.shape}")
        if x.shape[0] and np.any(x[:, -1] & ~tail_mask(dim)):
            raise ValueError(f"`{name}` has bits set beyond dim={dim} in its last word")
    return np.ascontiguousarray(x)


def _pad(d: np.ndarray, i: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    if d.shape[1] == k:
        return d, i
    nq = d.shape[0]
    dd = np.full((nq, k), np.inf, np.float32)
    ii = np.full((nq, k), -1, np.int64)
    dd[:, : d.shape[1]], ii[:, : i.shape[1]] = d, i
    return dd, ii


def l2_augment(x: np.ndarray) -> np.ndarray:
    """``[x, -|x|^2 / 2]``: ranking by ``-<[q, 1], that>`` is ranking by squared L2."""
    out = np.empty((x.shape[0], x.shape[1] + 1), np.float32)
    out[:, :-1] = x
    out[:, -1] = -0.5 * np.einsum("ij,ij->i", x, x, dtype=np.float64)
    return out


def dense_topk(q: np.ndarray, xb: np.ndarray, k: int, metric: str, xb_aug: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """Validated float32 inputs -> exact (distances, rows); ``xb_aug`` = ``l2_augment(xb)`` if cached."""
    kk = min(k, xb.shape[0])
    if kk == 0:
        return _pad(np.empty((q.shape[0], 0), np.float32), np.empty((q.shape[0], 0), np.int64), k)
    if metric == "l2":
        qa = np.ones((q.shape[0], q.shape[1] + 1), np.float32)
        qa[:, :-1] = q
        d, i = topk_dense(qa, l2_augment(xb) if xb_aug is None else xb_aug, kk, "dot")
        qsq = np.einsum("ij,ij->i", q, q, dtype=np.float64).astype(np.float32)
        d = np.maximum(2.0 * d + qsq[:, None], 0.0).astype(np.float32)
    else:
        d, i = topk_dense(q, xb, kk, "cosine" if metric == "cosine" else "dot")
    return _pad(d, i, k)


def knn(xq: Any, xb: Any, k: int, *, metric: str = "l2") -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest rows of ``xb`` for each row of ``xq``.

    Shapes: ``(nq, d), (n, d) -> (nq, k), (nq, k)``. ``metric``: "l2" (squared
    distances), "ip" (``-<q, x>``) or "cosine" (``1 - cos``).
    """
    metric = check_metric(metric, METRICS)
    xb = as_float_matrix(xb, "xb")
    q = as_float_matrix(xq, "xq", xb.shape[1])
    return dense_topk(q, xb, check_k(k, xb.shape[0]), metric)


def knn_hamming(xq: Any, xb: Any, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest packed bit vectors by Hamming distance (fused popcount scan + heap).

    Shapes: ``(nq, nw), (n, nw) uint64 -> (nq, k) float32, (nq, k) int64``.
    """
    xb = as_words(xb, "xb")
    q = as_words(xq, "xq")
    if q.shape[1] != xb.shape[1]:
        raise ValueError(f"`xq` and `xb` must have the same number of words; got {q.shape[1]} and {xb.shape[1]}")
    k = check_k(k, xb.shape[0])
    kk = min(k, xb.shape[0])
    if kk == 0:
        return _pad(np.empty((q.shape[0], 0), np.float32), np.empty((q.shape[0], 0), np.int64), k)
    d, i = topk_hamming(q, xb, kk)
    return _pad(d.astype(np.float32), i, k)
