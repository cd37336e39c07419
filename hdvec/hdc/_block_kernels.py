"""Numba kernels of the integer-index models (BSBC, MCR, CGR). Private: the Python layer validates.

A vector is a row of small integers in ``[0, r)`` (int16 or int32): the active
position of each block (BSBC) or the phase index of each component (MCR, CGR).
Kernels assume C-contiguous, in-range inputs of one dtype and write into
preallocated outputs. Top-k scans keep the shared max-heaps of
``hdvec._kernels`` (ties go to the lower row, whatever the thread count).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .._kernels import heap_push

_TILE = 256  # database rows per tile of a top-k scan


@njit(cache=True, nogil=True)
def out_of_range(flat, r):
    """True when some value of the non-empty 1-D integer array ``flat`` is < 0 or >= r (one pass, min and max)."""
    lo = np.int64(flat[0])
    hi = lo
    for j in range(flat.shape[0]):
        v = np.int64(flat[j])
        lo = min(lo, v)
        hi = max(hi, v)
    return lo < 0 or hi >= r


@njit(cache=True, nogil=True, parallel=True)
def add_mod_rows(a, b, r, sign, out):
    """out[i] = (a[i] + sign * b[i]) mod r, sign = +1 (bind) or -1 (unbind).

    a (n, w), b (n, w) or (1, w) (broadcast), values in [0, r); out (n, w) of
    a's dtype. The sum is formed in int32, so int16 rows never overflow.
    """
    n, w = a.shape
    for i in prange(n):
        bi = b[0] if b.shape[0] == 1 else b[i]
        ai = a[i]
        oi = out[i]
        for j in range(w):
            s = np.int32(ai[j]) + np.int32(sign) * np.int32(bi[j])
            if s >= r:
                s -= r
            elif s < 0:
                s += r
            oi[j] = s


@njit(cache=True, nogil=True, inline="always")
def _rank(v, start, r):
    """Tie-break rank of index ``v``: its cyclic distance forward from ``start`` (0 wins)."""
    d = np.int64(v) - start
    return d + r if d < 0 else d


@njit(cache=True, nogil=True, parallel=True)
def mode_bundle(x, weights, r, tiebreak, out):
    """Per-component mode: out[b, j] = the index most frequent in x[b, :, j].

    x (B, n, w) integer in [0, r); weights (n,) float64 (the count of an
    index is the sum of its rows' weights: ones for a plain mode);
    tiebreak (w,) int64 in [0, r); out (B, w). Among tied indices the one
    first reached going up cyclically from ``tiebreak[j]`` wins. Work is split
    into tasks of 64 components; each task owns one histogram of r counts and
    clears only the entries it touched, so a component costs O(n), not O(r).
    """
    nbatch, n, w = x.shape
    per = 64
    n_chunks = (w + per - 1) // per
    for task in prange(nbatch * n_chunks):
        bi = task // n_chunks
        j0 = (task % n_chunks) * per
        counts = np.zeros(r, np.float64)
        for j in range(j0, min(j0 + per, w)):
            for i in range(n):
                counts[x[bi, i, j]] += weights[i]
            start = tiebreak[j]
            best = np.int64(x[bi, 0, j])
            best_c = counts[best]
            best_rank = _rank(best, start, r)
            for i in range(1, n):
                v = np.int64(x[bi, i, j])
                c = counts[v]
                if c > best_c or (c == best_c and _rank(v, start, r) < best_rank):
                    best, best_c, best_rank = v, c, _rank(v, start, r)
            out[bi, j] = best
            for i in range(n):
                counts[x[bi, i, j]] = 0.0


@njit(cache=True, nogil=True, inline="always")
def _round_half_even(t, eps):
    """Nearest integer; values within ``eps`` of a half-integer count as exact halves (go to even)."""
    f = np.floor(t)
    frac = t - f
    if abs(frac - 0.5) <= eps:
        return f + 1.0 if np.int64(f) % 2 != 0 else f
    return f + 1.0 if frac > 0.5 else f


@njit(cache=True, nogil=True, parallel=True)
def phasor_bundle(x, weights, cos_t, sin_t, r, zero_tol, eps, out):
    """MCR bundle: out[b, j] = the index nearest the angle of sum_i w_i exp(2 pi i x[b, i, j] / r).

    x (B, n, w) in [0, r); weights (n,) float64; cos_t, sin_t (r,) float64
    tables of the phasors. A sum with modulus <= ``zero_tol`` has no angle:
    the (weighted) mean of the indices is rounded instead (Torchhd's rule).
    Rounding treats values within ``eps`` of a half as exact halves and sends
    them to the even integer, so float noise cannot flip the result.
    """
    nbatch, n, w = x.shape
    for task in prange(nbatch * w):
        bi = task // w
        j = task % w
        re = 0.0
        im = 0.0
        mean = 0.0
        wsum = 0.0
        for i in range(n):
            v = x[bi, i, j]
            re += weights[i] * cos_t[v]
            im += weights[i] * sin_t[v]
            mean += weights[i] * v
            wsum += weights[i]
        if re * re + im * im <= zero_tol * zero_tol:
            t = mean / wsum if wsum != 0.0 else 0.0
        else:
            t = np.arctan2(im, re) * (r / (2.0 * np.pi))
        q = np.int64(_round_half_even(t, eps)) % r
        out[bi, j] = q + r if q < 0 else q


@njit(cache=True, nogil=True, inline="always")
def _distance(a, b, r, mode):
    """mode 0: number of unequal components; mode 1: sum of circular distances min(|a-b|, r-|a-b|)."""
    s = np.int64(0)
    if mode == 0:
        for j in range(a.shape[0]):
            s += a[j] != b[j]
    else:
        for j in range(a.shape[0]):
            d = abs(np.int64(a[j]) - np.int64(b[j]))
            s += min(d, r - d)
    return s


@njit(cache=True, nogil=True, parallel=True)
def pairwise(a, b, r, mode, out):
    """out (na, nb) int64 = ``_distance`` of every row of a (na, w) with every row of b (nb, w)."""
    for i in prange(a.shape[0]):
        for j in range(b.shape[0]):
            out[i, j] = _distance(a[i], b[j], r, mode)


@njit(cache=True, nogil=True)
def _scan(q, x, r, mode, q0, q1, x0, x1, hd, hi):
    """Fold the distances of queries q[q0:q1] to rows x[x0:x1] into heaps (hd[i], hi[i]), tile by tile."""
    for t0 in range(x0, x1, _TILE):
        t1 = min(t0 + _TILE, x1)
        for i in range(q0, q1):
            qi = q[i]
            hdq = hd[i]
            hiq = hi[i]
            for j in range(t0, t1):
                heap_push(hdq, hiq, _distance(qi, x[j], r, mode), j)


@njit(cache=True, nogil=True, parallel=True)
def topk_scan(q, x, r, mode, n_parts, by_rows, part_d, part_i):
    """Exact top-k of every query by ``_distance``, ``n_parts`` tasks in parallel.

    Not ``by_rows``: the parts split the queries and share one heap set
    ``part_d[0]`` (nq, k) int64 / ``part_i[0]``. ``by_rows`` (few queries):
    the parts split the rows and part ``p`` fills ``part_d[p]``; merge them with
    ``hdvec._kernels.heaps_merge``. Heaps start as (int64 max, EMPTY).
    """
    nq, nx = q.shape[0], x.shape[0]
    total = nx if by_rows else nq
    per = (total + n_parts - 1) // n_parts
    for p in prange(n_parts):
        s = p * per
        e = min(s + per, total)
        if s < e:
            if by_rows:
                _scan(q, x, r, mode, 0, nq, s, e, part_d[p], part_i[p])
            else:
                _scan(q, x, r, mode, s, e, 0, nx, part_d[0], part_i[0])
