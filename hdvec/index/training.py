"""The training stages of an ``Index`` pipeline: centring, projection, IVF centroids, code parameters."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._progress import progress_bar, progress_close, progress_step
from .._validation import as_rng
from . import codes as C
from . import fastscan as FS
from .partition import Partition
from .projection import fit_pca, project, random_rotation

PROGRESS_ROWS = 65_536  # training sets larger than this show a progress bar (progress=None, on a terminal)


def fit_stages(index: Any, x: np.ndarray, progress: bool | None) -> None:
    """Fit every stage of ``index.spec`` on validated ``x`` (n, dim), seeded by ``index.seed``.

    Sets ``mean``, ``matrix`` (PCA / rotation), ``partition`` (IVF), and the
    codes' parameters: ``rotation`` (RaBitQ) or ``codebooks`` (PQ, trained on
    the residuals from the IVF centroids).
    """
    spec = index.spec
    rng = as_rng(index.seed)
    stages = 1 + (spec.reduction is not None) + (spec.nlist is not None) + (spec.codes in ("rabitq", "pq4"))
    bar = progress_bar(stages, "Index.train", "stage", progress, 2 if x.shape[0] > PROGRESS_ROWS else stages + 1)
    if index.metric == "hamming":
        if spec.nlist:
            index.partition = Partition.train(x, spec.nlist, rng)
        progress_close(bar, stages)
        return
    index.mean = x.mean(axis=0, dtype=np.float64).astype(np.float32)
    progress_step(bar)
    if spec.reduction == "pca":
        index.matrix = fit_pca(x - index.mean, spec.reduced_dim, rng)
    elif spec.reduction == "rotation":
        index.matrix = random_rotation(index.dim, rng)
    progress_step(bar, spec.reduction is not None)
    work = project(x, index.mean, index.matrix)
    if spec.nlist:
        index.partition = Partition.train(work, spec.nlist, rng)
    progress_step(bar, spec.nlist is not None)
    if spec.codes == "rabitq":
        index.rotation = C.rabitq_rotation(work.shape[1], rng)
    elif spec.codes == "pq4":  # codes hold the residuals from the IVF centroids
        index.codebooks = FS.train_codebooks(work - index.list_centres(index.assign_work(work)),
                                             spec.pq_m or FS.default_m(work.shape[1]), rng)
    progress_close(bar, stages)
