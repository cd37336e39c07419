"""Encoders: turn text, JSON and functions into hypervectors.

* ``NGramEncoder``, ``TokenEncoder`` (``hdvec.encoders.text``)
* ``JSONEncoder`` (``hdvec.encoders.json``): MBAT soft JSON
* ``FunctionEncoder`` (``hdvec.encoders.functions``): HDFE
* ``hdvec.encoders.segmentation``: HyperSeg topic segmentation, ``pk``, ``windowdiff``
"""

from .functions import FunctionEncoder
from .json import JSONEncoder
from .text import NGramEncoder, TokenEncoder, tokenize

__all__ = ["FunctionEncoder", "JSONEncoder", "NGramEncoder", "TokenEncoder", "tokenize"]
