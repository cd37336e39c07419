"""Numba kernels for ``hdvec.hdc``. Private: the Python layer validates inputs.

Kernels assume C-contiguous inputs of the documented dtypes and write into
preallocated outputs. Bit vectors are rows of uint64 words; bit ``i`` of a
vector is bit ``i % 64`` of word ``i // 64``. Top-k selection keeps a max-heap
per query ordered by (distance, index), so ties go to the lower index and the
results do not depend on the number of threads.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange, types
from numba.extending import intrinsic

from .._kernels import heap_replace_top

_U0 = np.uint64(0)
_U1 = np.uint64(1)
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)


@intrinsic
def popcount_u64(typingctx, x):
    """Set bits of one uint64 word: LLVM ``ctpop``, one POPCNT (VPOPCNTQ when vectorized).

    The single popcount helper of hdvec; every Hamming kernel uses it.
    """
    sig = types.uint64(types.uint64)

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return sig, codegen


@njit(cache=True, nogil=True)
def popcount_rows(x, out):
    """out[i] = total set bits of row ``x[i]``; x (n, nw) uint64, out (n,) int64."""
    for i in range(x.shape[0]):
        s = 0
        for w in range(x.shape[1]):
            s += popcount_u64(x[i, w])
        out[i] = s


@njit(cache=True, nogil=True, inline="always")
def _hamming_row(a, b):
    s = _U0
    for w in range(a.shape[0]):
        s += popcount_u64(a[w] ^ b[w])
    return np.int64(s)


@njit(cache=True, nogil=True, parallel=True)
def hamming_rowwise(a, b, out):
    """out[i] = Hamming(a[i], b[i]); a, b (n, nw) uint64, out (n,) int32."""
    for i in prange(a.shape[0]):
        out[i] = _hamming_row(a[i], b[i])


# ------------------------------------------------------------ Hamming top-k

_QB = 8  # queries scored together: each database word is loaded once for eight queries
_HAMMING_TILE = 64  # database rows per tile (80 KB at D = 10,000): stays in L2 while queries cycle


@njit(cache=True, nogil=True)
def _hamming_tile(q, qa, nqb, x, t0, t1, dist):
    """dist[r, j - t0] = Hamming(q[qa + r], x[j]) for r < nqb <= 8 and t0 <= j < t1.

    Eight queries share every load of a database word, with eight accumulators
    (measured: 8 beats 4 by about 15 %, 16 spills registers).
    """
    nw = q.shape[1]
    if nqb == _QB:
        a0, a1, a2, a3 = q[qa], q[qa + 1], q[qa + 2], q[qa + 3]
        a4, a5, a6, a7 = q[qa + 4], q[qa + 5], q[qa + 6], q[qa + 7]
        for j in range(t0, t1):
            xj = x[j]
            s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = _U0
            for w in range(nw):
                v = xj[w]
                s0 += popcount_u64(v ^ a0[w])
                s1 += popcount_u64(v ^ a1[w])
                s2 += popcount_u64(v ^ a2[w])
                s3 += popcount_u64(v ^ a3[w])
                s4 += popcount_u64(v ^ a4[w])
                s5 += popcount_u64(v ^ a5[w])
                s6 += popcount_u64(v ^ a6[w])
                s7 += popcount_u64(v ^ a7[w])
            c = j - t0
            dist[0, c] = s0
            dist[1, c] = s1
            dist[2, c] = s2
            dist[3, c] = s3
            dist[4, c] = s4
            dist[5, c] = s5
            dist[6, c] = s6
            dist[7, c] = s7
    else:
        for r in range(nqb):
            for j in range(t0, t1):
                dist[r, j - t0] = _hamming_row(q[qa + r], x[j])


@njit(cache=True, nogil=True)
def _hamming_pairs(q, x, q0, q1, x0, x1, out):
    """out[i, j] = Hamming(q[i], x[j]) for queries q[q0:q1] and rows x[x0:x1]: tiles written in place."""
    for t0 in range(x0, x1, _HAMMING_TILE):
        for qa in range(q0, q1, _QB):
            _hamming_tile(q, qa, min(_QB, q1 - qa), x, t0, min(t0 + _HAMMING_TILE, x1), out[qa:, t0:])


@njit(cache=True, nogil=True)
def hamming_scan_topk(q, x, q0, q1, x0, x1, hd, hi):
    """Fold the Hamming distances of queries q[q0:q1] to rows x[x0:x1] into the heaps (hd[i], hi[i]),
    tile by tile; rows ascend, so a strict ``<`` keeps the lower index on ties."""
    dist = np.empty((_QB, _HAMMING_TILE), np.int32)
    for t0 in range(x0, x1, _HAMMING_TILE):
        t1 = min(t0 + _HAMMING_TILE, x1)
        for qa in range(q0, q1, _QB):
            nqb = min(_QB, q1 - qa)
            _hamming_tile(q, qa, nqb, x, t0, t1, dist)
            for r in range(nqb):
                hdq = hd[qa + r]
                hiq = hi[qa + r]
                for j in range(t1 - t0):
                    if dist[r, j] < hdq[0]:
                        heap_replace_top(hdq, hiq, dist[r, j], t0 + j)


@njit(cache=True, nogil=True, parallel=True)
def hamming_pairwise(q, x, n_parts, by_rows, out):
    """out (nq, n) int32 = pairwise Hamming of q (nq, nw) and x (n, nw) uint64.

    Work is split into ``n_parts`` ranges of queries, or of database rows when
    ``by_rows`` (few queries); each part runs tile by tile.
    """
    nq, nx = q.shape[0], x.shape[0]
    total = nx if by_rows else nq
    per = (total + n_parts - 1) // n_parts
    for p in prange(n_parts):
        a = p * per
        b = min(a + per, total)
        if a < b:
            if by_rows:
                _hamming_pairs(q, x, 0, nq, a, b, out)
            else:
                _hamming_pairs(q, x, a, b, 0, nx, out)


@njit(cache=True, nogil=True, parallel=True)
def hamming_topk_by_queries(q, x, n_groups, hd, hi):
    """Top-k Hamming, parallel over groups of queries; hd (nq, k) int32, hi (nq, k) int64.

    Heaps must be initialised to (int32 max, int64 max). Each group streams the
    database once, tile by tile, so memory traffic is n_groups passes, not nq.
    Rows are scanned in increasing index, so a strict ``<`` keeps the lower index
    on ties. Write the heaps out with ``heaps_write``.
    """
    nq = q.shape[0]
    per = (nq + n_groups - 1) // n_groups
    for g in prange(n_groups):
        g0 = g * per
        g1 = min(g0 + per, nq)
        if g0 < g1:
            hamming_scan_topk(q, x, g0, g1, 0, x.shape[0], hd, hi)


@njit(cache=True, nogil=True, parallel=True)
def hamming_topk_by_rows(q, x, n_chunks, part_d, part_i):
    """Top-k Hamming for few queries, parallel over database chunks.

    part_d (n_chunks, nq, k) int32 and part_i int64 hold one heap per chunk and
    query, initialised to the sentinels; merge them with ``heaps_merge``.
    """
    nx = x.shape[0]
    per = (nx + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        x0 = c * per
        x1 = min(x0 + per, nx)
        if x0 < x1:
            hamming_scan_topk(q, x, 0, q.shape[0], x0, x1, part_d[c], part_i[c])


# ------------------------------------------------------------ dense dot products


@njit(cache=True, nogil=True, parallel=True)
def dots_int(q, x, out):
    """out (nq, n) float32 = q (nq, D) @ x (n, D).T for integer vectors (int8/int16/int32).

    Exact int32 accumulation, parallel over database rows: for a few queries
    this streams the database once at memory speed, where BLAS would first
    convert every row to float32.
    """
    nq, dim = q.shape
    for j in prange(x.shape[0]):
        xj = x[j]
        for i in range(nq):
            qi = q[i]
            acc = np.int32(0)
            for c in range(dim):
                acc += np.int32(qi[c]) * np.int32(xj[c])
            out[i, j] = acc


@njit(cache=True, nogil=True, parallel=True)
def row_norms(x, out):
    """out (n,) float32 = Euclidean norm of each row of x (n, D), real dtypes, float64 sums."""
    for j in prange(x.shape[0]):
        xj = x[j]
        acc = 0.0
        for c in range(x.shape[1]):
            v = np.float64(xj[c])
            acc += v * v
        out[j] = np.sqrt(acc)


# ------------------------------------------------------------ bit operations


@njit(cache=True, nogil=True, inline="always")
def _low_mask(n):
    """Word with the low ``n`` bits set, 0 <= n <= 64."""
    if n >= 64:
        return _ALL
    return (_U1 << np.uint64(n)) - _U1


@njit(cache=True, nogil=True, inline="always")
def _extract(row, start, n):
    """``n`` (1..64) bits of ``row`` starting at bit ``start``, as the low bits of a word."""
    w = start >> 6
    off = start & 63
    v = row[w] >> np.uint64(off)
    if off + n > 64:
        v |= row[w + 1] << np.uint64(64 - off)
    return v & _low_mask(n)


@njit(cache=True, nogil=True, parallel=True)
def rotate_bits(x, dim, shift, out):
    """Cyclic rotation of each dim-bit row: out bit i = x bit (i - shift) mod dim.

    x, out (n, nw) uint64; 0 <= shift < dim; the unused high bits stay zero.
    """
    n, nw = x.shape
    for r in prange(n):
        row = x[r]
        for ow in range(nw):
            lo = ow * 64
            nbits = min(64, dim - lo)
            src = lo - shift
            if src < 0:
                src += dim
            first = min(nbits, dim - src)
            v = _extract(row, src, first)
            if first < nbits:
                v |= _extract(row, 0, nbits - first) << np.uint64(first)
            out[r, ow] = v


@njit(cache=True, nogil=True, parallel=True)
def majority_bits(x, n_planes, tiebreak, out):
    """Bitwise majority of x (B, n, nw) uint64 into out (B, nw).

    Counts are kept bit-sliced (``n_planes`` counter planes per word, a ripple
    carry adder), so a row costs about two word operations instead of 64.
    Positions with exactly n/2 ones take the bit of ``tiebreak`` (nw,).
    """
    nbatch, n, nw = x.shape
    n_blocks = (nw + 7) // 8
    for task in prange(nbatch * n_blocks):
        bidx = task // n_blocks
        w0 = (task % n_blocks) * 8
        w1 = min(w0 + 8, nw)
        planes = np.zeros((w1 - w0, n_planes), dtype=np.uint64)
        for r in range(n):
            for w in range(w0, w1):
                carry = x[bidx, r, w]
                p = 0
                while carry != _U0:
                    t = planes[w - w0, p] & carry
                    planes[w - w0, p] ^= carry
                    carry = t
                    p += 1
        for w in range(w0, w1):
            word = _U0
            tb = tiebreak[w]
            for bit in range(64):
                c = 0
                for p in range(n_planes):
                    c += np.int64((planes[w - w0, p] >> np.uint64(bit)) & _U1) << p
                if 2 * c > n:
                    word |= _U1 << np.uint64(bit)
                elif 2 * c == n:
                    word |= tb & (_U1 << np.uint64(bit))
            out[bidx, w] = word


@njit(cache=True, nogil=True, parallel=True)
def weighted_majority_bits(x, weights, tiebreak, out):
    """Weighted majority: bit = sign(sum_r weights[r] * (+1 if bit else -1)), ties -> tiebreak.

    x (n, nw) uint64, weights (n,) float64, out (nw,) uint64.
    """
    n, nw = x.shape
    for w in prange(nw):
        acc = np.zeros(64, dtype=np.float64)
        for r in range(n):
            v = x[r, w]
            wr = weights[r]
            for bit in range(64):
                if (v >> np.uint64(bit)) & _U1:
                    acc[bit] += wr
                else:
                    acc[bit] -= wr
        word = _U0
        for bit in range(64):
            m = _U1 << np.uint64(bit)
            if acc[bit] > 0:
                word |= m
            elif acc[bit] == 0:
                word |= tiebreak[w] & m
        out[w] = word


# ------------------------------------------------------------ dense helpers


@njit(cache=True, nogil=True)
def _add_rows(x, r0, r1, acc):
    """acc (D,) += x[r0:r1].sum(0): four rows per pass over ``acc``, so the
    accumulator is loaded and stored once per four rows streamed."""
    dim = acc.shape[0]
    r = r0
    while r + 4 <= r1:
        a, b, c, d = x[r], x[r + 1], x[r + 2], x[r + 3]
        for j in range(dim):
            acc[j] += (acc.dtype.type(a[j]) + acc.dtype.type(b[j])) + (acc.dtype.type(c[j]) + acc.dtype.type(d[j]))
        r += 4
    for rr in range(r, r1):
        row = x[rr]
        for j in range(dim):
            acc[j] += row[j]


@njit(cache=True, nogil=True, parallel=True)
def sum_rows(x, threads, out):
    """out (B, D) = x (B, n, D) summed over axis 1, accumulated in out's dtype.

    int8 -> int32 (MAP-I bundles) and float32 -> float32. Many bundles go in
    parallel over B; one bundle splits its rows over ``threads`` (each streams
    a contiguous range into its own partial sum), then the partials are added.
    """
    nbatch, n, dim = x.shape
    if nbatch >= threads or n < 4 * threads:
        for b in prange(nbatch):
            out[b, :] = 0
            _add_rows(x[b], 0, n, out[b])
    else:
        per = (n + threads - 1) // threads
        partial = np.zeros((threads, dim), dtype=out.dtype)
        for b in range(nbatch):
            partial[:, :] = 0
            for t in prange(threads):
                _add_rows(x[b], min(n, t * per), min(n, (t + 1) * per), partial[t])
            out[b, :] = 0
            for t in range(threads):
                for j in range(dim):
                    out[b, j] += partial[t, j]


@njit(cache=True, nogil=True, inline="always")
def _mul_row(a, b, r, out):
    """out[r] = a[r] * b[r], or * b[0] when b has one row."""
    br = b[0] if b.shape[0] == 1 else b[r]
    ar = a[r]
    o = out[r]
    for j in range(ar.shape[0]):
        o[j] = ar[j] * br[j]
    return o


@njit(cache=True, nogil=True, parallel=True)
def mul_rows(a, b, out):
    """out = a * b for integer a (n, D) and b (n, D) or (1, D), in out's dtype, rows in parallel."""
    for r in prange(a.shape[0]):
        _mul_row(a, b, r, out)


@njit(cache=True, nogil=True, parallel=True)
def mul_rows_f32(a, b, out):
    """out = a * b for float32 a (n, D) and b (n, D) or (1, D) (broadcast).

    Returns the number of rows whose product holds inf or NaN, found in the
    same pass (exponent-bit test of each output row while it is in cache).
    """
    n, dim = a.shape
    bad = 0
    for r in prange(n):
        bits = _mul_row(a, b, r, out).view(np.uint32)
        acc = np.uint32(0)
        for j in range(dim):
            acc |= (bits[j] & np.uint32(0x7F800000)) + np.uint32(0x00800000)
        if acc >> np.uint32(31):
            bad += 1
    return bad


@njit(cache=True, nogil=True, parallel=True)
def roll_rows(x, shift, out):
    """out[r] = np.roll(x[r], shift) for x, out (n, D); 0 <= shift < D."""
    n, dim = x.shape
    for r in prange(n):
        src = x[r]
        dst = out[r]
        for j in range(dim - shift):
            dst[j + shift] = src[j]
        for j in range(shift):
            dst[j] = src[dim - shift + j]


def num_threads() -> int:
    return numba.get_num_threads()
