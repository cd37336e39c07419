"""The BSBC resonator network: block-index estimates, one NumPy (Numba) and one torch path. Private.

Called by ``resonator.py`` after validation. Composites, codebooks and
estimates are int64 block indices in ``[0, r)`` (``r = block_size``):
``s`` ``(n, B)``, each codebook ``(M_f, B)``, the estimates ``(F, n, B)``.
A factor that has not been updated yet under the "superposition" start is
*soft*: its estimate is the histogram of its codebook, ``(B, r)`` int64
(``hist[j, k]`` = rows with index ``k`` in block ``j``), the same for every
composite; its rows of ``est`` are unused. After its first update every
estimate is a hard code.

One update of factor ``f`` (all integer arithmetic, so NumPy, torch and
the reference agree exactly):

1. ``t = (s - sum of the hard other estimates) mod r``, ``(n, B)``.
2. ``conv`` = per block the circular convolution of the soft others'
   histograms (the histogram of their sum), ``(B, r)``; none: hard case.
3. Similarities ``sim[i, m]``: hard, the number of blocks where row ``m`` of
   ``X_f`` equals ``t[i]``; soft, ``sum_j conv[j, (t[i, j] - X_f[m, j]) mod r]``
   (the weight that the distribution of ``s ⊘ others`` puts on the row).
   Centred: ``w = r * sim - B * P`` with ``P = sum_k conv[j, k]`` (1 when
   hard), i.e. ``r`` times the similarity of the one-hot codes with their
   per-block mean ``1 / r`` removed. A random row sits at ``w ≈ 0``;
   without the centring every row adds about ``B / r`` to every update and
   at small ``r`` that baseline drowns the signal (10,000 bits, ``r = 10``,
   ``M = 50``, ``F = 3``: no composite of 50 factored, against all 50).
4. ``h[i, j, k] = sum_m w[i, m] [X_f[m, j] == k]`` (``X_fᵀ X_f v`` in the
   one-hot form) and the new index of block ``j`` is ``argmax_k h[i, j, k]``
   over all ``r`` indices, ties to the index first reached going up
   cyclically from the model's ``tiebreak[j]`` (its bundle rule).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import is_torch, torch_module
from . import _resonator_kernels as RK

#: elements of one torch temporary; larger batches are processed in chunks of rows
_ELEMENTS = 1 << 22


def setup(model: Any, books: list, soft_start: bool) -> dict:
    """Extra state of the block iteration: r, tiebreak, soft flags, histograms and (NumPy) inverted indices.

    ``books``: int64 ``(M_f, B)`` arrays or tensors. Raises ValueError when the
    integer weights of the soft start could overflow int64.
    """
    r, n_blocks = model.block_size, model.n_blocks
    use_torch = is_torch(books[0])
    state: dict = {"r": r, "soft": [soft_start] * len(books)}
    if soft_start:
        bound = n_blocks * r
        for b in books:
            bound *= int(b.shape[0])
        if bound >= 2**62:
            raise ValueError("`codebooks` are too large for the BSBC superposition start: n_blocks * block_size * prod(M_f) = "
                             f"{bound} must be below 2**62 (the exact integer weights overflow); "
                             "use init='random' or a list of starting codes")
        state["hist"] = [_histogram(b, r) for b in books]
    if use_torch:
        torch = torch_module()
        state["tb"] = torch.from_numpy(model.tiebreak).to(books[0].device)
    else:
        state["tb"] = np.ascontiguousarray(model.tiebreak, np.int64)
        state["index"] = []
        for b in books:
            order, start = np.empty((n_blocks, b.shape[0]), np.int64), np.empty((n_blocks, r + 1), np.int64)
            RK.block_index(b, r, order, start)
            state["index"].append((order, start))
    return state


def _histogram(book: Any, r: int) -> Any:
    """(B, r) int64: per block, how many rows of ``book`` (M, B) hold each index."""
    if is_torch(book):
        torch = torch_module()
        h = torch.zeros((book.shape[1], r), dtype=torch.int64, device=book.device)
        return h.scatter_add_(1, book.T.contiguous(), torch.ones_like(book.T))
    h = np.zeros((book.shape[1], r), np.int64)
    np.add.at(h, (np.broadcast_to(np.arange(book.shape[1]), book.shape), book), 1)
    return h


def _convolve(a: Any, b: Any, r: int) -> Any:
    """Blockwise circular convolution of two (B, r) int64 histograms (see ``RK.block_convolve``)."""
    if is_torch(a):
        torch = torch_module()
        out = torch.zeros_like(a)
        for x in range(r):
            out += a[:, x : x + 1] * torch.roll(b, x, dims=-1)  # roll(b, x)[k] = b[(k - x) mod r]
        return out
    out = np.empty_like(a)
    RK.block_convolve(a, b, r, out)
    return out


def sweep(state: dict, books: list) -> Any:
    """Update every factor once, in order, each from the newest others; return the (n,) bool moved flags."""
    s, est, r, soft = state["s"], state["est"], state["r"], state["soft"]
    n_factors, n = len(books), s.shape[0]
    use_torch = is_torch(s)
    torch = torch_module() if use_torch else None
    changed = torch.zeros(n, dtype=torch.bool, device=s.device) if use_torch else np.zeros(n, bool)
    for f in range(n_factors):
        use = [g != f and not soft[g] for g in range(n_factors)]
        conv, base = None, s.shape[1]  # base: r times the chance level of the similarities
        for g in range(n_factors):
            if g != f and soft[g]:
                conv = state["hist"][g] if conv is None else _convolve(conv, state["hist"][g], r)
                base *= int(books[g].shape[0])  # the soft histograms sum to M_g per block
        if use_torch:
            t = s
            for g in range(n_factors):
                if use[g]:
                    t = t - est[g]
            t = torch.remainder(t, r)
            sim = _similarities_torch(t, books[f], conv, r)
            new = _winner_take_all_torch(r * sim - base, books[f], state["tb"], r)
            changed |= (new != est[f]).any(-1) if not soft[f] else torch.ones_like(changed)
            est[f] = new
        else:
            t = np.empty_like(s)
            RK.block_unbind_others(s, est, np.array(use), r, t)
            sim = np.empty((n, books[f].shape[0]), np.int64)
            order, start = state["index"][f]
            dummy = conv if conv is not None else np.zeros((1, 1), np.int64)
            RK.block_similarities(t, books[f], order, start, dummy, conv is not None, r, sim)
            RK.block_winner_take_all(sim, base, books[f], state["tb"], r, soft[f], est[f], changed)
        soft[f] = False
    return changed


def _chunk(n: int, per_row: int) -> int:
    return max(1, _ELEMENTS // max(1, per_row))


def _similarities_torch(t: Any, book: Any, conv: Any, r: int) -> Any:
    """(n, M) int64 similarities of ``t`` (n, B) to the rows of ``book`` (M, B); see ``RK.block_similarities``."""
    torch = torch_module()
    n, n_blocks = t.shape
    sim = torch.empty((n, book.shape[0]), dtype=torch.int64, device=t.device)
    step = _chunk(n, book.shape[0] * n_blocks)
    offs = torch.arange(n_blocks, device=t.device) * r
    for a in range(0, n, step):
        tc = t[a : a + step, None, :]
        if conv is None:
            sim[a : a + step] = (tc == book[None]).sum(-1)
        else:
            k = torch.remainder(tc - book[None], r) + offs
            sim[a : a + step] = conv.reshape(-1)[k].sum(-1)
    return sim


def _winner_take_all_torch(w: Any, book: Any, tb: Any, r: int) -> Any:
    """(n, B) int64: per block the index with the largest summed weight ``w`` (n, M); see ``RK.block_winner_take_all``."""
    torch = torch_module()
    n, n_rows = w.shape
    n_blocks = book.shape[1]
    out = torch.empty((n, n_blocks), dtype=torch.int64, device=w.device)
    rank = torch.remainder(torch.arange(r, device=w.device)[None, :] - tb[:, None], r)  # (B, r)
    idx_t = book.T.contiguous()  # (B, M)
    step = _chunk(n, n_blocks * max(r, n_rows))
    for a in range(0, n, step):
        sc = w[a : a + step]
        h = torch.zeros((sc.shape[0], n_blocks, r), dtype=torch.int64, device=w.device)
        h.scatter_add_(2, idx_t.expand(sc.shape[0], -1, -1), sc[:, None, :].expand(-1, n_blocks, -1))
        tied = h == h.max(-1, keepdim=True).values
        out[a : a + step] = torch.where(tied, rank, r).argmin(-1)  # the tied index of smallest rank
    return out


def readout(final: Any, books: list, state: dict) -> Any:
    """(n, F) int64: per factor, the codebook row sharing the most blocks with the estimate (lowest row on ties)."""
    n = final.shape[1]
    if is_torch(final):
        torch = torch_module()
        return torch.stack([_similarities_torch(final[f], b, None, state["r"]).argmax(-1)
                            for f, b in enumerate(books)], dim=-1).to(torch.int64)
    out = np.zeros((n, len(books)), np.int64)
    for f, b in enumerate(books):
        sim = np.empty((n, b.shape[0]), np.int64)
        order, start = state["index"][f]
        RK.block_similarities(final[f], b, order, start, np.zeros((1, 1), np.int64), False, state["r"], sim)
        if n:
            out[:, f] = sim.argmax(-1)
    return out
