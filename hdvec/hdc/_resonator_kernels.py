"""Numba kernels of the bipolar resonator network (MAP and BSC). Private.

The Python layer (``resonator.py``) validates the inputs and passes
C-contiguous float32 arrays holding ±1 estimates; the kernels write into
preallocated outputs and never raise.
"""

from __future__ import annotations

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
