"""Encoders: turn text, JSON and functions into hypervectors.

* :class:`NGramEncoder`, :class:`TokenEncoder` (``hdvec.encoders.text``)
* ``hdvec.encoders.segmentation``: HyperSeg topic segmentation, ``pk``, ``windowdiff``
"""

from .text import NGramEncoder, TokenEncoder, tokenize

__all__ = ["NGramEncoder", "TokenEncoder", "tokenize"]
