"""Numba kernels of the HDC classifiers (``hdvec.learn``). Private.

Prototype training runs one whole epoch per call: samples are taken in
``order``, ``batch`` at a time; each batch is scored against the prototypes
as they were when the batch began (Torchhd's ``Centroid.add_adapt`` /
``add_online`` semantics), then the batch's updates are applied in sample
order. Scores are cosine similarities; a zero vector scores 0 against
everything, and ``argmax`` takes the first of equal scores.

Kernels assume validated, C-contiguous inputs (the Python layer checks them)
and write into preallocated outputs.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..hdc._kernels import popcount_u64

RULE_ADD = 0  # W[t] += lr h (bundling)
RULE_ADAPT = 1  # wrong only: W[t] += lr h, W[p] -= lr h (AdaptHD)
RULE_ONLINE = 2  # wrong only: W[t] += lr (1 - s_t) h, W[p] += lr (s_p - 1) h (OnlineHD, as Torchhd)


@njit(cache=True, nogil=True)
def _row_norm(w, c):
    acc = 0.0
    for j in range(w.shape[1]):
        acc += np.float64(w[c, j]) * np.float64(w[c, j])
    return np.sqrt(acc)


@njit(cache=True, nogil=True)
def _dot_row(h, i, w, c):
    acc = np.float32(0.0)
    for j in range(w.shape[1]):
        acc += np.float32(h[i, j]) * w[c, j]
    return acc


@njit(cache=True, nogil=True)
def _add_scaled(w, c, h, i, a):
    for j in range(w.shape[1]):
        w[c, j] += a * np.float32(h[i, j])


@njit(cache=True, nogil=True)
def _score_row(h, i, w, wnorm, hnorm, out, b):
    for c in range(w.shape[0]):
        den = hnorm[i] * wnorm[c]
        out[b, c] = _dot_row(h, i, w, c) / den if den > 0 else np.float32(0.0)


@njit(cache=True, nogil=True, parallel=True)
def _score_batch_parallel(h, rows, w, wnorm, hnorm, out):
    for b in prange(rows.shape[0]):
        _score_row(h, rows[b], w, wnorm, hnorm, out, b)


@njit(cache=True, nogil=True)
def _score_batch(h, rows, w, wnorm, hnorm, out):
    """out[b, c] = cos(h[rows[b]], w[c]) for the batch rows (parallel over the batch when it has 8 or more)."""
    if rows.shape[0] >= 8:
        _score_batch_parallel(h, rows, w, wnorm, hnorm, out)
    else:
        for b in range(rows.shape[0]):
            _score_row(h, rows[b], w, wnorm, hnorm, out, b)


@njit(cache=True, nogil=True)
def sq_norms(h, out):
    """out (n,) float32: Euclidean norms of the rows of h (n, d)."""
    for i in range(h.shape[0]):
        out[i] = _row_norm(h, i)


@njit(cache=True, nogil=True)
def train_epoch(h, hnorm, y, order, batch, lr, rule, w, wnorm, scores):
    """One epoch of prototype updates; returns how many samples were mispredicted (scored before update).

    h (n, d) float32 or int8 hypervectors, hnorm (n,) float32 their norms, y (n,)
    int64 class indices, order (m,) int64 the samples to visit, w (c, d) float32
    prototypes and wnorm (c,) float32 their norms (both updated in place),
    scores (batch, c) float32 scratch. ``rule`` is RULE_ADD, RULE_ADAPT or RULE_ONLINE.
    """
    n_wrong = 0
    m = order.shape[0]
    touched = np.zeros(w.shape[0], np.bool_)
    for start in range(0, m, batch):
        rows = order[start:min(start + batch, m)]
        if rule != RULE_ADD:
            _score_batch(h, rows, w, wnorm, hnorm, scores)
        for b in range(rows.shape[0]):
            i = rows[b]
            t = y[i]
            if rule == RULE_ADD:
                _add_scaled(w, t, h, i, np.float32(lr))
                touched[t] = True
                continue
            p = 0
            for c in range(1, w.shape[0]):
                if scores[b, c] > scores[b, p]:
                    p = c
            if p == t:
                continue
            n_wrong += 1
            if rule == RULE_ADAPT:
                _add_scaled(w, t, h, i, np.float32(lr))
                _add_scaled(w, p, h, i, np.float32(-lr))
            else:
                _add_scaled(w, t, h, i, np.float32(lr * (1.0 - scores[b, t])))
                _add_scaled(w, p, h, i, np.float32(lr * (scores[b, p] - 1.0)))
            touched[t] = True
            touched[p] = True
        for c in range(w.shape[0]):
            if touched[c]:
                wnorm[c] = _row_norm(w, c)
                touched[c] = False
    return n_wrong


@njit(cache=True, nogil=True, parallel=True)
def cosine_scores(h, hnorm, w, wnorm, out):
    """out (n, c) float32: cos(h[i], w[c]); 0 where either vector is zero (parallel over samples)."""
    for i in prange(h.shape[0]):
        for c in range(w.shape[0]):
            den = hnorm[i] * wnorm[c]
            out[i, c] = _dot_row(h, i, w, c) / den if den > 0 else np.float32(0.0)


@njit(cache=True, nogil=True, parallel=True)
def bit_counts(h, y, n_classes, dim, out):
    """out (n_classes, dim) int32 += per-class counts of +1 minus -1 over packed rows h (n, words).

    Bit 1 is -1 (hdvec's ``pack_bits`` convention), so a set bit subtracts one.
    Parallel over classes (each class owns its output row).
    """
    for c in prange(n_classes):
        for i in range(h.shape[0]):
            if y[i] != c:
                continue
            for j in range(dim):
                bit = (h[i, j >> 6] >> np.uint64(j & 63)) & np.uint64(1)
                out[c, j] += np.int32(1) - np.int32(2) * np.int32(bit)


@njit(cache=True, nogil=True)
def pack_signs(counts, tiebreak, out):
    """out (c, words) uint64: bit j of row c set where counts[c, j] < 0, or == 0 and tiebreak bit j is set."""
    dim = counts.shape[1]
    for c in range(counts.shape[0]):
        for w in range(out.shape[1]):
            out[c, w] = np.uint64(0)
        for j in range(dim):
            v = counts[c, j]
            neg = v < 0 or (v == 0 and ((tiebreak[j >> 6] >> np.uint64(j & 63)) & np.uint64(1)) == np.uint64(1))
            if neg:
                out[c, j >> 6] |= np.uint64(1) << np.uint64(j & 63)


@njit(cache=True, nogil=True)
def _hamming_row(h, i, protos, c):
    acc = 0
    for k in range(h.shape[1]):
        acc += popcount_u64(h[i, k] ^ protos[c, k])
    return acc


@njit(cache=True, nogil=True)
def _add_bits(counts, c, h, i, sign):
    """counts[c] += sign * bipolar(h[i]) (bit 1 is -1)."""
    for j in range(counts.shape[1]):
        bit = np.int32((h[i, j >> 6] >> np.uint64(j & 63)) & np.uint64(1))
        counts[c, j] += sign * (np.int32(1) - np.int32(2) * bit)


@njit(cache=True, nogil=True)
def train_epoch_bits(h, y, order, batch, counts, tiebreak, protos, dist):
    """One retraining epoch on packed binary hypervectors; returns the mispredicted count.

    h (n, words) uint64, y (n,) int64, order (m,) int64; counts (c, dim) int32 the
    bipolar class sums and protos (c, words) uint64 their signs (``pack_signs``
    with ``tiebreak``), both updated in place; dist (batch, c) int64 scratch.
    Each batch is scored by Hamming distance against the prototypes as they were
    when it began (ties: the lower class); a mispredicted sample adds its bipolar
    vector to its class's sums and subtracts it from the predicted class's.
    """
    n_wrong = 0
    m = order.shape[0]
    nc = counts.shape[0]
    touched = np.zeros(nc, np.bool_)
    for start in range(0, m, batch):
        stop = min(start + batch, m)
        for b in range(stop - start):
            for c in range(nc):
                dist[b, c] = _hamming_row(h, order[start + b], protos, c)
        for b in range(stop - start):
            i = order[start + b]
            t = y[i]
            p = 0
            for c in range(1, nc):
                if dist[b, c] < dist[b, p]:
                    p = c
            if p == t:
                continue
            n_wrong += 1
            _add_bits(counts, t, h, i, np.int32(1))
            _add_bits(counts, p, h, i, np.int32(-1))
            touched[t] = True
            touched[p] = True
        for c in range(nc):
            if touched[c]:
                pack_signs(counts[c:c + 1], tiebreak, protos[c:c + 1])
                touched[c] = False
    return n_wrong
