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
from ..hdc.similarity import topk_hamming

METRICS = ("l2", "ip", "cosine")
_SERIAL_WORK = 1 << 23  # scores below which the heap selection runs on one thread
_FEW = 8  # up to this many queries: matrix-vector products and argpartition, no heaps


def check_metric(metric: Any, allowed: tuple[str, ...] = (*METRICS, "hamming")) -> str:
    """Return ``metric`` if it is one of ``allowed``, else raise ValueError."""
    if metric not in allowed:
        raise ValueError(f"`metric` must be one of {allowed}; got {metric!r}")
    return metric


def as_float_matrix(x: Any, name: str, dim: int | None = None) -> np.ndarray:
    """Validate real vectors: ``(n, dim)`` finite float32, C-contiguous.

    A single ``(dim,)`` vector becomes ``(1, dim)``; torch tensors are copied
    to NumPy.

    Raises
    ------
    TypeError
        If ``x`` is not an array/tensor of real numbers.
    ValueError
        If it is not 1-D or 2-D, its width is not ``dim``, or it holds NaN or inf.
    """
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
    """Validate packed bits: ``(n, nw)`` uint64 with zero tail bits.

    A single ``(nw,)`` row becomes ``(1, nw)``.

    Raises
    ------
    TypeError
        If ``x`` is not uint64 (pack bool or bipolar arrays with
        ``hdvec.hdc.pack_bits``).
    ValueError
        If it is not 1-D or 2-D, has the wrong number of words for ``dim``,
        or has bits set beyond ``dim``.
    """
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


def sq_norms(x: np.ndarray) -> np.ndarray:
    """Squared row norms ``(n,)`` float32, accumulated in float64."""
    return np.einsum("ij,ij->i", x, x, dtype=np.float64).astype(np.float32)


def dense_topk(q: np.ndarray, xb: np.ndarray, k: int, metric: str, xsq: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k over validated float32 inputs.

    Blocks of rows are scored with one BLAS product each and pushed into
    per-query heaps by a Numba kernel, so memory stays O(nq * block).

    Parameters
    ----------
    q : numpy.ndarray
        float32 ``(nq, d)`` queries.
    xb : numpy.ndarray
        float32 ``(n, d)`` database.
    k : int
        Neighbours per query.
    metric : {"l2", "ip", "cosine"}
    xsq : numpy.ndarray, optional
        Cached squared norms of ``xb`` (L2).

    Returns
    -------
    distances, rows : numpy.ndarray
        float32 and int64 ``(nq, k)``, padded with ``inf`` / -1.
    """
    from ._list_kernels import (
        _BIG,
        heaps_finish,
        heaps_finish_serial,
        topk_block,
        topk_block_serial,
    )

    nq, n = q.shape[0], xb.shape[0]
    kk = min(k, n)
    if kk == 0 or nq == 0:
        return _pad(np.empty((nq, 0), np.float32), np.empty((nq, 0), np.int64), k)
    mode = {"l2": 0, "ip": 1, "cosine": 2}[metric]
    if mode == 0:
        qterm = sq_norms(q)
        xterm = sq_norms(xb) if xsq is None else xsq
    elif mode == 2:
        qterm = 1.0 / np.maximum(np.sqrt(sq_norms(q)), 1e-30)
        xterm = 1.0 / np.maximum(np.sqrt(sq_norms(xb)), 1e-30)
    else:
        qterm = xterm = np.empty(0, np.float32)
    if nq <= _FEW:  # one matrix-vector product per query, selection with argpartition
        dots = xb @ q.T  # (n, nq): row-major xb streams once
        d_out, i_out = np.empty((nq, kk), np.float32), np.empty((nq, kk), np.int64)
        for j in range(nq):
            if mode == 0:
                dist = np.maximum(xterm + (qterm[j] - 2.0 * dots[:, j]), 0.0, dtype=np.float32)
            elif mode == 1:
                dist = -dots[:, j]
            else:
                dist = 1.0 - dots[:, j] * (qterm[j] * xterm)
            if kk < n:  # every row tied with the k-th distance competes, so ties go to the lower rows
                part = np.flatnonzero(dist <= dist[np.argpartition(dist, kk - 1)[kk - 1]])
            else:
                part = np.arange(n)
            top = part[np.lexsort((part, dist[part]))][:kk]  # by distance, then row
            d_out[j], i_out[j] = dist[top], top
        return _pad(d_out, i_out, k)
    hd, hi = np.full((nq, kk), np.inf, np.float32), np.full((nq, kk), _BIG, np.int64)
    block = max(1024, (1 << 22) // max(nq, 1))
    small = nq * n < _SERIAL_WORK  # starting a parallel region after BLAS costs more than this work
    push, finish = (topk_block_serial, heaps_finish_serial) if small else (topk_block, heaps_finish)
    for a in range(0, n, block):
        dots = np.ascontiguousarray(q @ xb[a : a + block].T, dtype=np.float32)
        push(dots, a, xterm.astype(np.float32), qterm.astype(np.float32), mode, hd, hi)
    d, i = np.empty((nq, kk), np.float32), np.empty((nq, kk), np.int64)
    finish(hd, hi, d, i)
    return _pad(d, i, k)


def knn(xq: Any, xb: Any, k: int, *, metric: str = "l2") -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest rows of ``xb`` for each row of ``xq`` (brute force, no index).

    Parameters
    ----------
    xq : numpy.ndarray or torch.Tensor
        Queries ``(nq, d)`` (or one ``(d,)``), real, finite.
    xb : numpy.ndarray or torch.Tensor
        Database ``(n, d)``.
    k : int
        Neighbours per query, >= 1 (padded when ``k > n``).
    metric : {"l2", "ip", "cosine"}
        "l2": squared Euclidean distances; "ip": ``-<q, x>``; "cosine":
        ``1 - cos``. Lower is better for all three.

    Returns
    -------
    distances : numpy.ndarray
        float32 ``(nq, k)``, ascending; ``inf`` where padded.
    ids : numpy.ndarray
        int64 ``(nq, k)`` row numbers of ``xb``, ties to the lower row; -1 where padded.

    Raises
    ------
    TypeError
        If inputs are not real arrays, or ``k`` is not an int.
    ValueError
        For an unknown metric, mismatched widths, NaN/inf, or ``k < 1``.

    Shapes
    ------
    ``(nq, d), (n, d) -> (nq, k), (nq, k)``

    Examples
    --------
    >>> import numpy as np
    >>> from hdvec.index import knn
    >>> xb = np.eye(3, dtype=np.float32)
    >>> knn(xb[1] * 2, xb, 2)
    (array([[1., 5.]], dtype=float32), array([[1, 0]]))
    """
    metric = check_metric(metric, METRICS)
    xb = as_float_matrix(xb, "xb")
    q = as_float_matrix(xq, "xq", xb.shape[1])
    return _like_queries(dense_topk(q, xb, check_k(k, xb.shape[0]), metric), xq)


def _like_queries(result: tuple[np.ndarray, np.ndarray], xq: Any) -> tuple[Any, Any]:
    """Torch queries get torch results on their device."""
    if not is_torch(xq):
        return result
    from .._backend import to_device

    return to_device(result[0], xq.device), to_device(result[1], xq.device)


def knn_hamming(xq: Any, xb: Any, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest packed bit vectors by Hamming distance (fused XOR-popcount scan + heap).

    Parameters
    ----------
    xq : numpy.ndarray or torch.Tensor
        uint64 words ``(nq, nw)`` (or one ``(nw,)``), e.g. ``BSC`` vectors.
    xb : numpy.ndarray or torch.Tensor
        uint64 words ``(n, nw)``.
    k : int
        Neighbours per query, >= 1 (padded when ``k > n``).

    Returns
    -------
    distances : numpy.ndarray
        float32 ``(nq, k)`` Hamming counts, ascending; ``inf`` where padded.
    ids : numpy.ndarray
        int64 ``(nq, k)`` row numbers of ``xb``; -1 where padded.

    Raises
    ------
    TypeError
        If an input is not uint64.
    ValueError
        If ``xq`` and ``xb`` have different numbers of words, or ``k < 1``.

    Shapes
    ------
    ``(nq, nw), (n, nw) -> (nq, k), (nq, k)``
    """
    xb = as_words(xb, "xb")
    q = as_words(xq, "xq")
    if q.shape[1] != xb.shape[1]:
        raise ValueError(f"`xq` and `xb` must have the same number of words; got {q.shape[1]} and {xb.shape[1]}")
    k = check_k(k, xb.shape[0])
    kk = min(k, xb.shape[0])
    if kk == 0:
        return _like_queries(_pad(np.empty((q.shape[0], 0), np.float32), np.empty((q.shape[0], 0), np.int64), k),
                             xq)
    d, i = topk_hamming(q, xb, kk)
    return _like_queries(_pad(d.astype(np.float32), i, k), xq)
