"""Numba kernels of the 4-bit fast scan (``hdvec.index.fastscan``). Private: the Python layer validates.

Layout (built by ``fastscan.pack_blocks``): the codes of 32 vectors form a
block of ``npairs`` rows of 32 bytes; row ``j`` holds sub-quantizers ``2j``
(bytes 0-15) and ``2j + 1`` (bytes 16-31), byte ``t`` of each half holding
vector ``t`` in its low nibble and vector ``t + 16`` in its high nibble. The
query's quantized tables have the same shape per pair: 16 uint8 entries for
``2j`` then 16 for ``2j + 1``. One ``vpshufb`` then looks up 32 entries at
once, and sums accumulate in 16-bit lanes (``fastscan.quantize_tables`` keeps
every total below 2**16).

``block_sums`` picks the AVX2 version when the CPU Numba compiles for has
AVX2 (an LLVM intrinsic emitted through ``numba.extending.intrinsic``), else
the portable loop; both give the same integers (tested against the NumPy
reference).
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import binding as llb
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic, overload

from .._kernels import heap_init, heap_push, heap_write
from ._kernels import _repeated

BLOCK = 32  # vectors per block


def _host_has_avx2() -> bool:
    if numba.config.CPU_NAME not in (None, "host"):  # compiling for another CPU: stay portable
        return False
    return bool(llb.get_host_cpu_features().get("avx2", False))


HAVE_AVX2 = _host_has_avx2()


@intrinsic
def _avx2_block(typingctx, codes_addr, lut_addr, npairs, out_addr):
    """32 uint16 sums of one block: ``npairs`` rows of codes and tables at the two addresses."""
    sig = types.void(types.uintp, types.uintp, types.int64, types.uintp)

    def codegen(context, builder, signature, args):
        caddr, laddr, n, oaddr = args
        i8, i16, i32, i64 = ir.IntType(8), ir.IntType(16), ir.IntType(32), ir.IntType(64)
        v32i8, v16i16, v32i16 = ir.VectorType(i8, 32), ir.VectorType(i16, 16), ir.VectorType(i16, 32)
        mod = builder.module
        name = "llvm.x86.avx2.pshuf.b"
        pshufb = mod.globals.get(name) or ir.Function(mod, ir.FunctionType(v32i8, [v32i8, v32i8]), name)
        cptr = builder.inttoptr(caddr, v32i8.as_pointer())
        lptr = builder.inttoptr(laddr, v32i8.as_pointer())
        nib, four = ir.Constant(v32i8, [15] * 32), ir.Constant(v32i8, [4] * 32)
        low_byte, eight = ir.Constant(v16i16, [255] * 16), ir.Constant(v16i16, [8] * 16)
        pre = builder.block
        head = builder.append_basic_block("fs.head")
        body = builder.append_basic_block("fs.body")
        done = builder.append_basic_block("fs.done")
        builder.branch(head)
        builder.position_at_end(head)
        j = builder.phi(i64)
        j.add_incoming(ir.Constant(i64, 0), pre)
        # accumulators: (low nibbles, high nibbles) x (even bytes, odd bytes), 16 x uint16 each
        accs = [builder.phi(v16i16) for _ in range(4)]
        for a in accs:
            a.add_incoming(ir.Constant(v16i16, None), pre)
        builder.cbranch(builder.icmp_signed("<", j, n), body, done)
        builder.position_at_end(body)
        codes = builder.load(builder.gep(cptr, [j]), align=1)
        table = builder.load(builder.gep(lptr, [j]), align=1)
        looked = (builder.call(pshufb, [table, builder.and_(codes, nib)]),
                  builder.call(pshufb, [table, builder.and_(builder.lshr(codes, four), nib)]))
        new = []
        for r, (even, odd) in zip(looked, (accs[:2], accs[2:])):
            w = builder.bitcast(r, v16i16)
            new += [builder.add(even, builder.and_(w, low_byte)), builder.add(odd, builder.lshr(w, eight))]
        j.add_incoming(builder.add(j, ir.Constant(i64, 1)), body)
        for a, v in zip(accs, new):
            a.add_incoming(v, body)
        builder.branch(head)
        builder.position_at_end(done)

        def pick(idx):
            return ir.Constant(ir.VectorType(i32, len(idx)), idx)

        halves = []
        for even, odd in (accs[:2], accs[2:]):
            # element e of even/odd = byte 2e / 2e + 1; bytes 0-15 are sub-quantizer 2j, 16-31 are 2j + 1
            s = builder.add(builder.shuffle_vector(even, odd, pick(list(range(8)) + list(range(16, 24)))),
                            builder.shuffle_vector(even, odd, pick(list(range(8, 16)) + list(range(24, 32)))))
            halves.append(builder.shuffle_vector(s, s, pick([x for e in range(8) for x in (e, 8 + e)])))
        both = builder.shuffle_vector(halves[0], halves[1], pick(list(range(32))))
        builder.store(both, builder.inttoptr(oaddr, v32i16.as_pointer()), align=2)
        return context.get_dummy_value()

    return sig, codegen


@njit(cache=True, nogil=True)
def block_sums_avx2(blocks, b, lut, out):
    """``block_sums`` through ``vpshufb`` (only on CPUs with AVX2)."""
    _avx2_block(blocks.ctypes.data + b * blocks.strides[0], lut.ctypes.data, blocks.shape[1], out.ctypes.data)


@njit(cache=True, nogil=True)
def block_sums_portable(blocks, b, lut, out):
    """out (32,) uint16: table sums of the 32 vectors of block ``b``.

    blocks (nb, npairs, 32) uint8, lut (npairs, 32) uint8 (C-contiguous).
    """
    for v in range(BLOCK):
        out[v] = 0
    for j in range(blocks.shape[1]):
        for half in range(2):
            for t in range(16):
                byte = blocks[b, j, 16 * half + t]
                out[t] += lut[j, 16 * half + (byte & 15)]
                out[t + 16] += lut[j, 16 * half + (byte >> 4)]


def block_sums(blocks, b, lut, out):
    """Dispatches (at compile time) to the AVX2 or the portable block kernel."""


@overload(block_sums, jit_options={"cache": True, "nogil": True})
def _block_sums_impl(blocks, b, lut, out):
    kernel = block_sums_avx2 if HAVE_AVX2 else block_sums_portable

    def impl(blocks, b, lut, out):
        kernel(blocks, b, lut, out)

    return impl


@njit(cache=True, nogil=True)
def query_tables(q, codebooks_t, factor, cap, raw, lut):
    """Quantized tables of one query, as ``fastscan.quantize_tables`` of ``-factor * <q_s, codebook>``.

    q (d,) float32; codebooks_t (m, d / m, 16) float32 (the codebooks with
    their last two axes swapped, so the 16 centroids are the inner loop);
    raw (m, 16) float32 scratch; lut (ceil(m / 2), 32) uint8 out (an odd m's
    last table is 0). Returns (bias, scale) as float32.
    """
    m, dsub, ksub = codebooks_t.shape
    bias = np.float32(0.0)
    top = np.float32(0.0)
    for s in range(m):
        for j in range(ksub):
            raw[s, j] = np.float32(0.0)
        for t in range(dsub):
            qv = q[s * dsub + t]
            for j in range(ksub):
                raw[s, j] += qv * codebooks_t[s, t, j]
        low = np.float32(np.inf)
        for j in range(ksub):
            raw[s, j] = -factor * raw[s, j]
            low = min(low, raw[s, j])
        for j in range(ksub):
            raw[s, j] -= low
            top = max(top, raw[s, j])
        bias += low
    scale = np.float32(cap) / (top if top > 0 else np.float32(1.0))
    for s in range(m):
        for j in range(ksub):
            lut[s // 2, 16 * (s % 2) + j] = np.uint8(min(np.floor(raw[s, j] * scale + np.float32(0.5)), cap))
    if m % 2:
        for j in range(ksub):
            lut[m // 2, 16 + j] = 0
    return bias, scale


@njit(cache=True, nogil=True, parallel=True)
def scan_pq4(queries, codebooks_t, metric_ip, cap, centroids, sqnorm, probes, list_offsets, block_offsets, blocks,
             allowed, kk, out_dist, out_rows):
    """Fast scan of the probed lists with a fused top-kk, parallel over queries.

    queries (nq, d) float32; codebooks_t (m, d / m, 16) float32 of residuals
    from ``centroids`` (nlist, d) float32 (empty: no IVF); sqnorm (n,) float32
    squared norms of the reconstructions (L2 only; empty for inner products).
    Estimate of row r in list l: ``-<q, c_l> - <q, r_hat>`` (``metric_ip``) or
    ``|q|^2 - 2 <q, c_l> - 2 <q, r_hat> + sqnorm[r]``, with ``<q, r_hat>``
    from the query's quantized tables (``query_tables``, entries <= ``cap``).
    list_offsets / block_offsets (nlist + 1,) rows and blocks of each list;
    blocks (nb, npairs, 32) uint8; allowed (n,) bool or empty. Outputs as the
    other scans (ascending, ties to the lower row, padded with inf / -1).
    """
    nq, d = queries.shape
    m = codebooks_t.shape[0]
    factor = np.float32(1.0) if metric_ip else np.float32(2.0)
    use_mask = allowed.shape[0] > 0
    use_sq = not metric_ip
    use_ivf = centroids.shape[0] > 0
    for qi in prange(nq):
        hd = out_dist[qi, :kk]
        hi = out_rows[qi, :kk]
        heap_init(hd, hi)
        if kk == 0:
            continue
        q = queries[qi]
        raw = np.empty((m, 16), np.float32)
        lut = np.empty(((m + 1) // 2, 32), np.uint8)
        bias, scale = query_tables(q, codebooks_t, factor, cap, raw, lut)
        if use_sq:
            qq = np.float32(0.0)
            for t in range(d):
                qq += q[t] * q[t]
            bias += qq
        sums = np.empty(BLOCK, np.uint16)
        inv = np.float32(1.0) / scale
        prow = probes[qi]
        for p in range(prow.shape[0]):
            lst = prow[p]
            if lst < 0 or _repeated(prow, p):
                continue
            offset = bias
            if use_ivf:
                qc = np.float32(0.0)
                for t in range(d):
                    qc += q[t] * centroids[lst, t]
                offset -= factor * qc
            end = list_offsets[lst + 1]
            base = list_offsets[lst]
            for b in range(block_offsets[lst], block_offsets[lst + 1]):
                block_sums(blocks, b, lut, sums)
                for v in range(min(BLOCK, end - base)):
                    r = base + v
                    if use_mask and not allowed[r]:
                        continue
                    dist = offset + np.float32(sums[v]) * inv
                    if use_sq:
                        dist += sqnorm[r]
                    if dist <= hd[0]:
                        heap_push(hd, hi, dist, r)
                base += BLOCK
        heap_write(hd, hi, hd, hi)
