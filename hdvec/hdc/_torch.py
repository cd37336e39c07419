"""Torch implementations of ``hdvec.hdc`` operations (CPU or CUDA). Private.

Inputs are validated tensors; outputs stay on the input's device. Bit vectors
are uint64 tensors with the NumPy layout; torch lacks uint64 shifts, so bit
work happens on an int64 view of the same bits. Pairwise Hamming uses the ±1
identity ``hamming = (D - a·b) / 2`` so it runs on the matrix units.
"""

from __future__ import annotations

import numpy as np
import torch

_CHUNK = 4096  # database rows per block


def _bit_index(device) -> torch.Tensor:
    return torch.arange(64, device=device, dtype=torch.int64)


def unpack_bits(words: torch.Tensor, dim: int) -> torch.Tensor:
    """uint64 (..., nw) -> bool (..., dim)."""
    w = words.view(torch.int64)
    bits = (w.unsqueeze(-1) >> _bit_index(w.device)) & 1
    return bits.reshape(*w.shape[:-1], -1)[..., :dim].bool()


def pack_bits(bits: torch.Tensor) -> torch.Tensor:
    """bool (..., dim) -> uint64 (..., ceil(dim / 64))."""
    dim = bits.shape[-1]
    nw = (dim + 63) // 64
    pad = nw * 64 - dim
    b = torch.nn.functional.pad(bits.to(torch.int64), (0, pad)).reshape(*bits.shape[:-1], nw, 64)
    words = (b << _bit_index(b.device)).sum(-1)  # distinct powers of two: the sum is an OR
    return words.view(torch.uint64)


def _bipolar(words: torch.Tensor, dim: int, dtype=torch.float32) -> torch.Tensor:
    return 1 - 2 * unpack_bits(words, dim).to(dtype)


def popcount(x: torch.Tensor) -> torch.Tensor:
    """Per-word popcount of an int64 tensor (SWAR), int64."""
    x = x - ((x >> 1) & 0x5555555555555555)
    x = (x & 0x3333333333333333) + ((x >> 2) & 0x3333333333333333)
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0F
    return (x * 0x0101010101010101) >> 56


def hamming(a: torch.Tensor, b: torch.Tensor, pairwise: bool) -> torch.Tensor:
    if not pairwise:
        x = a.view(torch.int64) ^ b.view(torch.int64)
        return popcount(x).sum(-1).to(torch.int32)
    a2 = a.reshape(-1, a.shape[-1])
    b2 = b.reshape(-1, b.shape[-1])
    dim = a.shape[-1] * 64  # padding bits are zero in both: they add 0 to the distance
    out = torch.empty((a2.shape[0], b2.shape[0]), dtype=torch.int32, device=a.device)
    qa = _bipolar(a2, dim)
    for s in range(0, b2.shape[0], _CHUNK):
        dots = qa @ _bipolar(b2[s : s + _CHUNK], dim).T
        out[:, s : s + _CHUNK] = torch.round((dim - dots) * 0.5).to(torch.int32)
    return out.reshape(tuple(a.shape[:-1]) + tuple(b.shape[:-1]))


def majority(x: torch.Tensor, tiebreak: np.ndarray, dim: int) -> torch.Tensor:
    n = x.shape[-2]
    counts = unpack_bits(x, dim).sum(-2, dtype=torch.int32)
    tb = unpack_bits(torch.from_numpy(tiebreak).to(x.device), dim)
    bits = (2 * counts > n) | ((2 * counts == n) & tb)
    return pack_bits(bits)


def weighted_majority(x: torch.Tensor, weights: np.ndarray, tiebreak: np.ndarray, dim: int) -> torch.Tensor:
    w = torch.from_numpy(weights).to(x.device)
    score = torch.einsum("...nd,n->...d", _bipolar(x, dim, torch.float64), w)
    tb = unpack_bits(torch.from_numpy(tiebreak).to(x.device), dim)
    return pack_bits((score < 0) | ((score == 0) & tb))  # bit 1 is -1 in the ±1 form


def rotate_bits(x: torch.Tensor, dim: int, shift: int) -> torch.Tensor:
    return pack_bits(torch.roll(unpack_bits(x, dim), shift, dims=-1))


def sum_rows(x: torch.Tensor, weights: np.ndarray | None) -> torch.Tensor:
    integer = not (x.is_floating_point() or x.is_complex())
    if weights is None:
        return x.sum(-2, dtype=torch.int32) if integer else x.sum(-2)
    w = torch.from_numpy(weights.astype(np.float32)).to(x.device)
    xf = x.float() if integer else x
    return (xf * w[:, None]).sum(-2)


def sign_tiebreak(s: torch.Tensor, tiebreak: np.ndarray, dtype: str) -> torch.Tensor:
    tb = torch.from_numpy(tiebreak).to(s.device).to(s.dtype if s.is_floating_point() else torch.int32)
    one = torch.ones((), dtype=tb.dtype, device=s.device)
    out = torch.where(s > 0, one, torch.where(s < 0, -one, tb))
    return out.to(getattr(torch, dtype))


def circular_conv(a: torch.Tensor, b: torch.Tensor, dim: int) -> torch.Tensor:
    return torch.fft.irfft(torch.fft.rfft(a) * torch.fft.rfft(b), n=dim).to(torch.float32)


def hrr_inverse(a: torch.Tensor, dim: int, exact: bool) -> torch.Tensor:
    if not exact:
        return torch.roll(torch.flip(a, dims=(-1,)), 1, dims=-1)
    f = torch.fft.rfft(a.double())
    if bool((f.abs() == 0).any()):
        raise ValueError("`a` has a zero Fourier coefficient: it has no exact HRR inverse")
    return torch.fft.irfft(1.0 / f, n=dim).to(torch.float32)


def hrr_unbind(c: torch.Tensor, b: torch.Tensor, dim: int, exact: bool) -> torch.Tensor:
    if not exact:
        return circular_conv(c, hrr_inverse(b, dim, False), dim)
    fb = torch.fft.rfft(b.double())
    if bool((fb.abs() == 0).any()):
        raise ValueError("`b` has a zero Fourier coefficient: it has no exact HRR inverse")
    return torch.fft.irfft(torch.fft.rfft(c.double()) / fb, n=dim).to(torch.float32)


def _real(x: torch.Tensor) -> torch.Tensor:
    return torch.view_as_real(x).flatten(-2) if x.is_complex() else x.to(torch.float32)


def dot(a: torch.Tensor, b: torch.Tensor, pairwise: bool) -> torch.Tensor:
    ra, rb = _real(a), _real(b)
    if not pairwise:
        return (ra * rb).sum(-1)
    out = ra.reshape(-1, ra.shape[-1]) @ rb.reshape(-1, rb.shape[-1]).T
    return out.reshape(tuple(a.shape[:-1]) + tuple(b.shape[:-1]))


def _inv_norm(x: torch.Tensor) -> torch.Tensor:
    n = torch.linalg.vector_norm(_real(x), dim=-1)
    return torch.where(n > 0, 1.0 / torch.where(n > 0, n, 1.0), 0.0)


def cosine(a: torch.Tensor, b: torch.Tensor, pairwise: bool) -> torch.Tensor:
    d = dot(a, b, pairwise)
    ia, ib = _inv_norm(a), _inv_norm(b)
    if not pairwise:
        return d * ia * ib
    return d * ia.reshape(tuple(ia.shape) + (1,) * ib.ndim) * ib


def knn(model, queries: torch.Tensor, items: torch.Tensor, k: int):
    """Exact top-k by the model's distance; ties go to the lower index (stable sorts)."""
    nq, dev = queries.shape[0], queries.device
    best_d = torch.full((nq, 0), float("inf"), device=dev)
    best_i = torch.full((nq, 0), -1, dtype=torch.int64, device=dev)
    binary = model.name == "BSC"
    if binary:
        qb = _bipolar(queries, model.dim)
    else:  # the NumPy path's expression, evaluated in the same order: 1 - (dot * 1/|q|) * 1/|x|
        qb, qs = _real(queries), _inv_norm(queries).float()[:, None]
    for s in range(0, items.shape[0], _CHUNK):
        chunk = items[s : s + _CHUNK]
        if binary:
            d = torch.round((model.dim - qb @ _bipolar(chunk, model.dim).T) * 0.5)
        else:
            d = 1.0 - (qb @ _real(chunk).T) * qs * _inv_norm(chunk).float()[None, :]
        idx = torch.arange(s, s + chunk.shape[0], device=dev).expand(nq, -1)
        cat_d = torch.cat([best_d, d.float()], 1)
        cat_i = torch.cat([best_i, idx], 1)
        order = torch.sort(cat_d, dim=1, stable=True).indices[:, :k]
        best_d = torch.gather(cat_d, 1, order)
        best_i = torch.gather(cat_i, 1, order)
    if best_d.shape[1] < k:
        pad = k - best_d.shape[1]
        best_d = torch.cat([best_d, torch.full((nq, pad), float("inf"), device=dev)], 1)
        best_i = torch.cat([best_i, torch.full((nq, pad), -1, dtype=torch.int64, device=dev)], 1)
    return best_d, best_i


# ------------------------------------------------------------------ MBAT roles


def _fwht_blocks(v: torch.Tensor, starts: np.ndarray, sizes: np.ndarray) -> torch.Tensor:
    parts = []
    for s, n in zip(starts.tolist(), sizes.tolist()):
        blk = v[:, s : s + n]
        h = 1
        while h < n:
            blk = blk.reshape(v.shape[0], n // (2 * h), 2, h)
            blk = torch.stack([blk[:, :, 0] + blk[:, :, 1], blk[:, :, 0] - blk[:, :, 1]], dim=2)
            blk = blk.reshape(v.shape[0], n)
            h *= 2
        parts.append(blk / np.sqrt(n))
    return torch.cat(parts, dim=1)


def _apply_factor(f, v: torch.Tensor, starts: np.ndarray, sizes: np.ndarray) -> torch.Tensor:
    if f.matrix is not None:
        m = torch.from_numpy(f.matrix).to(v.device)
        return v @ (m if f.transpose else m.T)
    signs = torch.from_numpy(f.signs).to(v.device)
    perms = torch.from_numpy(f.perms).to(v.device)
    rounds = range(signs.shape[0])
    if not f.transpose:
        for k in rounds:
            v = _fwht_blocks((v * signs[k])[:, perms[k]], starts, sizes)
    else:
        for k in reversed(rounds):
            u = _fwht_blocks(v, starts, sizes)
            v = torch.empty_like(u)
            v[:, perms[k]] = u
            v = v * signs[k]
    return v


def apply_role(role, x: torch.Tensor, starts: np.ndarray, sizes: np.ndarray) -> torch.Tensor:
    lead = x.shape[:-1]
    v = x.reshape(-1, x.shape[-1]).double()
    for f in reversed(role.factors):
        v = _apply_factor(f, v, starts, sizes)
    return v.to(torch.float32).reshape(*lead, x.shape[-1])
