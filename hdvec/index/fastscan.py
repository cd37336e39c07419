"""4-bit product quantization scanned through in-register lookup tables ("fast scan").

Each vector is cut into ``m`` sub-vectors, and each sub-vector is replaced by
the nearest of 16 centroids (Jégou et al. 2011), 4 bits each. A query turns
its ``(m, 16)`` table of sub-distances into uint8 (``quantize_tables``), and
the scan adds table entries for 32 vectors at a time with byte shuffles
(André et al. 2015; Faiss's and ScaNN's "fast scan"): see
``_fastscan_kernels``. The estimate only has to rank a shortlist; an
``Index`` with ``Rerank`` re-scores it exactly.

Arrays:

* ``codebooks`` float32 ``(m, 16, d / m)``: trained by Faiss's
  ``ProductQuantizer`` (k-means per sub-space), seeded;
* per-row ``codes`` uint8 ``(n, m)``: one 4-bit code per byte, row order;
* ``blocks`` uint8 ``(nb, ceil(m / 2), 32)`` with ``block_offsets``: the
  codes of each IVF list packed 32 vectors per block (derived from the codes).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import Seed, seed_entropy
from . import _fastscan_kernels as FK

KSUB = 16  # centroids per sub-quantizer (4 bits)
_TRAIN_ROWS = 65_536  # training sample
_ENCODE_BYTES = 64 << 20  # scratch of the blocked encoder


def check_m(d: int, m: int) -> None:
    """ValueError unless ``m`` sub-quantizers split ``d`` dimensions evenly."""
    if m < 1 or d % m:
        raise ValueError(f"PQ{m} needs a number of sub-quantizers dividing the dimension {d}; got m={m}")


def default_m(d: int) -> int:
    """Two dimensions per sub-quantizer (Faiss's ``PQ{d/2}x4fs``), or one when ``d`` is odd."""
    return d // 2 if d % 2 == 0 else d


def _check_codebooks(codebooks: Any) -> np.ndarray:
    if not isinstance(codebooks, np.ndarray) or codebooks.ndim != 3 or codebooks.shape[1] != KSUB:
        raise ValueError(f"`codebooks` must be an (m, {KSUB}, d / m) array; got "
                         f"{getattr(codebooks, 'shape', type(codebooks).__name__)}")
    return codebooks


def _check_matrix(x: Any, name: str, kinds: str, width: int | None = None) -> np.ndarray:
    """``x`` as a 2-D array of one of the dtype kinds ``kinds`` (and ``width`` columns); ValueError naming it."""
    if not isinstance(x, np.ndarray) or x.ndim != 2 or x.dtype.kind not in kinds or (
            width is not None and x.shape[1] != width):
        want = f"(n, {width})" if width is not None else "2-D"
        raise ValueError(f"`{name}` must be a {want} array of kind {kinds!r}; got "
                         f"{getattr(x, 'dtype', type(x).__name__)} {getattr(x, 'shape', '')}")
    return x


def _check_codes(codes: Any, m: int | None = None) -> np.ndarray:
    codes = _check_matrix(codes, "codes", "u", m)
    if codes.size and codes.max() >= KSUB:
        raise ValueError(f"`codes` must hold 4-bit values (< {KSUB}); got {int(codes.max())}")
    return codes


def train_codebooks(x: np.ndarray, m: int, seed: Seed = None) -> np.ndarray:
    """float32 ``(m, 16, d / m)`` codebooks of ``x`` (n, d) float32 (n >= 16), by Faiss's k-means."""
    import faiss

    n, d = _check_matrix(x, "x", "f").shape
    check_m(d, m)
    if n < KSUB:
        raise ValueError(f"PQ training needs at least {KSUB} vectors; got {n}")
    entropy = seed_entropy(seed)
    if n > _TRAIN_ROWS:
        x = x[np.sort(np.random.default_rng([entropy, 0x5051]).choice(n, _TRAIN_ROWS, replace=False))]
    pq = faiss.ProductQuantizer(d, m, 4)
    pq.cp.seed = entropy % (2**31)
    pq.cp.niter = 25
    pq.train(np.ascontiguousarray(x, np.float32))
    return faiss.vector_to_array(pq.centroids).astype(np.float32).reshape(m, KSUB, d // m)


def encode(x: np.ndarray, codebooks: np.ndarray) -> np.ndarray:
    """uint8 ``(n, m)`` nearest-centroid codes of ``x`` (n, d) float32, in blocks of rows."""
    m, _, dsub = _check_codebooks(codebooks).shape
    n = _check_matrix(x, "x", "f", m * dsub).shape[0]
    out = np.empty((n, m), np.uint8)
    step = max(1, _ENCODE_BYTES // (m * KSUB * dsub * 4))
    for a in range(0, n, step):
        sub = x[a : a + step].reshape(-1, m, 1, dsub)
        out[a : a + step] = np.argmin(((sub - codebooks[None]) ** 2).sum(-1), axis=2)
    return out


def decode(codes: np.ndarray, codebooks: np.ndarray) -> np.ndarray:
    """float32 ``(n, d)`` reconstruction of uint8 ``codes`` (n, m)."""
    m = _check_codebooks(codebooks).shape[0]
    codes = _check_codes(codes, m)
    return codebooks[np.arange(m), codes].reshape(codes.shape[0], -1)


def quantize_tables(tables: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """float tables (nq, m, 16) -> (uint8 (nq, ceil(m / 2), 32), bias (nq,), scale (nq,)) float32.

    Each sub-table is shifted to start at 0 (the shifts sum to ``bias``) and
    all are scaled by one factor per query, so that an entry is at most
    ``min(255, 65535 // m)`` and a sum over ``m`` entries fits in 16 bits:
    estimate = bias + sum / scale. An odd ``m`` gets one all-zero table.
    """
    nq, m, _ = tables.shape
    low = tables.min(axis=2, keepdims=True)
    shifted = tables - low
    cap = table_cap(m)
    top = shifted.max(axis=(1, 2))
    scale = (cap / np.where(top > 0, top, 1.0)).astype(np.float32)
    q8 = np.minimum(np.floor(shifted * scale[:, None, None] + 0.5), cap).astype(np.uint8)
    if m % 2:
        q8 = np.concatenate([q8, np.zeros((nq, 1, KSUB), np.uint8)], axis=1)
    return (np.ascontiguousarray(q8.reshape(nq, -1, 2 * KSUB)), low[:, :, 0].sum(axis=1).astype(np.float32),
            scale)


def pack_blocks(codes: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pack row-order ``codes`` (n, m) of lists ``offsets`` (nlist + 1,) into 32-vector blocks.

    Returns ``blocks`` uint8 (nb, ceil(m / 2), 32) and ``block_offsets`` int64
    (nlist + 1,): list ``l`` owns blocks ``block_offsets[l]:block_offsets[l + 1]``;
    slots past the end of a list hold code 0 and are never reported.
    """
    n, m = _check_codes(codes).shape
    offsets = np.asarray(offsets)
    if offsets.ndim != 1 or offsets.dtype.kind not in "iu" or not offsets.size or offsets[0] != 0 \
            or offsets[-1] != n or np.any(np.diff(offsets) < 0):
        raise ValueError(f"`offsets` must be integers rising from 0 to the {n} rows; got {offsets[:4]}...")
    sizes = np.diff(offsets)
    block_offsets = np.concatenate([[0], np.cumsum(-(-sizes // FK.BLOCK))]).astype(np.int64)
    nb = int(block_offsets[-1])
    mp = m + m % 2
    padded = np.zeros((nb * FK.BLOCK, mp), np.uint8)
    lists = np.repeat(np.arange(sizes.shape[0]), sizes)
    rows = np.arange(n)
    padded[block_offsets[lists] * FK.BLOCK + rows - offsets[lists], :m] = codes
    # (block, half h, vector t, pair j, lane) -> byte (block, j, lane, t) = code[t] | code[t + 16] << 4
    c = padded.reshape(nb, 2, 16, mp // 2, 2)
    packed = c[:, 0] | (c[:, 1] << 4)
    return np.ascontiguousarray(packed.transpose(0, 2, 3, 1).reshape(nb, mp // 2, 2 * KSUB)), block_offsets


def block_sums_reference(blocks: np.ndarray, luts: np.ndarray) -> np.ndarray:
    """NumPy reference of ``_fastscan_kernels.block_sums``: int64 (nq, nb, 32) sums of every block."""
    lane = 16 * (np.arange(2 * KSUB) // KSUB)  # byte position -> start of its sub-quantizer's table
    out = []
    for table in luts.astype(np.int64):
        halves = []
        for nibble in (blocks & 15, blocks >> 4):  # vectors 0-15, then 16-31
            got = np.take_along_axis(np.broadcast_to(table, blocks.shape), nibble.astype(np.int64) + lane, axis=2)
            per_position = got.sum(axis=1)  # (nb, 32): positions t and t + 16 hold the two sub-quantizers
            halves.append(per_position[:, :KSUB] + per_position[:, KSUB:])
        out.append(np.concatenate(halves, axis=1))
    return np.stack(out)


def encode_rows(work: np.ndarray, base: np.ndarray, codebooks: np.ndarray) -> dict[str, np.ndarray]:
    """An index's per-row arrays: ``pq_codes`` of the residuals ``work - base`` (base: each row's IVF
    centroid, or zeros) and ``pq_sqnorm``, the squared norm of the reconstruction ``base + decode``."""
    codes = encode(work - base, codebooks)
    recon = base + decode(codes, codebooks)
    return {"pq_codes": codes, "pq_sqnorm": np.einsum("ij,ij->i", recon, recon).astype(np.float32)}


def table_cap(m: int) -> int:
    """Largest quantized table entry for ``m`` sub-quantizers: sums of ``m`` entries stay below 2**16."""
    return min(255, 65535 // m)
