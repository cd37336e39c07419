"""The index's scans in torch, for ``Index.search(..., device="cuda")`` (and on the CPU in CI).

The stored arrays move to the device once (cached per device until the index
changes) and stay compact there: LVQ codes as uint8, binary vectors as packed
words. Each block of rows is decoded on the device, scored against all
queries with one matrix product, masked (lists not probed, rows not allowed)
and merged into a running top-kk. The same shortlist then goes through the
same exact re-rank as on the CPU. Ties between equal distances may resolve
to a different row than the Numba path.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_BLOCK = 65536  # rows decoded per step


def _torch():
    import torch

    return torch


def to_device(storage: Any, device: Any) -> dict[str, Any]:
    """A ``ListStorage``'s per-row arrays (and the list of every row) as tensors on ``device``."""
    torch = _torch()
    arrays = {}
    for name, a in storage.data.items():
        a = np.ascontiguousarray(a)
        # torch has no uint64 arithmetic: keep the words as int64 bits
        arrays[name] = torch.from_numpy(a.view(np.int64) if a.dtype == np.uint64 else a).to(device)
    arrays["_lists"] = torch.from_numpy(storage.row_lists()).to(device)
    return arrays


def _unpack_bits(words: Any, n_bits: int) -> Any:
    """(rows, nw) int64 words -> (rows, n_bits) float32 0/1 (bit i = bit i % 64 of word i // 64)."""
    torch = _torch()
    shifts = torch.arange(64, device=words.device, dtype=torch.int64)
    bits = (words.unsqueeze(-1) >> shifts) & 1
    return bits.reshape(words.shape[0], -1)[:, :n_bits].to(torch.float32)


def _decode_lvq(arr: dict[str, Any], a: int, b: int, bits: int, d: int) -> Any:
    torch = _torch()
    codes = arr["lvq_codes"][a:b]
    if bits == 4:
        c = torch.stack([codes & 15, codes >> 4], dim=-1).reshape(codes.shape[0], -1)[:, :d]
    else:
        c = codes
    return arr["lvq_lo"][a:b, None] + arr["lvq_delta"][a:b, None] * c.to(torch.float32)


def scan(arr: dict[str, Any], spec: Any, metric: str, dim: int, nlist: int, work: np.ndarray,
         rq: np.ndarray | None, probes: np.ndarray, allowed: np.ndarray, kk: int, device: Any) -> tuple[Any, Any]:
    """Top-kk (distances, rows) tensors on ``device`` over the probed lists, like the Numba scans.

    ``arr``: ``to_device`` of the index's storage; ``work``: queries in the
    space of the codes (words for Hamming); ``rq``: their RaBitQ rotation
    (``codes.rabitq_query``) for RaBitQ codes, else None.
    """
    torch = _torch()
    ip = metric not in ("l2", "hamming")
    n = arr["_lists"].shape[0]
    work = np.ascontiguousarray(work)
    q = torch.from_numpy(work.view(np.int64) if work.dtype == np.uint64 else work).to(device)
    nq = q.shape[0]
    probe_table = torch.zeros((nq, nlist), dtype=torch.bool, device=device)
    pr = torch.from_numpy(probes).to(device)
    probe_table.scatter_(1, pr.clamp(min=0), (pr >= 0))
    ok = torch.from_numpy(allowed).to(device) if allowed.shape[0] else None
    if rq is not None:
        q = torch.from_numpy(rq).to(device)
    qsq = (q * q).sum(1, keepdim=True)
    best_d = torch.full((nq, 0), float("inf"), device=device)
    best_r = torch.full((nq, 0), -1, dtype=torch.int64, device=device)
    for a in range(0, n, _BLOCK):
        b = min(n, a + _BLOCK)
        if metric == "hamming":
            x = 1.0 - 2.0 * _unpack_bits(arr["words"][a:b], dim)  # bit 1 -> -1
            qpm = 1.0 - 2.0 * _unpack_bits(q, dim) if q.dtype == torch.int64 else q
            dist = (dim - qpm @ x.T) * 0.5
        elif spec.codes == "rabitq":
            xbar = (2.0 * _unpack_bits(arr["rq_words"][a:b], q.shape[1]) - 1.0) / float(np.sqrt(q.shape[1]))
            dots = (q @ xbar.T) * (arr["rq_norm"][a:b] / arr["rq_ip"][a:b].clamp(min=1e-12))
            norm2 = arr["rq_norm"][a:b] ** 2
            dist = -dots if ip else (qsq + norm2 - 2 * dots).clamp(min=0)
        else:
            if spec.codes == "flat":
                x, sq = arr["vectors"][a:b], arr["sqnorm"][a:b]
            else:
                x = _decode_lvq(arr, a, b, 8 if spec.codes == "lvq8" else 4, work.shape[1])
                sq = arr["lvq_sqnorm"][a:b]
            dots = q @ x.T
            dist = -dots if ip else (qsq + sq - 2 * dots).clamp(min=0)
        keep = probe_table[:, arr["_lists"][a:b]]
        if ok is not None:
            keep &= ok[a:b]
        dist = torch.where(keep, dist, torch.full_like(dist, float("inf")))
        rows = torch.arange(a, b, device=device).expand(nq, -1)
        cand_d = torch.cat([best_d, dist], 1)
        cand_r = torch.cat([best_r, rows], 1)
        top = torch.topk(cand_d, min(kk, cand_d.shape[1]), dim=1, largest=False, sorted=True)
        best_d, best_r = top.values, torch.gather(cand_r, 1, top.indices)
    best_r = torch.where(torch.isinf(best_d), torch.full_like(best_r, -1), best_r)
    if best_d.shape[1] < kk:
        pad = kk - best_d.shape[1]
        best_d = torch.cat([best_d, torch.full((nq, pad), float("inf"), device=device)], 1)
        best_r = torch.cat([best_r, torch.full((nq, pad), -1, dtype=torch.int64, device=device)], 1)
    return best_d, best_r


def rerank(arr: dict[str, Any], queries: np.ndarray, rows: Any, k: int, ip: bool, level2: bool,
           device: Any) -> tuple[Any, Any]:
    """Exact (full vectors) or level-2 LVQ re-scoring of a shortlist ``rows`` (nq, kk) -> top k."""
    torch = _torch()
    q = torch.from_numpy(np.ascontiguousarray(queries)).to(device)
    valid = rows >= 0
    r = rows.clamp(min=0)
    if level2:
        d = queries.shape[1]
        codes = arr["lvq_codes"][r]  # (nq, kk, d/2)
        c = torch.stack([codes & 15, codes >> 4], dim=-1).reshape(codes.shape[0], codes.shape[1], -1)[..., :d]
        delta = arr["lvq_delta"][r].unsqueeze(-1)
        xhat = arr["lvq_lo"][r].unsqueeze(-1) + delta * c.to(torch.float32)
        x = xhat + delta / 255.0 * arr["lvq_res_codes"][r].to(torch.float32) - delta / 2
    else:
        x = arr["full"][r]
    dots = torch.einsum("qd,qkd->qk", q, x)
    dist = -dots if ip else ((q.unsqueeze(1) - x) ** 2).sum(-1)
    dist = torch.where(valid, dist, torch.full_like(dist, float("inf")))
    top = torch.topk(dist, min(k, dist.shape[1]), dim=1, largest=False, sorted=True)
    out_r = torch.gather(rows, 1, top.indices)
    return top.values, torch.where(torch.isinf(top.values), torch.full_like(out_r, -1), out_r)
