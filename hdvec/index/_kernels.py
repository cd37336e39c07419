"""Numba scan kernels for the quantized codes of ``hdvec.index.codes``. Private.

Conventions (shared with ``_list_kernels.py``):

* rows of IVF list ``l`` are ``list_offsets[l]:list_offsets[l + 1]``;
* ``probes`` (nq, nprobe) int64 holds the lists of each query; ``-1`` is
  skipped, and a list repeated in one query's row is scanned once;
* ``allowed`` is an (n,) bool mask, or a zero-length array meaning every row;
* outputs ``out_dist`` (nq, kk) float32 and ``out_rows`` (nq, kk) int64 are
  sorted ascending by (distance, row), so ties go to the lower row, and are
  padded with ``inf`` / ``-1``. The result is the unique set of the kk
  smallest (distance, row) pairs, so it does not depend on the number of
  threads or on the order of the probes;
* distances are lower-is-better: squared L2, or ``-<q, x>`` (``metric_ip``).

Kernels assume validated, C-contiguous inputs of the documented dtypes (the
Python layer in ``codes.py`` checks them) and write into preallocated outputs.
They keep no global state, so several threads may call them at once. Inner
products accumulate in float32; only the helpers that hold the reductions are
compiled with reassociation (``_FM``), so the loops vectorize while the
comparisons in the heaps keep strict IEEE semantics (``inf`` sentinels).
"""

from __future__ import annotations

from contextlib import contextmanager

import numba
import numpy as np
from numba import njit, prange

from .._kernels import heap_init, heap_push, heap_write

_FM = {"reassoc", "nsz", "contract"}  # float reductions only: vectorizable sums, no nnan/ninf
_F0 = np.float32(0.0)
_U15 = np.uint8(15)


def num_threads() -> int:
    """Threads Numba's parallel kernels use in this Python thread."""
    return numba.get_num_threads()


@contextmanager
def serial(on: bool = True):
    """Run this Python thread's Numba kernels on one thread inside the block (when ``on``).

    Small searches finish faster than the worker threads wake up (tens of
    microseconds each parallel region when OpenMP threads sleep, e.g. under
    ``OMP_WAIT_POLICY=PASSIVE``). Numba's thread count is per Python thread,
    so other threads' searches are not affected.
    """
    if not on:
        yield
        return
    prev = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(prev)


# ---------------------------------------------------------------- heaps


@njit(cache=True, nogil=True, inline="always")
def _repeated(prow, p):
    """True when list prow[p] already appears in prow[:p]."""
    lst = prow[p]
    for t in range(p):
        if prow[t] == lst:
            return True
    return False


@njit(cache=True, nogil=True)
def _probe_table(probes, list_offsets, table):
    """table (nq, nprobe + 1) int64: running count of rows in the distinct valid probes."""
    nq, npr = probes.shape
    for qi in range(nq):
        table[qi, 0] = 0
        prow = probes[qi]
        for p in range(npr):
            lst = prow[p]
            n = 0
            if lst >= 0 and not _repeated(prow, p):
                n = list_offsets[lst + 1] - list_offsets[lst]
            table[qi, p + 1] = table[qi, p] + n


@njit(cache=True, nogil=True)
def _merge_parts(part_d, part_i, out_dist, out_rows):
    """Merge per-chunk heaps part (nc, nq, kk) into sorted outputs (nq, kk)."""
    nc, nq, kk = part_d.shape
    for qi in range(nq):
        hd = out_dist[qi, :kk]
        hi = out_rows[qi, :kk]
        heap_init(hd, hi)
        if kk == 0:
            continue
        for c in range(nc):
            for j in range(kk):
                heap_push(hd, hi, part_d[c, qi, j], part_i[c, qi, j])
        heap_write(hd, hi, hd, hi)


# ---------------------------------------------------------------- LVQ rows


@njit(cache=True, nogil=True, fastmath=_FM)
def _dot_u8(q, codes, r):
    """<q, codes[r]> for float32 q (d,) and uint8 codes (n, d), float32 accumulation.

    The row is indexed in place (no ``codes[r]`` view): a view per row costs
    two atomic reference-count updates on the shared array, which threads
    scanning the same array would contend on.
    """
    acc = _F0
    for j in range(q.shape[0]):
        acc += q[j] * np.float32(codes[r, j])
    return acc


@njit(cache=True, nogil=True, fastmath=_FM)
def _dot_u4(qe, qo, codes, r):
    """<q, codes[r]> for packed 4-bit codes (n, nb): low nibble = coordinate 2j, high = 2j + 1.

    qe[j] = q[2j] and qo[j] = q[2j + 1] (0 past the end for odd d), so both
    streams are contiguous and the loop vectorizes.
    """
    acc = _F0
    for j in range(codes.shape[1]):
        # nibbles split in float32 (exact for 0..255): 32-bit lanes throughout, where
        # integer & / >> would be widened to int64 lanes by Numba's typing
        b = np.float32(codes[r, j])
        h = np.floor(b * np.float32(0.0625))
        acc += qe[j] * (b - np.float32(16.0) * h) + qo[j] * h
    return acc


@njit(cache=True, nogil=True)
def query_sums(q):
    """(sum(q), |q|^2) of a query, accumulated in float64, returned as float32 (the LVQ / RaBitQ terms)."""
    s = 0.0
    s2 = 0.0
    for j in range(q.shape[0]):
        v = np.float64(q[j])
        s += v
        s2 += v * v
    return np.float32(s), np.float32(s2)


@njit(cache=True, nogil=True)
def _lvq_prepare(q, bits, qe, qo):
    """Split q into even / odd coordinates (4-bit codes); return (sum(q), |q|^2) as float32."""
    d = q.shape[0]
    if bits == 4:
        for j in range(qe.shape[0]):
            qe[j] = q[2 * j]
            qo[j] = q[2 * j + 1] if 2 * j + 1 < d else _F0
    return query_sums(q)


@njit(cache=True, nogil=True)
def _lvq_range(q, qe, qo, qsum, qsq, codes, lo, delta, sqnorm, bits, metric_ip, allowed, use_mask, a, b, hd, hi):
    """Score rows a..b (reconstruction lo + delta * c) into the heap (hd, hi)."""
    for r in range(a, b):
        if use_mask and not allowed[r]:
            continue
        if bits == 8:
            dot = _dot_u8(q, codes, r)
        else:
            dot = _dot_u4(qe, qo, codes, r)
        ip = lo[r] * qsum + delta[r] * dot
        if metric_ip:
            dist = -ip
        else:
            dist = max(qsq + sqnorm[r] - np.float32(2.0) * ip, _F0)
        heap_push(hd, hi, dist, r)


@njit(cache=True, nogil=True, parallel=True)
def scan_lvq(queries, probes, list_offsets, codes, lo, delta, sqnorm, bits, metric_ip, allowed, kk, out_dist, out_rows):
    """LVQ scan of the probed lists with a fused top-kk, parallel over queries.

    queries (nq, d) float32, centred like the codes; codes (n, d) uint8 when
    ``bits`` is 8, (n, ceil(d / 2)) uint8 when 4 (low nibble = even
    coordinate); lo, delta, sqnorm (n,) float32. Distances are those of the
    reconstruction ``lo + delta * c``: ``|q|^2 + sqnorm - 2 (lo sum(q) + delta
    <q, c>)`` clamped at 0, or ``-(lo sum(q) + delta <q, c>)`` when
    ``metric_ip``. out_dist (nq, kk) float32, out_rows (nq, kk) int64.
    """
    nq, d = queries.shape
    use_mask = allowed.shape[0] > 0
    nb = (d + 1) // 2
    for qi in prange(nq):
        hd = out_dist[qi, :kk]
        hi = out_rows[qi, :kk]
        heap_init(hd, hi)
        if kk == 0:
            continue
        q = queries[qi]
        qe = np.empty(nb, np.float32)
        qo = np.empty(nb, np.float32)
        qsum, qsq = _lvq_prepare(q, bits, qe, qo)
        prow = probes[qi]
        for p in range(prow.shape[0]):
            lst = prow[p]
            if lst < 0 or _repeated(prow, p):
                continue
            _lvq_range(q, qe, qo, qsum, qsq, codes, lo, delta, sqnorm, bits, metric_ip, allowed, use_mask,
                       list_offsets[lst], list_offsets[lst + 1], hd, hi)
        heap_write(hd, hi, hd, hi)


@njit(cache=True, nogil=True, parallel=True)
def scan_lvq_rows(queries, probes, list_offsets, codes, lo, delta, sqnorm, bits, metric_ip, allowed, kk, out_dist,
                  out_rows, n_threads):
    """``scan_lvq`` for a few queries, parallel over the probed rows instead.

    Each query's probed rows (its distinct lists, concatenated) are cut into
    ``n_threads`` contiguous chunks; every chunk keeps its own heap per query,
    and the heaps are merged at the end. Same arguments and results as
    ``scan_lvq``, plus the trailing ``n_threads`` (>= 1).
    """
    nq, d = queries.shape
    npr = probes.shape[1]
    nc = max(n_threads, 1)
    use_mask = allowed.shape[0] > 0
    nb = (d + 1) // 2
    table = np.empty((nq, npr + 1), np.int64)
    _probe_table(probes, list_offsets, table)
    part_d = np.empty((nc, nq, kk), np.float32)
    part_i = np.empty((nc, nq, kk), np.int64)
    for c in prange(nc):
        qe = np.empty(nb, np.float32)
        qo = np.empty(nb, np.float32)
        for qi in range(nq):
            hd = part_d[c, qi]
            hi = part_i[c, qi]
            heap_init(hd, hi)
            if kk == 0:
                continue
            q = queries[qi]
            qsum, qsq = _lvq_prepare(q, bits, qe, qo)
            total = table[qi, npr]
            per = (total + nc - 1) // nc
            a = c * per
            b = min(a + per, total)
            for p in range(npr):
                s0 = table[qi, p]
                s1 = table[qi, p + 1]
                if s1 <= a or s0 >= b or s0 == s1:
                    continue
                base = list_offsets[probes[qi, p]] - s0
                _lvq_range(q, qe, qo, qsum, qsq, codes, lo, delta, sqnorm, bits, metric_ip, allowed, use_mask,
                           base + max(a, s0), base + min(b, s1), hd, hi)
    _merge_parts(part_d, part_i, out_dist, out_rows)


# ---------------------------------------------------------------- re-ranking


@njit(cache=True, nogil=True, fastmath=_FM)
def _lvq2_dist(q, codes, res_codes, r, lo_r, delta_r, bits, metric_ip):
    """Distance of q to row r's two-level reconstruction (lo + delta c) + delta2 c2 - delta / 2."""
    d2 = delta_r / np.float32(255.0)
    half = delta_r * np.float32(0.5)
    acc = _F0
    for j in range(q.shape[0]):
        if bits == 8:
            cj = codes[r, j]
        else:
            cj = (codes[r, j >> 1] >> np.uint8(4 * (j & 1))) & _U15
        x = (lo_r + delta_r * np.float32(cj)) + d2 * np.float32(res_codes[r, j]) - half
        if metric_ip:
            acc += q[j] * x
        else:
            t = q[j] - x
            acc += t * t
    return -acc if metric_ip else acc


@njit(cache=True, nogil=True, fastmath=_FM)
def _exact_dist(q, vectors, r, metric_ip):
    acc = _F0
    if metric_ip:
        for j in range(q.shape[0]):
            acc += q[j] * vectors[r, j]
        return -acc
    for j in range(q.shape[0]):
        t = q[j] - vectors[r, j]
        acc += t * t
    return acc


@njit(cache=True, nogil=True, parallel=True)
def rerank_lvq2(queries, rows, codes, res_codes, lo, delta, bits, metric_ip, k, out_dist, out_rows):
    """Re-score shortlists with the two-level (LVQ-Bx8) reconstruction; keep the top k.

    rows (nq, kk) int64 shortlist (-1 = empty; no row twice in one query);
    res_codes (n, d) uint8 residual codes; codes, lo, delta as in ``scan_lvq``.
    L2 is summed directly over ``(q - x)^2``. out_dist (nq, k), out_rows (nq, k).
    """
    nq = queries.shape[0]
    for qi in prange(nq):
        hd = out_dist[qi, :k]
        hi = out_rows[qi, :k]
        heap_init(hd, hi)
        if k == 0:
            continue
        q = queries[qi]
        for j in range(rows.shape[1]):
            r = rows[qi, j]
            if r < 0:
                continue
            dist = _lvq2_dist(q, codes, res_codes, r, lo[r], delta[r], bits, metric_ip)
            heap_push(hd, hi, dist, r)
        heap_write(hd, hi, hd, hi)


@njit(cache=True, nogil=True, parallel=True)
def rerank_exact(queries, rows, vectors, metric_ip, k, out_dist, out_rows):
    """Re-score shortlists rows (nq, kk) (-1 = empty) with float32 vectors (n, d); keep the top k.

    ``vectors`` may be a read-only memory map (Numba compiles a read-only
    variant on first use). Squared L2 is summed directly over ``(q - x)^2``.
    """
    nq = queries.shape[0]
    for qi in prange(nq):
        hd = out_dist[qi, :k]
        hi = out_rows[qi, :k]
        heap_init(hd, hi)
        if k == 0:
            continue
        q = queries[qi]
        for j in range(rows.shape[1]):
            r = rows[qi, j]
            if r < 0:
                continue
            heap_push(hd, hi, _exact_dist(q, vectors, r, metric_ip), r)
        heap_write(hd, hi, hd, hi)


# ---------------------------------------------------------------- RaBitQ


@njit(cache=True, nogil=True)
def _rabitq_prepare(q, lut):
    """Byte lookup table of the rotated query: lut[b, v] = sum of q[8b + t] over the set bits t of v.

    Returns (sum(q), |q|^2) as float32. lut (D / 8, 256) float32.
    """
    for b in range(lut.shape[0]):
        lut[b, 0] = _F0
        for t in range(8):
            qv = q[8 * b + t]
            step = 1 << t
            for v in range(step, 2 * step):
                lut[b, v] = lut[b, v - step] + qv
    return query_sums(q)


@njit(cache=True, nogil=True, fastmath=_FM)
def _lut_sum(lut, words, r):
    """Sum of the rotated query over the set bits of code row ``words[r]`` (nw,) uint64."""
    acc = _F0
    for i in range(words.shape[1]):
        x = words[r, i]
        for t in range(8):
            acc += lut[8 * i + t, np.intp((x >> np.uint64(8 * t)) & np.uint64(255))]
    return acc


@njit(cache=True, nogil=True)
def _rabitq_range(lut, qsum, qsq, inv_sqrt_d, words, norm, ip, metric_ip, allowed, use_mask, a, b, hd, hi):
    """Score rows a..b with the unbiased estimator into the heap (hd, hi)."""
    for r in range(a, b):
        if use_mask and not allowed[r]:
            continue
        s = _lut_sum(lut, words, r)
        # <x_bar, q'> = (2 sum_{bits set} q' - sum q') / sqrt(D);  <x, q> ~ |x| <x_bar, q'> / <o_bar, o>
        est = norm[r] / ip[r] * ((np.float32(2.0) * s - qsum) * inv_sqrt_d)
        if metric_ip:
            dist = -est
        else:
            dist = norm[r] * norm[r] + qsq - np.float32(2.0) * est
        heap_push(hd, hi, dist, r)


@njit(cache=True, nogil=True, parallel=True)
def scan_rabitq(queries, probes, list_offsets, words, norm, ip, metric_ip, allowed, kk, out_dist, out_rows):
    """1-bit RaBitQ scan with a fused top-kk, parallel over queries.

    queries (nq, D) float32 are the centred queries already padded and rotated
    (``codes.rabitq_query``), used in full precision (no query quantization):
    the estimator stays exactly the paper's unbiased one, and a per-query byte
    table (D / 8 lookups per row) makes the float path as cheap as bit-plane
    popcounts at these sizes. words (n, D / 64) uint64 sign codes; norm (n,)
    float32 = |x|; ip (n,) float32 = <o_bar, o>. Estimated distances:
    ``|x|^2 + |q|^2 - 2 est`` (may be slightly negative) or ``-est``, with
    ``est = |x| <x_bar, q'> / <o_bar, o>``.
    """
    nq, dp = queries.shape
    use_mask = allowed.shape[0] > 0
    inv_sqrt_d = np.float32(1.0 / np.sqrt(dp))
    for qi in prange(nq):
        hd = out_dist[qi, :kk]
        hi = out_rows[qi, :kk]
        heap_init(hd, hi)
        if kk == 0:
            continue
        lut = np.empty((dp // 8, 256), np.float32)
        qsum, qsq = _rabitq_prepare(queries[qi], lut)
        prow = probes[qi]
        for p in range(prow.shape[0]):
            lst = prow[p]
            if lst < 0 or _repeated(prow, p):
                continue
            _rabitq_range(lut, qsum, qsq, inv_sqrt_d, words, norm, ip, metric_ip, allowed, use_mask,
                          list_offsets[lst], list_offsets[lst + 1], hd, hi)
        heap_write(hd, hi, hd, hi)


@njit(cache=True, nogil=True, parallel=True)
def scan_rabitq_rows(queries, probes, list_offsets, words, norm, ip, metric_ip, allowed, kk, out_dist, out_rows,
                     n_threads):
    """``scan_rabitq`` for a few queries, parallel over the probed rows (see ``scan_lvq_rows``)."""
    nq, dp = queries.shape
    npr = probes.shape[1]
    nc = max(n_threads, 1)
    use_mask = allowed.shape[0] > 0
    inv_sqrt_d = np.float32(1.0 / np.sqrt(dp))
    table = np.empty((nq, npr + 1), np.int64)
    _probe_table(probes, list_offsets, table)
    part_d = np.empty((nc, nq, kk), np.float32)
    part_i = np.empty((nc, nq, kk), np.int64)
    for c in prange(nc):
        lut = np.empty((dp // 8, 256), np.float32)
        for qi in range(nq):
            hd = part_d[c, qi]
            hi = part_i[c, qi]
            heap_init(hd, hi)
            if kk == 0:
                continue
            qsum, qsq = _rabitq_prepare(queries[qi], lut)
            total = table[qi, npr]
            per = (total + nc - 1) // nc
            a = c * per
            b = min(a + per, total)
            for p in range(npr):
                s0 = table[qi, p]
                s1 = table[qi, p + 1]
                if s1 <= a or s0 >= b or s0 == s1:
                    continue
                base = list_offsets[probes[qi, p]] - s0
                _rabitq_range(lut, qsum, qsq, inv_sqrt_d, words, norm, ip, metric_ip, allowed, use_mask,
                              base + max(a, s0), base + min(b, s1), hd, hi)
    _merge_parts(part_d, part_i, out_dist, out_rows)
