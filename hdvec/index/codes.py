"""Low-bit codes for the index: LVQ scalar codes and RaBitQ 1-bit codes.

Plain NumPy arrays in and out. Vectors are already centred by the caller
(``x - mean``); each encoder returns a dict of C-contiguous per-row arrays
(first axis ``n``), so chunks can be concatenated, saved and memory-mapped.

**LVQ** (locally-adaptive vector quantization, Aguerrebere et al. 2023, with
the encoding rules of Intel SVS). Per vector ``lo = min_j x_j``, ``delta =
(max_j x_j - lo) / (2^B - 1)``, codes ``c_j = clamp(round((x_j - lo) / delta),
0, 2^B - 1)``, reconstruction ``lo + delta * c``. Keys of ``lvq_encode``:

* ``codes``: (n, d) uint8 for B = 8, or (n, ceil(d / 2)) uint8 for B = 4,
  two codes a byte, the low nibble holding the even coordinate (the high
  nibble of the last byte is 0 when d is odd);
* ``lo``, ``delta``: (n,) float32. SVS stores them as float16; float32 costs
  4 bytes more a vector and removes the constants' rounding from the error;
* ``sqnorm``: (n,) float32, squared norm of the reconstruction (for L2);
* with ``residual_bits=8`` (LVQ-4x8 / LVQ-8x8) also ``res_codes`` (n, d) uint8:
  ``delta2 = delta / 255``, ``c2_j =
  clamp(round((x_j - xhat_j + delta / 2) / delta2), 0, 255)``, reconstruction
  ``xhat + delta2 * c2 - delta / 2``.

The bit width needs no key: it follows from the width of ``codes`` (for
d = 1 both readings decode alike). Constant vectors get ``delta = 0`` and
codes 0, so both levels reconstruct them exactly (SVS instead sets the scale
to 1 below a float16-motivated threshold, which would leave a level-2 offset
of 1/510 on a zero vector). No sum-of-codes array is stored: the float-query
kernels do not need it.

**RaBitQ** (Gao & Long 2024), centre 0. With ``rotation`` R (D, D), D = d
rounded up to a multiple of 64, the rotated vector is ``o' = pad(x) @ R``;
the code is the sign bits of ``o'``, ``x_bar = (2 b - 1) / sqrt(D)``. Keys of
``rabitq_encode``:

* ``words``: (n, D / 64) uint64, bit i = bit i % 64 of word i // 64, set when
  ``o'_i > 0``;
* ``norm``: (n,) float32, ``|x|``;
* ``ip``: (n,) float32, ``<o_bar, o> = |o'|_1 / (sqrt(D) |o'|)`` (0.8 for a zero vector).

The estimator of ``<x, q>`` is ``|x| <x_bar, q'> / <o_bar, o>`` with the
rotated float query ``q' = pad(q) @ R`` (no query quantization), unbiased
(RaBitQ Thm 3.2); squared L2 is ``|x|^2 + |q|^2 - 2`` times that.

Metrics: ``"l2"`` (squared Euclidean) and ``"ip"`` (``-<q, x>``); lower is
better for both.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import Seed, as_rng, check_dim, check_finite

LVQ_BITS = (4, 8)
RESIDUAL_BITS = (8,)
CODE_METRICS = ("l2", "ip")
_CHUNK = 8192  # rows per float64 work block in the encoders (bounded memory)


# ---------------------------------------------------------------- validation


def _as_matrix(x: Any, name: str, dim: int | None = None) -> np.ndarray:
    """(n, dim) finite float32, C-contiguous."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"`{name}` must be a numpy.ndarray; got {type(x).__name__}")
    if x.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must hold real numbers; got dtype {x.dtype}")
    if x.ndim != 2:
        raise ValueError(f"`{name}` must have shape (n, d); got {x.shape}")
    if dim is not None and x.shape[1] != dim:
        raise ValueError(f"`{name}` must have shape (n, {dim}); got {x.shape}")
    if x.shape[1] == 0:
        raise ValueError(f"`{name}` must have d >= 1; got shape {x.shape}")
    x = np.ascontiguousarray(x, dtype=np.float32)
    check_finite(x, name)
    return x


def _check_metric(metric: Any) -> bool:
    """True for inner product."""
    if metric not in CODE_METRICS:
        raise ValueError(f"`metric` must be one of {CODE_METRICS}; got {metric!r}")
    return metric == "ip"


def lvq_bits(codes: dict[str, np.ndarray], d: int) -> int:
    c = codes["codes"]
    if c.ndim != 2 or c.dtype != np.uint8:
        raise ValueError(f"`codes['codes']` must be a 2-D uint8 array; got {c.dtype} {c.shape}")
    if c.shape[1] == d:
        return 8
    if c.shape[1] == (d + 1) // 2:
        return 4
    raise ValueError(f"`codes['codes']` must have {d} (8-bit) or {(d + 1) // 2} (4-bit) columns for d={d}; "
                     f"got shape {c.shape}")


def _level(codes: dict[str, np.ndarray], level: Any) -> int:
    if level not in (1, 2):
        raise ValueError(f"`level` must be 1 or 2; got {level!r}")
    if level == 2 and "res_codes" not in codes:
        raise ValueError("`level` 2 needs residual codes ('res_codes'): encode with residual_bits=8")
    return int(level)


# ---------------------------------------------------------------- LVQ


def _unpack4(packed: np.ndarray, d: int) -> np.ndarray:
    out = np.empty((packed.shape[0], 2 * packed.shape[1]), np.uint8)
    out[:, 0::2] = packed & 15
    out[:, 1::2] = packed >> 4
    return out[:, :d]


def _pack4(c: np.ndarray) -> np.ndarray:
    n, d = c.shape
    if d % 2:
        c = np.concatenate([c, np.zeros((n, 1), np.uint8)], axis=1)
    return np.ascontiguousarray(c[:, 0::2] | (c[:, 1::2] << 4))


def _recon1(c: np.ndarray, lo: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """float32 ``lo + delta * c`` (the kernels evaluate the same float32 expression)."""
    return lo[:, None] + delta[:, None] * c.astype(np.float32)


def _recon2(xhat: np.ndarray, c2: np.ndarray, delta: np.ndarray) -> np.ndarray:
    d2 = (delta / np.float32(255.0)).astype(np.float32)
    half = delta * np.float32(0.5)
    return (xhat + d2[:, None] * c2.astype(np.float32)) - half[:, None]


def _sqnorm(x: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", x, x, dtype=np.float64).astype(np.float32)


def lvq_encode(x: Any, bits: int, residual_bits: int | None = None) -> dict[str, np.ndarray]:
    """LVQ codes of centred vectors (see the module docstring for the keys).

    Parameters
    ----------
    x : numpy.ndarray
        ``(n, d)`` real vectors, already centred.
    bits : {4, 8}
        Bits per coordinate of the first level.
    residual_bits : {None, 8}
        Bits of the second (residual) level.

    Returns
    -------
    dict of str to numpy.ndarray
        Per-row arrays: ``codes``, ``lo``, ``delta``, ``sqnorm`` and, with
        ``residual_bits``, ``res_codes``.

    Raises
    ------
    ValueError
        For unsupported ``bits`` / ``residual_bits`` or a malformed ``x``.

    Shapes
    ------
    ``(n, d) -> {codes: (n, d | ceil(d/2)), lo, delta, sqnorm: (n,)[, res_codes: (n, d)]}``

    Examples
    --------
    >>> x = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)
    >>> c = lvq_encode(x, 4, 8)
    >>> sorted(c), c["codes"].shape
    (['codes', 'delta', 'lo', 'res_codes', 'sqnorm'], (3, 3))
    """
    if bits not in LVQ_BITS:
        raise ValueError(f"`bits` must be one of {LVQ_BITS}; got {bits!r}")
    if residual_bits is not None and residual_bits not in RESIDUAL_BITS:
        raise ValueError(f"`residual_bits` must be None or one of {RESIDUAL_BITS}; got {residual_bits!r}")
    x = _as_matrix(x, "x")
    n, d = x.shape
    levels = (1 << bits) - 1
    lo = x.min(axis=1) if n else np.zeros(0, np.float32)
    hi = x.max(axis=1) if n else np.zeros(0, np.float32)
    delta = ((hi.astype(np.float64) - lo) / levels).astype(np.float32)  # 0 only for (near-)constant rows
    width = d if bits == 8 else (d + 1) // 2
    out = {
        "codes": np.empty((n, width), np.uint8),
        "lo": np.ascontiguousarray(lo, np.float32),
        "delta": delta,
        "sqnorm": np.empty(n, np.float32),
    }
    if residual_bits is not None:
        out["res_codes"] = np.empty((n, d), np.uint8)
    for a in range(0, n, _CHUNK):
        b = min(a + _CHUNK, n)
        xs = x[a:b].astype(np.float64)
        dl = delta[a:b].astype(np.float64)[:, None]
        safe = np.where(dl > 0, dl, 1.0)
        t = np.where(dl > 0, (xs - lo[a:b, None]) / safe, 0.0)
        c = np.clip(np.rint(t), 0, levels).astype(np.uint8)
        out["codes"][a:b] = c if bits == 8 else _pack4(c)
        xhat = _recon1(c, lo[a:b], delta[a:b])
        out["sqnorm"][a:b] = _sqnorm(xhat)
        if residual_bits is not None:
            d2 = (delta[a:b] / np.float32(255.0)).astype(np.float64)[:, None]
            half = (delta[a:b] * np.float32(0.5)).astype(np.float64)[:, None]
            safe2 = np.where(d2 > 0, d2, 1.0)
            t2 = np.where(d2 > 0, (xs - xhat + half) / safe2, 0.0)
            c2 = np.clip(np.rint(t2), 0, 255).astype(np.uint8)
            out["res_codes"][a:b] = c2
    return out


def lvq_decode(codes: dict[str, np.ndarray], d: int, level: int = 1) -> np.ndarray:
    """Reconstruct vectors from ``lvq_encode`` output.

    Parameters
    ----------
    codes : dict of str to numpy.ndarray
        Output of ``lvq_encode``.
    d : int
        Vector dimension.
    level : {1, 2}
        2 adds the residual level (needs ``res_codes``).

    Returns
    -------
    numpy.ndarray
        float32 ``(n, d)``.

    Shapes
    ------
    ``{codes: (n, w), ...} -> (n, d)``
    """
    d = check_dim(d, "d")
    bits = lvq_bits(codes, d)
    level = _level(codes, level)
    c = codes["codes"] if bits == 8 else _unpack4(codes["codes"], d)
    lo = np.asarray(codes["lo"], np.float32)
    delta = np.asarray(codes["delta"], np.float32)
    xhat = _recon1(c, lo, delta)
    if level == 2:
        xhat = _recon2(xhat, codes["res_codes"], delta)
    return np.ascontiguousarray(xhat, np.float32)


def lvq_decode_rows(codes: dict[str, np.ndarray], rows: Any, d: int, level: int = 1) -> np.ndarray:
    """``lvq_decode`` of the rows ``rows`` only (per-row arrays indexed, the rest skipped)."""
    rows = np.asarray(rows, np.int64)
    return lvq_decode({key: np.asarray(v)[rows] for key, v in codes.items()}, d, level)


def lvq_distances(q: Any, codes: dict[str, np.ndarray], metric: str = "l2", level: int = 1) -> np.ndarray:
    """NumPy reference: distances from centred queries to the LVQ reconstructions.

    Computed in float64 on the explicit reconstruction (``lvq_decode``), not
    with the kernels' bias formula, so it also checks that formula.

    Returns
    -------
    numpy.ndarray
        float32 ``(nq, n)``: squared L2 (``"l2"``) or ``-<q, x>`` (``"ip"``).
    """
    ip = _check_metric(metric)
    q = _as_matrix(q, "q").astype(np.float64)
    d = q.shape[1]
    x = lvq_decode(codes, d, level).astype(np.float64)
    dots = q @ x.T
    if ip:
        return (-dots).astype(np.float32)
    dist = (q * q).sum(1)[:, None] + (x * x).sum(1)[None, :] - 2 * dots
    return np.maximum(dist, 0).astype(np.float32)


# ---------------------------------------------------------------- RaBitQ


def padded_dim(d: int) -> int:
    """d rounded up to a multiple of 64 (the RaBitQ code length)."""
    d = check_dim(d, "d")
    return -(-d // 64) * 64


def rabitq_rotation(d: int, seed: Seed = None) -> np.ndarray:
    """Random orthogonal matrix for RaBitQ codes of ``d``-dimensional vectors.

    QR of a Gaussian matrix with the signs of R's diagonal moved into Q, so the
    rotation is Haar-distributed.

    Parameters
    ----------
    d : int
        Vector dimension.
    seed : int, numpy.random.Generator or None

    Returns
    -------
    numpy.ndarray
        float32 ``(D, D)``, ``D`` = ``d`` rounded up to a multiple of 64.
    """
    dp = padded_dim(d)
    g = as_rng(seed).standard_normal((dp, dp))
    qm, r = np.linalg.qr(g)
    s = np.sign(np.diag(r))
    s[s == 0] = 1.0
    return np.ascontiguousarray(qm * s[None, :], np.float32)


def _check_rotation(rotation: Any, d: int) -> np.ndarray:
    dp = padded_dim(d)
    if not isinstance(rotation, np.ndarray) or rotation.shape != (dp, dp):
        shape = getattr(rotation, "shape", type(rotation).__name__)
        raise ValueError(f"`rotation` must be a ({dp}, {dp}) array for d={d} (see rabitq_rotation); got {shape}")
    return np.ascontiguousarray(rotation, np.float32)


def _rotate(x: np.ndarray, rot: np.ndarray) -> np.ndarray:
    """pad(x) @ rot in float64 (only the first d rows of rot meet nonzero coordinates)."""
    return x.astype(np.float64) @ rot[: x.shape[1]].astype(np.float64)


def rabitq_query(q: Any, rotation: Any) -> np.ndarray:
    """Rotated centred queries ``pad(q) @ rotation``, (nq, D) float32, as ``scan_rabitq`` takes them."""
    q = _as_matrix(q, "q")
    rot = _check_rotation(rotation, q.shape[1])
    return np.ascontiguousarray(_rotate(q, rot), np.float32)


def rabitq_encode(x: Any, rotation: Any) -> dict[str, np.ndarray]:
    """RaBitQ 1-bit codes of centred vectors (see the module docstring for the keys).

    Parameters
    ----------
    x : numpy.ndarray
        ``(n, d)`` real vectors, already centred.
    rotation : numpy.ndarray
        ``(D, D)`` from ``rabitq_rotation(d)``.

    Returns
    -------
    dict of str to numpy.ndarray
        ``words``, ``norm``, ``ip``.

    Shapes
    ------
    ``(n, d), (D, D) -> {words: (n, D/64) uint64, norm, ip: (n,) float32}``
    """
    x = _as_matrix(x, "x")
    n, d = x.shape
    rot = _check_rotation(rotation, d)
    dp = rot.shape[0]
    out = {
        "words": np.empty((n, dp // 64), np.uint64),
        "norm": np.empty(n, np.float32),
        "ip": np.empty(n, np.float32),
    }
    for a in range(0, n, _CHUNK):
        b = min(a + _CHUNK, n)
        o = _rotate(x[a:b], rot)
        bitmask = o > 0
        packed = np.packbits(bitmask, axis=1, bitorder="little")
        out["words"][a:b] = packed.view("<u8")
        out["norm"][a:b] = np.sqrt(np.einsum("ij,ij->i", x[a:b], x[a:b], dtype=np.float64))
        on = np.sqrt((o * o).sum(1))
        with np.errstate(invalid="ignore", divide="ignore"):
            ipv = np.abs(o).sum(1) / (np.sqrt(dp) * on)
        out["ip"][a:b] = np.where(np.isfinite(ipv) & (on > 0), ipv, 0.8)
    return out


def _signs(words: np.ndarray, dp: int) -> np.ndarray:
    """(n, D) float64 x_bar = (2 b - 1) / sqrt(D)."""
    b = np.unpackbits(np.ascontiguousarray(words).view(np.uint8), axis=1, bitorder="little")[:, :dp]
    return (2.0 * b - 1.0) / np.sqrt(dp)


def rabitq_estimate(q: Any, codes: dict[str, np.ndarray], rotation: Any, metric: str = "l2") -> np.ndarray:
    """NumPy reference of the RaBitQ estimator.

    ``-|x| <x_bar, q'> / <o_bar, o>`` for ``"ip"``; ``|x|^2 + |q'|^2 - 2 |x|
    <x_bar, q'> / <o_bar, o>`` for ``"l2"``, with float queries (no query
    quantization), as ``scan_rabitq``.

    Returns
    -------
    numpy.ndarray
        float32 ``(nq, n)`` estimated distances.
    """
    ip = _check_metric(metric)
    q = _as_matrix(q, "q")
    rot = _check_rotation(rotation, q.shape[1])
    qr = _rotate(q, rot)
    words = codes["words"]
    if words.shape[1] * 64 != rot.shape[0]:
        raise ValueError(f"`codes['words']` must have {rot.shape[0] // 64} columns; got {words.shape}")
    norm = codes["norm"].astype(np.float64)
    est = (qr @ _signs(words, rot.shape[0]).T) * (norm / codes["ip"].astype(np.float64))[None, :]
    if ip:
        return (-est).astype(np.float32)
    return ((norm * norm)[None, :] + (qr * qr).sum(1)[:, None] - 2 * est).astype(np.float32)


def rabitq_decode(codes: dict[str, np.ndarray], rotation: Any, d: int) -> np.ndarray:
    """Vectors whose inner products are the unbiased estimates: ``|x| o_bar / <o_bar, o>``.

    Their norms are ``|x| / <o_bar, o>`` (about 1.25 |x|), so L2 distances
    computed from them are biased; rank L2 with ``rabitq_estimate`` / the scan.

    Returns
    -------
    numpy.ndarray
        float32 ``(n, d)``.
    """
    d = check_dim(d, "d")
    rot = _check_rotation(rotation, d)
    obar = _signs(codes["words"], rot.shape[0]) @ rot.astype(np.float64).T
    scale = codes["norm"].astype(np.float64) / codes["ip"].astype(np.float64)
    return np.ascontiguousarray(obar[:, :d] * scale[:, None], np.float32)


def rabitq_decode_rows(codes: dict[str, np.ndarray], rows: Any, rotation: Any, d: int) -> np.ndarray:
    """``rabitq_decode`` of the rows ``rows`` only."""
    rows = np.asarray(rows, np.int64)
    return rabitq_decode({key: np.asarray(v)[rows] for key, v in codes.items()}, rotation, d)


def encode_rows(codes: str, work: np.ndarray, rotation: np.ndarray | None) -> dict[str, np.ndarray]:
    """An index's per-row arrays for vectors ``work`` (n, d), already centred and projected.

    ``codes`` is the spec's: "flat" gives ``vectors`` and ``sqnorm``; LVQ the
    ``lvq_encode`` arrays prefixed ``lvq_``; "rabitq" the ``rabitq_encode``
    arrays prefixed ``rq_`` (``rotation`` from ``rabitq_rotation``). (``pq4``
    rows depend on their IVF list: ``fastscan.encode_rows``.)
    """
    if codes == "flat":
        return {"vectors": work, "sqnorm": _sqnorm(work)}
    if codes.startswith("lvq"):
        lvq = lvq_encode(work, 8 if codes == "lvq8" else 4, 8 if codes == "lvq4x8" else None)
        return {"lvq_" + key: arr for key, arr in lvq.items()}
    if codes == "rabitq":
        return {"rq_" + key: arr for key, arr in rabitq_encode(work, rotation).items()}
    raise ValueError(f"`codes` must be one of flat, lvq8, lvq4, lvq4x8, rabitq; got {codes!r}")
