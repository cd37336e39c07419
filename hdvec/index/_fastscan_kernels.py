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
def block_sums_avx2(blocks, b, luts, qi, out):
    """``block_sums`` through ``vpshufb`` (only on CPUs with AVX2)."""
    _avx2_block(blocks.ctypes.data + b * blocks.strides[0], luts.ctypes.data + qi * luts.strides[0],
                blocks.shape[1], out.ctypes.data)


@njit(cache=True, nogil=True)
def block_sums_portable(blocks, b, luts, qi, out):
    """out (32,) uint16: estimated distance sums of the 32 vectors of block ``b`` for query ``qi``.

    blocks (nb, npairs, 32) uint8, luts (nq, npairs, 32) uint8.
    """
    for v in range(BLOCK):
        out[v] = 0
    for j in range(blocks.shape[1]):
        for half in range(2):
            for t in range(16):
                byte = blocks[b, j, 16 * half + t]
                out[t] += luts[qi, j, 16 * half + (byte & 15)]
                out[t + 16] += luts[qi, j, 16 * half + (byte >> 4)]


def block_sums(blocks, b, luts, qi, out):
    """Dispatches (at compile time) to the AVX2 or the portable block kernel."""


@overload(block_sums, jit_options={"cache": True, "nogil": True})
def _block_sums_impl(blocks, b, luts, qi, out):
    kernel = block_sums_avx2 if HAVE_AVX2 else block_sums_portable

    def impl(blocks, b, luts, qi, out):
        kernel(blocks, b, luts, qi, out)

    return impl


@njit(cache=True, nogil=True, parallel=True)
def scan_pq4(luts, bias, scale, list_bias, sqnorm, probes, list_offsets, block_offsets, blocks, allowed, kk,
             out_dist, out_rows):
    """Fast scan of the probed lists with a fused top-kk, parallel over queries.

    luts (nq, npairs, 32) uint8 quantized tables; bias, scale (nq,) float32;
    list_bias (nq, nprobe) float32, one constant per probed list; sqnorm (n,)
    float32 per-row term, or empty. Estimate of row r in probe p: bias +
    list_bias[p] + sqnorm[r] + sum / scale. list_offsets (nlist + 1,) rows,
    block_offsets (nlist + 1,) blocks of each list; blocks (nb, npairs, 32)
    uint8; allowed (n,) bool or empty. Outputs as the other scans (ascending,
    ties to the lower row, padded with inf / -1).
    """
    nq = luts.shape[0]
    use_mask = allowed.shape[0] > 0
    use_sq = sqnorm.shape[0] > 0
    for qi in prange(nq):
        hd = out_dist[qi, :kk]
        hi = out_rows[qi, :kk]
        heap_init(hd, hi)
        if kk == 0:
            continue
        sums = np.empty(BLOCK, np.uint16)
        inv = np.float32(1.0) / scale[qi]
        prow = probes[qi]
        for p in range(prow.shape[0]):
            lst = prow[p]
            if lst < 0 or _repeated(prow, p):
                continue
            end = list_offsets[lst + 1]
            base = list_offsets[lst]
            offset = bias[qi] + list_bias[qi, p]
            for b in range(block_offsets[lst], block_offsets[lst + 1]):
                block_sums(blocks, b, luts, qi, sums)
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
