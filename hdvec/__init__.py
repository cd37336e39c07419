"""hdvec: hyperdimensional computing and similarity search.

Subpackages: ``hdvec.hdc`` (VSA primitives), ``hdvec.encoders`` (data ->
hypervectors) and ``hdvec.index`` (nearest-neighbour search).
"""

from . import hdc

__version__ = "0.1.0"
__all__ = ["hdc", "__version__"]
