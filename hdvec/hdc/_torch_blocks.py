"""Torch implementations of the BSBC / MCR / CGR / VTB operations (CPU or CUDA). Private.

Inputs are validated tensors; outputs stay on the input's device. Every
function computes what the matching kernel of ``_block_kernels.py`` computes,
with the same tie rules, so NumPy and torch give the same integers.
"""

from __future__ import annotations

import numpy as np
import torch

_ELEMENTS = 1 << 24  # elements of one broadcast temporary (chunks are sized to stay below)


def out_of_range(x: torch.Tensor, r: int) -> bool:
    return x.numel() > 0 and bool(((x < 0) | (x >= r)).any())


def add_mod(a: torch.Tensor, b: torch.Tensor, r: int, sign: int) -> torch.Tensor:
    """(a + sign * b) mod r with broadcasting, formed in int32, returned in a's dtype."""
    s = a.to(torch.int32) + sign * b.to(torch.int32)
    return torch.remainder(s, r).to(a.dtype)


def _weights(w: np.ndarray | None, n: int, device) -> torch.Tensor:
    return torch.ones(n, dtype=torch.float64, device=device) if w is None else torch.from_numpy(w).to(device)


def mode_bundle(x: torch.Tensor, weights: np.ndarray | None, r: int, tiebreak: np.ndarray) -> torch.Tensor:
    """Per-component (weighted) mode over axis -2; ties go to the index first reached from ``tiebreak``."""
    lead, n, w = tuple(x.shape[:-2]), x.shape[-2], x.shape[-1]
    dev = x.device
    xs = x.reshape(-1, n, w).transpose(1, 2).to(torch.int64)  # (B, w, n)
    wt = _weights(weights, n, dev)
    tb = torch.from_numpy(tiebreak).to(dev)
    rank = torch.remainder(torch.arange(r, device=dev)[None, :] - tb[:, None], r)  # (w, r)
    out = torch.empty((xs.shape[0], w), dtype=x.dtype, device=dev)
    step = max(1, _ELEMENTS // max(1, w * r))
    for s in range(0, xs.shape[0], step):
        idx = xs[s : s + step]
        counts = torch.zeros(idx.shape[:2] + (r,), dtype=torch.float64, device=dev)
        counts.scatter_add_(-1, idx, wt.expand(idx.shape))
        present = torch.zeros(counts.shape, dtype=torch.bool, device=dev)
        present.scatter_(-1, idx, True)
        masked = torch.where(present, counts, torch.tensor(-np.inf, dtype=torch.float64, device=dev))
        tied = present & (masked == masked.max(-1, keepdim=True).values)
        out[s : s + step] = torch.where(tied, rank, r).argmin(-1).to(x.dtype)
    return out.reshape(lead + (w,))


def _round_half_even(t: torch.Tensor, eps: float) -> torch.Tensor:
    f = torch.floor(t)
    frac = t - f
    odd = torch.remainder(f, 2) != 0
    return torch.where((frac - 0.5).abs() <= eps, torch.where(odd, f + 1, f), torch.where(frac > 0.5, f + 1, f))


def phasor_bundle(x: torch.Tensor, weights: np.ndarray | None, cos_t: np.ndarray, sin_t: np.ndarray, r: int,
                  zero_tol: float, eps: float) -> torch.Tensor:
    """MCR bundle: nearest index to the angle of the weighted phasor sum over axis -2 (float64)."""
    dev = x.device
    wt = _weights(weights, x.shape[-2], dev)[:, None]
    idx = x.to(torch.int64)
    re = (torch.from_numpy(cos_t).to(dev)[idx] * wt).sum(-2)
    im = (torch.from_numpy(sin_t).to(dev)[idx] * wt).sum(-2)
    wsum = float(wt.sum())
    mean = (idx.to(torch.float64) * wt).sum(-2) / wsum if wsum != 0.0 else torch.zeros_like(re)
    t = torch.where(re * re + im * im <= zero_tol * zero_tol, mean, torch.atan2(im, re) * (r / (2.0 * np.pi)))
    return torch.remainder(_round_half_even(t, eps).to(torch.int64), r).to(x.dtype)


def _distance_block(a: torch.Tensor, b: torch.Tensor, r: int, mode: int) -> torch.Tensor:
    """(na, nb) int64 distances of 2-D blocks: unequal count (mode 0) or circular sum (mode 1)."""
    if mode == 0:
        return (a[:, None, :] != b[None, :, :]).sum(-1, dtype=torch.int64)
    d = (a[:, None, :].to(torch.int32) - b[None, :, :].to(torch.int32)).abs()
    return torch.minimum(d, r - d).sum(-1, dtype=torch.int64)


def pairwise(a: torch.Tensor, b: torch.Tensor, r: int, mode: int) -> torch.Tensor:
    """int64 ``(*A, *B)`` distances of every row of a with every row of b."""
    a2, b2 = a.reshape(-1, a.shape[-1]), b.reshape(-1, b.shape[-1])
    out = torch.empty((a2.shape[0], b2.shape[0]), dtype=torch.int64, device=a.device)
    step = max(1, _ELEMENTS // max(1, a2.shape[0] * a2.shape[1]))
    for s in range(0, b2.shape[0], step):
        out[:, s : s + step] = _distance_block(a2, b2[s : s + step], r, mode)
    return out.reshape(tuple(a.shape[:-1]) + tuple(b.shape[:-1]))


def knn(q: torch.Tensor, items: torch.Tensor, r: int, mode: int, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Exact top-k (float32 distances, int64 rows), ascending, ties to the lower row, padded with (inf, -1)."""
    nq, dev = q.shape[0], q.device
    best_d = torch.full((nq, 0), float("inf"), device=dev)
    best_i = torch.full((nq, 0), -1, dtype=torch.int64, device=dev)
    step = max(1, _ELEMENTS // max(1, nq * q.shape[1]))
    for s in range(0, items.shape[0], step):
        d = _distance_block(q, items[s : s + step], r, mode).to(torch.float32)
        idx = torch.arange(s, s + d.shape[1], device=dev).expand(nq, -1)
        cat_d, cat_i = torch.cat([best_d, d], 1), torch.cat([best_i, idx], 1)
        order = torch.sort(cat_d, dim=1, stable=True).indices[:, :k]
        best_d, best_i = torch.gather(cat_d, 1, order), torch.gather(cat_i, 1, order)
    if best_d.shape[1] < k:
        pad = k - best_d.shape[1]
        best_d = torch.cat([best_d, torch.full((nq, pad), float("inf"), device=dev)], 1)
        best_i = torch.cat([best_i, torch.full((nq, pad), -1, dtype=torch.int64, device=dev)], 1)
    return best_d, best_i


def vtb_product(a: torch.Tensor, b: torch.Tensor, side: int, transpose: bool) -> torch.Tensor:
    """``sqrt(side) * A @ B.T`` (bind) or ``sqrt(side) * A @ B`` (``transpose``: unbind) on (..., side, side) views."""
    am = a.reshape(tuple(a.shape[:-1]) + (side, side))
    bm = b.reshape(tuple(b.shape[:-1]) + (side, side))
    prod = torch.matmul(am, bm if transpose else bm.transpose(-1, -2)) * np.float32(np.sqrt(side))
    return prod.reshape(tuple(prod.shape[:-2]) + (side * side,))
