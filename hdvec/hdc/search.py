"""Exact top-k search, and the result contract every search in hdvec follows.

Every search entry point (``hdc.knn``, ``Model.cleanup``, ``ItemMemory.cleanup``,
``index.knn``, ``index.knn_hamming``, ``Index.search``,
``Index.search_preassigned``, ``ShardedIndex.search`` and ``GraphIndex.search``) returns
``(distances, ids)``:

* ``distances``: float32, lower is better for every metric (the Hamming
  count, ``1 - cos``, squared L2 or ``-<q, x>``), sorted ascending;
* ``ids``: int64 (rows of the searched items, or an index's ids); ties go to
  the lower row;
* ``k`` larger than the number of items is not an error: missing results are
  ``inf`` / ``-1``. The work is sized by the items, never by ``k``; a ``k``
  whose padding alone would pass ``MAX_PADDING`` slots (``k = 10**9`` on a
  small index) is a ``ValueError`` naming ``k`` and the item count;
* queries ``(nq, width)`` give ``(nq, k)``; a single query ``(width,)`` gives
  ``(k,)`` (NumPy's rule: leading axes batch);
* NumPy in, NumPy out; torch tensors in, torch tensors out on the queries'
  device.

The exact top-k selection lives here once: one max-heap kernel per query
(``hdvec._kernels.heap_push``), fed by blocked BLAS products for dense vectors and
by a fused XOR-popcount scan for packed bits.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _kernels as H
from .._backend import is_torch, same_backend, to_device
from .._validation import check_k
from . import _kernels as K
from .similarity import _real_view, norms

_FEW = 8  # float queries up to this many: one matrix-vector product each and argpartition, no heaps
_FEW_INT = 8  # integer queries up to this many: the streaming integer-dot kernel (measured crossover ~8: 1.05 M
# pairs/s both ways at 8 queries, 4.5 vs 1.0 M at 64, 0.9 vs 0.25 M at 1; D = 10,000, 20k items, 2 cores)
_BLOCK_BYTES = 8 << 20  # database bytes per BLAS block (stays in L3)
_SCORES = 1 << 22  # scores per block (nq * rows): bounds the (nq, rows) float32 scratch
_PARALLEL_SCORES = 1 << 21  # blocks with fewer scores fold into the heaps on one thread
_SERIAL_WORDS = 1 << 20  # Hamming searches XOR-ing fewer words than this run on one thread (~0.3 ms)
_METRIC_MODES = {"l2": 0, "ip": 1, "cosine": 2}


MAX_PADDING = 1 << 26  # (inf, -1) slots past the items a result may hold: 768 MB of padding


# ------------------------------------------------------------------ the result contract


def work_k(k: int, nq: int, n: int) -> int:
    """Neighbours a search over ``n`` items must find per query: ``min(k, n)``.

    The result is then padded to ``k``; padding beyond ``MAX_PADDING`` slots
    (``nq * (k - n)``) is refused with a ValueError before anything is allocated.
    """
    if k > n and nq * (k - n) > MAX_PADDING:
        raise ValueError(f"`k` = {k} asks for {nq} x {k} results, but there are only {n} items to search: "
                         f"the padding alone would be {nq * (k - n):,} slots (at most {MAX_PADDING:,}); "
                         f"pass k <= {n} to get every item")
    return min(k, n)


def empty_results(nq: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``(inf, -1)`` results ``(nq, k)``: float32 and int64."""
    return np.full((nq, k), np.inf, np.float32), np.full((nq, k), -1, np.int64)


def pad_results(d: np.ndarray, i: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Widen ``(nq, kk)`` results to ``(nq, k)`` with ``(inf, -1)``."""
    if d.shape[1] == k:
        return d, i
    dd, ii = empty_results(d.shape[0], k)
    dd[:, : d.shape[1]], ii[:, : i.shape[1]] = d, i
    return dd, ii


def shape_results(d: np.ndarray, i: np.ndarray, single: bool, like: Any) -> tuple[Any, Any]:
    """Apply the contract's output rules to ``(nq, k)`` NumPy results.

    ``single``: the query was one ``(width,)`` vector, so the results are ``(k,)``.
    ``like``: the queries as given; a torch tensor makes the results tensors on its device.
    """
    d = np.ascontiguousarray(d, np.float32)
    i = np.ascontiguousarray(i, np.int64)
    if single:
        d, i = d[0], i[0]
    if is_torch(like):
        return to_device(d, like.device), to_device(i, like.device)
    return d, i


def shape_torch_results(d: Any, i: Any, single: bool) -> tuple[Any, Any]:
    """``shape_results`` for results already computed in torch."""
    return (d[0], i[0]) if single else (d, i)


# ------------------------------------------------------------------ exact top-k


def _check_pair(q: Any, xb: Any, kinds: str) -> None:
    """The O(1) checks that keep the kernels in bounds: C-contiguous 2-D arrays of one width and dtype kind."""
    for name, a in (("q", q), ("xb", xb)):
        if not isinstance(a, np.ndarray) or a.ndim != 2 or not a.flags.c_contiguous or a.dtype.kind not in kinds:
            raise ValueError(f"`{name}` must be a C-contiguous 2-D array of kind {kinds!r}; got "
                             f"{type(a).__name__} {getattr(a, 'dtype', '')} {getattr(a, 'shape', '')}")
    if q.shape[1] != xb.shape[1] or q.dtype.kind != xb.dtype.kind:
        raise ValueError(f"`q` and `xb` must have the same width and dtype kind; got {q.dtype} {q.shape} and "
                         f"{xb.dtype} {xb.shape}")


def _check_terms(terms: Any, n: int, name: str) -> None:
    if terms is not None and np.shape(terms) != (n,):
        raise ValueError(f"`{name}` must have shape ({n},), one per row of xb; got {np.shape(terms)}")


def _inverse(n: np.ndarray) -> np.ndarray:
    """1 / n, and 0 for a zero norm (a zero vector has cosine 0 with everything)."""
    out = np.zeros(n.shape, np.float32)
    np.divide(np.float32(1.0), n, out=out, where=n > 0)
    return out


def _sq_norms(x: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", x, x, dtype=np.float64).astype(np.float32)


def dense_topk(q: np.ndarray, xb: np.ndarray, k: int, metric: str, *, item_norms: np.ndarray | None = None,
               item_sqnorms: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k rows of ``xb`` for every query, by a dense metric.

    Parameters
    ----------
    q, xb : numpy.ndarray
        Validated, C-contiguous ``(nq, D)`` and ``(n, D)`` of one kind:
        float32, int8/int16/int32, or complex64 (compared as ``[re, im]``).
    k : int
        Neighbours per query (>= 1; padded when ``k > n``).
    metric : {"l2", "ip", "cosine"}
        Squared L2, ``-<q, x>`` or ``1 - cos``.
    item_norms, item_sqnorms : numpy.ndarray, optional
        Cached ``(n,)`` float32 norms (cosine) or squared norms (L2) of ``xb``.

    Returns
    -------
    distances, rows : numpy.ndarray
        float32 and int64 ``(nq, k)``, ascending, ties to the lower row,
        ``(inf, -1)`` where padded.
    """
    mode = _METRIC_MODES[metric]
    _check_pair(q, xb, "fic")
    _check_terms(item_norms, xb.shape[0], "item_norms")
    _check_terms(item_sqnorms, xb.shape[0], "item_sqnorms")
    nq, n = q.shape[0], xb.shape[0]
    kk = work_k(k, nq, n)
    if kk == 0 or nq == 0:
        return empty_results(nq, k)
    qr = _real_view(q)
    if mode == 0:
        qterm = _sq_norms(qr)
        xterm = item_sqnorms if item_sqnorms is not None else _sq_norms(_real_view(xb))
    elif mode == 2:
        qterm = _inverse(norms(q))
        xterm = _inverse(item_norms if item_norms is not None else norms(xb))
    else:
        qterm = xterm = np.empty(0, np.float32)
    xterm = np.ascontiguousarray(xterm, np.float32)
    integer = q.dtype.kind == "i" and xb.dtype.kind == "i"
    if nq <= _FEW and xb.dtype == np.float32:
        return pad_results(*_few_queries(qr, xb, kk, mode, qterm, xterm), k)
    width = qr.shape[1]
    streaming = integer and nq <= _FEW_INT  # exact integer dots, one pass, no float copy of the rows
    # BLAS blocks stay in cache; the streaming kernel reads each row once anyway, so it takes big blocks
    # (each call is a parallel region: many small ones cost more than the scan)
    rows = max(256, _SCORES // nq if streaming else min(_SCORES // nq, _BLOCK_BYTES // (4 * width)))
    hd, hi = np.full((nq, kk), np.inf, np.float32), np.full((nq, kk), H.EMPTY, np.int64)
    push = H.topk_block if nq * rows >= _PARALLEL_SCORES else H.topk_block_serial
    for a in range(0, n, rows):
        block = xb[a : a + rows]
        if streaming:
            dots = np.empty((nq, block.shape[0]), np.float32)
            K.dots_int(q, block, dots)
        else:
            dots = np.ascontiguousarray(qr @ _real_view(block).T, dtype=np.float32)
        push(dots, a, xterm, qterm, mode, hd, hi)
    d, i = np.empty((nq, kk), np.float32), np.empty((nq, kk), np.int64)
    (H.heaps_write if nq * kk >= _PARALLEL_SCORES // 64 else H.heaps_write_serial)(hd, hi, d, i)
    return pad_results(d, i, k)


def _few_queries(q: np.ndarray, xb: np.ndarray, k: int, mode: int, qterm: np.ndarray, xterm: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """A handful of float32 queries: one matrix-vector product each, selection with argpartition.

    The distances are the same float32 expressions as ``hdvec._kernels.topk_block``.
    """
    n = xb.shape[0]
    dots = xb @ q.T  # (n, nq): the row-major database streams once
    d_out, i_out = np.empty((q.shape[0], k), np.float32), np.empty((q.shape[0], k), np.int64)
    for j in range(q.shape[0]):
        if mode == 0:
            dist = np.maximum(xterm + (qterm[j] - 2.0 * dots[:, j]), 0.0, dtype=np.float32)
        elif mode == 1:
            dist = -dots[:, j]
        else:
            dist = (1.0 - (dots[:, j] * qterm[j]) * xterm).astype(np.float32)
        if k < n:  # every row tied with the k-th distance competes, so ties go to the lower rows
            part = np.flatnonzero(dist <= dist[np.argpartition(dist, k - 1)[k - 1]])
        else:
            part = np.arange(n)
        top = part[np.lexsort((part, dist[part]))][:k]  # by distance, then row
        d_out[j], i_out[j] = dist[top], top
    return d_out, i_out


def hamming_topk(q: np.ndarray, xb: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k rows of ``xb`` by Hamming distance: one fused XOR-popcount scan and heap selection.

    Parameters
    ----------
    q, xb : numpy.ndarray
        Validated, C-contiguous uint64 words ``(nq, nw)`` and ``(n, nw)``.
    k : int
        Neighbours per query (>= 1; padded when ``k > n``).

    Returns
    -------
    distances, rows : numpy.ndarray
        float32 Hamming counts and int64 rows ``(nq, k)``, ascending, ties to
        the lower row, ``(inf, -1)`` where padded.
    """
    _check_pair(q, xb, "u")
    if q.dtype != np.uint64 or xb.dtype != np.uint64:
        raise ValueError(f"`q` and `xb` must be uint64 words; got {q.dtype} and {xb.dtype}")
    nq, n = q.shape[0], xb.shape[0]
    kk = work_k(k, nq, n)
    if kk == 0 or nq == 0:
        return empty_results(nq, k)
    threads = K.num_threads()
    i32 = np.iinfo(np.int32).max
    hd = np.full((nq, kk), i32, np.int32)
    hi = np.full((nq, kk), H.EMPTY, np.int64)
    if nq * n * q.shape[1] < _SERIAL_WORDS:  # small: one thread, and no parallel kernel to compile
        K.hamming_scan_topk(q, xb, 0, nq, 0, n, hd, hi)
    elif nq >= 2 * threads or n < 4 * threads:
        K.hamming_topk_by_queries(q, xb, min(threads, nq), hd, hi)
    else:  # few queries: split the database instead, then merge the per-chunk heaps
        n_chunks = threads * 4
        part_d = np.full((n_chunks, nq, kk), i32, np.int32)
        part_i = np.full((n_chunks, nq, kk), H.EMPTY, np.int64)
        K.hamming_topk_by_rows(q, xb, n_chunks, part_d, part_i)
        H.heaps_merge(part_d, part_i, hd, hi)
    d, i = np.empty((nq, kk), np.float32), np.empty((nq, kk), np.int64)
    (H.heaps_write if nq * kk >= _PARALLEL_SCORES // 64 else H.heaps_write_serial)(hd, hi, d, i)
    return pad_results(d, i, k)


def knn(model: Any, queries: Any, items: Any, k: int = 1, *, check_items: bool = True,
        item_norms: Any = None) -> tuple[Any, Any]:
    """Exact top-k nearest ``items`` for each query under ``model``'s distance.

    Parameters
    ----------
    model : Model
        Decides the distance: the Hamming count for ``BSC``, ``1 - cos`` otherwise.
    queries : numpy.ndarray or torch.Tensor
        ``(nq, width)``, or a single query ``(width,)``.
    items : numpy.ndarray or torch.Tensor
        ``(n, width)``, same backend (and device) as ``queries``; ``n`` may be 0.
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
    ids : numpy.ndarray or torch.Tensor
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
    q = model.check(queries, "queries")
    if check_items:
        items = model.check(items, "items")
    if single:
        q = q[None]
    if q.ndim != 2 or items.ndim != 2:
        raise ValueError(
            f"`queries` and `items` must be 2-D (n, {model.width}); got {tuple(q.shape)} and {tuple(items.shape)}"
        )
    k = check_k(k)
    if q.shape[0] == 0:
        raise ValueError(f"`queries` must not be an empty batch; got shape {tuple(q.shape)}")
    work_k(k, q.shape[0], items.shape[0])
    if getattr(model, "own_cleanup", False):  # integer-index models (BSBC, MCR, CGR) scan with their own metric
        if use_torch:
            return shape_torch_results(*model._topk_torch(q, items, k), single)
        return shape_results(*model._topk(q, items, k), single, queries)
    if use_torch:
        from . import _torch as T

        return shape_torch_results(*T.knn(model, q, items, k), single)
    if model.name == "BSC":
        d, i = hamming_topk(q, items, k)
    else:
        d, i = dense_topk(q, items, k, "cosine", item_norms=item_norms)
    return shape_results(d, i, single, queries)
