"""Encoders: turn text, JSON and functions into hypervectors.

* :class:`NGramEncoder`, :class:`TokenEncoder` (``hdvec.encoders.text``)
* :class:`JSONEncoder` (``hdvec.encoders.json``): MBAT soft JSON
* ``hdvec.encoders.segmentation``: HyperSeg topic segmentation, ``pk``, ``windowdiff``
"""

from .json import JSONEncoder
from .text import NGramEncoder, TokenEncoder, tokenize

__all__ = ["JSONEncoder", "NGramEncoder", "TokenEncoder", "tokenize"]
