"""Numba scans of IVF lists for full-precision and binary rows, with fused top-k.

Conventions (shared with ``_kernels.py``): rows of list ``l`` are
``list_offsets[l]:list_offsets[l+1]``; ``probes`` (nq, nprobe) int64 holds the
lists of each query (-1 = none); ``allowed`` is an (n,) bool mask or an empty
array meaning every row; outputs (nq, kk) are sorted ascending, ties to the
lower row, padded with inf / -1.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .._kernels import EMPTY, heap_push, heap_write
from ..hdc._kernels import popcount_u64


@njit(cache=True, nogil=True, parallel=True)
def scan_flat(queries, probes, list_offsets, vectors, sqnorm, metric_ip, allowed, out_dist, out_rows):
    """Full-precision scan: squared L2 (``|q|^2 + sqnorm - 2<q,x>``) or ``-<q,x>``."""
    nq, d = queries.shape
    kk = out_dist.shape[1]
    use_mask = allowed.shape[0] > 0
    for qi in prange(nq):
        q = queries[qi]
        qsq = np.float32(0.0)
        for j in range(d):
            qsq += q[j] * q[j]
        hd = np.full(kk, np.inf, np.float32)
        hi = np.full(kk, EMPTY, np.int64)
        for p in range(probes.shape[1]):
            lst = probes[qi, p]
            if lst < 0:
                continue
            for r in range(list_offsets[lst], list_offsets[lst + 1]):
                if use_mask and not allowed[r]:
                    continue
                x = vectors[r]
                dot = np.float32(0.0)
                for j in range(d):
                    dot += q[j] * x[j]
                dist = -dot if metric_ip else max(qsq + sqnorm[r] - 2 * dot, np.float32(0.0))
                heap_push(hd, hi, dist, r)
        heap_write(hd, hi, out_dist[qi], out_rows[qi])


@njit(cache=True, nogil=True, parallel=True)
def scan_hamming(queries, probes, list_offsets, words, allowed, out_dist, out_rows):
    """Binary scan: Hamming distance (popcount of xor) over the probed lists."""
    nq, nw = queries.shape
    kk = out_dist.shape[1]
    use_mask = allowed.shape[0] > 0
    for qi in prange(nq):
        q = queries[qi]
        hd = np.full(kk, np.inf, np.float32)
        hi = np.full(kk, EMPTY, np.int64)
        for p in range(probes.shape[1]):
            lst = probes[qi, p]
            if lst < 0:
                continue
            for r in range(list_offsets[lst], list_offsets[lst + 1]):
                if use_mask and not allowed[r]:
                    continue
                x = words[r]
                c = 0
                for w in range(nw):
                    c += popcount_u64(q[w] ^ x[w])
                heap_push(hd, hi, np.float32(c), r)
        heap_write(hd, hi, out_dist[qi], out_rows[qi])


@njit(cache=True, nogil=True, parallel=True, fastmath={"reassoc", "nsz", "contract"})
def nearest_centroids(queries, centroids, csq, out_rows):
    """The ``out_rows.shape[1]`` nearest centroids (squared L2, ties to the lower id) of each query.

    Computed without BLAS, so the Numba scans that follow do not compete with
    BLAS threads still spinning after a matrix product.
    """
    nq, d = queries.shape
    k = out_rows.shape[1]
    for qi in prange(nq):
        q = queries[qi]
        hd = np.full(k, np.inf, np.float32)
        hi = np.full(k, EMPTY, np.int64)
        for c in range(centroids.shape[0]):
            dot = np.float32(0.0)
            for j in range(d):
                dot += q[j] * centroids[c, j]
            dist = csq[c] - 2.0 * dot
            if dist < hd[0] or (dist == hd[0] and c < hi[0]):
                heap_push(hd, hi, np.float32(dist), c)
        tmp = np.empty(k, np.float32)
        heap_write(hd, hi, tmp, out_rows[qi])


@njit(cache=True, nogil=True, parallel=True, fastmath={"reassoc", "nsz", "contract"})
def nearest_centroids_pruned(queries, centroids, csq, basis, proj_t, proj_sq, out_rows):
    """``nearest_centroids`` that skips most centroids with a lower bound; same results.

    basis (m, d) float32 has orthonormal rows, proj_t (m, nlist) = basis @
    centroids.T and proj_sq (nlist,) its squared column norms, so that
    |basis q - proj_t[:, c]|^2 <= |q - centroids[c]|^2. The k centroids with
    the smallest bounds are scored first; any other is scored only when its
    bound (less a float32 rounding slack) beats the current k-th distance.
    """
    nq, d = queries.shape
    m, nl = proj_t.shape
    k = out_rows.shape[1]
    ns = min(nl, k)
    cmax = np.float32(0.0)
    for c in range(nl):
        cmax = max(cmax, csq[c])
    for qi in prange(nq):
        qsq = np.float32(0.0)
        for j in range(d):
            qsq += queries[qi, j] * queries[qi, j]
        bound = np.empty(nl, np.float32)  # |P q - P c|^2 = |P q|^2 + |P c|^2 - 2 <P q, P c>
        for c in range(nl):
            bound[c] = proj_sq[c]
        pq_sq = np.float32(0.0)
        for t in range(m):  # centroid-major: one vector loop per direction, no horizontal sums
            s = np.float32(0.0)
            for j in range(d):
                s += basis[t, j] * queries[qi, j]
            pq_sq += s * s
            w = np.float32(-2.0) * s
            for c in range(nl):
                bound[c] += w * proj_t[t, c]
        for c in range(nl):
            bound[c] += pq_sq
        sd = np.full(ns, np.inf, np.float32)  # the ns smallest bounds: scored first
        si = np.full(ns, EMPTY, np.int64)
        for c in range(nl):
            if bound[c] < sd[0]:
                heap_push(sd, si, bound[c], c)
        hd = np.full(k, np.inf, np.float32)
        hi = np.full(k, EMPTY, np.int64)
        done = np.zeros(nl, np.bool_)
        slack = np.float32(1e-4) * (qsq + cmax)
        for t in range(ns + nl):  # the seeds, then every centroid in order
            c = si[t] if t < ns else t - ns
            if c == EMPTY or done[c]:
                continue
            if t >= ns and bound[c] - slack > hd[0] + qsq:
                continue
            done[c] = True
            dot = np.float32(0.0)
            for j in range(d):
                dot += queries[qi, j] * centroids[c, j]
            dist = np.float32(csq[c] - 2.0 * dot)
            if dist < hd[0] or (dist == hd[0] and c < hi[0]):
                heap_push(hd, hi, dist, c)
        tmp = np.empty(k, np.float32)
        heap_write(hd, hi, tmp, out_rows[qi])
