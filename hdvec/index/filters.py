"""Attributes stored with the vectors, and search filters turned into row masks.

A filter is one of:

* a boolean array indexed by id: ``mask[id]`` is True for allowed ids (ids
  beyond its length are not allowed);
* an integer array (or list) of allowed ids;
* a dict of predicates on stored attributes, all of which must hold:
  ``{"genre": "drama"}`` (equality), ``{"genre": ["drama", "war"]}``
  (membership), ``{"year": (1990, 2000)}`` (inclusive range; ``None`` for an
  open end).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._backend import is_torch, to_numpy


def check_attributes(attributes: Any, n: int, existing: dict[str, np.ndarray] | None) -> dict[str, np.ndarray]:
    """Validate the attributes given to ``Index.add``.

    Parameters
    ----------
    attributes : dict of str to array-like, structured numpy.ndarray, or None
        One numeric or bool value per vector for each attribute name.
    n : int
        Number of vectors being added.
    existing : dict or None
        Attributes already stored; later adds must give the same names.

    Returns
    -------
    dict of str to numpy.ndarray
        ``(n,)`` arrays by name (empty for None).

    Raises
    ------
    TypeError
        If ``attributes`` is not a dict or structured array, a name is not a
        str, or a column is not numeric or bool (encode strings as category codes).
    ValueError
        If a column does not have shape ``(n,)``, or the names differ from
        those of earlier adds.
    """
    if attributes is None:
        if existing:
            raise ValueError(f"`attributes` must give {sorted(existing)} for every vector, as earlier adds did")
        return {}
    if isinstance(attributes, np.ndarray) and attributes.dtype.names:
        attributes = {name: attributes[name] for name in attributes.dtype.names}
    if not isinstance(attributes, Mapping):
        raise TypeError(f"`attributes` must be a dict of arrays or a structured array; got {type(attributes).__name__}")
    out = {}
    for name, values in attributes.items():
        if not isinstance(name, str):
            raise TypeError(f"`attributes` keys must be str; got {type(name).__name__}")
        arr = np.asarray(to_numpy(values) if is_torch(values) else values)
        if arr.ndim != 1 or arr.shape[0] != n:
            raise ValueError(f"`attributes[{name!r}]` must have shape ({n},) to match the vectors; got {arr.shape}")
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"`attributes[{name!r}]` must be numeric or bool (encode strings as category codes); "
                            f"got dtype {arr.dtype}")
        out[name] = arr
    if existing and set(out) != set(existing):
        raise ValueError(f"`attributes` must have the keys {sorted(existing)} of earlier adds; got {sorted(out)}")
    return out


def filter_rows(flt: Any, ids: np.ndarray, attributes: dict[str, np.ndarray]) -> np.ndarray:
    """Turn a search filter into a row mask.

    Parameters
    ----------
    flt : numpy.ndarray, list, torch.Tensor or dict
        A boolean mask indexed by id, an array of allowed ids, or a dict of
        attribute predicates (see the module docstring).
    ids : numpy.ndarray
        int64 ``(n,)`` ids of the stored rows.
    attributes : dict of str to numpy.ndarray
        The stored ``(n,)`` attribute columns.

    Returns
    -------
    numpy.ndarray
        bool ``(n,)``: True for rows the filter allows.

    Raises
    ------
    ValueError
        If a dict names an attribute that is not stored, a range is not a
        pair, or a boolean mask is not 1-D.
    TypeError
        For any other kind of filter.
    """
    if isinstance(flt, Mapping):
        mask = np.ones(ids.shape[0], bool)
        for name, cond in flt.items():
            if name not in attributes:
                raise ValueError(f"`filter` names attribute {name!r}, but the index stores {sorted(attributes)}")
            col = attributes[name]
            if isinstance(cond, tuple):
                if len(cond) != 2:
                    raise ValueError(f"`filter[{name!r}]` range must be (low, high); got {cond!r}")
                lo, hi = cond
                if lo is not None:
                    mask &= col >= lo
                if hi is not None:
                    mask &= col <= hi
            elif isinstance(cond, (list, np.ndarray, set, frozenset)):
                mask &= np.isin(col, np.asarray(list(cond) if isinstance(cond, (set, frozenset)) else cond))
            else:
                mask &= col == cond
        return mask
    arr = np.asarray(to_numpy(flt) if is_torch(flt) else flt)
    if arr.dtype == bool:
        if arr.ndim != 1:
            raise ValueError(f"`filter` as a boolean mask must be 1-D (indexed by id); got shape {arr.shape}")
        inside = (ids >= 0) & (ids < arr.shape[0])
        mask = np.zeros(ids.shape[0], bool)
        mask[inside] = arr[ids[inside]]
        return mask
    if arr.dtype.kind in "iu" and arr.ndim <= 1:
        return np.isin(ids, arr.reshape(-1))
    raise TypeError("`filter` must be a boolean mask indexed by id, an array of allowed ids, or a dict of "
                    f"attribute predicates; got {type(flt).__name__} of dtype {getattr(arr, 'dtype', None)}")
