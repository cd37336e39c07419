"""Numba kernels that build and repair a ``GraphIndex`` graph (Vamana, FreshDiskANN). Private.

Conventions as in ``_graph_kernels`` (graph rows padded with -1, epoch-stamped
visited sets, work split into ``nc`` chunks by ``prange``). The build inserts
rows in batches: each batch is searched against the graph as it was before
the batch (the new lists go to a buffer, committed afterwards), and each
back-edge target is updated by exactly one chunk, so no chunk reads what
another writes in the same step and the graph does not depend on ``nc``.
Steps too small to share (fewer than ``MIN_ROWS`` rows or ``MIN_TARGETS``
targets per chunk) run on one thread without starting a parallel region.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .._kernels import heap_init, heap_push, heap_sort
from ._graph_kernels import _F0, _next_epoch, _prune, _traverse

MIN_ROWS = 8  # rows per chunk below which a batch is searched on one thread
MIN_TARGETS = 64  # back-edge targets per chunk below which they are merged on one thread


@njit(cache=True, nogil=True)
def _row_into(graph, v, cand, cnt):
    """Append row v's neighbours to cand from position cnt; return the new count."""
    for j in range(graph.shape[1]):
        w = graph[v, j]
        if w < 0:
            break
        cand[cnt] = w
        cnt += 1
    return cnt


@njit(cache=True, nogil=True)
def _copy_row(vectors, r, q):
    for j in range(q.shape[0]):
        q[j] = vectors[r, j]


@njit(cache=True, nogil=True)
def _insert_rows(a, b, order, vectors, aug, graph, entry, beam, alpha, pool_cap, row, epochs, c, new_out, base):
    """Search and prune the rows order[a:b] (``build_pass`` step 1); row order[s]'s list goes to new_out[s - base]."""
    degree = graph.shape[1]
    q = np.empty(vectors.shape[1], np.float32)
    ld = np.empty(beam, np.float32)
    li = np.empty(beam, np.int64)
    lx = np.empty(beam, np.bool_)
    cand = np.empty(pool_cap + degree, np.int64)  # the expanded rows first: the traversal's pool
    sd = np.empty(pool_cap + degree, np.float32)
    si = np.empty(pool_cap + degree, np.int64)
    none = np.empty(0, np.bool_)
    rd = np.empty(0, np.float32)
    ri = np.empty(0, np.int64)
    for s in range(a, b):
        p = order[s]
        _copy_row(vectors, p, q)
        epoch = _next_epoch(row, epochs, c)
        _, _, n_pool = _traverse(q, _F0, _F0, aug[p], vectors, aug, None, aug, aug, aug, graph, entry, row, epoch,
                                 ld, li, lx, none, rd, ri, cand, pool_cap)
        cnt = _row_into(graph, p, cand, n_pool)
        _prune(p, q, aug[p], cand, cnt, alpha, vectors, aug, new_out[s - base], sd, si)


@njit(cache=True, nogil=True)
def _back_edge_groups(order, a, b, new_out, tgt, src, seg, key, perm):
    """The back-edges of the rows order[a:b] grouped by target; returns the number of targets.

    Edge perm[i] goes from src[perm[i]] to tgt[perm[i]]; target g's edges are perm[seg[g]:seg[g + 1]], sources in
    batch order. key (float64) / perm (int64): scratch of at least as many entries as edges.
    """
    m = 0
    for s in range(a, b):
        for j in range(new_out.shape[1]):
            v = new_out[s - a, j]
            if v < 0:
                break
            tgt[m] = v
            src[m] = order[s]
            m += 1
    hk = key[:m]
    hp = perm[:m]
    heap_init(hk, hp)
    for i in range(m):
        heap_push(hk, hp, np.float64(tgt[i]), np.int64(i))  # rows < 2**31: exact in float64
    heap_sort(hk, hp)  # by (target, edge): sources stay in batch order
    nseg = 0
    for i in range(m):
        if i == 0 or tgt[perm[i]] != tgt[perm[i - 1]]:
            seg[nseg] = i
            nseg += 1
    seg[nseg] = m
    return nseg


@njit(cache=True, nogil=True)
def _merge_back_edges(g0, g1, perm, tgt, src, seg, vectors, aug, graph, alpha, most):
    """Merge the back-edge groups g0..g1 into their targets' lists (``build_pass`` step 3); ``most`` bounds a
    group's size."""
    degree = graph.shape[1]
    cand = np.empty(degree + most, np.int64)
    sd = np.empty(degree + most, np.float32)
    si = np.empty(degree + most, np.int64)
    q = np.empty(vectors.shape[1], np.float32)
    for g in range(g0, g1):
        v = tgt[perm[seg[g]]]
        base = _row_into(graph, v, cand, 0)
        cnt = base
        for i in range(seg[g], seg[g + 1]):
            p = src[perm[i]]
            dup = False
            for j in range(base):
                if cand[j] == p:
                    dup = True
                    break
            if not dup:
                cand[cnt] = p
                cnt += 1
        if cnt <= degree:
            for j in range(base, cnt):
                graph[v, j] = cand[j]
        else:
            _copy_row(vectors, v, q)
            _prune(v, q, aug[v], cand, cnt, alpha, vectors, aug, graph[v], sd, si)


@njit(cache=True, nogil=True, parallel=True)
def build_pass(vectors, aug, graph, order, bounds, entry, beam, alpha, pool_cap, nc, stamps, epochs):
    """One Vamana pass: insert the rows ``order`` batch by batch (batch t = order[bounds[t]:bounds[t + 1]]).

    For each batch: (1) in parallel, every row p is searched from ``entry``
    on the graph as it was before the batch (flat distances, beam ``beam``,
    at most ``pool_cap`` expansions), and RobustPrune of the expanded rows
    plus p's current neighbours goes to a buffer; (2) the buffer is
    committed; (3) in parallel, the new sources of every back-edge target
    are merged into its list, with RobustPrune when it overflows, each
    target by one chunk. No step reads what another chunk of the same step
    writes, so the graph depends on the order and the batches, not on ``nc``
    (small steps run on one thread: ``MIN_ROWS`` / ``MIN_TARGETS`` per chunk).
    """
    degree = graph.shape[1]
    nb = bounds.shape[0] - 1
    most = 1
    for t in range(nb):
        most = max(most, bounds[t + 1] - bounds[t])
    new_out = np.empty((most, degree), np.int32)
    tgt = np.empty(most * degree, np.int64)
    src = np.empty(most * degree, np.int64)
    seg = np.empty(most * degree + 1, np.int64)
    key = np.empty(most * degree, np.float64)
    perm = np.empty(most * degree, np.int64)
    for t in range(nb):
        a = bounds[t]
        nbat = bounds[t + 1] - a
        ncs = max(1, min(nc, nbat // MIN_ROWS))
        if ncs == 1:
            _insert_rows(a, a + nbat, order, vectors, aug, graph, entry, beam, alpha, pool_cap, stamps[0], epochs,
                         np.int64(0), new_out, a)
        else:
            for c in prange(ncs):
                ci = np.int64(c)
                _insert_rows(a + ci * nbat // ncs, a + (ci + 1) * nbat // ncs, order, vectors, aug, graph, entry,
                             beam, alpha, pool_cap, stamps[ci], epochs, ci, new_out, a)
        for s in range(nbat):
            for j in range(degree):
                graph[order[a + s], j] = new_out[s, j]
        nseg = _back_edge_groups(order, a, a + nbat, new_out, tgt, src, seg, key, perm)
        ncs = max(1, min(nc, nseg // MIN_TARGETS))
        if ncs == 1:
            _merge_back_edges(np.int64(0), nseg, perm, tgt, src, seg, vectors, aug, graph, alpha, nbat)
        else:
            for c in prange(ncs):
                ci = np.int64(c)
                _merge_back_edges(ci * nseg // ncs, (ci + 1) * nseg // ncs, perm, tgt, src, seg, vectors, aug,
                                  graph, alpha, nbat)


@njit(cache=True, nogil=True)
def _repair_rows(a, b, graph, deleted, vectors, aug, alpha):
    """``repair`` of the rows a..b."""
    degree = graph.shape[1]
    cand = np.empty(degree + degree * degree, np.int64)
    sd = np.empty(degree + degree * degree, np.float32)
    si = np.empty(degree + degree * degree, np.int64)
    q = np.empty(vectors.shape[1], np.float32)
    for p in range(a, b):
        if deleted[p]:
            continue
        hit = False
        for j in range(degree):
            v = graph[p, j]
            if v < 0:
                break
            if deleted[v]:
                hit = True
                break
        if not hit:
            continue
        cnt = 0
        for j in range(degree):
            v = graph[p, j]
            if v < 0:
                break
            if not deleted[v]:
                cand[cnt] = v
                cnt += 1
                continue
            for t in range(degree):
                w = graph[v, t]
                if w < 0:
                    break
                if not deleted[w]:
                    cand[cnt] = w
                    cnt += 1
        _copy_row(vectors, p, q)
        _prune(p, q, aug[p], cand, cnt, alpha, vectors, aug, graph[p], sd, si)


@njit(cache=True, nogil=True, parallel=True)
def repair(graph, deleted, vectors, aug, alpha, nc):
    """Delete consolidation (FreshDiskANN), in place: every live row with a deleted neighbour gets RobustPrune
    of its live neighbours and the live neighbours of its deleted ones. A chunk writes only its live rows and
    reads only them and deleted rows, which nobody writes."""
    n = graph.shape[0]
    for c in prange(nc):
        ci = np.int64(c)
        _repair_rows(ci * n // nc, (ci + 1) * n // nc, graph, deleted, vectors, aug, alpha)
