"""Numba kernels of MBAT's structured roles: blocks of Walsh-Hadamard transforms with sign flips and
permutations, applied row by row or in tiles. Private: ``orthogonal.py`` validates the inputs."""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True)
def _fwht_inplace(v, start, size, scale):
    """Orthonormal Walsh-Hadamard transform of v[start:start+size] (size a power of two); ``scale`` is
    ``1 / sqrt(size)`` in v's precision (float32 callers round it first, as the tiles do)."""
    h = 1
    while h < size:
        for i in range(start, start + size, 2 * h):
            for j in range(i, i + h):
                a = v[j]
                b = v[j + h]
                v[j] = a + b
                v[j + h] = a - b
        h *= 2
    for j in range(start, start + size):
        v[j] *= scale


_MBAT_TILE = 16  # rows per tile of the batched structured transform


def structured_apply(x, signs, perms, starts, sizes, transpose, out):
    """Apply the structured orthogonal transform (see ``structured_apply_rows``) to each row of x.

    Always ``structured_apply_tiles`` (``_MBAT_TILE`` rows side by side, so every
    butterfly is a SIMD loop; a short batch fills part of one tile): each row
    gets the same float32 arithmetic whatever the batch around it, so encoding
    a record alone, in a batch or on another Dask worker gives the same bytes.
    ``structured_apply_rows`` (float64) stays as the reference.

    Batches of fewer than ``_FEW_ROWS`` rows go through ``structured_apply_few``
    instead: the tiles' float32 operations in the same order, one row at a
    time, so the bytes are the same (tested) at a fraction of a tile's cost.
    """
    if x.shape[0] < _FEW_ROWS:
        structured_apply_few(x, signs, perms, starts, sizes, transpose, out)
    else:
        structured_apply_tiles(x, signs, perms, starts, sizes, transpose, out)


_FEW_ROWS = 7  # measured at D = 10,000 (2 cores): one row 1.28 ms as a tile, 0.24 ms alone; 8 rows alone cost a tile


@njit(cache=True, nogil=True)
def structured_apply_few(x, signs, perms, starts, sizes, transpose, out):
    """``structured_apply_tiles`` one row at a time: float32, the same operations in the same order."""
    n, dim = x.shape
    n_rounds = signs.shape[0]
    v = np.empty(dim, np.float32)
    t = np.empty(dim, np.float32)
    for r in range(n):
        for j in range(dim):
            v[j] = x[r, j]
        for step in range(n_rounds):
            k = n_rounds - 1 - step if transpose else step
            if not transpose:
                for j in range(dim):
                    p = perms[k, j]
                    t[j] = v[p] * np.float32(signs[k, p])
                v, t = t, v
            for b in range(starts.shape[0]):
                _fwht_inplace(v, starts[b], sizes[b], np.float32(1.0 / np.sqrt(sizes[b])))
            if transpose:
                for j in range(dim):
                    p = perms[k, j]
                    t[p] = v[j] * np.float32(signs[k, p])
                v, t = t, v
        for j in range(dim):
            out[r, j] = v[j]


@njit(cache=True, nogil=True, parallel=True)
def structured_apply_tiles(x, signs, perms, starts, sizes, transpose, out):
    """``structured_apply_rows`` on tiles of ``_MBAT_TILE`` rows held transposed, ``(D, _MBAT_TILE)``
    float32: the permutation moves whole tile rows and each butterfly adds and
    subtracts ``_MBAT_TILE`` contiguous values."""
    n, dim = x.shape
    n_rounds = signs.shape[0]
    for tile in prange((n + _MBAT_TILE - 1) // _MBAT_TILE):
        r0 = tile * _MBAT_TILE
        m = min(n, r0 + _MBAT_TILE) - r0
        v = np.empty((dim, _MBAT_TILE), np.float32)
        t = np.empty((dim, _MBAT_TILE), np.float32)
        for i in range(m):
            for j in range(dim):
                v[j, i] = x[r0 + i, j]
        for step in range(n_rounds):
            k = n_rounds - 1 - step if transpose else step
            if not transpose:
                for j in range(dim):
                    p = perms[k, j]
                    sg = np.float32(signs[k, p])
                    for i in range(m):
                        t[j, i] = v[p, i] * sg
                v, t = t, v
            for b in range(starts.shape[0]):
                lo, size = starts[b], sizes[b]
                h = 1
                while h < size:
                    for i0 in range(lo, lo + size, 2 * h):
                        for j in range(i0, i0 + h):
                            for i in range(m):
                                a = v[j, i]
                                c = v[j + h, i]
                                v[j, i] = a + c
                                v[j + h, i] = a - c
                    h *= 2
                scale = np.float32(1.0 / np.sqrt(size))
                for j in range(lo, lo + size):
                    for i in range(m):
                        v[j, i] *= scale
            if transpose:
                for j in range(dim):
                    p = perms[k, j]
                    sg = np.float32(signs[k, p])
                    for i in range(m):
                        t[p, i] = v[j, i] * sg
                v, t = t, v
        for i in range(m):
            for j in range(dim):
                out[r0 + i, j] = v[j, i]


@njit(cache=True, nogil=True, parallel=True)
def structured_apply_rows(x, signs, perms, starts, sizes, transpose, out):
    """Apply the structured orthogonal transform Q (or Q^T) to each row of x.

    Q = prod over rounds r of  H_blocks · P_r · S_r  (S_r = diag(signs[r]),
    P_r the permutation ``v -> v[perms[r]]``, H_blocks the orthonormal
    Walsh-Hadamard transform on the blocks ``starts``/``sizes``). Rounds are
    applied in order 0, 1, ...; the transpose undoes them in reverse. Arithmetic
    is float64 per row; x, out (n, D) float32.
    """
    n, dim = x.shape
    n_rounds = signs.shape[0]
    for r in prange(n):
        v = np.empty(dim, dtype=np.float64)
        t = np.empty(dim, dtype=np.float64)
        for j in range(dim):
            v[j] = x[r, j]
        if not transpose:
            for k in range(n_rounds):
                for j in range(dim):
                    t[j] = v[perms[k, j]] * signs[k, perms[k, j]]
                for b in range(starts.shape[0]):
                    _fwht_inplace(t, starts[b], sizes[b], 1.0 / np.sqrt(sizes[b]))
                v, t = t, v
        else:
            for k in range(n_rounds - 1, -1, -1):
                for b in range(starts.shape[0]):
                    _fwht_inplace(v, starts[b], sizes[b], 1.0 / np.sqrt(sizes[b]))
                for j in range(dim):
                    p = perms[k, j]
                    t[p] = v[j] * signs[k, p]
                v, t = t, v
        for j in range(dim):
            out[r, j] = v[j]
