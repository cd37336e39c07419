"""VSA primitives on dense, binary and orthogonal-matrix hypervectors.

Models (each with ``random``, ``bind``, ``unbind``, ``inverse``, ``bundle``,
``permute``, ``similarity``, ``distance``):

* ``MAP``  - bipolar int8 or real float32; MAP-I (sum) or MAP-B (``binarize=True``)
* ``BSC``  - binary spatter codes bit-packed into uint64 words
* ``HRR``  - circular-convolution binding
* ``FHRR`` - unit phasors, complex product binding
* ``MBAT`` - orthogonal-matrix roles (``role``, ``compose``)
* ``BSBC`` - binary sparse block codes, stored as int16/int32 block indices
* ``VTB``  - vector-derived transformation binding (block-matrix, non-commutative)
* ``MCR``  - modular composite representation: integers mod r, phasor bundle
* ``CGR``  - cyclic group representation: integers mod r, majority bundle

Also: associative memories (``SparseDistributedMemory``, ``Hopfield``,
``modern_hopfield``), stateful structures (``HashTable``, ``Multiset``,
``Sequence``, ``BindSequence``, ``Graph``, ``Tree``,
``FiniteStateAutomaton``), resonator networks (``resonator``) and small
operations in ``hdvec.hdc.ops``.

NumPy arrays run through Numba kernels; torch tensors (CPU or CUDA) through
torch and come back on their device.
"""

from . import ops
from .associative import Hopfield, SparseDistributedMemory, modern_hopfield
from .binary import BSC, n_words, pack_bits, unpack_bits
from .collections import BindSequence, FiniteStateAutomaton, Graph, HashTable, Multiset, Sequence, Tree
from .config import model_from_config
from .dense import MAP
from .fourier import FHRR, HRR
from .memory import ItemMemory
from .model import Model
from .modular import CGR, MCR
from .orthogonal import MBAT, Role
from .permutation import Permutation, random_permutation
from .resonator import resonator
from .scalars import Circular, FractionalPower, Level, Thermometer
from .search import knn
from .similarity import cosine, dot, hamming, similarity
from .sparse_block import BSBC
from .structures import graph, hash_table, multiset, ngrams, sequence
from .vtb import VTB

__all__ = [
    "BSC", "MAP", "HRR", "FHRR", "MBAT", "BSBC", "VTB", "MCR", "CGR", "Model", "Role", "ItemMemory",
    "pack_bits", "unpack_bits", "n_words",
    "cosine", "dot", "hamming", "similarity", "knn",
    "Level", "Thermometer", "Circular", "FractionalPower",
    "multiset", "sequence", "ngrams", "hash_table", "graph",
    "model_from_config",
    "SparseDistributedMemory", "Hopfield", "modern_hopfield",
    "HashTable", "Multiset", "Sequence", "BindSequence", "Graph", "Tree", "FiniteStateAutomaton",
    "Permutation", "random_permutation", "ops", "resonator",
]
