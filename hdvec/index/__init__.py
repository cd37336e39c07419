"""Nearest-neighbour search: a quantized, dimension-reduced IVF index and exact search.

* :class:`Index` - projection -> IVF partition -> LVQ / RaBitQ codes scanned
  in Numba -> exact re-rank; binary hypervectors with ``metric="hamming"``.
* :func:`knn`, :func:`knn_hamming` - exact search without an index.
* :class:`IndexSpec`, :func:`parse_spec` - pipeline strings such as
  ``"PCA64,IVF1024,LVQ8,Rerank"``.
"""

from .exact import knn, knn_hamming
from .ivf_index import Index
from .spec import IndexSpec, parse_spec

__all__ = ["Index", "IndexSpec", "knn", "knn_hamming", "parse_spec"]
