"""Attributes stored with the vectors, and search filters turned into row masks.

A filter is one of:

* a boolean array indexed by id: ``mask[id]`` is True for allowed ids. Its
  length must be the index's id bound ``next_id`` (one more than the largest
  id ever added: the number of vectors added when ids are the default
  ``0, 1, ...``), so a mask built for other data raises instead of filtering
  the wrong rows;
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


def filter_rows(flt: Any, ids: np.ndarray, attributes: dict[str, np.ndarray], n_ids: int) -> np.ndarray:
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
    n_ids : int
        The length a boolean mask must have (the index's ``next_id``).

    Returns
    -------
    numpy.ndarray
        bool ``(n,)``: True for rows the filter allows.

    Raises
    ------
    ValueError
        If a dict names an attribute that is not stored, a range is not a
        pair, or a boolean mask is not 1-D of length ``n_ids``.
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
        return _check_mask(arr, n_ids)[ids]
    if arr.dtype.kind in "iu" and arr.ndim <= 1:
        return np.isin(ids, arr.reshape(-1))
    raise TypeError("`filter` must be a boolean mask indexed by id, an array of allowed ids, or a dict of "
                    f"attribute predicates; got {type(flt).__name__} of dtype {getattr(arr, 'dtype', None)}")


def _check_mask(arr: np.ndarray, n_ids: int) -> np.ndarray:
    if arr.ndim != 1 or arr.shape[0] != n_ids:
        raise ValueError(f"`filter` as a boolean mask must be 1-D with one entry per id, length {n_ids} "
                         f"(the index's next_id); got shape {arr.shape}")
    return arr


def mask_to_ids(flt: Any, n_ids: int) -> Any:
    """A boolean mask filter (checked against ``n_ids``) as the array of ids it allows; other filters unchanged.

    ``ShardedIndex`` sends filters to shards whose own id bounds differ from the global one.
    """
    if flt is None or isinstance(flt, Mapping):
        return flt
    arr = np.asarray(to_numpy(flt) if is_torch(flt) else flt)
    return np.flatnonzero(_check_mask(arr, n_ids)) if arr.dtype == bool else flt
