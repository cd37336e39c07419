"""The ``Index`` file: what ``Index.save`` writes, and ``Index.load``'s reading and structural checks.

One self-describing, checksummed file (``hdvec._io``): a JSON header (dim,
metric, spec, nprobe, seed, counts) and the arrays (the ``ListStorage`` rows,
mean, projection, centroids, RaBitQ rotation). A file can pass its checksums and still describe an impossible index (arrays
written by another tool, or edited and re-checksummed). Numba kernels do not
bounds-check, so ``Index.load`` checks every array it will hand to one:
dtype and shape against the header and against each other, finite vectors,
offsets running from 0 to n, ids unique and below ``next_id``. Every failure
is a ``FormatError`` naming the file and the field.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._io import FormatError, read_arrays, write_arrays
from ..hdc.binary import tail_mask
from .codes import padded_dim
from .fastscan import KSUB, default_m
from .partition import Partition
from .spec import IndexSpec, parse_spec
from .storage import ListStorage

FORMAT = "hdvec.Index"

METRICS = ("l2", "ip", "cosine", "hamming")


def _fail(path: Any, field: str, what: str) -> FormatError:
    return FormatError(f"'{path}' is corrupted: {field} {what}")


def check_header(path: Any, meta: dict) -> dict:
    """The validated header fields: dim, metric, spec, nprobe, seed, trained, n, next_id."""
    def integer(name: str, minimum: int, optional: bool = False) -> int | None:
        v = meta.get(name)
        if v is None and optional:
            return None
        if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
            raise _fail(path, f"header field {name!r}", f"must be an int >= {minimum}; got {v!r}")
        return v

    out: dict[str, Any] = {"dim": integer("dim", 1), "n": integer("n", 0), "next_id": integer("next_id", 0),
                           "nprobe": integer("nprobe", 1, optional=True), "seed": integer("seed", 0)}
    if meta.get("metric") not in METRICS:
        raise _fail(path, "header field 'metric'", f"must be one of {METRICS}; got {meta.get('metric')!r}")
    out["metric"] = meta["metric"]
    if not isinstance(meta.get("trained"), bool):
        raise _fail(path, "header field 'trained'", f"must be true or false; got {meta.get('trained')!r}")
    out["trained"] = meta["trained"]
    spec = meta.get("spec")
    if spec is not None:
        try:
            spec = parse_spec(spec) if isinstance(spec, str) else None
        except ValueError:
            spec = None
        if spec is None:
            raise _fail(path, "header field 'spec'", f"is not an index spec; got {meta.get('spec')!r}")
    out["spec"] = spec
    return out


def _check(path: Any, arrays: dict, name: str, dtype: Any, shape: tuple, required: bool = True) -> None:
    a = arrays.get(name)
    if a is None:
        if required:
            raise _fail(path, f"array {name!r}", "is missing")
        return
    if a.dtype != np.dtype(dtype) or a.shape != shape:
        raise _fail(path, f"array {name!r}", f"must be {np.dtype(dtype)} {shape}; got {a.dtype} {a.shape}")
    if a.dtype.kind == "f" and a.size and not np.isfinite(a).all():
        raise _fail(path, f"array {name!r}", "holds NaN or inf")


def check_arrays(path: Any, h: dict, arrays: dict) -> None:
    """Check every array of an index file against its header ``h`` (from ``check_header``) and each other."""
    dim, n, metric, spec = h["dim"], h["n"], h["metric"], h["spec"]
    spec = spec if spec is not None else IndexSpec("flat")
    nlist = spec.nlist or 1
    hamming = metric == "hamming"
    nw = -(-dim // 64)
    work = spec.reduced_dim if spec.reduction == "pca" else dim
    _check(path, arrays, "ids", np.int64, (n,))
    _check(path, arrays, "offsets", np.int64, (nlist + 1,))
    ids, offs = arrays["ids"], arrays["offsets"]
    if offs[0] != 0 or offs[-1] != n or np.any(np.diff(offs) < 0):
        raise _fail(path, "array 'offsets'", f"must rise from 0 to n={n}; got {offs[:3].tolist()}...{offs[-1]}")
    if n and (ids.min() < 0 or np.unique(ids).shape[0] != n):
        raise _fail(path, "array 'ids'", "must be unique and >= 0")
    if n and h["next_id"] <= ids.max():
        raise _fail(path, "header field 'next_id'", f"must exceed the largest id {ids.max()}; got {h['next_id']}")
    trained = h["trained"] and h["spec"] is not None
    if trained and not hamming:
        _check(path, arrays, "mean", np.float32, (dim,))
    if spec.reduction:
        _check(path, arrays, "matrix", np.float32, (dim, work), trained)
    if spec.nlist:
        _check(path, arrays, "centroids", np.uint64 if hamming else np.float32, (nlist, nw if hamming else work),
               trained)
    if spec.codes == "rabitq":
        _check(path, arrays, "rotation", np.float32, (padded_dim(work),) * 2, trained)
    m = (spec.pq_m or default_m(work)) if spec.codes == "pq4" else 0
    if m:
        _check(path, arrays, "codebooks", np.float32, (m, KSUB, work // m), trained)
    if not n:
        return
    if hamming:
        _check(path, arrays, "data.words", np.uint64, (n, nw))
        if np.any(arrays["data.words"][:, -1] & ~tail_mask(dim)):
            raise _fail(path, "array 'data.words'", f"has bits set beyond dim={dim}")
    elif spec.codes == "flat":
        _check(path, arrays, "data.vectors", np.float32, (n, work))
        _check(path, arrays, "data.sqnorm", np.float32, (n,))
    elif spec.codes.startswith("lvq"):
        _check(path, arrays, "data.lvq_codes", np.uint8, (n, work if spec.codes == "lvq8" else (work + 1) // 2))
        for name in ("lo", "delta", "sqnorm"):
            _check(path, arrays, f"data.lvq_{name}", np.float32, (n,))
        if spec.codes == "lvq4x8":
            _check(path, arrays, "data.lvq_res_codes", np.uint8, (n, work))
    elif spec.codes == "pq4":
        _check(path, arrays, "data.pq_codes", np.uint8, (n, m))
        _check(path, arrays, "data.pq_sqnorm", np.float32, (n,))
        if arrays["data.pq_codes"].max() >= KSUB:
            raise _fail(path, "array 'data.pq_codes'", f"must hold 4-bit codes (< {KSUB})")
    else:
        _check(path, arrays, "data.rq_words", np.uint64, (n, padded_dim(work) // 64))
        for name in ("norm", "ip"):
            _check(path, arrays, f"data.rq_{name}", np.float32, (n,))
    if spec.rerank and spec.codes != "flat":
        _check(path, arrays, "data.full", np.float32, (n, dim))
    for name, a in arrays.items():
        if name.startswith("attr.") and (a.shape != (n,) or a.dtype.kind not in "biuf"):
            raise _fail(path, f"array {name!r}", f"must be a numeric ({n},) column; got {a.dtype} {a.shape}")


def write(index: Any, st: Any, path: Any, nprobe: int | None) -> None:
    """Write ``index`` with its (compacted) rows ``st`` and its nprobe setting (None: the default) to ``path``."""
    arrays = st.arrays()
    for name in ("mean", "matrix", "rotation", "codebooks"):
        if getattr(index, name) is not None:
            arrays[name] = getattr(index, name)
    if index.partition is not None:
        arrays["centroids"] = index.partition.centroids
    meta = {"kind": FORMAT, "dim": index.dim, "metric": index.metric, "spec": None if index.spec is None else
            str(index.spec), "nprobe": nprobe, "seed": index.seed, "trained": index.trained,
            "n": st.n_rows, "next_id": st.next_id}
    write_arrays(path, meta, arrays)


def read(cls: Any, path: Any, mmap: bool = False) -> Any:
    """An ``Index`` (``cls``) read from ``path``: checksums, then every structural check, then the object."""
    meta, arrays = read_arrays(path, mmap=mmap)
    if meta.get("kind") != FORMAT:
        raise FormatError(f"'{path}' does not hold an hdvec Index (kind={meta.get('kind')!r})")
    h = check_header(path, meta)
    check_arrays(path, h, arrays)  # every array a kernel will read: dtype, shape, consistency
    try:
        idx = cls(h["dim"], metric=h["metric"], spec=h["spec"], nprobe=h["nprobe"], seed=h["seed"])
    except ValueError as exc:
        raise FormatError(f"'{path}' is corrupted: header field 'spec' does not fit the index ({exc})") from None
    idx.trained = h["trained"]
    n, next_id = h["n"], h["next_id"]
    for name in ("mean", "matrix", "rotation", "codebooks"):
        setattr(idx, name, arrays.pop(name, None))
    centroids = arrays.pop("centroids", None)
    if centroids is not None:
        idx.partition = Partition(centroids)
    idx.storage = ListStorage.from_arrays(path, idx.nlist, n, next_id, arrays)
    return idx
