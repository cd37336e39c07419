"""Data structures built from bind, bundle and permute (Torchhd's vocabulary).

Every function takes the model first and plain arrays (NumPy or torch) after;
sequences run along axis -2: ``x`` is ``(..., n, width)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import is_torch
from .fourier import HRR
from .model import Model
from .orthogonal import MBAT, Role


def _no_mbat(model: Model, what: str) -> None:
    if isinstance(model, MBAT):
        raise TypeError(f"{what} binds vector with vector; MBAT binds a Role with a vector (use roles or permute)")


def _no_hrr_order(model: Model, what: str) -> None:
    """Refuse HRR where ``permute`` must mark order inside a bind (the one place for this check).

    HRR's ``permute`` is a cyclic shift and its ``bind`` a circular
    convolution, and a shift commutes with it:
    ``bind(permute(a, i), permute(b, j)) == permute(bind(a, b), i + j)``. A bind
    chain of permuted vectors is then one shift of the order-free bind of
    them, so it would not depend on the order.

    Raises
    ------
    TypeError
        If ``model`` is HRR; the message names ``what`` and the models to use instead.
    """
    if isinstance(model, HRR):
        raise TypeError(f"{what} does not apply to HRR: a cyclic shift commutes with circular convolution, so "
                        "permute cannot mark order inside a bind and the result would not depend on the order "
                        "(use FHRR, MAP or BSC)")


def multiset(model: Model, x: Any) -> Any:
    """Bundle of a set (order-free): ``model.bundle(x)``.

    Parameters
    ----------
    model : Model
    x : numpy.ndarray or torch.Tensor
        The elements, ``(..., n, width)``.

    Returns
    -------
    numpy.ndarray or torch.Tensor
        ``(..., width)``.

    Shapes
    ------
    ``(..., n, width) -> (..., width)``
    """
    return model.bundle(x)


def _stack(xs: list[Any]) -> Any:
    if is_torch(xs[0]):
        import torch

        return torch.stack(xs, dim=-2)
    return np.stack(xs, axis=-2)


def sequence(model: Model, x: Any, *, mode: str = "bundle") -> Any:
    """Ordered sequence: element ``i`` of ``n`` is permuted by ``n - 1 - i``, then combined.

    Parameters
    ----------
    model : Model
        Any model for ``mode="bundle"``; not MBAT or HRR for ``mode="bind"``
        (HRR's cyclic shift commutes with its circular convolution, so the
        chain would not depend on the order).
    x : numpy.ndarray or torch.Tensor
        The elements in order, ``(..., n, width)``.
    mode : {"bundle", "bind"}
        "bundle": bundle of the permuted elements (similar to sequences
        sharing elements at the same positions). "bind": bind chain of them
        (an exact key; similar only to the same sequence).

    Returns
    -------
    numpy.ndarray or torch.Tensor
        ``(..., width)``.

    Raises
    ------
    ValueError
        If ``mode`` is unknown or ``x`` is empty.
    TypeError
        For ``mode="bind"`` with an MBAT or HRR model.

    Shapes
    ------
    ``(..., n, width) -> (..., width)``
    """
    if mode not in ("bundle", "bind"):
        raise ValueError(f"`mode` must be 'bundle' or 'bind'; got {mode!r}")
    if mode == "bind":
        _no_hrr_order(model, "sequence(mode='bind')")
    x = model.check_batch(x, "x")
    n = x.shape[-2]
    parts = [model.permute(x[..., i, :], n - 1 - i) for i in range(n)]
    if mode == "bundle":
        return model.bundle(_stack(parts))
    _no_mbat(model, "sequence(mode='bind')")
    out = parts[0]
    for p in parts[1:]:
        out = model.bind(out, p)
    return out


def ngrams(model: Model, x: Any, n: int = 3) -> Any:
    """Bundle of all n-grams of a sequence, each n-gram a bind chain of permuted elements.

    The n-gram starting at ``i`` is ``bind_j permute(x[i + j], n - 1 - j)``
    (Torchhd's ``ngrams``).

    Parameters
    ----------
    model : Model
        BSC, MAP or FHRR (not MBAT; HRR only for ``n = 1``, as its cyclic
        shift commutes with its circular convolution: an n-gram would not
        depend on the order of its elements).
    x : numpy.ndarray or torch.Tensor
        The sequence, ``(L, width)`` with ``L >= n``.
    n : int
        Gram length, >= 1.

    Returns
    -------
    numpy.ndarray or torch.Tensor
        ``(width,)``.

    Raises
    ------
    TypeError
        For an MBAT model, or HRR with ``n >= 2``.
    ValueError
        If ``n < 1``, ``x`` is not 2-D, or ``L < n``.

    Shapes
    ------
    ``(L, width) -> (width,)``
    """
    _no_mbat(model, "ngrams")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"`n` must be an int >= 1; got {n!r}")
    if n >= 2:
        _no_hrr_order(model, f"ngrams(n={n})")
    x = model.check_batch(x, "x")
    if x.ndim != 2:
        raise ValueError(f"`x` must have shape (L, {model.width}); got {tuple(x.shape)}")
    length = x.shape[0]
    if length < n:
        raise ValueError(f"`x` must hold at least n={n} vectors; got {length}")
    m = length - n + 1
    out = model.permute(x[0:m], n - 1)
    for j in range(1, n):
        out = model.bind(out, model.permute(x[j : j + m], n - 1 - j))
    return model.bundle(out)


def hash_table(model: Model, keys: Any, values: Any) -> Any:
    """Key-value record: ``bundle_i bind(key_i, value_i)``.

    Read a value back with ``model.unbind(record, key)`` followed by a
    cleanup against the candidate values (e.g. ``ItemMemory.cleanup``).

    Parameters
    ----------
    model : Model
    keys : numpy.ndarray, torch.Tensor or list of Role
        ``(n, width)`` key vectors, or ``(..., n, width)`` whose leading axes
        broadcast against those of ``values`` (one set of keys for a batch of
        records); for MBAT a list of ``n`` Roles.
    values : numpy.ndarray or torch.Tensor
        ``(n, width)``, or a batch ``(..., n, width)``.

    Returns
    -------
    numpy.ndarray or torch.Tensor
        ``(width,)``; for a batch, ``(..., width)`` over the broadcast leading axes.

    Raises
    ------
    TypeError
        For MBAT, if ``keys`` is not a list of Roles.
    ValueError
        If ``keys`` and ``values`` differ in ``(n, width)`` or their leading axes do not broadcast.

    Shapes
    ------
    ``(n, width), (n, width) -> (width,)``; ``(n, width), (B, n, width) -> (B, width)``
    """
    if isinstance(model, MBAT):
        if not isinstance(keys, (list, tuple)) or not all(isinstance(k, Role) for k in keys):
            raise TypeError("for MBAT, `keys` must be a list of Roles from MBAT.role(name)")
        values = model.check_batch(values, "values")
        if len(keys) != values.shape[-2]:
            raise ValueError(f"`keys` and `values` must have the same length; got {len(keys)} and {values.shape[-2]}")
        return model.bundle(_stack([model.bind(values[..., i, :], r) for i, r in enumerate(keys)]))
    keys = model.check_batch(keys, "keys")
    values = model.check_batch(values, "values")
    try:
        if keys.shape[-2:] != values.shape[-2:]:
            raise ValueError
        np.broadcast_shapes(tuple(keys.shape[:-2]), tuple(values.shape[:-2]))
    except ValueError:
        raise ValueError("`keys` and `values` must have the same (n, width) and broadcastable leading axes; got "
                         f"{tuple(keys.shape)} and {tuple(values.shape)}") from None
    return model.bundle(model.bind(keys, values))


def graph(model: Model, nodes: Any, edges: Any, *, directed: bool = False) -> Any:
    """Graph as the bundle of its edges.

    An edge ``(s, t)`` is ``bind(nodes[s], nodes[t])``, or with
    ``directed=True`` ``bind(nodes[s], permute(nodes[t], 1))``.

    Parameters
    ----------
    model : Model
        BSC, MAP, HRR (undirected only) or FHRR (not MBAT).
    nodes : numpy.ndarray or torch.Tensor
        ``(n_nodes, width)`` node vectors.
    edges : array-like
        ``(n_edges, 2)`` integer node indices, ``n_edges >= 1``.
    directed : bool
        Mark the edge target with a permutation (not for HRR: a shifted
        target in a circular convolution gives the edge both ways).

    Returns
    -------
    numpy.ndarray or torch.Tensor
        ``(width,)``.

    Raises
    ------
    TypeError
        For an MBAT model, or HRR with ``directed=True``.
    ValueError
        If ``edges`` is not a non-empty ``(n_edges, 2)`` integer array of
        valid node indices.

    Shapes
    ------
    ``(n_nodes, width), (n_edges, 2) -> (width,)``
    """
    _no_mbat(model, "graph")
    if directed:
        _no_hrr_order(model, "graph(directed=True)")
    nodes = model.check_batch(nodes, "nodes")
    e = np.asarray(edges.cpu() if is_torch(edges) else edges)
    if e.ndim != 2 or e.shape[1] != 2 or e.shape[0] == 0 or e.dtype.kind not in "iu":
        raise ValueError(f"`edges` must be a non-empty (n_edges, 2) integer array; got shape {e.shape}, dtype {e.dtype}")
    if e.min() < 0 or e.max() >= nodes.shape[0]:
        raise ValueError(f"`edges` must index nodes in [0, {nodes.shape[0]}); got values in [{e.min()}, {e.max()}]")
    src, dst = nodes[e[:, 0]], nodes[e[:, 1]]
    if directed:
        dst = model.permute(dst, 1)
    return model.bundle(model.bind(src, dst))
