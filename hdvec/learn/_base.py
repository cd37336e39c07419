"""What every hdvec classifier shares: inputs, labels, the encoder, prototype scores and files.

A classifier turns samples into hypervectors with its ``encoder`` (fitted on
the training data), keeps one prototype per class and predicts the class whose
prototype is most similar: cosine for dense prototypes (``hdvec.hdc.cosine``),
Hamming for packed binary ones (``hdvec.hdc.hamming``, XOR + popcount on the
uint64 words, never unpacked). Subclasses say how prototypes are learned.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .._backend import dtype_name, is_torch, to_device, to_numpy
from .._io import FormatError, decode_keys, encode_keys, read_arrays, write_arrays
from .._validation import check_dim, seed_entropy
from ..hdc import cosine, hamming

PRECOMPUTED = "precomputed"
_BLOCK = 4096  # samples encoded at a time while fitting
_FORMAT = "hdvec.learn/1"


def check_int(value: Any, name: str, lo: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"`{name}` must be an int; got {type(value).__name__}")
    if value < lo:
        raise ValueError(f"`{name}` must be >= {lo}; got {value}")
    return int(value)


def check_float(value: Any, name: str, lo: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"`{name}` must be a number; got {type(value).__name__}")
    if not np.isfinite(value) or value < lo:
        raise ValueError(f"`{name}` must be a finite number >= {lo}; got {value!r}")
    return float(value)


def compact(h: np.ndarray) -> np.ndarray:
    """int8 copy of a float block whose values are all integers in [-127, 127] (MAP codes), else h."""
    if h.dtype != np.float32 or not h.size:
        return h
    probe = h[0]  # one row decides most cases without a pass over the block
    if not (np.abs(probe).max() <= 127 and np.array_equal(probe, np.rint(probe))):
        return h
    if np.abs(h).max() <= 127 and np.array_equal(h, np.rint(h)):
        return h.astype(np.int8)
    return h


class HDClassifier(ClassifierMixin, BaseEstimator):
    """Base of the HDC classifiers: scikit-learn estimator plumbing around class prototypes.

    Subclasses define ``__init__`` (every parameter stored as given, including
    ``encoder``, ``dim`` and ``seed``), ``_default_encoder()`` and
    ``_learn(h, y, epochs_of_fit)``, which trains ``prototypes_`` on encoded
    samples. Fitted attributes: ``classes_``, ``n_features_in_``, ``encoder_``
    (None for ``encoder="precomputed"``), ``prototypes_`` ((n_classes, dim)
    float32, or (n_classes, words) uint64 for binary codes).
    """

    _online = True  # partial_fit is one pass of the method's update (False: partial_fit raises)

    # ------------------------------------------------------------------ subclass hooks
    def _default_encoder(self) -> Any:
        raise NotImplementedError

    def _learn(self, h: np.ndarray, y: np.ndarray, full: bool) -> None:
        """Train on encoded samples h with class indices y; ``full``: a whole fit (else one partial_fit pass)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ inputs
    def _check_params(self) -> None:
        check_dim(self.dim, "dim")
        seed_entropy(self.seed)
        enc = self.encoder
        ok = enc is None or (enc == PRECOMPUTED if isinstance(enc, str) else hasattr(enc, "fit") and hasattr(
            enc, "transform"))
        if not ok:
            raise TypeError(f"`encoder` must be None, {PRECOMPUTED!r} or a transformer with fit/transform; "
                            f"got {enc!r}")

    def _rng(self, stream: int) -> np.random.Generator:
        return np.random.default_rng([seed_entropy(self.seed), stream])

    def _validate(self, X: Any, y: Any = None, reset: bool = True) -> tuple[np.ndarray, Any]:
        """Validated X (numeric, finite, 2-D; hypervector dtypes kept when precomputed) and y."""
        pre = isinstance(self.encoder, str) and self.encoder == PRECOMPUTED
        dtype = None if pre else (np.float64, np.float32)
        if is_torch(X):
            X = to_numpy(X)
        if y is None:
            X = validate_data(self, X, reset=reset, dtype=dtype)
        else:
            X, y = validate_data(self, X, y, reset=reset, dtype=dtype)
        if pre and X.dtype not in (np.float32, np.int8, np.uint64):
            X = X.astype(np.float32)
        return X, y

    def _encode(self, X: np.ndarray) -> np.ndarray:
        """Hypervectors of validated samples: float32 / int8 (n, dim) or packed uint64 (n, words)."""
        if self.encoder_ is None:
            return np.ascontiguousarray(X)
        blocks = [compact(np.asarray(self.encoder_.transform(X[i:i + _BLOCK])))
                  for i in range(0, X.shape[0], _BLOCK)] or [np.asarray(self.encoder_.transform(X[:0]))]
        if len({b.dtype for b in blocks}) > 1:
            blocks = [b.astype(np.float32) for b in blocks]
        return np.ascontiguousarray(np.concatenate(blocks) if len(blocks) > 1 else blocks[0])

    def _start_encoder(self, X: np.ndarray) -> None:
        if isinstance(self.encoder, str):
            self.encoder_ = None
        else:
            enc = self._default_encoder() if self.encoder is None else clone(self.encoder)
            self.encoder_ = enc.fit(X)

    # ------------------------------------------------------------------ labels
    def _indices(self, y: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(self.classes_, y)
        pos = np.minimum(pos, len(self.classes_) - 1)
        bad = self.classes_[pos] != y
        if bad.any():
            unseen = sorted({str(v) for v in np.asarray(y)[bad]})[:5]
            raise ValueError(f"`y` has labels not in `classes` {self.classes_.tolist()}: {unseen}")
        return pos.astype(np.int64)

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any) -> HDClassifier:
        """Fit the encoder and the class prototypes on X (n, n_features) (or hypervectors) and labels y (n,)."""
        self._check_params()
        X, y = self._validate(X, y)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(f"`y` must hold at least 2 classes to train a classifier; got 1 class "
                             f"({self.classes_[0]!r})")
        self._start_encoder(X)
        self._reset()
        self._learn(self._encode(X), self._indices(y), True)
        return self

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> HDClassifier:
        """One pass of the method's update over (X, y); ``classes`` (every label) is required on the first call.

        The encoder is fitted on the first batch (its value ranges come from it).
        """
        if not self._online:
            raise NotImplementedError(f"{type(self).__name__} learns from the whole training set; use fit")
        first = not hasattr(self, "classes_")
        self._check_params()
        X, y = self._validate(X, y, reset=first)
        check_classification_targets(y)
        if first:
            if classes is None:
                raise ValueError("`classes` (every label the classifier will see) is required on the first "
                                 "call to partial_fit")
            self.classes_ = np.unique(np.asarray(classes))
            if len(self.classes_) < 2:
                raise ValueError(f"`classes` must hold at least 2 classes; got {self.classes_.tolist()}")
            self._start_encoder(X)
            self._reset()
        elif classes is not None and not np.array_equal(np.unique(np.asarray(classes)), self.classes_):
            raise ValueError(f"`classes` must not change between partial_fit calls; got {classes!r}, "
                             f"first {self.classes_.tolist()}")
        yi = self._indices(y)
        self._learn(self._encode(X), yi, False)
        return self

    def _reset(self) -> None:
        """Forget learned prototypes (``prototypes_`` is created by the first ``_learn``)."""
        for name in ("prototypes_", "counts_"):
            if name in self.__dict__:
                delattr(self, name)

    # ------------------------------------------------------------------ predict
    def _scores_encoded(self, h: Any) -> Any:
        """(n, n_classes) similarities of hypervectors h to the prototypes (higher is more similar)."""
        protos = self.prototypes_
        if protos.dtype == np.uint64:
            if is_torch(h):
                protos = to_device(protos, h.device)
            d = hamming(h, protos)
            dim = self._bits()
            return 1.0 - (2.0 / dim) * d.float() if is_torch(h) else (1.0 - (2.0 / dim) * d).astype(np.float32)
        if is_torch(h):
            return cosine(h if dtype_name(h) in ("float32", "int8") else h.float(), to_device(protos, h.device))
        return cosine(h if h.dtype in (np.float32, np.int8) else h.astype(np.float32), protos)

    def _bits(self) -> int:
        return int(self.encoder_.dim if self.encoder_ is not None else self.dim)

    def _scores(self, X: Any) -> Any:
        check_is_fitted(self, "prototypes_")
        if is_torch(X) and self.encoder_ is not None:
            self._check_torch(X)
            return self._scores_encoded(self.encoder_.transform(X))
        if is_torch(X):
            return self._scores_encoded(X if dtype_name(X) == "uint64" else X.float())
        X, _ = self._validate(X, reset=False)
        return self._scores_encoded(self._encode(X))

    def _check_torch(self, X: Any) -> None:
        import torch

        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(f"`X` must be (n_samples, {self.n_features_in_}); got shape {tuple(X.shape)}")
        if X.is_floating_point() and not bool(torch.isfinite(X).all()):
            raise ValueError("`X` must not contain NaN or infinity")

    def decision_function(self, X: Any) -> Any:
        """Similarity of each sample to each class prototype: (n, n_classes) float32, higher is more likely.

        With two classes, (n,): the second class's score minus the first's (scikit-learn's convention).
        A torch tensor in gives a torch tensor out, on its device.
        """
        s = self._scores(X)
        return s[:, 1] - s[:, 0] if len(self.classes_) == 2 else s

    def predict(self, X: Any) -> np.ndarray:
        """The class of each sample (n,): the label whose prototype is most similar (the first on ties)."""
        s = self._scores(X)
        best = to_numpy(s.argmax(1)) if is_torch(s) else s.argmax(1)
        return self.classes_[best]

    def to_index(self) -> Any:
        """The class prototypes as an exact ``hdvec.index.Index`` (``spec="Flat"``), id i = ``classes_[i]``.

        Dense prototypes get ``metric="cosine"``, packed binary ones ``metric="hamming"``; search it with
        hypervectors as the classifier scores them (``encoder_.transform(X)``, packed for binary prototypes):
        the nearest id is the predicted class index.
        """
        from ..index import Index

        check_is_fitted(self, "prototypes_")
        protos = self.prototypes_
        binary = protos.dtype == np.uint64
        index = Index(self._bits() if binary else protos.shape[1], metric="hamming" if binary else "cosine",
                      spec="Flat")
        index.add(protos if binary else protos.astype(np.float32), ids=np.arange(protos.shape[0]))
        return index

    # ------------------------------------------------------------------ tags
    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.non_deterministic = False
        return tags

    # ------------------------------------------------------------------ files
    def save(self, path: str | os.PathLike) -> None:
        """Write the fitted classifier to ``path`` (hdvec's checked file format; no pickle)."""
        check_is_fitted(self, "prototypes_")
        meta, arrays = {"format": _FORMAT, "class": type(self).__name__}, {}
        meta["params"] = _plain(self.get_params(deep=False), "parameter", skip=("encoder",))
        enc = self.encoder
        meta["encoder_param"] = "default" if enc is None else PRECOMPUTED if isinstance(enc, str) else "object"
        meta["state"] = _state(self, arrays, "")
        meta["classes"] = _classes_meta(self.classes_, arrays)
        if self.encoder_ is not None:
            meta["encoder"] = {"class": type(self.encoder_).__name__,
                               "params": _plain(self.encoder_.get_params(deep=False), "encoder parameter"),
                               "state": _state(self.encoder_, arrays, "encoder.")}
        write_arrays(path, meta, arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> HDClassifier:
        """A classifier written by ``save``; FormatError if the file is not one of this class."""
        meta, arrays = read_arrays(path)
        if meta.get("format") != _FORMAT or meta.get("class") != cls.__name__:
            raise FormatError(f"{path}: not a saved {cls.__name__} (format {meta.get('format')!r}, "
                              f"class {meta.get('class')!r})")
        try:
            params = dict(meta["params"])
            encoder = None
            if meta.get("encoder") is not None:
                from .. import encoders

                spec = meta["encoder"]
                enc_cls = getattr(encoders, spec["class"], None)
                if not isinstance(enc_cls, type):
                    raise FormatError(f"{path}: unknown encoder class {spec['class']!r}")
                encoder = enc_cls(**spec["params"])
                _restore(encoder, spec["state"], arrays, "encoder.")
            given = meta["encoder_param"]  # "default", "precomputed" or "object"
            params["encoder"] = {"default": None, PRECOMPUTED: PRECOMPUTED}.get(given)
            if given == "object":
                params["encoder"] = clone(encoder)
            clf = cls(**params)
            clf.encoder_ = encoder
            _restore(clf, meta["state"], arrays, "")
            clf.classes_ = _classes_from(meta["classes"], arrays)
        except (KeyError, TypeError) as err:
            raise FormatError(f"{path}: malformed classifier file ({err})") from None
        return clf


_SCALARS = (bool, int, float, str, type(None))


def _plain(values: dict, what: str, skip: tuple[str, ...] = ()) -> dict:
    out = {}
    for k, v in values.items():
        if k in skip:
            continue
        if isinstance(v, np.generic):
            v = v.item()
        if not isinstance(v, _SCALARS):
            raise TypeError(f"{what} {k!r} = {v!r} cannot be saved (only numbers, strings, booleans and None)")
        out[k] = v
    return out


def _state(obj: Any, arrays: dict, prefix: str) -> dict:
    """Fitted state of obj: arrays go to ``arrays`` (named prefix + attribute), scalars to the returned dict."""
    params = set(obj.get_params(deep=False))
    state = {"arrays": [], "scalars": {}}
    for k, v in vars(obj).items():
        if k in params or k in ("classes_", "encoder_"):
            continue
        if isinstance(v, np.ndarray) and v.dtype != object:
            arrays[prefix + k] = v
            state["arrays"].append(k)
        elif isinstance(v, (np.generic, *_SCALARS)):
            state["scalars"][k] = v.item() if isinstance(v, np.generic) else v
    return state


def _restore(obj: Any, state: dict, arrays: dict, prefix: str) -> None:
    for k in state["arrays"]:
        setattr(obj, k, np.array(arrays[prefix + k]))
    for k, v in state["scalars"].items():
        setattr(obj, k, v)


def _classes_meta(classes: np.ndarray, arrays: dict) -> dict:
    if classes.dtype.kind in "biuf":
        arrays["classes"] = classes
        return {"array": True}
    return {"array": False, "keys": encode_keys(classes.tolist())}


def _classes_from(meta: dict, arrays: dict) -> np.ndarray:
    if meta["array"]:
        return np.array(arrays["classes"])
    return np.array(decode_keys(meta["keys"]))
