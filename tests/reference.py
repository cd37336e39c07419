"""Plain NumPy reference implementations the fast kernels are tested against."""

import numpy as np


def unpack(words: np.ndarray, dim: int) -> np.ndarray:
    """uint64 words -> bool bits, bit i = bit i % 64 of word i // 64 (pure arithmetic)."""
    shifts = np.arange(64, dtype=np.uint64)
    bits = (words[..., None] >> shifts) & np.uint64(1)
    return bits.reshape(*words.shape[:-1], -1)[..., :dim].astype(bool)


def pack(bits: np.ndarray) -> np.ndarray:
    dim = bits.shape[-1]
    nw = (dim + 63) // 64
    padded = np.zeros(bits.shape[:-1] + (nw * 64,), dtype=np.uint64)
    padded[..., :dim] = bits
    shifts = np.arange(64, dtype=np.uint64)
    return (padded.reshape(*bits.shape[:-1], nw, 64) << shifts).sum(-1, dtype=np.uint64)


def popcount(words: np.ndarray) -> np.ndarray:
    return np.bitwise_count(words).astype(np.int64)


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise Hamming of 2-D word arrays."""
    return np.bitwise_count(a[:, None, :] ^ b[None, :, :]).sum(-1).astype(np.int64)


def majority(bits: np.ndarray, tiebreak_bits: np.ndarray, weights=None) -> np.ndarray:
    """bits (n, dim) bool -> (dim,) bool majority, ties -> tiebreak."""
    w = np.ones(bits.shape[0]) if weights is None else np.asarray(weights, float)
    score = (w[:, None] * np.where(bits, 1.0, -1.0)).sum(0)
    return np.where(score > 0, True, np.where(score < 0, False, tiebreak_bits))


def topk(dist: np.ndarray, k: int):
    """Row-wise k smallest, ties to the lower index, padded with inf / -1."""
    order = np.argsort(dist, axis=1, kind="stable")[:, :k]
    d = np.take_along_axis(dist, order, 1).astype(np.float32)
    pad = k - order.shape[1]
    if pad > 0:
        d = np.concatenate([d, np.full((d.shape[0], pad), np.inf, np.float32)], 1)
        order = np.concatenate([order, np.full((order.shape[0], pad), -1)], 1)
    return d, order.astype(np.int64)


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a.astype(np.complex128) if np.iscomplexobj(a) else a.astype(np.float64)
    b = b.astype(np.complex128) if np.iscomplexobj(b) else b.astype(np.float64)
    dots = np.real(a @ np.conj(b).T)
    na = np.linalg.norm(a, axis=-1)
    nb = np.linalg.norm(b, axis=-1)
    return dots / np.outer(na, nb)


def circular_convolution(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Direct O(D^2) circular convolution: c[i] = sum_j a[j] b[(i - j) mod D]."""
    d = a.shape[-1]
    idx = (np.arange(d)[:, None] - np.arange(d)[None, :]) % d
    return (a.astype(np.float64)[None, :] * b.astype(np.float64)[idx]).sum(-1)
