"""Numba kernels shared by every subpackage: the top-k heap and the finite check. Private."""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True)
def exponent_overflow(bits, mask, inc):
    """OR over i of ``(bits[i] & mask) + inc`` for a flat unsigned view of floats.

    With ``mask`` the IEEE exponent field and ``inc`` its lowest bit, the sum
    carries into the sign bit exactly when the exponent is all ones (inf or
    NaN), so the top bit of the result says whether any value is non-finite.
    Branch-free, so it vectorizes: one pass at memory bandwidth, no temporaries.
    """
    acc = mask ^ mask  # zero of the same unsigned type
    for i in range(bits.shape[0]):
        acc |= (bits[i] & mask) + inc
    return acc


# ---------------------------------------------------------------- top-k heaps
# The one top-k heap of hdvec: every exact search and every index scan keeps, per query, a max-heap
# (hd, hi) of the k smallest (distance, row) pairs. Empty slots hold (inf or the dtype's max, EMPTY),
# which rank after every real pair; writing a heap out sorts it and turns empty slots into (inf, -1).

EMPTY = np.int64(np.iinfo(np.int64).max)  # row of an empty heap slot


@njit(cache=True, nogil=True, inline="always")
def _worse(d1, i1, d2, i2):
    """True when (d1, i1) ranks after (d2, i2): larger distance, then larger index."""
    return d1 > d2 or (d1 == d2 and i1 > i2)


@njit(cache=True, nogil=True)
def _sift_down(hd, hi, d, i, end):
    """Put (d, i) at the root of the max-heap hd[:end], hi[:end] and sift it down."""
    pos = 0
    while True:
        left = 2 * pos + 1
        if left >= end:
            break
        right = left + 1
        child = left
        if right < end and _worse(hd[right], hi[right], hd[left], hi[left]):
            child = right
        if _worse(hd[child], hi[child], d, i):
            hd[pos] = hd[child]
            hi[pos] = hi[child]
            pos = child
        else:
            break
    hd[pos] = d
    hi[pos] = i


@njit(cache=True, nogil=True)
def heap_replace_top(hd, hi, d, i):
    """Replace the worst entry of the max-heap (hd, hi) by (d, i)."""
    _sift_down(hd, hi, d, i, hd.shape[0])


@njit(cache=True, nogil=True, inline="always")
def heap_push(hd, hi, d, i):
    """Keep (d, i) if it beats the worst pair of the heap (ties: the lower index)."""
    if _worse(hd[0], hi[0], d, i):
        heap_replace_top(hd, hi, d, i)


@njit(cache=True, nogil=True)
def heap_init(hd, hi):
    """Empty a float heap: (inf, EMPTY) everywhere."""
    for j in range(hd.shape[0]):
        hd[j] = np.inf
        hi[j] = EMPTY


@njit(cache=True, nogil=True)
def heap_sort(hd, hi):
    """Sort a max-heap in place into ascending (distance, index) order."""
    for end in range(hd.shape[0] - 1, 0, -1):
        d, i = hd[end], hi[end]
        hd[end], hi[end] = hd[0], hi[0]
        _sift_down(hd, hi, d, i, end)


@njit(cache=True, nogil=True)
def heap_write(hd, hi, out_d, out_i):
    """Sort the heap and write it out ascending: float32 distances, int64 rows; empty slots (inf, -1).

    ``out_d`` / ``out_i`` may be ``hd`` / ``hi`` themselves (a float32 heap finished in place).
    """
    heap_sort(hd, hi)
    for j in range(hd.shape[0]):
        if hi[j] == EMPTY:
            out_d[j] = np.inf
            out_i[j] = -1
        else:
            out_d[j] = hd[j]
            out_i[j] = hi[j]


@njit(cache=True, nogil=True, parallel=True)
def heaps_write(hd, hi, out_d, out_i):
    """``heap_write`` of every row heap (nq, k), parallel over queries."""
    for q in prange(hd.shape[0]):
        heap_write(hd[q], hi[q], out_d[q], out_i[q])


@njit(cache=True, nogil=True)
def heaps_write_serial(hd, hi, out_d, out_i):
    """``heaps_write`` on one thread (small searches: waking threads costs more than the work)."""
    for q in range(hd.shape[0]):
        heap_write(hd[q], hi[q], out_d[q], out_i[q])


@njit(cache=True, nogil=True, parallel=True)
def heaps_merge(part_d, part_i, out_d, out_i):
    """Push per-chunk heaps part (nc, nq, k) into the heaps out (nq, k) (left unsorted)."""
    nc, nq, k = part_d.shape
    for q in prange(nq):
        for c in range(nc):
            for j in range(k):
                heap_push(out_d[q], out_i[q], part_d[c, q, j], part_i[c, q, j])


@njit(cache=True, nogil=True, inline="always")
def _push_scores(dots, qi, base, xterm, qterm, mode, row_d, row_i):
    for j in range(dots.shape[1]):
        dot = dots[qi, j]
        if mode == 0:
            d = max(qterm[qi] + xterm[base + j] - 2.0 * dot, np.float32(0.0))
        elif mode == 1:
            d = -dot
        else:
            d = 1.0 - dot * qterm[qi] * xterm[base + j]
        heap_push(row_d, row_i, np.float32(d), base + j)


@njit(cache=True, nogil=True, parallel=True)
def topk_block(dots, base, xterm, qterm, mode, hd, hi):
    """Push a block of scores into per-query heaps (nq, k), parallel over queries.

    ``dots`` (nq, B) float32 for rows ``base..base+B``. mode 0: squared L2
    ``qterm[q] + xterm[r] - 2 dot`` (xterm = squared norms); 1: ``-dot``;
    2: cosine distance ``1 - dot * qterm[q] * xterm[r]`` (inverse norms, 0 for
    a zero vector, so a zero vector is at distance 1 from everything). No
    fastmath: the torch path evaluates the same float32 expressions.
    """
    for qi in prange(dots.shape[0]):
        _push_scores(dots, qi, base, xterm, qterm, mode, hd[qi], hi[qi])


@njit(cache=True, nogil=True)
def topk_block_serial(dots, base, xterm, qterm, mode, hd, hi):
    """``topk_block`` on one thread: for small blocks right after a BLAS call, whose
    spinning threads make starting a parallel region cost more than the work."""
    for qi in range(dots.shape[0]):
        _push_scores(dots, qi, base, xterm, qterm, mode, hd[qi], hi[qi])
