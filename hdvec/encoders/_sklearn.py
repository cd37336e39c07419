"""scikit-learn's transformer protocol for the encoders (no scikit-learn import needed)."""

from __future__ import annotations

from typing import Any

import numpy as np


class TransformerMixin:
    """``fit`` / ``transform`` / ``get_params`` / ``set_params``, as scikit-learn expects.

    Encoders have no fitted state (symbol vectors come from the seed and a
    hash of the symbol), so ``fit`` returns the encoder unchanged and
    ``transform(X)`` is ``encode_batch(X)``. Each encoder keeps its
    constructor arguments, as given, in ``self._params``: ``get_params``
    returns them (so ``sklearn.base.clone`` works) and ``set_params`` rebuilds
    the encoder from the updated arguments, so derived state never goes stale.
    That makes encoders usable as steps of ``sklearn.pipeline.Pipeline`` and
    in grid searches.
    """

    _params: dict[str, Any]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor arguments, by name (``deep`` is accepted for scikit-learn)."""
        return dict(self._params)

    def set_params(self, **params: Any) -> TransformerMixin:
        """Rebuild the encoder with some constructor arguments changed; returns self."""
        unknown = sorted(set(params) - set(self._params))
        if unknown:
            raise ValueError(f"invalid parameter {unknown[0]!r} for {type(self).__name__}; "
                             f"valid ones: {sorted(self._params)}")
        self.__init__(**{**self._params, **params})
        return self

    def fit(self, X: Any, y: Any = None) -> TransformerMixin:
        """No-op (nothing to learn); returns self."""
        return self

    def transform(self, X: Any) -> np.ndarray:
        """``encode_batch(X)``."""
        return self.encode_batch(X)

    def fit_transform(self, X: Any, y: Any = None) -> np.ndarray:
        """``fit(X, y).transform(X)``."""
        return self.fit(X, y).transform(X)
