"""Nearest-neighbour search: a quantized, dimension-reduced IVF index and exact search.

* ``Index`` - projection -> IVF partition -> LVQ / RaBitQ / 4-bit PQ
  fast-scan codes scanned in Numba -> exact re-rank; binary hypervectors
  with ``metric="hamming"``.
* ``GraphIndex`` - a Vamana graph over LVQ8 codes, beam search, exact re-rank.
* ``knn``, ``knn_hamming`` - exact search without an index.
* ``IndexSpec``, ``parse_spec`` - pipeline strings such as
  ``"PCA64,IVF1024,LVQ8,Rerank"``.
* ``ShardedIndex`` - an Index sharded over Dask workers
  (``pip install hdvec[distributed]``).
"""

from .exact import knn, knn_hamming
from .graph import GraphIndex
from .ivf_index import Index
from .sharded import ShardedIndex
from .spec import IndexSpec, parse_spec

__all__ = ["GraphIndex", "Index", "IndexSpec", "ShardedIndex", "knn", "knn_hamming", "parse_spec"]
