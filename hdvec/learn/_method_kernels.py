"""Numba kernels of the compressed / binary classifiers (``hdvec.learn``). Private.

Packed rows follow hdvec's BSC layout: bit ``j`` of a ``dim``-bit vector is
bit ``j % 64`` of word ``j // 64``, and a set bit is the bipolar value -1.
Kernels assume validated, C-contiguous inputs and write into their outputs.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def add_packed(h, rows, cls, scale, counts):
    """counts[cls[r]] += scale * bipolar(h[rows[r]]) for every r (in order).

    h (n, words) uint64 packed rows, rows (m,) int64 sample indices, cls (m,)
    int64 class indices, scale float32, counts (n_classes, dim) float32.
    """
    dim = counts.shape[1]
    for r in range(rows.shape[0]):
        i = rows[r]
        c = cls[r]
        for w in range(h.shape[1]):
            word = h[i, w]
            base = w * 64
            stop = min(64, dim - base)
            for b in range(stop):
                if (word >> np.uint64(b)) & np.uint64(1):
                    counts[c, base + b] -= scale
                else:
                    counts[c, base + b] += scale
