"""Numba kernels of the encoders. Inputs are validated by the Python layer.

Documents arrive in CSR form: ``starts`` (N + 1,) int64 offsets into a flat
array of grams or symbol ids; document ``d`` owns ``starts[d]:starts[d+1]``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

_U0 = np.uint64(0)
_U1 = np.uint64(1)


@njit(cache=True, nogil=True, parallel=True)
def gram_sum(tables, grams, starts, counts, out):
    """Dense bag of n-grams: ``out[d] = sum_g counts[g] * prod_j tables[j, grams[g, j]]``.

    tables (n, U, W) (position ``j`` already permuted); grams (G, n) int64;
    starts (N + 1,) int64; counts (G,) int64; out (N, W), zeroed here.
    """
    n_docs = starts.shape[0] - 1
    n, _, width = tables.shape
    for d in prange(n_docs):
        acc = out[d]
        acc[:] = 0
        buf = np.empty(width, tables.dtype)
        for g in range(starts[d], starts[d + 1]):
            buf[:] = tables[0, grams[g, 0]]
            for j in range(1, n):
                row = tables[j, grams[g, j]]
                for w in range(width):
                    buf[w] *= row[w]
            c = counts[g]
            for w in range(width):
                acc[w] += c * buf[w]


@njit(cache=True, nogil=True, inline="always")
def _pack_majority(acc, total, tiebreak, out_row):
    """Bits set where more than half of ``total`` votes say 1; ties take ``tiebreak``."""
    dim = acc.shape[0]
    for w in range(out_row.shape[0]):
        word = _U0
        tb = tiebreak[w]
        for bit in range(min(64, dim - w * 64)):
            twice = 2 * acc[w * 64 + bit]
            if twice > total or (twice == total and (tb >> np.uint64(bit)) & _U1):
                word |= _U1 << np.uint64(bit)
        out_row[w] = word


@njit(cache=True, nogil=True, parallel=True)
def gram_majority(tables, grams, starts, counts, dim, tiebreak, out):
    """Binary bag of n-grams: bitwise majority of ``counts[g]`` copies of ``xor_j tables[j, grams[g, j]]``.

    tables (n, U, nw) uint64; out (N, nw) uint64. Documents without grams get ``tiebreak``.
    """
    n_docs = starts.shape[0] - 1
    n, _, nw = tables.shape
    for d in prange(n_docs):
        acc = np.zeros(nw * 64, np.int64)
        total = 0
        for g in range(starts[d], starts[d + 1]):
            c = counts[g]
            total += c
            for w in range(nw):
                x = tables[0, grams[g, 0], w]
                for j in range(1, n):
                    x ^= tables[j, grams[g, j], w]
                base = w * 64
                for bit in range(64):
                    acc[base + bit] += c * np.int64((x >> np.uint64(bit)) & _U1)
        _pack_majority(acc[:dim], total, tiebreak, out[d])


@njit(cache=True, nogil=True, parallel=True)
def shifted_sum(vectors, ids, starts, positional, out):
    """Dense sequence bundle: ``out[d] = sum_i roll(vectors[ids[i]], L_d - 1 - i)``
    (``positional``) or the plain sum of the rows (a bag).

    vectors (U, D); ids (M,) int64; out (N, D), zeroed here. roll as ``np.roll``:
    component k moves to (k + s) mod D.
    """
    n_docs = starts.shape[0] - 1
    dim = vectors.shape[1]
    for d in prange(n_docs):
        acc = out[d]
        acc[:] = 0
        last = starts[d + 1] - 1
        for i in range(starts[d], starts[d + 1]):
            s = (last - i) % dim if positional else 0
            v = vectors[ids[i]]
            for k in range(dim - s):
                acc[k + s] += v[k]
            for k in range(dim - s, dim):
                acc[k + s - dim] += v[k]


@njit(cache=True, nogil=True, parallel=True)
def shifted_majority(words, ids, starts, dim, positional, tiebreak, out):
    """Binary sequence bundle: bitwise majority of ``rotate(words[ids[i]], L_d - 1 - i)``
    (``positional``) or of the rows themselves (a bag).

    words (U, nw) uint64; out (N, nw) uint64. Empty documents get ``tiebreak``.
    """
    n_docs = starts.shape[0] - 1
    nw = words.shape[1]
    for d in prange(n_docs):
        acc = np.zeros(dim, np.int64)
        last = starts[d + 1] - 1
        for i in range(starts[d], starts[d + 1]):
            s = (last - i) % dim if positional else 0
            row = words[ids[i]]
            for w in range(nw):
                x = row[w]
                base = w * 64
                for bit in range(min(64, dim - base)):
                    k = base + bit + s
                    if k >= dim:
                        k -= dim
                    acc[k] += np.int64((x >> np.uint64(bit)) & _U1)
        _pack_majority(acc, starts[d + 1] - starts[d], tiebreak, out[d])


@njit(cache=True, nogil=True, parallel=True)
def segment_sum(rows, weights, table, starts, segments, out):
    """``out[s] = sum_{t in segment segments[s]} weights[t] * table[rows[t]]``; out (S, D) zeroed here.

    Segment ``g`` owns terms ``starts[g]:starts[g+1]``; ``segments`` (S,) picks
    (and orders) the segments to sum.
    """
    width = table.shape[1]
    for s in prange(segments.shape[0]):
        g = segments[s]
        acc = out[s]
        acc[:] = 0
        for t in range(starts[g], starts[g + 1]):
            w = weights[t]
            row = table[rows[t]]
            for k in range(width):
                acc[k] += w * row[k]


@njit(cache=True, nogil=True, parallel=True)
def fourier_features(values, freq, phase, scale, out):
    """``out[i, k] = scale * cos(values[i] * freq[k] + phase[k])``, float32 out, float64 argument.

    The argument is reduced to [-pi, pi] in float64 and the cosine is its even
    Taylor polynomial to degree 20 (error < 1e-9 there), which vectorizes.
    """
    two_pi = 2.0 * np.pi
    for i in prange(values.shape[0]):
        x = values[i]
        row = out[i]
        for k in range(freq.shape[0]):
            a = x * freq[k] + phase[k]
            a -= two_pi * np.floor(a / two_pi + 0.5)
            a2 = a * a
            c = 1.0 / 2432902008176640000.0  # 1/20!
            c = c * a2 * -1.0 + 1.0 / 6402373705728000.0  # 1/18!
            c = c * a2 * -1.0 + 1.0 / 20922789888000.0
            c = c * a2 * -1.0 + 1.0 / 87178291200.0
            c = c * a2 * -1.0 + 1.0 / 479001600.0
            c = c * a2 * -1.0 + 1.0 / 3628800.0
            c = c * a2 * -1.0 + 1.0 / 40320.0
            c = c * a2 * -1.0 + 1.0 / 720.0
            c = c * a2 * -1.0 + 1.0 / 24.0
            c = c * a2 * -1.0 + 0.5
            c = c * a2 * -1.0 + 1.0
            row[k] = scale * c


@njit(cache=True, nogil=True, parallel=True)
def add_segments(vecs, rows, starts, targets, out):
    """``out[targets[g]] += vecs[rows[t]]`` for t in ``starts[g]:starts[g+1]``, added one row at a time
    in that order (so the sums are the same however the terms were split into calls); targets distinct."""
    width = vecs.shape[1]
    for g in prange(targets.shape[0]):
        acc = out[targets[g]]
        for t in range(starts[g], starts[g + 1]):
            row = vecs[rows[t]]
            for k in range(width):
                acc[k] += row[k]


@njit(cache=True, nogil=True, parallel=True)
def add_scaled_rows(out, rows, x, w):
    """``out[rows[i]] += x[i] * w[i]`` in float32 (the product rounded, then added); rows distinct."""
    for i in prange(rows.shape[0]):
        r = rows[i]
        for k in range(x.shape[1]):
            out[r, k] += x[i, k] * w[i]
