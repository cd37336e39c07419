"""Pick ``nprobe`` for a target recall: what ``Index()`` does on its first ``add``."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from ..hdc.search import dense_topk, hamming_topk

log = logging.getLogger(__name__)

CALIBRATION_QUERIES = 500  # sample of added vectors searched to pick nprobe
CALIBRATION_K = 10
_NPROBES = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256)


def _without(found: np.ndarray, own: np.ndarray, k: int) -> np.ndarray:
    """Each row of ``found`` (m, k + 1) ids without the row's own id, cut to ``k``."""
    out = np.empty((found.shape[0], k), np.int64)
    for j, (row, me) in enumerate(zip(found, own)):
        out[j] = row[row != me][:k]
    return out


def recall_less_one_se(got: np.ndarray, truth: np.ndarray) -> float:
    """Mean recall@k of ``got`` against ``truth`` (both (m, k) ids), less one standard error of that mean.

    The sample stands for queries the index has not seen; the standard error
    keeps the pick from resting on a lucky sample (on 50k sentence embeddings
    with held-out queries, the plain mean over 200 rows promised 0.95 and
    delivered 0.938).
    """
    per_query = np.array([np.isin(g, t).mean() for g, t in zip(got, truth)])
    return float(per_query.mean() - per_query.std() / np.sqrt(max(per_query.shape[0] - 1, 1)))


def calibrated_nprobe(index: Any, x: np.ndarray, ids: np.ndarray, seed: int) -> int:
    """Smallest nprobe whose recall@10 reaches ``index.target_recall`` on a seeded sample of the added rows.

    Each sampled row is searched as a query against everything added, and its
    own id is left out of both the exact and the index's neighbours, so a
    query is not rewarded for finding itself: what is measured is recall@10
    of its 10 other nearest neighbours, less one standard error of the mean
    over the sample. At most ~2e10 multiply-adds of exact search.

    Parameters
    ----------
    index : Index
        Trained, with ``x`` added under ``ids``.
    x : numpy.ndarray
        The validated added vectors (float32 or uint64 words).
    ids : numpy.ndarray
        Their int64 ids.
    seed : int
        The index's seed (the sample is drawn from its own stream).

    Returns
    -------
    int
        The nprobe (``index.nlist`` when no smaller one reaches the target).
    """
    n = x.shape[0]
    k = min(CALIBRATION_K, n - 1)
    m = int(min(CALIBRATION_QUERIES, n, max(20, 2e10 / max(n * x.shape[1], 1))))
    if k < 1:
        return max(1, index.nlist // 16)
    rng = np.random.default_rng([seed, 0x4E50524F])  # "NPRO": independent of the training draws
    sample = np.sort(rng.choice(n, m, replace=False))
    q, own = x[sample], ids[sample]
    if index.metric == "hamming":
        rows = hamming_topk(q, x, k + 1)[1]
    else:
        rows = dense_topk(q, x, k + 1, "l2" if index.metric == "l2" else "ip")[1]
    truth = _without(ids[rows], own, k)
    nprobe, recall = index.nlist, float("nan")
    for p in (p for p in _NPROBES if p < index.nlist):
        recall = recall_less_one_se(_without(index.search(q, k + 1, nprobe=p)[1], own, k), truth)
        if recall >= index.target_recall:
            nprobe = p
            break
    log.info("Index: nprobe=%d (recall@%d %s %.2f on %d added vectors, each without itself)", nprobe, k,
             ">=" if nprobe < index.nlist else "<", index.target_recall, m)
    return nprobe
