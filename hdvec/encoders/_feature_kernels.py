"""Numba kernels of the numeric feature encoders. Inputs are validated by the Python layer.

Vectors are handled in bipolar form (int8 ±1; bit 1 of a packed BSC word is
-1), so one kernel serves MAP (sign) and BSC (majority, packed): XOR of bits
is the product of the ±1 forms and a bitwise majority is the sign of their sum.

Quantisation of a value ``x`` of feature ``f`` (the same formula as the NumPy
and torch paths): ``level = rint((min(max(x, low[f]), high[f]) - low[f]) /
span[f] * steps)``, in float64, rounding half to even.

Prefix form of the level records. Level ``l`` of a Level codebook takes
component ``k`` from ``b`` when ``l >= s[k]`` and from ``a`` otherwise (the
switch level ``s[k]`` comes from the component's threshold). With the
components sorted by ``s`` (``perm``), the components that level ``l`` takes
from ``b`` are the first ``lengths[l]``, so the sum over features of
``key_f * level(x_f)`` is ``base + sum_f table[f, :lengths[level_f]]`` with
``base = a * sum_f key_f`` and ``table[f] = key_f * (b - a)`` (both permuted):
each feature costs only the components its level has moved. The density
(thermometer) code is the same sum with ``lengths`` the identity.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

_U0 = np.uint64(0)
_U1 = np.uint64(1)
_BLOCK = 64  # rows per parallel task: the scratch vectors are allocated once per block


@njit(cache=True, nogil=True, inline="always")
def _level(x, low, high, span, steps):
    """Level index of one value (clipped to [low, high]); see the module docstring."""
    v = np.float64(x)
    if v < low:
        v = low
    elif v > high:
        v = high
    i = np.int64(np.rint((v - low) / span * steps))
    if i < 0:
        i = 0
    elif i > steps:
        i = np.int64(steps)
    return i


@njit(cache=True, nogil=True, inline="always")
def _prefix_sum(row, low, high, span, steps, lengths, base, table, acc):
    """acc = base + sum_f table[f, :lengths[level(row[f])]] (int32)."""
    acc[:] = base
    for f in range(row.shape[0]):
        m = lengths[_level(row[f], low[f], high[f], span[f], steps)]
        t = table[f]
        for k in range(m):
            acc[k] += t[k]


@njit(cache=True, nogil=True, inline="always")
def _pack_negative(sums, tiebreak, out_row):
    """Bit k = 1 where sums[k] < 0, or sums[k] == 0 and tiebreak[k] < 0; unused tail bits stay 0."""
    dim = sums.shape[0]
    for w in range(out_row.shape[0]):
        word = _U0
        base = w * 64
        for bit in range(min(64, dim - base)):
            s = sums[base + bit]
            if s < 0 or (s == 0 and tiebreak[base + bit] < 0):
                word |= _U1 << np.uint64(bit)
        out_row[w] = word


@njit(cache=True, nogil=True, parallel=True)
def density(x, low, high, span, steps, lengths, base, table, out):
    """Density code: ``out[i] = base + sum_f table[f, :level(x[i, f])]`` as float32.

    x (n, F) float32/float64; low, high, span (F,) float64; lengths (steps + 1,)
    int64; base (D,) int32; table (F, D) int8; out (n, D) float32.
    """
    n = x.shape[0]
    dim = base.shape[0]
    for blk in prange((n + _BLOCK - 1) // _BLOCK):
        acc = np.empty(dim, np.int32)
        for i in range(blk * _BLOCK, min(n, (blk + 1) * _BLOCK)):
            _prefix_sum(x[i], low, high, span, steps, lengths, base, table, acc)
            o = out[i]
            for k in range(dim):
                o[k] = acc[k]


@njit(cache=True, nogil=True, parallel=True)
def record_sign(x, low, high, span, steps, lengths, base, table, perm, out):
    """MAP level record: ``out[i, perm[j]] = sign(acc[j])`` (0 for a tie), float32 (n, D).

    Arguments as ``density``, with ``perm`` (D,) int64 the component order of ``base`` and ``table``.
    """
    n = x.shape[0]
    dim = base.shape[0]
    for blk in prange((n + _BLOCK - 1) // _BLOCK):
        acc = np.empty(dim, np.int32)
        for i in range(blk * _BLOCK, min(n, (blk + 1) * _BLOCK)):
            _prefix_sum(x[i], low, high, span, steps, lengths, base, table, acc)
            o = out[i]
            for j in range(dim):
                s = acc[j]
                o[perm[j]] = 1.0 if s > 0 else (-1.0 if s < 0 else 0.0)


@njit(cache=True, nogil=True, parallel=True)
def record_majority(x, low, high, span, steps, lengths, base, table, perm, tiebreak, out):
    """BSC level record: the packed majority of the bound pairs, ties from ``tiebreak`` (D,) int8 ±1.

    Arguments as ``record_sign``; out (n, ceil(D / 64)) uint64.
    """
    n = x.shape[0]
    dim = base.shape[0]
    for blk in prange((n + _BLOCK - 1) // _BLOCK):
        acc = np.empty(dim, np.int32)
        sums = np.empty(dim, np.int32)
        for i in range(blk * _BLOCK, min(n, (blk + 1) * _BLOCK)):
            _prefix_sum(x[i], low, high, span, steps, lengths, base, table, acc)
            for j in range(dim):
                sums[perm[j]] = acc[j]
            _pack_negative(sums, tiebreak, out[i])


@njit(cache=True, nogil=True, inline="always")
def _window_sum(win, low, high, span, steps, keys, codebook, tiebreak, ngram, rec, gram, acc):
    """acc = sum_t prod_j roll(record_{t+j}, ngram - 1 - j) for one window (T, C) -> acc (D,) int32.

    record_t = sign(sum_c keys[c] * codebook[level(win[t, c])]), ties from ``tiebreak``.
    """
    n_steps, n_channels = win.shape
    dim = keys.shape[1]
    for t in range(n_steps):
        r = rec[t]
        gram[:] = 0
        for c in range(n_channels):
            lv = codebook[_level(win[t, c], low[c], high[c], span[c], steps)]
            kc = keys[c]
            for k in range(dim):
                gram[k] += kc[k] * lv[k]
        for k in range(dim):
            s = gram[k]
            r[k] = 1 if s > 0 else (-1 if s < 0 else tiebreak[k])
    acc[:] = 0
    for t in range(n_steps - ngram + 1):
        gram[:] = 1
        for j in range(ngram):
            s = (ngram - 1 - j) % dim  # roll by s: component k comes from k - s
            r = rec[t + j]
            for k in range(s, dim):
                gram[k] *= r[k - s]
            for k in range(s):
                gram[k] *= r[k - s + dim]
        for k in range(dim):
            acc[k] += gram[k]


@njit(cache=True, nogil=True, parallel=True)
def signal_sign(x, low, high, span, steps, keys, codebook, tiebreak, ngram, out):
    """MAP signal windows: ``out[i] = sign(window sum)`` (0 for a tie), float32 (n, D).

    x (n, T, C) float32/float64; low, high, span (C,) float64; keys (C, D) int8;
    codebook (steps + 1, D) int8; tiebreak (D,) int8; T >= ngram >= 1.
    """
    n, n_steps, _ = x.shape
    dim = keys.shape[1]
    for blk in prange((n + _BLOCK - 1) // _BLOCK):
        rec = np.empty((n_steps, dim), np.int8)
        gram = np.empty(dim, np.int32)
        acc = np.empty(dim, np.int32)
        for i in range(blk * _BLOCK, min(n, (blk + 1) * _BLOCK)):
            _window_sum(x[i], low, high, span, steps, keys, codebook, tiebreak, ngram, rec, gram, acc)
            o = out[i]
            for k in range(dim):
                s = acc[k]
                o[k] = 1.0 if s > 0 else (-1.0 if s < 0 else 0.0)


@njit(cache=True, nogil=True, parallel=True)
def signal_majority(x, low, high, span, steps, keys, codebook, tiebreak, ngram, out):
    """BSC signal windows: packed majority of the n-grams, ties from ``tiebreak``; out (n, ceil(D / 64)) uint64.

    Arguments as ``signal_sign``.
    """
    n, n_steps, _ = x.shape
    dim = keys.shape[1]
    for blk in prange((n + _BLOCK - 1) // _BLOCK):
        rec = np.empty((n_steps, dim), np.int8)
        gram = np.empty(dim, np.int32)
        acc = np.empty(dim, np.int32)
        for i in range(blk * _BLOCK, min(n, (blk + 1) * _BLOCK)):
            _window_sum(x[i], low, high, span, steps, keys, codebook, tiebreak, ngram, rec, gram, acc)
            _pack_negative(acc, tiebreak, out[i])
