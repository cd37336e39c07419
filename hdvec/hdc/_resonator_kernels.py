"""Numba kernels of the resonator network: bipolar (MAP, BSC) and block codes (BSBC). Private.

The Python layer (``resonator.py``, ``_resonator_blocks.py``) validates the
inputs and passes C-contiguous arrays: float32 ±1 estimates for the bipolar
kernels, int64 block indices already checked to lie in ``[0, r)`` for the
block kernels. The kernels write into preallocated outputs and never raise.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def unbind_others(s, est, f, out):
    """out[i] = s[i] * prod_{g != f} est[g, i]: unbind every other factor estimate from ``s``.

    s (n, D) float32, est (F, n, D) float32 ±1, f int, out (n, D) float32.
    For bipolar vectors unbinding is the same product as binding.
    """
    n_factors = est.shape[0]
    for i in range(s.shape[0]):
        for d in range(s.shape[1]):
            out[i, d] = s[i, d]
        for g in range(n_factors):
            if g == f:
                continue
            for d in range(s.shape[1]):
                out[i, d] *= est[g, i, d]


@njit(cache=True, nogil=True)
def sign_update(y, tiebreak, est_f, changed):
    """est_f[i] <- sign(y[i]) (zeros take ``tiebreak``); changed[i] |= the row moved.

    y (n, D) float32, tiebreak (D,) float32 ±1, est_f (n, D) float32 ±1
    (updated in place), changed (n,) bool (or-ed into).
    """
    for i in range(y.shape[0]):
        moved = False
        for d in range(y.shape[1]):
            v = y[i, d]
            new = 1.0 if v > 0 else (-1.0 if v < 0 else tiebreak[d])
            if new != est_f[i, d]:
                moved = True
                est_f[i, d] = new
        if moved:
            changed[i] = True


# ------------------------------------------------------------------ BSBC (block indices modulo r)


@njit(cache=True, nogil=True)
def block_unbind_others(s, est, use, r, out):
    """out[i, j] = (s[i, j] - sum of est[g, i, j] over g with use[g]) mod r.

    s (n, B) int64 in [0, r), est (F, n, B) int64 in [0, r), use (F,) bool
    (the hard estimates to unbind), r int, out (n, B) int64.
    """
    for i in range(s.shape[0]):
        for j in range(s.shape[1]):
            acc = s[i, j]
            for g in range(est.shape[0]):
                if use[g]:
                    acc -= est[g, i, j]
            acc %= r
            if acc < 0:
                acc += r
            out[i, j] = acc


@njit(cache=True, nogil=True)
def block_index(book, r, order, start):
    """Inverted index of a codebook: per block, its rows grouped by index value (a counting sort).

    book (M, B) int64 in [0, r); order (B, M) int64 and start (B, r + 1)
    int64 are filled so that the rows ``m`` with ``book[m, j] == k`` are
    ``order[j, start[j, k]:start[j, k + 1]]``, ascending.
    """
    n_rows, n_blocks = book.shape
    for j in range(n_blocks):
        for k in range(r + 1):
            start[j, k] = 0
        for m in range(n_rows):
            start[j, book[m, j] + 1] += 1
        for k in range(r):
            start[j, k + 1] += start[j, k]
        fill = start[j, :r].copy()
        for m in range(n_rows):
            k = book[m, j]
            order[j, fill[k]] = m
            fill[k] += 1


@njit(cache=True, nogil=True)
def block_convolve(a, b, r, out):
    """Blockwise circular convolution: out[j, k] = sum_x a[j, x] * b[j, (k - x) mod r].

    a, b, out (B, r) int64 (counts; the caller keeps the sums below 2**62).
    The histogram of ``x + y`` for ``x ~ a[j]``, ``y ~ b[j]``.
    """
    for j in range(a.shape[0]):
        for k in range(r):
            out[j, k] = 0
        for x in range(r):
            w = a[j, x]
            if w == 0:
                continue
            for y in range(r):
                k = x + y
                if k >= r:
                    k -= r
                out[j, k] += w * b[j, y]


@njit(cache=True, nogil=True)
def block_similarities(t, book, order, start, conv, soft, r, sim):
    """Similarities of the unbound composites to every codebook row.

    t (n, B) int64 in [0, r): the composites with the hard estimates of the
    other factors unbound; book (M, B) int64 in [0, r) with its ``block_index``
    ``order``/``start``; conv (B, r) int64: per block, the histogram of the
    sum of the soft (not yet updated) other estimates (used when ``soft``);
    sim (n, M) int64 out.

    Hard: sim[i, m] = the number of blocks j with book[m, j] == t[i, j].
    Soft: sim[i, m] = sum_j conv[j, (t[i, j] - book[m, j]) mod r], the weight
    the distribution of ``t - (soft others)`` puts on the row.
    """
    n, n_blocks = t.shape
    n_rows = book.shape[0]
    for i in range(n):
        if soft:
            for m in range(n_rows):
                acc = 0
                for j in range(n_blocks):
                    k = t[i, j] - book[m, j]
                    if k < 0:
                        k += r
                    acc += conv[j, k]
                sim[i, m] = acc
        else:
            for m in range(n_rows):
                sim[i, m] = 0
            for j in range(n_blocks):
                k = t[i, j]
                for p in range(start[j, k], start[j, k + 1]):
                    sim[i, order[j, p]] += 1


@njit(cache=True, nogil=True)
def block_winner_take_all(sim, base, book, tiebreak, r, was_soft, est_f, changed):
    """est_f[i, j] <- argmax_k sum_m w[i, m] * [book[m, j] == k]; changed[i] |= the row moved.

    The weights are the centred similarities ``w[i, m] = r * sim[i, m] - base``
    (``base`` = r times the chance level of ``sim``), so that rows at chance
    weigh nothing and rows below it vote against their indices.
    sim (n, M) int64, base int64, book (M, B) int64 in [0, r), tiebreak
    (B,) int64 in [0, r), est_f (n, B) int64 (updated in place), changed (n,)
    bool (or-ed into; every row counts as moved when ``was_soft``). The argmax
    runs over all ``r`` indices (absent ones score 0); ties go to the index
    first reached going up cyclically from ``tiebreak[j]`` (the BSBC bundle rule).
    """
    n, n_rows = sim.shape
    n_blocks = book.shape[1]
    counts = np.zeros(r, np.int64)
    w = np.empty(n_rows, np.int64)
    nz = np.empty(n_rows, np.int64)
    for i in range(n):
        n_nz = 0
        for m in range(n_rows):
            wm = r * sim[i, m] - base
            if wm != 0:
                nz[n_nz] = m
                w[n_nz] = wm
                n_nz += 1
        moved = was_soft
        for j in range(n_blocks):
            for p in range(n_nz):
                counts[book[nz[p], j]] += w[p]
            tb = tiebreak[j]
            best = tb
            best_c = counts[tb]
            for q in range(1, r):
                k = tb + q
                if k >= r:
                    k -= r
                if counts[k] > best_c:
                    best = k
                    best_c = counts[k]
            for p in range(n_nz):
                counts[book[nz[p], j]] = 0
            if best != est_f[i, j]:
                moved = True
                est_f[i, j] = best
        if moved:
            changed[i] = True
