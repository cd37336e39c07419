"""Encode a ``dask.bag`` on Dask workers: the same bytes as encoding locally.

Encoders pickle with their seed and settings, and every symbol's vector
comes from (seed, hash of the symbol), so an encoder copied to any worker
gives byte-identical vectors whatever the partitioning. ``encode_bag``
wraps ``bag.map_partitions(encoder.encode_batch)`` into a ``dask.array`` with
known chunk sizes, ready for ``ShardedIndex.add``.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _encode_partition(items: list, encoder: Any, function_pairs: bool) -> list[np.ndarray]:
    items = list(items)
    if function_pairs:  # FunctionEncoder: items are (x, y) sample pairs
        return [encoder.encode_batch([x for x, _ in items], [y for _, y in items])]
    return [encoder.encode_batch(items)]


def encode_bag(encoder: Any, bag: Any) -> Any:
    """Encode every item of ``bag`` on the workers into a ``dask.array``, one chunk per partition.

    Parameters
    ----------
    encoder : NGramEncoder, TokenEncoder, JSONEncoder or FunctionEncoder
        Texts for the text encoders, JSON values for ``JSONEncoder``,
        ``(x, y)`` sample pairs for ``FunctionEncoder``.
    bag : dask.bag.Bag
        The items. Partition lengths are counted first (one cheap pass) so
        the array has known chunk sizes, as ``ShardedIndex.add`` needs.

    Returns
    -------
    dask.array.Array
        ``(n, width)`` with the dtype of ``encoder.encode_batch``; computed,
        it is byte-identical to ``encoder.encode_batch(list(bag))``.

    Raises
    ------
    TypeError
        If ``bag`` is not a Dask bag or ``encoder`` has no ``encode_batch``.
    ImportError
        Without Dask (``pip install 'hdvec[distributed]'``).
    """
    try:
        import dask.array as da
        import dask.bag as db
    except ImportError as exc:
        raise ImportError("encode_bag needs Dask: pip install 'hdvec[distributed]'") from exc
    from .functions import FunctionEncoder

    if not isinstance(bag, db.Bag):
        raise TypeError(f"`bag` must be a dask.bag.Bag; got {type(bag).__name__}")
    if not hasattr(encoder, "encode_batch"):
        raise TypeError(f"`encoder` must be an hdvec encoder; got {type(encoder).__name__}")
    pairs = isinstance(encoder, FunctionEncoder)
    probe = _encode_partition([([0.0], [0.0])] if pairs else [_SAMPLE.get(type(encoder).__name__, "")],
                              encoder, pairs)[0]
    lengths = bag.map_partitions(lambda p: [len(list(p))]).compute()
    blocks = bag.map_partitions(_encode_partition, encoder, pairs).to_delayed()
    arrays = [da.from_delayed(blk[0], shape=(m, probe.shape[1]), dtype=probe.dtype)
              for blk, m in zip(blocks, lengths)]
    return da.concatenate(arrays, axis=0) if arrays else da.empty((0, probe.shape[1]), dtype=probe.dtype)


_SAMPLE = {"JSONEncoder": {}}  # an item each encoder accepts, to learn the output width and dtype
