"""Numba kernels of ``GraphIndex`` (``hdvec.index.graph``): distances, beam search, RobustPrune. Private.

The build and repair kernels that use them are in ``_graph_build_kernels``.

Conventions:

* ``graph`` (n, R) int32: the out-neighbours of row ``i`` are ``graph[i]`` up
  to its first ``-1`` (rows are padded at the end).
* Two traversal distances, told apart by type (``codes`` None or an array),
  so each compiled kernel has one branch-free distance in its inner loop:
  flat, ``|q - x_r|^2 + (qaug - aug_r)^2`` on the float32 rows, where
  ``aug`` is the extra coordinate of the inner-product-to-L2 reduction (0 for
  L2; the build uses it between rows, searches with ``qaug = 0``, which
  ranks by ``-<q, x>``); and LVQ8, ``|q|^2 + bias_r - 2 <q, lo_r + delta_r
  c_r>`` straight from the uint8 codes (``lo sum(q) + delta <q, c>``, the
  expression of ``_kernels.scan_lvq``), with ``bias`` the reconstructions'
  squared norms for L2 and 0 for inner products. Both only rank: results are
  re-ranked with ``_kernels._exact_dist`` on the float32 rows.
* Candidate lists are sorted ascending by (distance, row): ties go to the
  lower row, so every traversal is deterministic.
* Visited sets are epoch stamps: one uint32 row of ``stamps`` per chunk of
  work; a node is visited when ``stamps[c, node] == epoch``. A wrapped epoch
  clears the row.
* Parallel kernels split their work into ``nc`` contiguous chunks (``prange``
  over chunks; one chunk runs without starting a parallel region); a chunk
  owns its scratch arrays and its stamps row, and no result depends on ``nc``.

Kernels assume validated, C-contiguous inputs (``graph.py`` checks them),
write into preallocated outputs and keep no global state.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic

from .._kernels import EMPTY, heap_init, heap_push, heap_sort, heap_write
from ._kernels import _FM, _dot_u8, _exact_dist, query_sums

_F0 = np.float32(0.0)
_LINE = 64  # bytes per cache line
_PREFETCH_LINES = 8  # at most this many lines of a row are prefetched


@intrinsic
def _prefetch(typingctx, addr):
    """A read prefetch of the cache line at ``addr`` into every cache level (LLVM ``llvm.prefetch``)."""
    sig = types.void(types.uintp)

    def codegen(context, builder, signature, args):
        i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        mod = builder.module
        name = "llvm.prefetch.p0"
        fn = mod.globals.get(name) or ir.Function(mod, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]), name)
        ptr = builder.inttoptr(args[0], i8p)
        builder.call(fn, [ptr, ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return sig, codegen


@njit(cache=True, nogil=True, inline="always")
def _prefetch_row(a, r):
    """Prefetch the first lines (at most ``_PREFETCH_LINES``) of row r of the C-contiguous 2-D array ``a``."""
    base = a.ctypes.data + r * a.strides[0]
    for off in range(0, min(a.strides[0], _PREFETCH_LINES * _LINE), _LINE):
        _prefetch(base + off)


# ---------------------------------------------------------------- distances


@njit(cache=True, nogil=True, fastmath=_FM)
def _l2a(q, qaug, vectors, aug, r):
    """Squared L2 of (q, qaug) to (row r, aug[r]): the flat and build distance."""
    acc = _F0
    for j in range(q.shape[0]):
        t = q[j] - vectors[r, j]
        acc += t * t
    t = qaug - aug[r]
    return acc + t * t


@njit(cache=True, nogil=True, fastmath=_FM)
def _pair_dist(vectors, aug, a, b):
    """``_l2a`` between stored rows a and b."""
    acc = _F0
    for j in range(vectors.shape[1]):
        t = vectors[a, j] - vectors[b, j]
        acc += t * t
    t = aug[a] - aug[b]
    return acc + t * t


@njit(cache=True, nogil=True, inline="always")
def _dist(q, qsum, qsq, qaug, vectors, aug, codes, lo, delta, bias, r):
    """Traversal distance of the query to row r: ``_l2a`` when ``codes`` is None (pruned at compile time),
    else ``|q|^2 + bias[r] - 2 <q, lo + delta c>`` on the LVQ8 codes (not clipped at 0: it only ranks)."""
    if codes is None:
        return _l2a(q, qaug, vectors, aug, r)
    return qsq + bias[r] - np.float32(2.0) * (lo[r] * qsum + delta[r] * _dot_u8(q, codes, r))


@njit(cache=True, nogil=True)
def distances(qs, vectors, aug, codes, lo, delta, bias, out):
    """out (nq, n) float32: the traversal distance of every query qs (nq, d) to every row (tests, checks)."""
    for qi in range(qs.shape[0]):
        q = qs[qi].copy()
        qsum, qsq = query_sums(q)
        for r in range(out.shape[1]):
            out[qi, r] = _dist(q, qsum, qsq, _F0, vectors, aug, codes, lo, delta, bias, r)


# ---------------------------------------------------------------- beam search


@njit(cache=True, nogil=True)
def _next_epoch(row, epochs, c):
    """The next epoch of chunk c (its stamps row ``row`` is cleared when the uint32 counter wraps)."""
    e = np.uint64(epochs[c]) + np.uint64(1)
    if e > np.uint64(0xFFFFFFFF):
        for j in range(row.shape[0]):
            row[j] = 0
        e = np.uint64(1)
    epochs[c] = np.uint32(e)
    return np.uint32(e)


@njit(cache=True, nogil=True)
def _insert(ld, li, lx, size, d, u):
    """Insert (d, u) into the sorted list ld/li/lx[:size] of capacity ld.shape[0].

    Returns (new size, position); the position is the capacity when (d, u) ranks after a full list.
    """
    cap = ld.shape[0]
    if size == cap:
        if d > ld[size - 1] or (d == ld[size - 1] and u > li[size - 1]):
            return size, cap
        pos = size - 1  # the last entry drops out
    else:
        pos = size
        size += 1
    while pos > 0 and (ld[pos - 1] > d or (ld[pos - 1] == d and li[pos - 1] > u)):
        ld[pos] = ld[pos - 1]
        li[pos] = li[pos - 1]
        lx[pos] = lx[pos - 1]
        pos -= 1
    ld[pos] = d
    li[pos] = u
    lx[pos] = False
    return size, pos


@njit(cache=True, nogil=True)
def _traverse(q, qsum, qsq, qaug, vectors, aug, codes, lo, delta, bias, graph, entry, stamps, epoch,
              ld, li, lx, allowed, rd, ri, pool, pool_cap):
    """Greedy beam search from ``entry``: expand the closest unexpanded candidate until none is left.

    The list ld/li/lx (capacity = beam) ends sorted. With a non-empty ``allowed``
    mask, every visited allowed row is also pushed into the max-heap rd/ri
    (initialised by the caller): disallowed rows are traversed, never kept.
    With ``pool_cap > 0`` the expanded rows are appended to ``pool`` and the
    search stops after ``pool_cap`` expansions. Returns (list size, allowed
    rows pushed, expanded rows recorded).
    """
    use_mask = allowed.shape[0] > 0
    n_res = 0
    n_pool = 0
    todo = np.empty(graph.shape[1], np.int64)
    stamps[entry] = epoch
    d = _dist(q, qsum, qsq, qaug, vectors, aug, codes, lo, delta, bias, entry)
    size, pos = _insert(ld, li, lx, 0, d, np.int64(entry))
    if use_mask and allowed[entry]:
        heap_push(rd, ri, d, np.int64(entry))
        n_res += 1
    cur = 0
    while cur < size:
        node = li[cur]
        lx[cur] = True
        if pool_cap > 0:
            pool[n_pool] = node
            n_pool += 1
        first = cur
        fresh = 0  # pass 1: the unvisited neighbours, their rows prefetched; pass 2 scores them
        for j in range(graph.shape[1]):
            u = np.int64(graph[node, j])
            if u < 0:
                break
            if stamps[u] == epoch:
                continue
            stamps[u] = epoch
            todo[fresh] = u
            fresh += 1
            if codes is None:
                _prefetch_row(vectors, u)
            else:
                _prefetch_row(codes, u)
                _prefetch(lo.ctypes.data + u * 4)
                _prefetch(delta.ctypes.data + u * 4)
                _prefetch(bias.ctypes.data + u * 4)
        for t in range(fresh):
            u = todo[t]
            d = _dist(q, qsum, qsq, qaug, vectors, aug, codes, lo, delta, bias, u)
            size, pos = _insert(ld, li, lx, size, d, u)
            first = min(first, pos)
            if use_mask and allowed[u]:
                heap_push(rd, ri, d, u)
                n_res += 1
        if pool_cap > 0 and n_pool == pool_cap:
            break
        cur = first  # every entry before it is expanded; new entries may have landed before the old cursor
        while cur < size and lx[cur]:
            cur += 1
    return size, n_res, n_pool


@njit(cache=True, nogil=True)
def beam_search_one(q, qaug, vectors, aug, codes, lo, delta, bias, graph, entry, pool_cap, out_d, out_i,
                    pool):
    """One traversal with a fresh visited set (tests): list out_d/out_i (beam,); returns (size, n_pool)."""
    stamps = np.zeros(graph.shape[0], np.uint32)
    lx = np.empty(out_d.shape[0], np.bool_)
    none = np.empty(0, np.bool_)
    rd = np.empty(0, np.float32)
    ri = np.empty(0, np.int64)
    qsum, qsq = query_sums(q)
    size, _, n_pool = _traverse(q, qsum, qsq, qaug, vectors, aug, codes, lo, delta, bias, graph, entry,
                                stamps, np.uint32(1), out_d, out_i, lx, none, rd, ri, pool, pool_cap)
    return size, n_pool


@njit(cache=True, nogil=True)
def _search_queries(a, b, qs, qx, vectors, aug, codes, lo, delta, bias, graph, entry, beam, allowed, metric_ip,
                    rerank, row, epochs, c, out_d, out_i, found):
    """``search_graph`` for the queries a..b with the stamps row ``row`` of chunk c."""
    d = qs.shape[1]
    k = out_d.shape[1]
    use_mask = allowed.shape[0] > 0
    q = np.empty(d, np.float32)
    qr = np.empty(d, np.float32)
    ld = np.empty(beam, np.float32)
    li = np.empty(beam, np.int64)
    lx = np.empty(beam, np.bool_)
    rd = np.empty(beam if use_mask else 0, np.float32)
    ri = np.empty(beam if use_mask else 0, np.int64)
    pool = np.empty(0, np.int64)
    hd = np.empty(k, np.float32)
    hi = np.empty(k, np.int64)
    for qi in range(a, b):
        for j in range(d):
            q[j] = qs[qi, j]
            qr[j] = qx[qi, j]
        qsum, qsq = query_sums(q)
        epoch = _next_epoch(row, epochs, c)
        if use_mask:
            heap_init(rd, ri)
        size, n_res, _ = _traverse(q, qsum, qsq, _F0, vectors, aug, codes, lo, delta, bias, graph, entry, row,
                                   epoch, ld, li, lx, allowed, rd, ri, pool, 0)
        heap_init(hd, hi)
        if use_mask:
            for j in range(beam):
                r = ri[j]
                if r != EMPTY:
                    heap_push(hd, hi, _exact_dist(qr, vectors, r, metric_ip) if rerank else rd[j], r)
            found[qi] = min(n_res, beam)
        else:
            for j in range(size):
                heap_push(hd, hi, _exact_dist(qr, vectors, li[j], metric_ip) if rerank else ld[j], li[j])
            found[qi] = size
        heap_write(hd, hi, out_d[qi], out_i[qi])


@njit(cache=True, nogil=True, parallel=True)
def search_graph(qs, qx, vectors, aug, codes, lo, delta, bias, graph, entry, beam, allowed, metric_ip, rerank,
                 nc, stamps, epochs, out_d, out_i, found):
    """Beam search of every query, then the exact top-k of its candidates, parallel over nc query chunks.

    qs (nq, d): queries as the traversal takes them (centred for LVQ8 L2);
    qx (nq, d): as the exact re-rank takes them. With ``rerank`` the
    candidates are re-scored by ``_exact_dist`` on the float32 rows, else
    (flat L2, where the two agree) the traversal distances are kept. A
    non-empty ``allowed`` (n,) bool mask keeps only allowed rows as
    candidates. out_d / out_i (nq, k) sorted, ``(inf, -1)`` padded; found
    (nq,) int64: candidates kept (capped at ``beam``).
    """
    nq = qs.shape[0]
    if nc == 1:  # one chunk: no parallel region to start
        _search_queries(np.int64(0), nq, qs, qx, vectors, aug, codes, lo, delta, bias, graph, entry, beam, allowed,
                        metric_ip, rerank, stamps[0], epochs, np.int64(0), out_d, out_i, found)
        return
    for c in prange(nc):
        ci = np.int64(c)
        _search_queries(ci * nq // nc, (ci + 1) * nq // nc, qs, qx, vectors, aug, codes, lo, delta, bias, graph,
                        entry, beam, allowed, metric_ip, rerank, stamps[ci], epochs, ci, out_d, out_i, found)


@njit(cache=True, nogil=True)
def _scan_queries(a, b, qx, rows, vectors, metric_ip, out_d, out_i):
    k = out_d.shape[1]
    hd = np.empty(k, np.float32)
    hi = np.empty(k, np.int64)
    q = np.empty(qx.shape[1], np.float32)
    for qi in range(a, b):
        for j in range(q.shape[0]):
            q[j] = qx[qi, j]
        heap_init(hd, hi)
        for t in range(rows.shape[0]):
            heap_push(hd, hi, _exact_dist(q, vectors, rows[t], metric_ip), rows[t])
        heap_write(hd, hi, out_d[qi], out_i[qi])


@njit(cache=True, nogil=True, parallel=True)
def scan_rows(qx, rows, vectors, metric_ip, nc, out_d, out_i):
    """Exact top-k over the given rows (m,) int64 of every query qx (nq, d), parallel over nc query chunks."""
    nq = qx.shape[0]
    if nc == 1:
        _scan_queries(np.int64(0), nq, qx, rows, vectors, metric_ip, out_d, out_i)
        return
    for c in prange(nc):
        ci = np.int64(c)
        _scan_queries(ci * nq // nc, (ci + 1) * nq // nc, qx, rows, vectors, metric_ip, out_d, out_i)


# ---------------------------------------------------------------- RobustPrune


@njit(cache=True, nogil=True)
def _prune(p, q, qaug, cand, m, alpha, vectors, aug, out, sd, si):
    """RobustPrune (Vamana): out (R,) := pruned neighbours of row p among cand[:m], -1 padded; returns their count.

    q / qaug: row p's vector and aug. Candidates (p, -1 and repeats dropped)
    are taken by ascending (distance to p, row); a candidate v is skipped when
    an already-kept w has ``alpha * d(w, v) <= d(p, v)`` (squared distances,
    as DiskANN). sd / si: float32 / int64 scratch of at least m entries.
    ``out`` must not alias ``cand``.
    """
    hd = sd[:m]
    hi = si[:m]
    heap_init(hd, hi)
    for t in range(m):
        v = cand[t]
        if v >= 0 and v != p:
            heap_push(hd, hi, _l2a(q, qaug, vectors, aug, v), v)  # m slots: every candidate is kept
    heap_sort(hd, hi)  # ascending (distance, row): repeats side by side, empty slots last
    degree = out.shape[0]
    kept = 0
    for t in range(m):
        v = hi[t]
        if v == EMPTY:
            break
        if t > 0 and hi[t - 1] == v:
            continue
        dv = hd[t]
        ok = True
        for s in range(kept):
            if alpha * _pair_dist(vectors, aug, np.int64(out[s]), v) <= dv:
                ok = False
                break
        if ok:
            out[kept] = v
            kept += 1
            if kept == degree:
                break
    for s in range(kept, degree):
        out[s] = -1
    return kept


@njit(cache=True, nogil=True)
def prune_one(p, cand, alpha, vectors, aug, out):
    """``_prune`` of stored row p (tests): out (R,) int32."""
    q = vectors[p].copy()
    m = cand.shape[0]
    return _prune(p, q, aug[p], cand, m, alpha, vectors, aug, out, np.empty(m, np.float32), np.empty(m, np.int64))
