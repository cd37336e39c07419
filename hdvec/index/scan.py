"""The search paths of an ``Index`` over its stored rows: IVF scans of the codes with exact re-rank,
exact scans of selected rows (selective filters), and the same scans in torch on a device.

Functions of an ``Index`` (its package-level interface: ``spec``, ``metric``,
``rotation``, ``work``, ``full_query``, ``probe_lists``, ``device_arrays``)
and of one snapshot ``st`` of its rows (a ``ListStorage``), taken once per
search; ``Index.search`` chooses among them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..hdc.search import dense_topk, empty_results, hamming_topk
from . import _list_kernels as L
from . import codes as C


def shortlist(spec: Any, k: int) -> int:
    """Candidates scanned per query before the re-rank: ``k * rerank``, ``4 k`` for LVQ4x8, else ``k``."""
    return k * spec.rerank if spec.rerank else (4 * k if spec.codes == "lvq4x8" else k)


def search_lists(index: Any, st: Any, qv: np.ndarray, k: int, nprobe: int, allowed: np.ndarray,
                 lists: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Top-k ``(distances, rows)`` of validated queries ``qv``: the probed lists' codes scanned by the Numba
    kernels (``lists``: given per query, else the ``nprobe`` nearest), then the exact or level-2 re-rank."""
    spec = index.spec
    nq = qv.shape[0]
    if index.metric == "hamming":
        if not spec.nlist and not allowed.shape[0]:
            return hamming_topk(qv, st.data["words"], k)
        probes = index.probe_lists(qv, nprobe) if lists is None else lists
        out_d, out_r = np.empty((nq, k), np.float32), np.empty((nq, k), np.int64)
        L.scan_hamming(qv, probes, st.offsets, st.data["words"], allowed, out_d, out_r)
        return out_d, out_r
    work = index.work(qv, query=True)
    ip = index.metric != "l2"
    if spec.codes == "flat" and not spec.nlist and not allowed.shape[0]:
        return dense_topk(work, st.data["vectors"], k, "ip" if ip else "l2", item_sqnorms=st.data["sqnorm"])
    probes = index.probe_lists(work, nprobe) if lists is None else lists
    kk = shortlist(index.spec, k)
    out_d, out_r = np.empty((nq, kk), np.float32), np.empty((nq, kk), np.int64)
    if spec.codes == "flat":
        L.scan_flat(work, probes, st.offsets, st.data["vectors"], st.data["sqnorm"], ip, allowed, out_d, out_r)
    elif spec.codes.startswith("lvq"):
        C._scan_lvq(work, probes, st.offsets, st.codes("lvq_"), 8 if spec.codes == "lvq8" else 4, ip, allowed,
                    out_d, out_r)
    else:
        C._scan_rabitq(work, probes, st.offsets, st.codes("rq_"), index.rotation, ip, allowed, out_d, out_r)
    if spec.rerank and spec.codes != "flat":
        return C._rerank_full(index.full_query(qv), out_r, st.data["full"], ip, k)
    if spec.codes == "lvq4x8":
        return C._rerank_level2(work, out_r, st.codes("lvq_"), ip, k)
    return out_d[:, :k], out_r[:, :k]


def search_rows(index: Any, st: Any, qv: np.ndarray, k: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact answer among ``rows`` only (selective filters)."""
    if rows.shape[0] == 0:
        return empty_results(qv.shape[0], k)
    metric = "l2" if index.metric == "l2" else "ip"
    if index.metric == "hamming":
        d, r = hamming_topk(qv, st.data["words"][rows], k)
    elif "full" in st.data:
        d, r = dense_topk(index.full_query(qv), np.ascontiguousarray(st.data["full"][rows]), k, metric)
    else:
        work = index.work(qv, query=True)
        if index.spec.codes == "flat":
            sub = np.ascontiguousarray(st.data["vectors"][rows])
        elif index.spec.codes.startswith("lvq"):
            sub = C.lvq_decode_rows(st.codes("lvq_"), rows, work.shape[1], 2 if index.spec.codes == "lvq4x8" else 1)
        else:  # RaBitQ keeps no reconstruction: decode |x| * R x_bar / <o_bar, o>
            sub = C.rabitq_decode_rows(st.codes("rq_"), rows, index.rotation, work.shape[1])
        d, r = dense_topk(work, sub, k, metric)
    return d, np.where(r >= 0, rows[np.maximum(r, 0)], -1)


def search_torch(index: Any, st: Any, qv: np.ndarray, k: int, nprobe: int, allowed: np.ndarray, device: Any
                 ) -> tuple[np.ndarray, np.ndarray]:
    """``search_lists`` with the scan and re-rank in torch on ``device``; NumPy results."""
    from . import _torch as T

    spec = index.spec
    work = qv if index.metric == "hamming" else index.work(qv, query=True)
    arrays = index.device_arrays(st, device)
    probes = index.probe_lists(work, nprobe)
    rq = C.rabitq_query(work, index.rotation) if spec.codes == "rabitq" else None
    d, r = T.scan(arrays, spec, index.metric, index.dim, index.nlist, work, rq, probes, allowed,
                  shortlist(index.spec, k), device)
    if spec.rerank and spec.codes != "flat":
        d, r = T.rerank(arrays, index.full_query(qv), r, k, index.metric != "l2", False, device)
    elif spec.codes == "lvq4x8":
        d, r = T.rerank(arrays, work, r, k, index.metric != "l2", True, device)
    else:
        d, r = d[:, :k], r[:, :k]
    return d.cpu().numpy().astype(np.float32), r.cpu().numpy()


def unique_lists(lists: np.ndarray) -> np.ndarray:
    """Each row's list numbers with repeats replaced by -1 (a list scanned twice would report its rows twice)."""
    out = np.sort(lists, axis=1)
    out[:, 1:][out[:, 1:] == out[:, :-1]] = -1
    return out
