"""Seeded random (non-cyclic) permutations of the components of a model's vectors, with their inverses."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import is_torch, to_device, to_numpy
from .._validation import Seed
from ._stateful import check_model as _check_model
from .binary import BSC, pack_bits, unpack_bits
from .model import Model


class Permutation:
    """A fixed permutation of the ``dim`` components of a model's vectors, with its inverse.

    ``apply(x)[..., i] == x[..., indices[i]]`` (on the bits, for BSC).
    Made by ``random_permutation``.

    Parameters
    ----------
    model : Model
    indices : numpy.ndarray
        int64 ``(c,)``, a permutation of ``0 .. c-1``; ``c`` = ``dim`` (BSC: bits), BSBC: ``n_blocks``.

    Attributes
    ----------
    indices, inverse_indices : numpy.ndarray
        int64 ``(c,)``; ``indices[inverse_indices] == arange(c)``.

    Raises
    ------
    ValueError
        If ``indices`` is not a permutation of ``0 .. c-1``.
    """

    def __init__(self, model: Model, indices: Any):
        self.model = _check_model(model)
        n = n_components(model)
        idx = np.asarray(to_numpy(indices))
        if idx.shape != (n,) or idx.dtype.kind not in "iu" or not np.array_equal(np.sort(idx), np.arange(n)):
            raise ValueError(f"`indices` must be a permutation of 0..{n - 1}; got shape {idx.shape}, "
                             f"dtype {idx.dtype}")
        self.indices = idx.astype(np.int64)
        self.inverse_indices = np.argsort(self.indices).astype(np.int64)
        self._cache: dict[Any, Any] = {}

    def __repr__(self) -> str:
        return f"Permutation({self.model!r})"

    def inverse(self) -> Permutation:
        """The inverse permutation, as a new ``Permutation``."""
        return Permutation(self.model, self.inverse_indices)

    def apply(self, x: Any, times: int = 1) -> Any:
        """Permute the components of ``x`` ``times`` times (negative: by the inverse).

        Parameters
        ----------
        x : numpy.ndarray or torch.Tensor
            ``(..., width)`` vectors of the model.
        times : int
            Power of the permutation; 0 returns a copy.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            ``(..., width)``, same dtype, backend and device.

        Shapes
        ------
        ``(..., width) -> (..., width)``
        """
        t = self.model.check_shift(times)
        x = self.model.check(x, "x")
        idx = self.indices if t >= 0 else self.inverse_indices
        bsc = isinstance(self.model, BSC)
        v = unpack_bits(x, self.model.dim) if bsc else x
        if is_torch(x):
            key = (x.device, t >= 0)
            if key not in self._cache:
                self._cache[key] = to_device(idx, x.device)
            ti = self._cache[key]
            v = v.clone() if t == 0 else v
            for _ in range(abs(t)):
                v = v.index_select(-1, ti)
        else:
            v = v.copy() if t == 0 else v
            for _ in range(abs(t)):
                v = v[..., idx]
        return pack_bits(v) if bsc else v

    __call__ = apply


def n_components(model: Model) -> int:
    """Components a permutation or a componentwise selection acts on: bits for BSC, else ``width`` (BSBC: blocks)."""
    return model.dim if isinstance(model, BSC) else model.width


def random_permutation(model: Model, *, seed: Seed = None) -> Permutation:
    """A seeded random permutation of the components that is not a cyclic shift.

    Unlike ``model.permute`` (a rotation), it scatters neighbouring
    components; any ``p.apply(x, k)`` for small ``k != 0`` is quasi-orthogonal to ``x``.

    Parameters
    ----------
    model : Model
        Any model with at least 3 components (``dim``; BSBC: blocks), since
        with 2 or fewer every permutation is a rotation.
    seed : int, numpy.random.Generator or None
        None draws from the model's generator.

    Returns
    -------
    Permutation
        With ``apply`` / ``__call__`` and ``inverse``.

    Raises
    ------
    ValueError
        If the model has fewer than 3 components.

    Examples
    --------
    >>> import numpy as np
    >>> from hdvec import hdc
    >>> from hdvec.hdc import ops
    >>> m = hdc.MAP(1000, seed=0)
    >>> p = ops.random_permutation(m, seed=1)
    >>> x = m.random(1)
    >>> bool((p.apply(p.apply(x), -1) == x).all()), abs(float(m.similarity(p(x)[0], x[0]))) < 0.1
    (True, True)
    """
    n = n_components(_check_model(model))
    if n < 3:
        raise ValueError(f"`model` must have at least 3 components (BSBC: blocks) for a non-cyclic permutation; "
                         f"got {n}")
    rng = model._rng_for(seed)
    base = np.arange(n)
    while True:
        idx = rng.permutation(n)
        if np.unique((idx - base) % n).size > 1:  # not a rotation (nor the identity)
            return Permutation(model, idx)
