"""Similarity, distance and top-k search between hypervectors.

Pairwise functions map ``(*A, w), (*B, w) -> (*A, *B)``; with ``pairwise=False``
they compare row by row, ``(..., w), (..., w) -> (...)``. Distances used for
search are lower-is-better for every metric: ``1 - cos``, ``-dot`` and the
Hamming count (float32, exact below 2**24).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import is_torch, same_backend
from .._validation import check_k
from . import _kernels as K
from .model import dtype_name

_FLOATS = ("float32", "int8", "int16", "int32", "complex64")
_INT32_MAX = np.iinfo(np.int32).max
_INT64_MAX = np.iinfo(np.int64).max
_FEW_QUERIES = 64  # integer queries up to this many use the streaming integer-dot kernel (measured crossover ~100)
_BLOCK = 256  # database rows per BLAS block in dense search (10 MB at D = 10,000: stays in L3)


def _check_pair(a: Any, b: Any, dtypes: tuple[str, ...], pairwise: bool) -> bool:
    use_torch = same_backend(a=a, b=b)
    for name, x in (("a", a), ("b", b)):
        if not is_torch(x) and not isinstance(x, np.ndarray):
            raise TypeError(f"`{name}` must be a numpy.ndarray or torch.Tensor; got {type(x).__name__}")
        if dtype_name(x) not in dtypes:
            raise TypeError(f"`{name}` must have dtype {' or '.join(dtypes)}; got {dtype_name(x)}")
        if x.ndim < 1:
            raise ValueError(f"`{name}` must have at least one axis; got a scalar")
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"`a` and `b` must have the same last dimension; got {a.shape[-1]} and {b.shape[-1]}")
    if dtype_name(a) != dtype_name(b) and "complex64" in (dtype_name(a), dtype_name(b)):
        raise TypeError(f"`a` and `b` must both be complex or both real; got {dtype_name(a)} and {dtype_name(b)}")
    if not pairwise:
        try:
            np.broadcast_shapes(tuple(a.shape[:-1]), tuple(b.shape[:-1]))
        except ValueError:
            raise ValueError(
                f"row-wise comparison needs broadcastable leading shapes; got {tuple(a.shape)} and {tuple(b.shape)}"
            ) from None
    return use_torch


def _real_view(x: np.ndarray) -> np.ndarray:
    """float32 form: complex64 (.., D) -> (.., 2D) [re, im]; integers cast."""
    if x.dtype == np.complex64:
        return np.ascontiguousarray(x).view(np.float32)
    return np.ascontiguousarray(x, dtype=np.float32)


def hamming(a: Any, b: Any, *, pairwise: bool = True) -> Any:
    """Hamming distances between packed uint64 bit vectors (XOR + popcount).

    Parameters
    ----------
    a, b : numpy.ndarray or torch.Tensor
        uint64 words with the same last axis, one backend.
    pairwise : bool
        True: every row of ``a`` against every row of ``b``. False: row by
        row, with broadcasting of the leading axes.

    Returns
    -------
    numpy.ndarray or torch.Tensor
        int32 counts of differing bits.

    Raises
    ------
    TypeError
        If an input is not uint64, or NumPy and torch are mixed.
    ValueError
        If the last axes differ or (row-wise) the leading shapes do not broadcast.

    Shapes
    ------
    pairwise ``(*A, nw), (*B, nw) -> (*A, *B)``; row-wise
    ``(..., nw), (..., nw) -> (...)``.
    """
    use_torch = _check_pair(a, b, ("uint64",), pairwise)
    if use_torch:
        from . import _torch as T

        return T.hamming(a, b, pairwise)
    a = np.ascontiguousarray(a)
    b = np.ascontiguousarray(b)
    if not pairwise:
        a2, b2 = np.broadcast_arrays(a, b)
        lead = a2.shape[:-1]
        a2 = np.ascontiguousarray(a2).reshape(-1, a.shape[-1])
        b2 = np.ascontiguousarray(b2).reshape(-1, a.shape[-1])
        out = np.empty(a2.shape[0], np.int32)
        K.hamming_rowwise(a2, b2, out)
        return out.reshape(lead)
    a2 = a.reshape(-1, a.shape[-1])
    b2 = b.reshape(-1, b.shape[-1])
    out = np.empty((a2.shape[0], b2.shape[0]), np.int32)
    by_rows = a2.shape[0] < 2 * K.num_threads()
    K.hamming_pairwise(a2, b2, K.num_threads() * (4 if by_rows else 1), by_rows, out)
    return out.reshape(a.shape[:-1] + b.shape[:-1])


def dot(a: Any, b: Any, *, pairwise: bool = True) -> Any:
    """Real dot products (``Re(a · conj(b))`` for complex vectors).

    Parameters
    ----------
    a, b : numpy.ndarray or torch.Tensor
        float32, int8, int16, int32 or complex64 vectors with the same last
        axis, one backend (both complex or both real).
    pairwise : bool
        True: all pairs. False: row by row, leading axes broadcast.

    Returns
    -------
    numpy.ndarray or torch.Tensor
        float32.

    Raises
    ------
    TypeError
        For another dtype, complex mixed with real, or NumPy mixed with torch.
    ValueError
        If the last axes differ.

    Shapes
    ------
    pairwise ``(*A, D), (*B, D) -> (*A, *B)``; row-wise ``(..., D), (..., D) -> (...)``.
    """
    use_torch = _check_pair(a, b, _FLOATS, pairwise)
    if use_torch:
        from . import _torch as T

        return T.dot(a, b, pairwise)
    ra, rb = _real_view(a), _real_view(b)
    if not pairwise:
        return np.einsum("...i,...i->...", ra, rb, dtype=np.float32)
    out = ra.reshape(-1, ra.shape[-1]) @ rb.reshape(-1, rb.shape[-1]).T
    return out.reshape(a.shape[:-1] + b.shape[:-1])


def norms(x: np.ndarray) -> np.ndarray:
    """Euclidean norms over the last axis, float32 (complex: of the 2D real form).

    Shapes
    ------
    ``(..., D) -> (...)``
    """
    r = np.ascontiguousarray(x).view(np.float32) if x.dtype == np.complex64 else np.ascontiguousarray(x)
    if r.size < 1 << 16:  # a parallel kernel costs more to start than a few rows take
        return np.sqrt(np.einsum("...i,...i->...", r, r, dtype=np.float64)).astype(np.float32)
    out = np.empty(r.shape[:-1], np.float32)
    K.row_norms(r.reshape(-1, r.shape[-1]), out.reshape(-1))
    return out


def _inv(n: np.ndarray) -> np.ndarray:
    out = np.zeros_like(n)
    np.divide(1.0, n, out=out, where=n > 0)
    return out


def cosine(a: Any, b: Any, *, pairwise: bool = True) -> Any:
    """Cosine similarity in [-1, 1]; a zero vector has similarity 0 to everything.

    Parameters
    ----------
    a, b : numpy.ndarray or torch.Tensor
        float32, int8, int16, int32 or complex64 vectors with the same last
        axis, one backend. Complex vectors are compared as their real form
        ``[re, im]``.
    pairwise : bool
        True: all pairs. False: row by row, leading axes broadcast.

    Returns
    -------
    numpy.ndarray or torch.Tensor
        float32.

    Raises
    ------
    TypeError
        For another dtype, complex mixed with real, or NumPy mixed with torch.
    ValueError
        If the last axes differ.

    Shapes
    ------
    pairwise ``(*A, D), (*B, D) -> (*A, *B)``; row-wise ``(..., D), (..., D) -> (...)``.
    """
    use_torch = _check_pair(a, b, _FLOATS, pairwise)
    if use_torch:
        from . import _torch as T

        return T.cosine(a, b, pairwise)
    d = dot(a, b, pairwise=pairwise)
    ia, ib = _inv(norms(a)), _inv(norms(b))
    if not pairwise:
        return (d * ia * ib).astype(np.float32)
    return (d * ia.reshape(ia.shape + (1,) * ib.ndim) * ib).astype(np.float32)


def similarity(a: Any, b: Any, *, metric: str = "cosine", pairwise: bool = True) -> Any:
    """Similarity (or, for ``"hamming"``, distance) by metric name.

    Parameters
    ----------
    a, b : numpy.ndarray or torch.Tensor
        Vector batches, one backend.
    metric : {"cosine", "dot", "hamming"}
        Dispatches to [`cosine`][hdvec.hdc.cosine], [`dot`][hdvec.hdc.dot]
        or [`hamming`][hdvec.hdc.hamming] (packed uint64 words).
    pairwise : bool
        True: all pairs. False: row by row.

    Returns
    -------
    numpy.ndarray or torch.Tensor
        float32 (cosine, dot) or int32 Hamming counts.

    Raises
    ------
    ValueError
        If ``metric`` is unknown.
    """
    funcs = {"cosine": cosine, "dot": dot, "hamming": hamming}
    if metric not in funcs:
        raise ValueError(f"`metric` must be one of {sorted(funcs)}; got {metric!r}")
    return funcs[metric](a, b, pairwise=pairwise)


# ------------------------------------------------------------------ top-k search


def _finish(hd: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Heaps (sorted) -> float32 distances with +inf and ids with -1 where empty."""
    empty = hi == _INT64_MAX
    d = hd.astype(np.float32)
    d[empty] = np.inf
    i = hi.copy()
    i[empty] = -1
    return d, i


def topk_hamming(queries: np.ndarray, items: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k by Hamming distance, one fused scan + heap selection.

    Parameters
    ----------
    queries : numpy.ndarray
        Validated uint64 ``(nq, nw)``.
    items : numpy.ndarray
        Validated uint64 ``(n, nw)``.
    k : int
        Neighbours per query.

    Returns
    -------
    distances : numpy.ndarray
        float32 ``(nq, k)``, ascending, ``inf`` where padded (``k > n``).
    indices : numpy.ndarray
        int64 ``(nq, k)``, ties to the lower index, -1 where padded.
    """
    nq = queries.shape[0]
    threads = K.num_threads()
    if nq >= 2 * threads or items.shape[0] < 4 * threads:
        hd = np.full((nq, k), _INT32_MAX, np.int32)
        hi = np.full((nq, k), _INT64_MAX, np.int64)
        n_groups = min(threads, max(nq, 1))
        K.hamming_topk_by_queries(queries, items, n_groups, hd, hi)
    else:
        n_chunks = threads * 4
        part_d = np.full((n_chunks, nq, k), _INT32_MAX, np.int32)
        part_i = np.full((n_chunks, nq, k), _INT64_MAX, np.int64)
        K.hamming_topk_by_rows(queries, items, n_chunks, part_d, part_i)
        hd = np.full((nq, k), _INT32_MAX, np.int32)
        hi = np.full((nq, k), _INT64_MAX, np.int64)
        K.heaps_merge(part_d, part_i, hd, hi)
    return _finish(hd, hi)


def topk_dense(
    queries: np.ndarray, items: np.ndarray, k: int, metric: str = "cosine", item_norms: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k for dense vectors: blocked BLAS dot products fused with a heap selection.

    Parameters
    ----------
    queries, items : numpy.ndarray
        Validated ``(nq, D)`` and ``(n, D)`` of one dtype.
    k : int
        Neighbours per query.
    metric : {"cosine", "dot"}
        "cosine" gives distances ``1 - cos``, "dot" gives ``-dot``.
    item_norms : numpy.ndarray or None
        Cached ``(n,)`` norms of ``items`` (cosine).

    Returns
    -------
    distances, indices : numpy.ndarray
        float32 and int64 ``(nq, k)``, ordered and padded as in ``topk_hamming``.
    """
    q = _real_view(queries)
    nq = q.shape[0]
    hd = np.full((nq, k), np.inf, np.float32)
    hi = np.full((nq, k), _INT64_MAX, np.int64)
    cosine = metric == "cosine"
    offset = 1.0 if cosine else 0.0
    qs = _inv(norms(queries)).astype(np.float32) if cosine else np.ones(nq, np.float32)
    xs = np.ones(items.shape[0], np.float32)
    if cosine and item_norms is not None:
        xs = _inv(np.asarray(item_norms, np.float32))
    # few integer queries: one streaming pass of exact integer dots beats converting rows for BLAS
    streaming = queries.dtype.kind == "i" and items.dtype.kind == "i" and nq <= _FEW_QUERIES
    block_rows = max(_BLOCK, (1 << 22) // nq) if streaming else _BLOCK
    for base in range(0, items.shape[0], block_rows):
        if streaming:
            raw = items[base : base + block_rows]
            dots = np.empty((nq, raw.shape[0]), np.float32)
            K.dots_int(queries, raw, dots)
            if cosine and item_norms is None:
                xs[base : base + raw.shape[0]] = _inv(norms(raw))
        else:
            block = _real_view(items[base : base + block_rows])
            if cosine and item_norms is None:  # norms of the block while it is in cache
                xs[base : base + block.shape[0]] = _inv(norms(block))
            dots = np.ascontiguousarray(q @ block.T, dtype=np.float32)
        K.topk_from_dots(dots, base, offset, qs, xs, hd, hi)
    K.heaps_sort(hd, hi)
    return _finish(hd, hi)


def knn(
    model: Any, queries: Any, items: Any, k: int = 1, *, check_items: bool = True, item_norms: Any = None
) -> tuple[Any, Any]:
    """Exact top-k nearest ``items`` for each query under ``model``'s distance.

    Parameters
    ----------
    model : Model
        Decides the distance: Hamming count for ``BSC``, ``1 - cos`` otherwise.
    queries : numpy.ndarray or torch.Tensor
        ``(nq, width)``, or a single query ``(width,)``.
    items : numpy.ndarray or torch.Tensor
        ``(n, width)``, same backend (and device) as ``queries``.
    k : int
        Neighbours per query, >= 1; results are padded when ``k > n``.
    check_items : bool
        False skips re-validating items an ItemMemory already checked.
    item_norms : numpy.ndarray, optional
        ``(n,)`` float32 cached norms of dense items.

    Returns
    -------
    distances : numpy.ndarray or torch.Tensor
        float32 ``(nq, k)``, ascending (lower is better), ``inf`` where padded.
    indices : numpy.ndarray or torch.Tensor
        int64 ``(nq, k)`` rows of ``items``, ties to the lower row, -1 where padded.

    Raises
    ------
    TypeError
        If inputs have the wrong type or dtype, mix NumPy and torch, or ``k``
        is not an int.
    ValueError
        If inputs are not 2-D (queries may be 1-D), ``queries`` is empty, or
        ``k < 1``.

    Shapes
    ------
    ``(nq, width), (n, width) -> (nq, k), (nq, k)``; ``(width,), (n, width) -> (k,), (k,)``
    """
    single = getattr(queries, "ndim", 0) == 1
    use_torch = same_backend(queries=queries, items=items)
    queries = model.check(queries, "queries")
    if check_items:
        items = model.check(items, "items")
    if single:
        queries = queries[None]
    if queries.ndim != 2 or items.ndim != 2:
        raise ValueError(
            f"`queries` and `items` must be 2-D (n, {model.width}); got {tuple(queries.shape)} and {tuple(items.shape)}"
        )
    k = check_k(k, items.shape[0])
    if queries.shape[0] == 0:
        raise ValueError(f"`queries` must not be an empty batch; got shape {tuple(queries.shape)}")
    if use_torch:
        from . import _torch as T

        d, i = T.knn(model, queries, items, k)
        return (d[0], i[0]) if single else (d, i)
    if model.name == "BSC":
        d, i = topk_hamming(queries, items, k)
    else:
        d, i = topk_dense(queries, items, k, "cosine", item_norms)
    return (d[0], i[0]) if single else (d, i)
