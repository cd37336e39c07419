"""scikit-learn's estimator API for the encoders, without importing scikit-learn until it is used.

The encoders implement the estimator protocol directly: ``get_params`` /
``set_params`` (so ``sklearn.base.clone``, pipelines and grid searches work),
``fit`` / ``transform`` / ``fit_transform``, honest ``__sklearn_tags__`` and
the HTML repr. The last two import scikit-learn when called (only scikit-learn
itself calls them), so ``import hdvec.encoders`` stays fast and scikit-learn
stays optional.

Conventions the encoders follow (scikit-learn's): ``__init__`` stores every
argument unchanged under its own name (``get_params`` reads them back from
there) and keeps derived state (validated copies, codebooks, item memories)
in private attributes. Unlike scikit-learn's estimators the encoders still
validate their arguments in ``__init__``, so a bad argument fails at once.
``set_output`` is not offered: an output row is one hypervector (packed bit
words for BSC, complex for FHRR), whose components are not named features.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from typing import Any

import numpy as np


def _sklearn_available() -> bool:
    """scikit-learn can be imported (a None in ``sys.modules``, which hides a package, counts as absent)."""
    if "sklearn" in sys.modules:
        return sys.modules["sklearn"] is not None
    return importlib.util.find_spec("sklearn") is not None


HAVE_SKLEARN = _sklearn_available()


class TransformerMixin:
    """scikit-learn transformer protocol: ``get_params`` / ``set_params``, ``fit`` / ``transform`` /
    ``fit_transform``; ``fit`` learns nothing (symbol vectors come from the seed and a hash of the
    symbol; ``FunctionEncoder`` overrides it) and ``transform(X)`` is ``encode_batch(X)``."""

    #: InputTags fields (besides ``two_d_array=False``) set by ``__sklearn_tags__``; per encoder.
    _input_tags: dict[str, bool] = {}

    def set_params(self, **params: Any) -> TransformerMixin:
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

    def fit(self, X: Any, y: Any = None) -> TransformerMixin:
        """No-op (nothing to learn); returns self."""
        return self

    def transform(self, X: Any) -> np.ndarray:
        """``encode_batch(X)``."""
        return self.encode_batch(X)

    @classmethod
    def _get_param_names(cls) -> list[str]:
        params = inspect.signature(cls.__init__).parameters.values()
        return sorted(p.name for p in params if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD))

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor arguments, by name, as given (``deep`` is accepted for scikit-learn)."""
        return {name: getattr(self, name) for name in self._get_param_names()}

    def fit_transform(self, X: Any, y: Any = None) -> np.ndarray:
        """``fit(X, y).transform(X)``."""
        return self.fit(X, y).transform(X)

    if HAVE_SKLEARN:

        def __sklearn_tags__(self) -> Any:
            """scikit-learn's tags: a transformer of 1-D inputs (texts, JSON values or sampled functions)."""
            from sklearn.utils import InputTags, Tags, TargetTags, TransformerTags

            return Tags(estimator_type=None, target_tags=TargetTags(required=False),
                        transformer_tags=TransformerTags(preserves_dtype=[]),  # the output dtype is the model's
                        input_tags=InputTags(two_d_array=False, **self._input_tags),
                        requires_fit=False)  # transform works on a new encoder

        def _repr_html_(self) -> str:
            """The HTML repr notebooks show (scikit-learn's estimator diagram)."""
            from sklearn.utils import estimator_html_repr

            return estimator_html_repr(self)
