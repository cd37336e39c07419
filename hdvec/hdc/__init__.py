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
from .dense import FHRR, HRR, MAP
from .memory import ItemMemory
from .model import Model
from .orthogonal import MBAT, Role
from .scalars import Circular, FractionalPower, Level, Thermometer
from .similarity import cosine, dot, hamming, knn, similarity
from .structures import graph, hash_table, multiset, ngrams, sequence

_MODELS = {"MAP": MAP, "BSC": BSC, "HRR": HRR, "FHRR": FHRR, "MBAT": MBAT}


def model_from_config(config: dict) -> Model:
    """Rebuild a model from ``Model.config()`` (used by ``ItemMemory.load``).

    Parameters
    ----------
    config : dict
        As returned by ``model.config()``.

    Returns
    -------
    Model
        A model of the same class, dimension, seed and options.

    Raises
    ------
    ValueError
        If ``config["model"]`` is not one of MAP, BSC, HRR, FHRR, MBAT.
    """
    cfg = dict(config)
    name = cfg.pop("model", None)
    if name not in _MODELS:
        raise ValueError(f"`config['model']` must be one of {sorted(_MODELS)}; got {name!r}")
    dim = cfg.pop("dim")
    return _MODELS[name](dim, **cfg)


__all__ = [
    "BSC", "MAP", "HRR", "FHRR", "MBAT", "Model", "Role", "ItemMemory",
    "pack_bits", "unpack_bits", "n_words",
    "cosine", "dot", "hamming", "similarity", "knn",
    "Level", "Thermometer", "Circular", "FractionalPower",
    "multiset", "sequence", "ngrams", "hash_table", "graph",
    "model_from_config",
]
