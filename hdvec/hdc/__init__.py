"""VSA primitives on dense, binary and orthogonal-matrix hypervectors.

Models (each with ``random``, ``bind``, ``unbind``, ``inverse``, ``bundle``,
``permute``, ``similarity``, ``distance``):

* ``MAP``  - bipolar int8 or real float32; MAP-I (sum) or MAP-B (``binarize=True``)
* ``BSC``  - binary spatter codes bit-packed into uint64 words
* ``HRR``  - circular-convolution binding
* ``FHRR`` - unit phasors, complex product binding
* ``MBAT`` - orthogonal-matrix roles (``role``, ``compose``)

NumPy arrays run through Numba kernels; torch tensors (CPU or CUDA) through
torch and come back on their device.
"""

from .binary import BSC, n_words, pack_bits, unpack_bits
from .config import model_from_config
from .dense import MAP
from .fourier import FHRR, HRR
from .memory import ItemMemory
from .model import Model
from .orthogonal import MBAT, Role
from .scalars import Circular, FractionalPower, Level, Thermometer
from .search import knn
from .similarity import cosine, dot, hamming, similarity
from .structures import graph, hash_table, multiset, ngrams, sequence

__all__ = [
    "BSC", "MAP", "HRR", "FHRR", "MBAT", "Model", "Role", "ItemMemory",
    "pack_bits", "unpack_bits", "n_words",
    "cosine", "dot", "hamming", "similarity", "knn",
    "Level", "Thermometer", "Circular", "FractionalPower",
    "multiset", "sequence", "ngrams", "hash_table", "graph",
    "model_from_config",
]
