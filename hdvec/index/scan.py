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
from . import _fastscan_kernels as FK
from . import _kernels as K
from . import _list_kernels as L
from . import codes as C
from . import fastscan as FS
from ._kernels import serial

SERIAL_WORK = 2e6  # searches touching fewer bytes than this run on one thread (see _kernels.serial)


def shortlist(spec: Any, k: int, n: int) -> int:
    """Candidates scanned per query before the re-rank: ``k * rerank``, ``4 k`` for LVQ4x8, else ``k``;
    at most the ``n`` stored rows (and at least ``k``)."""
    return max(k, min(n, k * spec.rerank if spec.rerank else (4 * k if spec.codes == "lvq4x8" else k)))


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
    kk = shortlist(index.spec, k, st.n_rows)
    out_d, out_r = np.empty((nq, kk), np.float32), np.empty((nq, kk), np.int64)
    if spec.codes == "flat":
        L.scan_flat(work, probes, st.offsets, st.data["vectors"], st.data["sqnorm"], ip, allowed, out_d, out_r)
    elif spec.codes.startswith("lvq"):
        _scan_lvq(work, probes, st.offsets, st.codes("lvq_"), 8 if spec.codes == "lvq8" else 4, ip, allowed,
                    out_d, out_r)
    elif spec.codes == "rabitq":
        _scan_rabitq(work, probes, st.offsets, st.codes("rq_"), index.rotation, ip, allowed, out_d, out_r)
    else:
        blocks, block_offsets = st.derived("pq_blocks", lambda s: FS.pack_blocks(s.data["pq_codes"], s.offsets))
        centroids = None if index.partition is None else index.partition.centroids
        out_d, out_r = _scan_pq4(work, index.codebooks, ip, probes, centroids, st.offsets, st.data["pq_sqnorm"],
                               blocks, block_offsets, allowed, kk)
    if spec.rerank and spec.codes != "flat":
        return _rerank_full(index.full_query(qv), out_r, st.data["full"], ip, k)
    if spec.codes == "lvq4x8":
        return _rerank_level2(work, out_r, st.codes("lvq_"), ip, k)
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
        elif index.spec.codes == "pq4":
            sub = FS.decode(st.data["pq_codes"][rows], index.codebooks) + index.list_centres(st.row_lists()[rows])
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
                  shortlist(index.spec, k, st.n_rows), device)
    if spec.rerank and spec.codes != "flat":
        d, r = T.rerank(arrays, index.full_query(qv), r, k, index.metric != "l2", False, device)
    elif spec.codes == "lvq4x8":
        d, r = T.rerank(arrays, work, r, k, index.metric != "l2", True, device)
    else:
        d, r = d[:, :k], r[:, :k]
    return d.cpu().numpy().astype(np.float32), r.cpu().numpy()


def search_probed(index: Any, st: Any, qv: np.ndarray, k: int, nprobe: int, allowed: np.ndarray,
                  device: Any) -> tuple[np.ndarray, np.ndarray]:
    """The ``nprobe`` nearest lists of each query scanned: in torch on ``device``, else by the Numba kernels
    (on one thread when the search is small)."""
    if device is not None and index.spec.codes != "pq4":  # fast-scan codes are scanned on the CPU
        return search_torch(index, st, qv, k, nprobe, allowed, device)
    with serial(search_bytes(index, st, qv.shape[0], nprobe) < SERIAL_WORK):
        return search_lists(index, st, qv, k, nprobe, allowed)

def search_bytes(index: Any, st: Any, nq: int, nprobe: int) -> float:
    """Rough bytes touched by a search: centroids plus the probed share of the rows."""
    share = min(1.0, nprobe / index.nlist) if index.spec.nlist else 1.0
    cents = 0 if index.partition is None else index.partition.centroids.nbytes
    return nq * (cents + share * st.n_rows * st.row_bytes())


def unique_lists(lists: np.ndarray) -> np.ndarray:
    """Each row's list numbers with repeats replaced by -1 (a list scanned twice would report its rows twice)."""
    out = np.sort(lists, axis=1)
    out[:, 1:][out[:, 1:] == out[:, :-1]] = -1
    return out


# ---------------------------------------------------------------- the code kernels' entry points


def _by_rows(nq: int) -> tuple[bool, int]:
    """Few queries (fewer than two a thread) are scanned in parallel over rows instead."""
    threads = K.num_threads()
    return nq < 2 * threads, threads


def _scan_inputs(queries, probes, list_offsets, allowed):
    return (np.ascontiguousarray(queries, np.float32), np.ascontiguousarray(probes, np.int64),
            np.ascontiguousarray(list_offsets, np.int64), np.ascontiguousarray(allowed, bool))


def _scan_lvq(queries: np.ndarray, probes: np.ndarray, list_offsets: np.ndarray, codes: dict[str, np.ndarray], bits: int,
         metric_ip: bool, allowed: np.ndarray, out_dist: np.ndarray, out_rows: np.ndarray) -> None:
    """LVQ scan into out_dist / out_rows (nq, kk): ``scan_lvq``, or ``scan_lvq_rows`` for few queries.

    queries (nq, d) centred; probes (nq, nprobe) list ids in range or -1;
    list_offsets (nlist + 1,); allowed (n,) bool or empty; kk = ``out_dist.shape[1]``.
    The caller guarantees the list ids are in range (the kernels do not check).
    """
    queries, probes, list_offsets, allowed = _scan_inputs(queries, probes, list_offsets, allowed)
    kk = out_dist.shape[1]
    args = (queries, probes, list_offsets, codes["codes"], codes["lo"], codes["delta"], codes["sqnorm"], int(bits),
            bool(metric_ip), allowed, kk, out_dist, out_rows)
    by_rows, threads = _by_rows(queries.shape[0])
    if by_rows:
        K.scan_lvq_rows(*args, threads)
    else:
        K.scan_lvq(*args)


def _scan_rabitq(queries: np.ndarray, probes: np.ndarray, list_offsets: np.ndarray,
                      codes: dict[str, np.ndarray], rotation: np.ndarray, metric_ip: bool, allowed: np.ndarray,
                      out_dist: np.ndarray, out_rows: np.ndarray) -> None:
    """RaBitQ scan of centred (unrotated) queries (nq, d): rotates them, then ``scan_rabitq`` (or its rows variant)."""
    queries, probes, list_offsets, allowed = _scan_inputs(queries, probes, list_offsets, allowed)
    qr = C.rabitq_query(queries, rotation)
    kk = out_dist.shape[1]
    args = (qr, probes, list_offsets, codes["words"], codes["norm"], codes["ip"], bool(metric_ip), allowed, kk,
            out_dist, out_rows)
    by_rows, threads = _by_rows(qr.shape[0])
    if by_rows:
        K.scan_rabitq_rows(*args, threads)
    else:
        K.scan_rabitq(*args)


def _rerank_level2(queries: np.ndarray, rows: np.ndarray, codes: dict[str, np.ndarray], metric_ip: bool,
                  k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top k (distances, rows) of the shortlists ``rows`` (nq, kk) re-scored with the level-2 LVQ reconstruction."""
    queries = np.ascontiguousarray(queries, np.float32)
    nq, d = queries.shape
    bits = C.lvq_bits(codes, d)
    out_d = np.empty((nq, k), np.float32)
    out_r = np.empty((nq, k), np.int64)
    K.rerank_lvq2(queries, np.ascontiguousarray(rows, np.int64), codes["codes"], codes["res_codes"], codes["lo"],
                  codes["delta"], bits, bool(metric_ip), k, out_d, out_r)
    return out_d, out_r


def _rerank_full(queries: np.ndarray, rows: np.ndarray, vectors: np.ndarray, metric_ip: bool,
                k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top k (distances, rows) of the shortlists ``rows`` (nq, kk) re-scored exactly with float32 ``vectors`` (n, d).

    ``vectors`` may be a read-only ``np.memmap``.
    """
    nq = queries.shape[0]
    out_d = np.empty((nq, k), np.float32)
    out_r = np.empty((nq, k), np.int64)
    K.rerank_exact(np.ascontiguousarray(queries, np.float32), np.ascontiguousarray(rows, np.int64), vectors,
                   bool(metric_ip), k, out_d, out_r)
    return out_d, out_r


def _scan_pq4(queries: np.ndarray, codebooks: np.ndarray, metric_ip: bool, probes: np.ndarray,
              centroids: np.ndarray | None, offsets: np.ndarray, sqnorm: np.ndarray, blocks: np.ndarray,
              block_offsets: np.ndarray, allowed: np.ndarray, kk: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-kk ``(estimated distances, rows)`` (nq, kk) of validated queries over the probed lists.

    Codes hold residuals from the list centroids (``centroids`` (nlist, d), or None without IVF), so
    ``<q, x> = <q, c> + <q, r>``: one table of ``<q_s, codebook>`` serves every list, and the list's
    ``<q, c>`` is a constant. L2 adds ``|q|^2`` and the row's ``|x|^2`` (``sqnorm``):
    ``|q - x|^2 = |q|^2 - 2 <q, c> - 2 <q, r> + |x|^2``. The tables are built inside the kernel
    (``_fastscan_kernels.query_tables``, tested against ``quantize_tables``).
    """
    nq = queries.shape[0]
    out_d, out_r = np.empty((nq, kk), np.float32), np.empty((nq, kk), np.int64)
    cents = np.empty((0, queries.shape[1]), np.float32) if centroids is None else centroids
    FK.scan_pq4(queries, np.ascontiguousarray(codebooks.transpose(0, 2, 1)), bool(metric_ip),
                FS.table_cap(codebooks.shape[0]), cents, sqnorm if not metric_ip else np.empty(0, np.float32), probes, offsets, block_offsets, blocks,
                allowed, kk, out_d, out_r)
    return out_d, out_r
