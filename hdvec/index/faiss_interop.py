"""Move indexes between hdvec and Faiss where the pipelines match.

``Index.to_faiss()`` and ``Index.from_faiss(faiss_index)`` (through
``to_faiss(index)`` and ``read_faiss(faiss_index)`` here) convert exhaustive and
IVF indexes over full vectors (``"Flat"``, ``"IVF<n>,Flat"``) and over packed bits
(metric "hamming"). The converted index holds the same vectors, ids and
coarse lists, so it answers the same queries with the same neighbours
(distances agree to float32 rounding; Hamming distances exactly). Faiss's
inner-product distances are similarities (higher is better) where hdvec
returns ``-<q, x>``; a ``"cosine"`` index goes to Faiss as inner product over
the normalized vectors (normalize the queries yourself).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


def _faiss():
    import faiss

    return faiss


def _check_exportable(index: Any) -> None:
    spec = index.spec
    if spec is None or not index.trained:
        raise ValueError("`index` is empty and untrained: add vectors before to_faiss()")
    if spec.codes != "flat" or spec.reduction or spec.rerank:
        raise ValueError(f"to_faiss() converts 'Flat' and 'IVF<n>,Flat' indexes; this one is '{spec}'")


def to_faiss(index: Any) -> Any:
    """A Faiss index holding the vectors, ids and IVF lists of ``index`` (an ``hdvec.index.Index``).

    Flat -> ``IndexFlatL2`` / ``IndexFlatIP`` (``IndexBinaryFlat`` for
    Hamming), wrapped in an ``IndexIDMap2`` unless the ids are 0..n-1 in
    storage order; ``IVF<n>,Flat`` -> ``IndexIVFFlat`` / ``IndexBinaryIVF``
    with the same centroids and list contents, and ``nprobe`` copied.
    """
    faiss = _faiss()
    _check_exportable(index)
    st = index.storage
    lists = st.live_rows_by_list()
    rows = np.concatenate(lists) if lists else np.empty(0, np.int64)
    ids = np.ascontiguousarray(st.ids[rows])
    hamming = index.metric == "hamming"
    if hamming:
        if index.dim % 8:
            raise ValueError(f"Faiss binary indexes need dim to be a multiple of 8; got dim={index.dim}")
        nbytes = index.dim // 8
        words = st.data["words"]
        codes = np.ascontiguousarray(words.view(np.uint8).reshape(-1, words.shape[1] * 8)[:, :nbytes])
        mean = None
    else:
        mean = index.mean
        codes = np.ascontiguousarray(st.data["vectors"] + mean, dtype=np.float32)  # stored centred
    metric = faiss.METRIC_L2 if index.metric == "l2" else faiss.METRIC_INNER_PRODUCT
    if not index.spec.nlist:
        if hamming:
            flat = faiss.IndexBinaryFlat(index.dim)
        else:
            flat = faiss.IndexFlatL2(index.dim) if metric == faiss.METRIC_L2 else faiss.IndexFlatIP(index.dim)
        x = codes[rows]
        if np.array_equal(ids, np.arange(ids.shape[0])):
            flat.add(x)
            return flat
        out = faiss.IndexBinaryIDMap2(flat) if hamming else faiss.IndexIDMap2(flat)
        out.add_with_ids(x, ids)
        return out
    nlist = index.nlist
    if hamming:
        quantizer = faiss.IndexBinaryFlat(index.dim)
        cw = index.partition.centroids
        quantizer.add(np.ascontiguousarray(cw.view(np.uint8).reshape(-1, cw.shape[1] * 8)[:, :nbytes]))
        out = faiss.IndexBinaryIVF(quantizer, index.dim, nlist)
    else:
        # hdvec assigns lists by L2 between centred vectors and the centroids; for L2 that is L2 from
        # the raw query to centroid + mean, for inner products queries are not centred: keep centroids
        cw = index.partition.centroids
        cents = cw + mean if index.metric == "l2" else cw
        quantizer = faiss.IndexFlatL2(index.dim)
        quantizer.add(np.ascontiguousarray(cents, dtype=np.float32))
        out = faiss.IndexIVFFlat(quantizer, index.dim, nlist, metric)
    out.own_fields = True
    quantizer.this.disown()
    out.is_trained = True
    invlists = out.invlists
    for lst, lrows in enumerate(lists):
        if lrows.size:
            lcodes = np.ascontiguousarray(codes[lrows])
            lids = np.ascontiguousarray(st.ids[lrows])
            invlists.add_entries(lst, lrows.size, faiss.swig_ptr(lids), faiss.swig_ptr(lcodes.view(np.uint8)))
    out.ntotal = int(rows.size)
    out.nprobe = index.nprobe
    return out


def _unwrap(faiss_index: Any) -> tuple[Any, np.ndarray | None]:
    """(inner index, ids or None) of an IDMap / IDMap2 wrapper, else (index, None)."""
    faiss = _faiss()
    idx = faiss.downcast_index(faiss_index) if not isinstance(faiss_index, faiss.IndexBinary) \
        else faiss.downcast_IndexBinary(faiss_index)
    if isinstance(idx, (faiss.IndexIDMap, faiss.IndexBinaryIDMap)):
        ids = faiss.vector_to_array(idx.id_map).astype(np.int64)
        inner = idx.index
        inner = faiss.downcast_IndexBinary(inner) if isinstance(idx, faiss.IndexBinaryIDMap) \
            else faiss.downcast_index(inner)
        return inner, ids
    return idx, None


@dataclass
class FaissContents:
    """What ``read_faiss`` takes out of a Faiss index; ``Index.from_faiss`` builds an Index from it.

    ``vectors``: float32 ``(n, dim)`` or packed uint64 words; ``centroids``
    and ``lists`` (the IVF list of every vector) are None for a flat index;
    ``ids`` None means 0..n-1.
    """

    dim: int
    metric: str
    vectors: np.ndarray
    ids: np.ndarray | None
    nlist: int | None = None
    nprobe: int | None = None
    centroids: np.ndarray | None = None
    lists: np.ndarray | None = None


def read_faiss(faiss_index: Any) -> FaissContents:
    """The vectors, ids and IVF lists of a Faiss index.

    Accepts ``IndexFlatL2``, ``IndexFlatIP``, ``IndexIVFFlat`` (L2 or inner
    product, with a flat L2 quantizer), ``IndexBinaryFlat`` and
    ``IndexBinaryIVF``, bare or inside an ``IndexIDMap`` / ``IndexIDMap2``.
    Inner-product indexes become ``metric="ip"``.
    """
    faiss = _faiss()
    if not isinstance(faiss_index, (faiss.Index, faiss.IndexBinary)):
        raise TypeError(f"`faiss_index` must be a Faiss index; got {type(faiss_index).__name__}")
    inner, ids = _unwrap(faiss_index)
    binary = isinstance(inner, faiss.IndexBinary)
    n = int(inner.ntotal)
    if isinstance(inner, (faiss.IndexFlat, faiss.IndexBinaryFlat)):
        metric = _metric(inner, binary)
        x = _flat_vectors(inner, n, binary)
        return FaissContents(int(inner.d), metric, _to_words(x, int(inner.d)) if binary else x, ids)
    if isinstance(inner, (faiss.IndexIVFFlat, faiss.IndexBinaryIVF)):
        return _read_ivf(inner, ids, binary)
    raise ValueError(f"from_faiss() converts flat and IVF-Flat indexes (float or binary); got {type(inner).__name__}")


def _metric(inner: Any, binary: bool) -> str:
    """hdvec metric of a Faiss index: 'hamming', 'l2' or 'ip' (others raise ValueError)."""
    faiss = _faiss()
    if binary:
        return "hamming"
    if inner.metric_type == faiss.METRIC_L2:
        return "l2"
    if inner.metric_type == faiss.METRIC_INNER_PRODUCT:
        return "ip"
    raise ValueError(f"`faiss_index` metric {inner.metric_type} has no hdvec equivalent (L2, IP, Hamming)")


def _flat_vectors(inner: Any, n: int, binary: bool) -> np.ndarray:
    faiss = _faiss()
    if binary:
        return faiss.vector_to_array(inner.xb).reshape(n, inner.code_size)
    return inner.reconstruct_n(0, n) if n else np.empty((0, inner.d), np.float32)


def _to_words(x: np.ndarray, dim: int) -> np.ndarray:
    """Faiss binary codes (n, dim / 8) uint8 -> hdvec's packed (n, ceil(dim / 64)) uint64 words."""
    nw = (dim + 63) // 64
    buf = np.zeros((x.shape[0], nw * 8), np.uint8)
    buf[:, : x.shape[1]] = x
    return buf.view(np.uint64)


def _read_ivf(inner: Any, ids_map: np.ndarray | None, binary: bool) -> FaissContents:
    faiss = _faiss()
    quantizer = faiss.downcast_IndexBinary(inner.quantizer) if binary else faiss.downcast_index(inner.quantizer)
    metric = _metric(inner, binary)
    flat_l2 = isinstance(quantizer, (faiss.IndexFlatL2, faiss.IndexBinaryFlat))  # hdvec assigns lists by L2
    if not flat_l2:
        raise ValueError("from_faiss() needs an IVF index with a flat L2 (or binary flat) quantizer; got "
                         f"{type(quantizer).__name__}")
    nlist, d = int(inner.nlist), int(inner.d)
    cents = _flat_vectors(quantizer, nlist, binary)
    invlists = inner.invlists
    vecs, ids, lists = [], [], []
    width = inner.code_size
    for lst in range(nlist):
        size = invlists.list_size(lst)
        if not size:
            continue
        codes = faiss.rev_swig_ptr(invlists.get_codes(lst), size * width).copy()
        lids = faiss.rev_swig_ptr(invlists.get_ids(lst), size).copy().astype(np.int64)
        vecs.append(codes.reshape(size, width) if binary else codes.view(np.float32).reshape(size, d))
        ids.append(lids)
        lists.append(np.full(size, lst, np.int64))
    if ids_map is not None:  # an IDMap over an IVF index: the lists hold positions into id_map
        ids = [ids_map[i] for i in ids]
    x = np.concatenate(vecs) if vecs else np.empty((0, width if binary else d), np.uint8 if binary else np.float32)
    all_ids = np.concatenate(ids) if ids else np.empty(0, np.int64)
    all_lists = np.concatenate(lists) if lists else np.empty(0, np.int64)
    if binary:
        cents, x = _to_words(cents, d), _to_words(x, d)
    else:
        cents, x = np.ascontiguousarray(cents, dtype=np.float32), np.ascontiguousarray(x, dtype=np.float32)
    return FaissContents(d, metric, x, all_ids, nlist, int(inner.nprobe), cents, all_lists)
