"""Index pipeline specs: ``"PCA64,IVF1024,LVQ8,Rerank"`` <-> ``IndexSpec``.

Tokens, in pipeline order (each optional except the codes):

* reduction: ``PCA{d}`` (principal components fitted on the training data,
  LeanVec-ID style) or ``ROT`` (a random orthogonal rotation, same dim);
* partition: ``IVF{nlist}`` (k-means coarse centroids, ``nprobe`` lists
  scanned per query); without it every vector is scanned;
* codes: ``Flat`` (float32, exact), ``LVQ8``, ``LVQ4``, ``LVQ4x8``
  (4-bit codes scanned, 8-bit residual for re-scoring), ``RaBitQ``
  (1 bit per dimension) or ``PQ{m}`` (``m`` 4-bit product-quantizer codes
  scanned by the fast-scan kernels; ``PQ`` alone: two dimensions per code;
  Faiss's ``PQ{m}x4fs`` spelling is accepted); binary (Hamming) indexes only
  take ``Flat``;
* ``Rerank`` or ``Rerank{f}``: re-score a shortlist of ``f * k`` candidates
  (default f = 4) with the full-precision vectors, kept in memory.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

CODES = ("flat", "lvq8", "lvq4", "lvq4x8", "rabitq", "pq4")
_CODE_TOKENS = {"FLAT": "flat", "LVQ8": "lvq8", "LVQ4": "lvq4", "LVQ4X8": "lvq4x8", "RABITQ": "rabitq"}
DEFAULT_RERANK = 4


@dataclass(frozen=True)
class IndexSpec:
    """A parsed index pipeline; ``str(spec)`` gives back the canonical spec string.

    Parameters
    ----------
    codes : {"flat", "lvq8", "lvq4", "lvq4x8", "rabitq", "pq4"}
        What is stored and scanned per vector.
    reduction : {None, "pca", "rotation"}
        Dimension reduction (``PCA<d>``) or random rotation (``ROT``) before
        the codes.
    reduced_dim : int or None
        Output dimension of PCA; set exactly when ``reduction == "pca"``.
    nlist : int or None
        Number of IVF lists; None scans every vector.
    rerank : int
        Shortlist factor of the exact re-rank (``Rerank<f>``); 0 = no re-rank.
    pq_m : int or None
        Sub-quantizers of ``pq4`` codes (None: half the working dimension);
        only with ``codes="pq4"``.

    Raises
    ------
    ValueError
        If a field is out of its allowed values.

    Examples
    --------
    >>> from hdvec.index import IndexSpec, parse_spec
    >>> parse_spec("pca64,ivf1024,lvq8,rerank")
    IndexSpec(codes='lvq8', reduction='pca', reduced_dim=64, nlist=1024, rerank=4, pq_m=None)
    >>> str(IndexSpec("lvq4x8", nlist=512))
    'IVF512,LVQ4x8'
    """

    codes: str = "flat"
    reduction: str | None = None
    reduced_dim: int | None = None
    nlist: int | None = None
    rerank: int = 0  # shortlist factor; 0 = no exact re-rank
    pq_m: int | None = None  # sub-quantizers of pq4 codes; None = half the working dimension

    def __post_init__(self) -> None:
        if self.codes not in CODES:
            raise ValueError(f"`codes` must be one of {CODES}; got {self.codes!r}")
        if self.reduction not in (None, "pca", "rotation"):
            raise ValueError(f"`reduction` must be None, 'pca' or 'rotation'; got {self.reduction!r}")
        if (self.reduction == "pca") != (self.reduced_dim is not None):
            raise ValueError("`reduced_dim` is set exactly when `reduction` is 'pca'")
        for name in ("reduced_dim", "nlist"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
                raise ValueError(f"`{name}` must be a positive int or None; got {v!r}")
        if isinstance(self.rerank, bool) or not isinstance(self.rerank, int) or self.rerank < 0:
            raise ValueError(f"`rerank` must be an int >= 0; got {self.rerank!r}")
        if self.pq_m is not None and (self.codes != "pq4" or isinstance(self.pq_m, bool)
                                      or not isinstance(self.pq_m, int) or self.pq_m < 1):
            raise ValueError(f"`pq_m` must be a positive int, and only with codes='pq4'; got {self.pq_m!r}")

    @property
    def needs_training(self) -> bool:
        """True when ``Index.train`` must run before vectors can be added (PCA, ROT, IVF or non-flat codes)."""
        return self.reduction is not None or self.nlist is not None or self.codes not in ("flat",)

    def __str__(self) -> str:
        parts = []
        if self.reduction == "pca":
            parts.append(f"PCA{self.reduced_dim}")
        elif self.reduction == "rotation":
            parts.append("ROT")
        if self.nlist is not None:
            parts.append(f"IVF{self.nlist}")
        parts.append({"flat": "Flat", "lvq8": "LVQ8", "lvq4": "LVQ4", "lvq4x8": "LVQ4x8", "rabitq": "RaBitQ",
                      "pq4": f"PQ{self.pq_m or ''}"}[self.codes])
        if self.rerank:
            parts.append("Rerank" if self.rerank == DEFAULT_RERANK else f"Rerank{self.rerank}")
        return ",".join(parts)


_TOKEN = re.compile(r"^(PCA|IVF|RERANK)(\d*)$")
_PQ_TOKEN = re.compile(r"^PQ(\d*)(X4FS)?$")


def parse_spec(spec: str | IndexSpec) -> IndexSpec:
    """Parse a pipeline string such as ``"PCA64,IVF1024,LVQ8,Rerank"``.

    Tokens are comma-separated, case-insensitive, and must come in pipeline
    order: reduction (``PCA<d>`` or ``ROT``), ``IVF<nlist>``, the codes
    (``Flat``, ``LVQ8``, ``LVQ4``, ``LVQ4x8`` or ``RaBitQ``; required), then
    ``Rerank`` or ``Rerank<f>`` (default ``f = 4``).

    Parameters
    ----------
    spec : str or IndexSpec
        An IndexSpec passes through unchanged.

    Returns
    -------
    IndexSpec

    Raises
    ------
    TypeError
        If ``spec`` is neither a str nor an IndexSpec.
    ValueError
        For an unknown token, a token given twice, tokens out of order, a
        missing number (``PCA``, ``IVF``), or no codes token.
    """
    if isinstance(spec, IndexSpec):
        return spec
    if not isinstance(spec, str):
        raise TypeError(f"`spec` must be a str like 'IVF1024,LVQ8,Rerank' or an IndexSpec; got {type(spec).__name__}")
    tokens = [t.strip().upper() for t in spec.split(",")]
    if not tokens or any(not t for t in tokens):
        raise ValueError(f"`spec` must be comma-separated tokens like 'PCA64,IVF1024,LVQ8,Rerank'; got {spec!r}")
    fields: dict = {}
    order = []  # stage of each token, to check pipeline order
    for t in tokens:
        if t == "ROT":
            stage, key, value = 0, "reduction", "rotation"
        elif t in _CODE_TOKENS:
            stage, key, value = 2, "codes", _CODE_TOKENS[t]
        elif _PQ_TOKEN.match(t):
            num = _PQ_TOKEN.match(t).group(1)
            if num and int(num) < 1:
                raise ValueError(f"`spec`: PQ needs a positive number of sub-quantizers; got {t!r}")
            stage, key, value = 2, "codes", "pq4"
            fields["pq_m"] = int(num) if num else None
        else:
            m = _TOKEN.match(t)
            if m is None:
                raise ValueError(f"`spec` has an unknown token {t!r} in {spec!r}; expected PCA<d>, ROT, IVF<nlist>, "
                                 "Flat, LVQ8, LVQ4, LVQ4x8, RaBitQ, PQ[<m>] or Rerank[<f>]")
            name, num = m.groups()
            if name == "RERANK":
                stage, key, value = 3, "rerank", int(num) if num else DEFAULT_RERANK
                if value < 1:
                    raise ValueError(f"`spec`: Rerank factor must be >= 1; got {t!r}")
            elif not num or int(num) < 1:
                raise ValueError(f"`spec`: {name} needs a positive number, e.g. {name}64; got {t!r}")
            elif name == "PCA":
                stage, key, value = 0, "reduction", "pca"
                fields["reduced_dim"] = int(num)
            else:
                stage, key, value = 1, "nlist", int(num)
        if key in fields:
            raise ValueError(f"`spec` sets {key} twice: {spec!r}")
        if order and stage < order[-1]:
            raise ValueError(f"`spec` tokens must follow the order reduction, IVF, codes, Rerank; got {spec!r}")
        fields[key] = value
        order.append(stage)
    if "codes" not in fields:
        raise ValueError(f"`spec` must name the codes (Flat, LVQ8, LVQ4, LVQ4x8, RaBitQ or PQ<m>); got {spec!r}")
    return IndexSpec(**fields)


def check_spec(spec: IndexSpec, metric: str, dim: int) -> None:
    """ValueError when ``spec`` cannot serve an index of this metric and dim."""
    if metric == "hamming" and (spec.codes != "flat" or spec.reduction or spec.rerank):
        raise ValueError(f"`spec` for metric='hamming' may only be 'Flat' or 'IVF<n>,Flat'; got '{spec}'")
    if spec.reduction == "pca" and spec.reduced_dim > dim:
        raise ValueError(f"`spec` PCA{spec.reduced_dim} exceeds dim={dim}")
    if spec.codes == "pq4" and spec.pq_m is not None:
        work = spec.reduced_dim if spec.reduction == "pca" else dim
        if work % spec.pq_m:
            raise ValueError(f"`spec` PQ{spec.pq_m} needs a number of sub-quantizers dividing the working "
                             f"dimension {work}")


def default_spec(n: int, metric: str, target_recall: float = 0.95, dim: int | None = None) -> IndexSpec:
    """The pipeline ``Index()`` picks from the size of its first ``train`` / ``add``, its metric, the
    dimension and the recall it aims for.

    * Exact (``Flat``) below 20,000 vectors, and for binary vectors up to 2 million.
    * ``dim <= 128``: ``IVF<about 2 sqrt(n)>,PQ,Rerank`` (4-bit fast-scan codes, exact re-rank). On the
      128-d sets of ``docs/benchmarks.md`` it is hdvec's fastest pipeline at recall@10 >= 0.95
      (1.37x ``IVF,LVQ8`` on 200k clustered vectors), at about Faiss ``IVF,PQ..x4fs,RFlat``'s size.
    * Wider vectors: ``IVF<about 2 sqrt(n)>,LVQ8``, measured the faster of the two at 384 and 784
      dimensions, at about Faiss SQ8's size.
    * ``target_recall`` above 0.95: ``IVF,LVQ8,Rerank`` (4-bit PQ shortlists and LVQ8's own distances
      cap recall@10 near 0.98-0.99 however many lists are scanned; LVQ8 re-ranked reaches 0.999).
    """
    if metric == "hamming":
        return IndexSpec("flat") if n <= 2_000_000 else IndexSpec("flat", nlist=default_nlist(n))
    if n < 20_000:
        return IndexSpec("flat")
    if target_recall > 0.95:
        return IndexSpec("lvq8", nlist=default_nlist(n), rerank=DEFAULT_RERANK)
    if dim is not None and dim <= 128:
        return IndexSpec("pq4", nlist=default_nlist(n), rerank=DEFAULT_RERANK)
    return IndexSpec("lvq8", nlist=default_nlist(n))


def default_nlist(n: int) -> int:
    """About 2 sqrt(n) lists, a power of two (at least 16)."""
    return int(2 ** round(math.log2(max(2.0 * math.sqrt(n), 16))))
