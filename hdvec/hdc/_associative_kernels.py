"""Numba kernels of the associative memories (``associative.py``). Private.

Kernels assume validated, C-contiguous inputs of the documented dtypes and
write into preallocated outputs. Bit vectors are rows of uint64 words (the
``BSC`` layout); Hamming distances use the package's single popcount helper.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._kernels import popcount_u64


@njit(cache=True, nogil=True, inline="always")
def _hamming(a, b):
    s = 0
    for w in range(a.shape[0]):
        s += popcount_u64(a[w] ^ b[w])
    return s


@njit(cache=True, nogil=True, parallel=True)
def sdm_write(addresses, locations, radius, values, kappa, counters):
    """Add ``values[i]`` to the counters of every location within ``radius`` of ``addresses[i]``.

    addresses (n, nw) uint64, locations (m, nw) uint64, values (n, vd)
    float32, counters (m, vd) float32 (updated in place). ``kappa > 0``
    clips every touched counter to [-kappa, kappa] after the batch; ``kappa
    <= 0`` never clips. Parallel over locations: each thread owns its rows.
    """
    n = addresses.shape[0]
    m = locations.shape[0]
    vd = values.shape[1]
    for j in prange(m):
        loc = locations[j]
        row = counters[j]
        touched = False
        for i in range(n):
            if _hamming(addresses[i], loc) <= radius:
                touched = True
                v = values[i]
                for c in range(vd):
                    row[c] += v[c]
        if touched and kappa > 0:
            for c in range(vd):
                if row[c] > kappa:
                    row[c] = kappa
                elif row[c] < -kappa:
                    row[c] = -kappa


@njit(cache=True, nogil=True, parallel=True)
def sdm_read(queries, locations, radius, counters, out, n_active):
    """out[i] = sum of the counters of the locations within ``radius`` of ``queries[i]``.

    queries (n, nw) uint64, locations (m, nw) uint64, counters (m, vd)
    float32, out (n, vd) float32, n_active (n,) int64 (locations read).
    Parallel over queries.
    """
    n = queries.shape[0]
    m = locations.shape[0]
    vd = counters.shape[1]
    for i in prange(n):
        q = queries[i]
        o = out[i]
        o[:] = 0
        cnt = 0
        for j in range(m):
            if _hamming(q, locations[j]) <= radius:
                cnt += 1
                row = counters[j]
                for c in range(vd):
                    o[c] += row[c]
        n_active[i] = cnt


@njit(cache=True, nogil=True, parallel=True)
def hopfield_async(weights, states, orders, iterations, converged):
    """Asynchronous Hopfield recall, in place on ``states``.

    weights (d, d) float32, symmetric with a zero diagonal; states (n, d)
    float32 holding ±1; orders (max_iter, d) int64, the unit order of each
    sweep. A unit takes the sign of its local field, keeping its state on a
    zero field; the local fields are updated incrementally (one column per
    flip). A query stops after the first sweep that flips nothing:
    iterations[i] = sweeps run, converged[i] = whether that happened.
    Parallel over queries.
    """
    n, d = states.shape
    max_iter = orders.shape[0]
    for q in prange(n):
        s = states[q]
        h = np.zeros(d, np.float64)
        for i in range(d):
            w = weights[i]
            acc = 0.0
            for j in range(d):
                acc += w[j] * s[j]
            h[i] = acc
        iterations[q] = max_iter
        converged[q] = False
        for t in range(max_iter):
            changed = False
            for k in range(d):
                i = orders[t, k]
                if h[i] > 0:
                    new = 1.0
                elif h[i] < 0:
                    new = -1.0
                else:
                    continue
                if new != s[i]:
                    delta = new - s[i]
                    s[i] = new
                    w = weights[i]  # symmetric: row i is column i
                    for j in range(d):
                        h[j] += delta * w[j]
                    changed = True
            if not changed:
                iterations[q] = t + 1
                converged[q] = True
                break


@njit(cache=True, nogil=True, parallel=True, fastmath=True)
def softmax_rows(scores, beta):
    """scores (n, m) float32 <- softmax(beta * scores) along each row, in place (max-subtracted)."""
    n, m = scores.shape
    for i in prange(n):
        row = scores[i]
        top = row[0]
        for j in range(1, m):
            top = max(top, row[j])
        total = 0.0
        for j in range(m):
            e = np.exp(beta * (row[j] - top))
            row[j] = e
            total += e
        inv = 1.0 / total
        for j in range(m):
            row[j] *= inv
