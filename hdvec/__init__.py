"""hdvec: hyperdimensional computing and similarity search.

Subpackages: ``hdvec.hdc`` (VSA primitives), ``hdvec.encoders`` (data ->
hypervectors), ``hdvec.learn`` (HDC classifiers as scikit-learn estimators)
and ``hdvec.index`` (nearest-neighbour search).
"""

from . import _compile_notice, hdc  # noqa: F401 (_compile_notice: says when kernels compile)

__version__ = "0.1.0"
__all__ = ["hdc", "__version__"]
