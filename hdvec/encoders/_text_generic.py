"""Text encoding for the block and modular models (BSBC, MCR, CGR, VTB) through their public operations.

The fused kernels of ``text.py`` assume product binding and summed bundles
(BSC, MAP, HRR, FHRR). These models bind by addition mod ``r`` (BSBC, MCR,
CGR) or by a block-matrix product (VTB, not commutative) and bundle by a
per-component mode (BSBC, CGR), a phasor angle (MCR) or a sum (VTB), so
here every distinct gram is built with ``model.permute`` / ``model.bind``
and every document is one ``model.bundle`` call, weighted by the gram
counts. A weighted mode / phasor sum / sum with integer counts equals the
bundle of every occurrence (same counts, same tie rules).

Empty documents (no grams) get ``empty_bundle``: the bundle of nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ..hdc import BSBC, CGR, MCR, VTB, Model

_ROW_ELEMENTS = 1 << 23  # components of bound rows built at once (a document's rows always together)


def is_generic(model: Model) -> bool:
    """Whether ``model`` takes the generic path (BSBC, MCR, CGR, VTB)."""
    return isinstance(model, (BSBC, MCR, CGR, VTB))


def out_dtype(model: Model) -> np.dtype:
    """The model's vector dtype: int16/int32 indices (BSBC, MCR, CGR), float32 (VTB)."""
    return np.dtype(np.float32) if isinstance(model, VTB) else np.dtype(model.dtype)


def empty_bundle(model: Model) -> np.ndarray:
    """The vector of a document without grams, ``(width,)`` in ``out_dtype(model)``.

    BSBC, CGR: ``model.tiebreak`` (with no rows every index ties at count 0,
    and the tie search starting at ``tiebreak[j]`` stops there at once; BSC's
    empty majority is its tie-break vector too). MCR: zeros (the phasor sum
    is 0 and has no angle; the mean-of-indices fallback over a total weight
    of 0 is index 0, what ``MCR.bundle`` returns for zero weights; also the
    identity of its bind). VTB: zeros (the empty sum, as MAP and HRR).
    """
    if isinstance(model, (BSBC, CGR)):
        return model.tiebreak.astype(model.dtype)
    return np.zeros(model.width, out_dtype(model))


def _groups(sizes: np.ndarray, width: int) -> Iterator[tuple[int, int]]:
    """Consecutive document ranges ``[a, b)`` whose rows hold about ``_ROW_ELEMENTS`` components or fewer."""
    a, total = 0, 0
    for d, s in enumerate(sizes.tolist()):
        if total and (total + s) * width > _ROW_ELEMENTS:
            yield a, d
            a, total = d, 0
        total += s
    if a < len(sizes):
        yield a, len(sizes)


def bag(model: Model, vectors: np.ndarray, grams: np.ndarray, gram_starts: np.ndarray, counts: np.ndarray,
        n: int) -> np.ndarray:
    """Count-weighted bundle of the distinct n-grams of every document.

    ``vectors`` (U, width) symbol vectors; ``grams`` (G, n) int64 rows of
    ``vectors``, ``gram_starts`` (N + 1,) int64, ``counts`` (G,) int64 (what
    ``count_grams`` returns). A gram is ``bind_j permute(v(s_j), n - 1 - j)``
    (bound left to right, as ``hdc.ngrams``); a document is
    ``model.bundle(its grams, weights=counts)``, or ``empty_bundle``.
    Returns (N, width) in ``out_dtype(model)``.
    """
    n_docs = gram_starts.shape[0] - 1
    out = np.empty((n_docs, model.width), out_dtype(model))
    out[:] = empty_bundle(model)
    if grams.shape[0] == 0:
        return out
    tables = [model.permute(vectors, n - 1 - j) if n - 1 - j else vectors for j in range(n)]
    for a, b in _groups(np.diff(gram_starts), model.width):
        g0, g1 = int(gram_starts[a]), int(gram_starts[b])
        if g1 == g0:
            continue
        rows = tables[0][grams[g0:g1, 0]]
        for j in range(1, n):
            rows = model.bind(rows, tables[j][grams[g0:g1, j]])
        for d in range(a, b):
            lo, hi = int(gram_starts[d]), int(gram_starts[d + 1])
            if hi > lo:
                out[d] = model.bundle(rows[lo - g0 : hi - g0], weights=counts[lo:hi])
    return out


def sequence(model: Model, vectors: np.ndarray, ids: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Bundle of ``permute(v(s_i), L - 1 - i)`` over the ``L`` symbols of every document (``hdc.sequence``).

    ``vectors`` (U, width); ``ids`` (M,) int64 rows of ``vectors``;
    ``starts`` (N + 1,) int64 document offsets. Returns (N, width) in
    ``out_dtype(model)``; a document without symbols gets ``empty_bundle``.
    """
    n_docs = starts.shape[0] - 1
    out = np.empty((n_docs, model.width), out_dtype(model))
    out[:] = empty_bundle(model)
    lengths = np.diff(starts)
    for a, b in _groups(lengths, model.width):
        t0, t1 = int(starts[a]), int(starts[b])
        if t1 == t0:
            continue
        ends = np.repeat(starts[a + 1 : b + 1], lengths[a:b])
        shifts = ends - 1 - np.arange(t0, t1)  # L - 1 - i, i counted within the document
        order = np.argsort(shifts, kind="stable")
        values, first = np.unique(shifts[order], return_index=True)
        bounds = np.append(first, order.shape[0])
        rows = np.empty((t1 - t0, model.width), out.dtype)
        for s, lo, hi in zip(values.tolist(), bounds[:-1], bounds[1:]):
            sel = order[lo:hi]
            picked = vectors[ids[t0 + sel]]
            rows[sel] = model.permute(picked, s) if s else picked
        for d in range(a, b):
            lo, hi = int(starts[d]) - t0, int(starts[d + 1]) - t0
            if hi > lo:
                out[d] = model.bundle(rows[lo:hi])
    return out
