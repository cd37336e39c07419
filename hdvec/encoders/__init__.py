"""Encoders: turn text, JSON, functions, numeric features and signals into hypervectors.

* ``NGramEncoder``, ``TokenEncoder`` (``hdvec.encoders.text``)
* ``JSONEncoder`` (``hdvec.encoders.json``): MBAT soft JSON
* ``FunctionEncoder`` (``hdvec.encoders.functions``): HDFE
* ``Projection``, ``Sinusoid``, ``Density``, ``LevelRecord`` (``hdvec.encoders.features``):
  numeric feature rows, scikit-learn transformers
* ``Signal`` (``hdvec.encoders.signal``): multichannel signal windows (EMG)
* ``hdvec.encoders.segmentation``: HyperSeg topic segmentation, ``pk``, ``windowdiff``
"""

from .features import Density, LevelRecord, Projection, Sinusoid
from .functions import FunctionEncoder
from .json import JSONEncoder
from .signal import Signal
from .text import NGramEncoder, TokenEncoder, tokenize

__all__ = ["Density", "FunctionEncoder", "JSONEncoder", "LevelRecord", "NGramEncoder", "Projection", "Signal",
           "Sinusoid", "TokenEncoder", "tokenize"]
