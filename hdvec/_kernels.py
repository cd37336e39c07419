"""Numba kernels shared by every subpackage (validation helpers). Private."""

from __future__ import annotations

from numba import njit


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
