"""Exact search without an index: ``knn`` (dense) and ``knn_hamming`` (packed bits).

Both follow hdvec's search contract (``hdvec.hdc.search``): ``(distances, ids)``,
float32 lower-is-better distances (squared L2, ``-<q, x>``, ``1 - cos`` or
Hamming counts) and int64 row numbers, ``(nq, k)`` for ``(nq, d)`` queries and
``(k,)`` for one ``(d,)`` query, padded with ``inf`` / ``-1`` when ``k``
exceeds the database, ties to the lower row, torch in, torch out.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import is_torch, to_numpy
from .._validation import check_finite, check_k
from ..hdc.binary import tail_mask
from ..hdc.search import dense_topk, hamming_topk, shape_results

METRICS = ("l2", "ip", "cosine")


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


def knn(xq: Any, xb: Any, k: int, *, metric: str = "l2") -> tuple[Any, Any]:
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
        ``1 - cos`` (a zero vector is at distance 1 from everything). Lower
        is better for all three.

    Returns
    -------
    distances : numpy.ndarray or torch.Tensor
        float32 ``(nq, k)``, ascending; ``inf`` where padded.
    ids : numpy.ndarray or torch.Tensor
        int64 ``(nq, k)`` row numbers of ``xb``, ties to the lower row; -1 where padded.

    Raises
    ------
    TypeError
        If inputs are not real arrays, or ``k`` is not an int.
    ValueError
        For an unknown metric, mismatched widths, NaN/inf, or ``k < 1``.

    Shapes
    ------
    ``(nq, d), (n, d) -> (nq, k), (nq, k)``; ``(d,), (n, d) -> (k,), (k,)``

    Examples
    --------
    >>> import numpy as np
    >>> from hdvec.index import knn
    >>> xb = np.eye(3, dtype=np.float32)
    >>> knn(xb[1] * 2, xb, 2)
    (array([1., 5.], dtype=float32), array([1, 0]))
    """
    metric = check_metric(metric, METRICS)
    xb = as_float_matrix(xb, "xb")
    q = as_float_matrix(xq, "xq", xb.shape[1])
    d, i = dense_topk(q, xb, check_k(k), metric)
    return shape_results(d, i, getattr(xq, "ndim", 2) == 1, xq)


def knn_hamming(xq: Any, xb: Any, k: int) -> tuple[Any, Any]:
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
    distances : numpy.ndarray or torch.Tensor
        float32 ``(nq, k)`` Hamming counts, ascending; ``inf`` where padded.
    ids : numpy.ndarray or torch.Tensor
        int64 ``(nq, k)`` row numbers of ``xb``, ties to the lower row; -1 where padded.

    Raises
    ------
    TypeError
        If an input is not uint64.
    ValueError
        If ``xq`` and ``xb`` have different numbers of words, or ``k < 1``.

    Shapes
    ------
    ``(nq, nw), (n, nw) -> (nq, k), (nq, k)``; ``(nw,), (n, nw) -> (k,), (k,)``
    """
    xb = as_words(xb, "xb")
    q = as_words(xq, "xq")
    if q.shape[1] != xb.shape[1]:
        raise ValueError(f"`xq` and `xb` must have the same number of words; got {q.shape[1]} and {xb.shape[1]}")
    d, i = hamming_topk(q, xb, check_k(k))
    return shape_results(d, i, getattr(xq, "ndim", 2) == 1, xq)
