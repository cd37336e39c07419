"""Cleanup with a threshold: the nearest stored item, or "nothing" when it is not similar enough."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import is_torch, same_backend, to_numpy, torch_module
from ._stateful import check_model as _check_model
from .binary import BSC
from .model import Model
from .modular import CyclicModel

__all__ = ["cleanup_threshold"]


def cleanup_threshold(model: Model, queries: Any, memory: Any, /, *, threshold: float = 0.0,
                      return_similarity: bool = False) -> Any:
    """Nearest stored item per query, or "nothing" when its similarity is below ``threshold``.

    Parameters
    ----------
    model : Model
    queries : numpy.ndarray or torch.Tensor
        ``(nq, width)``, or one query ``(width,)``.
    memory : numpy.ndarray, torch.Tensor or ItemMemory
        ``(n, width)`` items (same backend as ``queries``), or an
        ``ItemMemory`` of ``model``.
    threshold : float
        Minimum similarity (``model.similarity``'s scale: cosine, or
        ``1 - 2 * hamming / dim`` for BSC).
    return_similarity : bool
        Also return the best similarity of each query.

    Returns
    -------
    found : numpy.ndarray, torch.Tensor, list or key
        For an array memory: int64 rows ``(nq,)`` (a 0-d array for one
        query), -1 where below the threshold or the memory is empty. For an
        ItemMemory: a list of keys, None where below (one key or None for one query).
    similarity : numpy.ndarray or torch.Tensor
        float32 ``(nq,)`` best similarity (-inf for an empty memory); only
        with ``return_similarity=True``, returned first: ``(similarity, found)``.

    Raises
    ------
    ValueError
        If ``threshold`` is not a finite number, or the ItemMemory belongs to another model.

    Examples
    --------
    >>> from hdvec import hdc
    >>> from hdvec.hdc import ops
    >>> m = hdc.BSC(1024, seed=0)
    >>> items = m.random(4)
    >>> ops.cleanup_threshold(m, items[2], items, threshold=0.5), ops.cleanup_threshold(m, m.random(1), items, threshold=0.5)
    (array(2), array([-1]))
    """
    from .memory import ItemMemory

    _check_model(model)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.floating)) or not np.isfinite(threshold):
        raise ValueError(f"`threshold` must be a finite number; got {threshold!r}")
    if isinstance(memory, ItemMemory):
        if memory.model.config() != model.config():
            raise ValueError(f"`memory` belongs to {memory.model!r}, not to {model!r}")
        dist, rows = memory.cleanup(queries, 1)
    else:
        same_backend(queries=queries, memory=memory)
        memory = model.check(memory, "memory")
        if memory.ndim != 2:
            raise ValueError(f"`memory` must have shape (n, {model.width}); got {tuple(memory.shape)}")
        dist, rows = model.cleanup(queries, memory, 1)
    dist, rows = dist[..., 0], rows[..., 0]
    if isinstance(model, BSC):
        sim = 1.0 - dist * (2.0 / model.dim)
    elif isinstance(model, CyclicModel):  # distances are counts (BSBC) or sums of circular distances
        sim = model._similarity_of_distance(dist)
    else:
        sim = 1.0 - dist
    if is_torch(sim):
        sim = sim.float()
        found = torch_module().where(sim >= threshold, rows, torch_module().full_like(rows, -1))
    else:
        sim = np.asarray(sim, np.float32)
        found = np.where(sim >= threshold, rows, -1).astype(np.int64)
    if isinstance(memory, ItemMemory):
        flat = [None if r < 0 else memory.keys[r] for r in to_numpy(found).reshape(-1).tolist()]
        found = flat[0] if to_numpy(found).ndim == 0 else flat
    return (sim, found) if return_similarity else found
