"""scikit-learn's estimator API for the encoders; scikit-learn itself stays optional.

With scikit-learn installed, ``TransformerMixin`` builds on
``sklearn.base.TransformerMixin`` and ``sklearn.base.BaseEstimator``, so
``get_params``, ``clone``, ``__sklearn_tags__`` and the HTML repr are
scikit-learn's own. Without it, a stand-in gives the same ``get_params`` /
``set_params`` / ``fit`` / ``transform`` / ``fit_transform``.

Conventions the encoders follow (scikit-learn's): ``__init__`` stores every
argument unchanged under its own name (``get_params`` reads them back from
there) and keeps derived state (validated copies, codebooks, item memories)
in private attributes. Unlike scikit-learn's estimators the encoders still
validate their arguments in ``__init__``, so a bad argument fails at once.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

try:
    from sklearn.base import BaseEstimator as _SkBaseEstimator
    from sklearn.base import TransformerMixin as _SkTransformerMixin
except ImportError:  # scikit-learn is optional
    _SkBaseEstimator = _SkTransformerMixin = None

HAVE_SKLEARN = _SkBaseEstimator is not None


class _EncoderProtocol:
    """The parts shared with and without scikit-learn."""

    #: InputTags fields (besides ``two_d_array=False``) set by ``__sklearn_tags__``; per encoder.
    _input_tags: dict[str, bool] = {}

    def set_params(self, **params: Any) -> _EncoderProtocol:
        """Rebuild the encoder with some constructor arguments changed; returns self.

        The arguments are validated (and the derived state rebuilt) by a fresh
        ``__init__`` first, so a bad value raises and leaves the encoder as it was.
        """
        if not params:
            return self
        current = self.get_params(deep=False)
        unknown = sorted(set(params) - set(current))
        if unknown:
            raise ValueError(f"invalid parameter {unknown[0]!r} for {type(self).__name__}; "
                             f"valid ones: {sorted(current)}")
        fresh = type(self)(**{**current, **params})
        vars(self).update(vars(fresh))  # __init__ sets every state attribute, so nothing stale survives
        return self

    def fit(self, X: Any, y: Any = None) -> _EncoderProtocol:
        """No-op (nothing to learn); returns self."""
        return self

    def transform(self, X: Any) -> np.ndarray:
        """``encode_batch(X)``."""
        return self.encode_batch(X)


if HAVE_SKLEARN:

    class TransformerMixin(_EncoderProtocol, _SkTransformerMixin, _SkBaseEstimator, auto_wrap_output_keys=None):
        """scikit-learn transformer: ``fit`` / ``transform`` / ``fit_transform``, ``get_params`` / ``set_params``.

        ``fit`` learns nothing (symbol vectors come from the seed and a hash
        of the symbol; ``FunctionEncoder`` overrides it) and ``transform(X)``
        is ``encode_batch(X)``. ``set_params`` rebuilds the derived state.

        ``set_output`` is not offered (``auto_wrap_output_keys=None``): an
        output row is one hypervector (packed bit words for BSC, complex for
        FHRR), whose components are not named features to put in DataFrame
        columns.
        """

        def __init_subclass__(cls, **kwargs: Any) -> None:
            kwargs.setdefault("auto_wrap_output_keys", None)  # the encoders too: no set_output wrapping
            super().__init_subclass__(**kwargs)

        def __sklearn_tags__(self) -> Any:
            tags = super().__sklearn_tags__()
            tags.requires_fit = False  # transform works on a new encoder
            tags.input_tags.two_d_array = False  # inputs are texts, JSON values or sampled functions
            for name, value in self._input_tags.items():
                setattr(tags.input_tags, name, value)
            tags.transformer_tags.preserves_dtype = []  # the output dtype is the model's, not the input's
            return tags

else:

    class TransformerMixin(_EncoderProtocol):  # type: ignore[no-redef]
        """Stand-in for scikit-learn's ``BaseEstimator`` + ``TransformerMixin`` (scikit-learn not installed)."""

        @classmethod
        def _get_param_names(cls) -> list[str]:
            params = inspect.signature(cls.__init__).parameters.values()
            return sorted(p.name for p in params
                          if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD))

        def get_params(self, deep: bool = True) -> dict[str, Any]:
            """The constructor arguments, by name (``deep`` is accepted for scikit-learn)."""
            return {name: getattr(self, name) for name in self._get_param_names()}

        def fit_transform(self, X: Any, y: Any = None) -> np.ndarray:
            """``fit(X, y).transform(X)``."""
            return self.fit(X, y).transform(X)
