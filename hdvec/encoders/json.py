"""MBAT "soft" JSON encoder (Gallant 2022): any JSON value -> one fixed-length vector.

Encoding rules (``enc`` returns a float32 vector of norm about 1):

* object ``{k_1: v_1, ...}``: ``sum_i R(k_i) enc(v_i) / sqrt(n)`` with ``R(k)``
  the key's random orthogonal role. Nested paths multiply roles, and role
  products do not commute, so ``{"a": {"b": 1}}`` and ``{"b": {"a": 1}}`` are
  far apart; key order does not matter.
* array: ``sum_j R([j]) enc(e_j) / sqrt(n)`` (``arrays="ordered"``, a role per
  position) or ``sum_j enc(e_j) / sqrt(n)`` (``arrays="bag"``).
* string: ``strings="soft"``: bundle of the atoms of its lower-cased character
  n-grams (with begin/end marks), so "Jon" is close to "John";
  ``strings="exact"``: one atom per string.
* number: ``numbers="soft"``: random Fourier features
  ``sqrt(2/D) cos(w x / scale + b)``, whose dot products approximate the
  Gaussian kernel ``exp(-(x - y)^2 / (2 scale^2))``; ``numbers="exact"``: one
  atom per value.
* true, false, null, {} and []: atoms.

Atoms come from an ``ItemMemory`` (seeded by the stable hash of the symbol),
roles from ``MBAT.role`` (seeded by the stable hash of the key). The whole
encoding is linear in its leaves, so a batch is encoded leaf-wise: every leaf
vector is a weighted sum of atom rows (one Numba kernel), the leaves that
share a path get their roles applied together, and the leaves of each record
are summed. ``query`` unbinds a path with the transposed roles and ranks
candidate values by cosine.
"""

from __future__ import annotations

import itertools
import logging
import math
import numbers
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._backend import to_device, to_numpy
from .._progress import progress_bar
from .._validation import Seed
from ..hdc import MBAT, ItemMemory, Role
from . import _kernels as K
from ._sklearn import TransformerMixin

log = logging.getLogger(__name__)

_CHUNK = 256  # records per kernel pass: bounds the (leaves, dim) scratch array
_PROGRESS_MIN = 10_000  # records from which progress=None shows a bar (on a terminal)
_ROLE_CACHE_BYTES = 128 << 20  # roles kept between batches (160 KB each at D = 10,000: 800 of them)
_BLOCK_BYTES = 16 << 20  # leaf vectors held at once: bounds the (leaves, dim) scratch of a batch
_STRING_CACHE = 100_000  # strings whose atom rows are kept between batches
_STRING_CACHE_TERMS = 1 << 22  # ... and their rows in all (32 MB)
_HUGE = 1e12  # |value / scale| past which soft numbers are compressed
_PATH_TOKEN = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")


def _format_path(steps: tuple) -> str:
    return "$" + "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in steps)


def parse_path(path: str | Sequence[str | int]) -> tuple:
    """``"a.b[2].c"`` (or ``"$.a.b[2].c"``, or ``["a", "b", 2, "c"]``) -> ``("a", "b", 2, "c")``.

    Keys containing ``.``, ``[`` or ``]`` need the list form.
    """
    if isinstance(path, str):
        text = path.removeprefix("$")
        steps, pos = [], 0
        while pos < len(text):
            m = _PATH_TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                raise ValueError(f"`path` must look like 'a.b[0].c'; cannot parse {path!r} at position {pos}")
            steps.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
            pos = m.end()
        return tuple(steps)
    if isinstance(path, Sequence):
        for s in path:
            if isinstance(s, bool) or not isinstance(s, (str, int, np.integer)):
                raise TypeError(f"`path` steps must be str (keys) or int (positions); got {type(s).__name__}")
        return tuple(int(s) if isinstance(s, (int, np.integer)) else s for s in path)
    raise TypeError(f"`path` must be a str like 'a.b[0]' or a sequence of keys and positions; got {type(path).__name__}")


def _check_text(text: str, what: str, where: str) -> None:
    """ValueError naming the path for a str that is not Unicode text (a lone surrogate, which
    ``json.loads`` accepts from ``"\\ud800"`` escapes but no encoding can represent)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"JSON {what} at {where} holds a lone surrogate {text[exc.start]!r} at position "
                         f"{exc.start}: not valid Unicode text") from None


class _Leaves:
    """Flat arrays describing the leaves of a batch (filled by ``JSONEncoder._walk``), and the batch's
    path table (paths live as long as the batch: nothing accumulates across batches)."""

    def __init__(self) -> None:
        self.record: list[int] = []  # leaf -> record
        self.path: list[int] = []  # leaf -> path id
        self.weight: list[float] = []  # leaf -> weight (product of 1/sqrt(n) over its containers)
        self.term_starts: list[int] = [0]  # leaf -> its atom terms [start, end)
        self.rows: list[np.ndarray] = []  # atom rows per leaf (concatenated later)
        self.number_leaf: list[int] = []
        self.number_value: list[float] = []
        self.number_scale: list[float] = []
        self.paths: dict[tuple, int] = {}  # steps -> path id (every prefix of a path is interned too)
        self.steps: list[tuple] = []  # path id -> steps
        self.prefixes: list[tuple[int, ...]] = []  # path id -> ids of its prefixes: the root () first, itself last

    def path_id(self, steps: tuple) -> int:
        pid = self.paths.get(steps)
        if pid is not None:
            return pid
        known = len(steps) - 1  # the longest interned prefix (-1: none yet), then intern the levels below it
        while known >= 0 and steps[:known] not in self.paths:
            known -= 1
        above = self.prefixes[self.paths[steps[:known]]] if known >= 0 else ()
        for level in range(known + 1, len(steps) + 1):
            pid = self.paths[steps[:level]] = len(self.steps)
            self.steps.append(steps[:level])
            above = above + (pid,)
            self.prefixes.append(above)
        return pid


class JSONEncoder(TransformerMixin):
    """Encode JSON values (what ``json.loads`` returns) into MBAT vectors.

    Parameters
    ----------
    model_or_dim : MBAT or int
        An int builds ``MBAT(dim, seed=seed, structured=True, rounds=1)``: each
        role is one sign flip, permutation and Walsh-Hadamard transform,
        O(D log D) to apply (a JSON record applies one role per leaf and level).
    seed : int, numpy.random.Generator or None
        Seed of the atoms and number features (and of the model when a dim is given).
    strings : "soft" or "exact"
    ngram : int
        Character n-gram length of soft strings (3).
    numbers : "soft" or "exact"
    number_scale : float or mapping str -> float
        Kernel width of soft numbers: one float, or per key (the key nearest
        above the number); keys missing from the mapping use 1.0.
    arrays : "ordered" or "bag"
    max_depth : int
        Deepest nesting of containers accepted (64); deeper input raises ValueError.
    max_leaves : int
        Most leaves (strings, numbers, atoms, empty containers) one record may
        expand to (100,000); a larger record raises ValueError before its
        vectors are computed. A list or dict reachable twice in a record is
        encoded at each place it appears, so shared references count once per
        appearance (40 levels of ``[a, a]`` are 2**40 leaves, and rejected).
        Each leaf costs O(dim log dim) and a new array position one role
        (about 1 ms at dim 10,000); memory stays bounded by blocks of leaves.

    Notes
    -----
    ``encode`` returns ``(dim,)`` float32 of unit norm, ``encode_batch`` ``(n, dim)``.
    """

    _input_tags = {"dict": True}  # scikit-learn: a sequence of JSON values (dicts), not a 2-D array

    def __init__(self, model_or_dim: MBAT | int = 10_000, *, seed: Seed = None, strings: str = "soft",
                 ngram: int = 3, numbers: str = "soft", number_scale: float | Mapping[str, float] = 1.0,
                 arrays: str = "ordered", max_depth: int = 64, max_leaves: int = 100_000):
        # the arguments unchanged under their own names (scikit-learn's get_params); derived state is private
        self.model_or_dim, self.seed, self.number_scale = model_or_dim, seed, number_scale
        self.strings, self.numbers, self.arrays, self.ngram, self.max_depth = strings, numbers, arrays, ngram, max_depth
        self.max_leaves = max_leaves
        if isinstance(model_or_dim, MBAT):
            self._model = model_or_dim
        elif isinstance(model_or_dim, (int, np.integer)) and not isinstance(model_or_dim, bool):
            self._model = MBAT(int(model_or_dim), seed=seed, structured=True, rounds=1)
        else:
            raise TypeError(f"`model_or_dim` must be an MBAT model or an int dimension; got {type(model_or_dim).__name__}")
        for name, value, options in (("strings", strings, ("soft", "exact")), ("numbers", numbers, ("soft", "exact")),
                                     ("arrays", arrays, ("ordered", "bag"))):
            if value not in options:
                raise ValueError(f"`{name}` must be one of {options}; got {value!r}")
        for name, value in (("ngram", ngram), ("max_depth", max_depth), ("max_leaves", max_leaves)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"`{name}` must be an int >= 1; got {value!r}")
        self._ngram, self._max_depth, self._max_leaves = int(ngram), int(max_depth), int(max_leaves)
        self._scales = self._check_scales(number_scale)
        self._memory = ItemMemory(self._model, seed=seed)
        rng = np.random.default_rng(np.random.SeedSequence([self._memory.entropy, 0x4A534F4E]))  # "JSON"
        self._freq = rng.standard_normal(self.dim)
        self._phase = rng.uniform(0.0, 2.0 * np.pi, self.dim)
        self._roles: dict[Any, tuple[Role, int]] = {}  # step -> (role, bytes), oldest first
        self._role_bytes = 0
        self._string_terms = 0
        self._string_rows: dict[str, np.ndarray] = {}
        self._atom_rows: dict[str, np.ndarray] = {}

    @staticmethod
    def _check_scales(number_scale: Any) -> tuple[float, dict[str, float]]:
        def positive(v: Any, name: str) -> float:
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not (math.isfinite(v) and v > 0):
                raise ValueError(f"`{name}` must be a positive finite number; got {v!r}")
            return float(v)

        if isinstance(number_scale, Mapping):
            return 1.0, {str(k): positive(v, f"number_scale[{k!r}]") for k, v in number_scale.items()}
        return positive(number_scale, "number_scale"), {}

    @property
    def model(self) -> MBAT:
        """The MBAT model (``model_or_dim`` itself, or the one built from the dimension)."""
        return self._model

    @property
    def memory(self) -> ItemMemory:
        """The atom vectors (an ``ItemMemory`` that grows with every unseen symbol)."""
        return self._memory

    @property
    def dim(self) -> int:
        return self._model.dim

    def __repr__(self) -> str:
        return (f"JSONEncoder({self._model!r}, strings={self.strings!r}, numbers={self.numbers!r}, "
                f"arrays={self.arrays!r})")

    # ------------------------------------------------------------------ parts
    def _role(self, step: str | int) -> Role:
        cached = self._roles.get(step)
        if cached is not None:
            return cached[0]
        role = self._model.role(f"[{step}]" if isinstance(step, int) else f"key:{step}")
        size = sum(f.signs.nbytes + f.perms.nbytes if f.matrix is None else f.matrix.nbytes for f in role.factors)
        while self._roles and self._role_bytes + size > _ROLE_CACHE_BYTES:
            self._role_bytes -= self._roles.pop(next(iter(self._roles)))[1]
        self._roles[step] = (role, size)
        self._role_bytes += size
        return role

    def _string_atoms(self, s: str) -> np.ndarray:
        rows = self._string_rows.get(s)
        if rows is None:
            if self.strings == "exact":
                rows = self._memory.add(["s:" + s])
            else:
                padded = "\x02" + s.lower() + "\x03"
                n = min(self._ngram, len(padded))
                distinct: dict[str, int] = {}  # a long string repeats its n-grams: add each once
                count = len(padded) - n + 1
                terms = np.fromiter((distinct.setdefault(padded[i : i + n], len(distinct)) for i in range(count)),
                                    np.int64, count)
                rows = self._memory.add(["g:" + g for g in distinct])[terms]
            if len(self._string_rows) >= _STRING_CACHE or self._string_terms + len(rows) > _STRING_CACHE_TERMS:
                self._string_rows.clear()
                self._string_terms = 0
            self._string_terms += len(rows)
            self._string_rows[s] = rows
        return rows

    def _scale(self, key: str | None) -> float:
        default, per_key = self._scales
        return per_key.get(key, default) if per_key else default

    # ------------------------------------------------------------------ walk
    def _walk(self, obj: Any, record: int, leaves: _Leaves, label: str, key: str | None) -> None:
        """Add the leaves of ``obj`` to ``leaves``; iterative, so no recursion limit.

        Errors name the JSON path, followed by ``label`` (which record).
        """
        def where(at: tuple) -> str:
            return _format_path(at) + label

        # stack items: (value, steps for roles, steps for messages, weight, depth, nearest key) or an exit marker
        stack: list[Any] = [(obj, (), (), 1.0, 0, key)]
        ancestors: set[int] = set()
        first, pending = len(leaves.record), 1  # values on the stack: each gives at least one leaf
        while stack:
            item = stack.pop()
            if isinstance(item, int):  # leaving a container
                ancestors.discard(item)
                continue
            pending -= 1
            value, steps, at, weight, depth, near = item
            if isinstance(value, (dict, list, tuple)):
                if depth >= self._max_depth:
                    raise ValueError(f"JSON nesting deeper than max_depth={self._max_depth} at {where(at)}")
                if id(value) in ancestors:
                    raise ValueError(f"JSON value contains a cycle at {where(at)}")
                if len(value) == 0:
                    self._atom_leaf(leaves, record, steps, weight, "#{}" if isinstance(value, dict) else "#[]")
                    continue
                pending += len(value)
                if len(leaves.record) - first + pending > self._max_leaves:
                    raise ValueError(f"JSON record has more than max_leaves={self._max_leaves} leaves (strings, "
                                     f"numbers, atoms) at {where(at)}: pass a larger max_leaves to encode it")
                ancestors.add(id(value))
                stack.append(id(value))
                w = weight / math.sqrt(len(value))
                if isinstance(value, dict):
                    for k, v in value.items():
                        if not isinstance(k, str):
                            raise ValueError(  # noqa: TRY004 - every bad JSON input is a ValueError naming its path
                                f"JSON object keys must be str; got {type(k).__name__} key {k!r} at {where(at)}")
                        _check_text(k, f"key {k!r} in the object", where(at))
                        stack.append((v, steps + (k,), at + (k,), w, depth + 1, k))
                else:
                    ordered = self.arrays == "ordered"
                    for j, v in enumerate(value):
                        stack.append((v, steps + (j,) if ordered else steps, at + (j,), w, depth + 1, near))
            elif value is None:
                self._atom_leaf(leaves, record, steps, weight, "#null")
            elif isinstance(value, (bool, np.bool_)):
                self._atom_leaf(leaves, record, steps, weight, "#true" if value else "#false")
            elif isinstance(value, str):
                _check_text(value, "string", where(at))
                self._leaf(leaves, record, steps, weight, self._string_atoms(value))
            elif isinstance(value, numbers.Real):
                try:
                    x = float(value)
                except OverflowError:
                    x = math.inf
                if not math.isfinite(x):
                    raise ValueError(f"JSON numbers must be finite; got {value!r} at {where(at)}")
                if self.numbers == "exact":
                    self._atom_leaf(leaves, record, steps, weight, "n:" + repr(x))
                else:
                    leaves.number_leaf.append(len(leaves.record))
                    leaves.number_value.append(x)
                    leaves.number_scale.append(self._scale(near))
                    self._leaf(leaves, record, steps, weight, np.empty(0, np.int64))
            else:
                raise ValueError(f"JSON values must be dict, list, str, number, bool or None; got "
                                 f"{type(value).__name__} at {where(at)}")

    def _atom_leaf(self, leaves: _Leaves, record: int, steps: tuple, weight: float, key: str) -> None:
        rows = self._atom_rows.get(key)
        if rows is None:
            rows = self._atom_rows[key] = self._memory.add([key])
        self._leaf(leaves, record, steps, weight, rows)

    def _leaf(self, leaves: _Leaves, record: int, steps: tuple, weight: float, rows: np.ndarray) -> None:
        leaves.record.append(record)
        leaves.path.append(leaves.path_id(steps))
        leaves.weight.append(weight)
        leaves.rows.append(rows)
        leaves.term_starts.append(leaves.term_starts[-1] + len(rows))

    # ------------------------------------------------------------------ vectors
    def _number_features(self, values: np.ndarray) -> np.ndarray:
        """Random Fourier features ``(n, dim)`` float32 of ``values`` (already divided by their scales).

        Beyond 1e12 scales from zero float64 cannot resolve one scale any more:
        such values are compressed logarithmically (still finite and distinct).
        """
        big = np.abs(values) > _HUGE
        if big.any():
            values = values.copy()
            values[big] = np.sign(values[big]) * _HUGE * (1.0 + np.log(np.abs(values[big]) / _HUGE))
        out = np.empty((len(values), self.dim), np.float32)
        K.fourier_features(values, self._freq, self._phase, math.sqrt(2.0 / self.dim), out)
        return out

    def _encode_chunk(self, objs: Sequence[Any], offset: int, key: str | None = None) -> np.ndarray:
        """Records -> ``(len(objs), dim)`` float32 of unit norm.

        The leaves are turned into vectors a block at a time (``_BLOCK_BYTES``
        of them), in walk order; each block's vectors are added into their
        records' rows in walk order, so a record gets the same bytes whatever
        the batch or block it falls in, and the scratch never exceeds a block.
        """
        leaves = _Leaves()
        for i, obj in enumerate(objs):
            self._walk(obj, i, leaves, f" in objs[{offset + i}]" if offset >= 0 else "", key)
        n_leaves = len(leaves.record)
        record = np.asarray(leaves.record, np.int64)
        path = np.asarray(leaves.path, np.int64)
        weight = np.asarray(leaves.weight, np.float64)
        term_starts = np.asarray(leaves.term_starts, np.int64)
        rows = np.concatenate(leaves.rows) if leaves.rows else np.empty(0, np.int64)
        n_terms = np.diff(term_starts)  # atom rows weighted by leaf weight / sqrt(terms of the leaf)
        term_w = np.repeat(weight / np.sqrt(np.maximum(n_terms, 1)), n_terms).astype(np.float32)
        number = np.full(n_leaves, -1, np.int64)  # leaf -> its soft number, or -1
        number[np.asarray(leaves.number_leaf, np.int64)] = np.arange(len(leaves.number_leaf))
        values = np.asarray(leaves.number_value, np.float64) / np.asarray(leaves.number_scale, np.float64)
        out = np.zeros((len(objs), self.dim), np.float32)
        block = max(1, _BLOCK_BYTES // (4 * self.dim))
        scratch = np.empty((min(block, n_leaves), self.dim), np.float32)
        for a in range(0, n_leaves, block):
            b = min(a + block, n_leaves)
            order = a + self._trie_order(leaves, path[a:b])  # the block's leaves, paths sharing prefixes together
            vecs = scratch[: b - a]
            K.segment_sum(rows, term_w, self._memory.vectors, term_starts, order, vecs)
            soft = np.flatnonzero(number[order] >= 0)
            if soft.shape[0]:
                feats = self._number_features(values[number[order[soft]]])
                K.add_scaled_rows(vecs, soft, feats, weight[order[soft]].astype(np.float32))
                del feats
            self._apply_roles(leaves, path[order], vecs)
            where = np.empty(b - a, np.int64)  # leaf (walk order) -> its row of vecs
            where[order - a] = np.arange(b - a)
            starts = np.flatnonzero(np.diff(record[a:b], prepend=-1, append=-1)).astype(np.int64)
            K.add_segments(vecs, where, starts, record[a + starts[:-1]], out)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)

    @staticmethod
    def _trie_order(leaves: _Leaves, path: np.ndarray) -> np.ndarray:
        """Positions of ``path`` (path ids) sorted so that the paths sharing any prefix are contiguous."""
        distinct, inverse = np.unique(path, return_inverse=True)
        rank = np.empty(distinct.shape[0], np.int64)
        rank[sorted(range(distinct.shape[0]), key=lambda j: leaves.prefixes[distinct[j]])] = np.arange(rank.shape[0])
        return np.argsort(rank[inverse], kind="stable")

    def _apply_roles(self, leaves: _Leaves, path: np.ndarray, vecs: np.ndarray) -> None:
        """Apply every leaf's roles to ``vecs`` in place, innermost first; one call per prefix, for all
        the rows under it (``path``: the rows' path ids, in ``_trie_order``)."""
        distinct, inverse = np.unique(path, return_inverse=True)
        depth = max(len(leaves.steps[p]) for p in distinct) if distinct.shape[0] else 0
        for level in range(depth, 0, -1):
            prefix = np.array([leaves.prefixes[p][level] if len(leaves.steps[p]) >= level else -1
                               for p in distinct], np.int64)[inverse]
            cuts = np.flatnonzero(np.diff(prefix, prepend=-2, append=-2))
            for a, b in itertools.pairwise(cuts):
                if prefix[a] >= 0:  # rows a:b share this prefix: apply its last step's role
                    step = leaves.steps[prefix[a]][-1]
                    vecs[a:b] = self._model._apply(self._role(step), vecs[a:b])  # vectors built here: no re-validation

    # ------------------------------------------------------------------ public
    def encode(self, obj: Any, *, device: Any = None) -> Any:
        """One JSON value -> ``(dim,)`` float32, unit norm."""
        return to_device(self._encode_chunk([obj], -1)[0], device)

    __call__ = encode

    def encode_batch(self, objs: Sequence[Any], *, progress: bool | None = None, device: Any = None) -> Any:
        """Many JSON values -> ``(len(objs), dim)`` float32.

        ``progress``: a tqdm bar (None: only for 10,000+ records on a terminal; False: never).

        Error messages name the record as ``$<i>`` followed by the path.
        """
        if isinstance(objs, (str, bytes, Mapping)) or not isinstance(objs, (Sequence, np.ndarray)):
            raise TypeError(f"`objs` must be a sequence of JSON values (e.g. a list of dicts); got {type(objs).__name__}")
        out = np.empty((len(objs), self.dim), np.float32)
        bar = progress_bar(len(objs), "JSONEncoder", "record", progress, _PROGRESS_MIN)
        log.debug("JSONEncoder: encoding %d records", len(objs))
        for a in range(0, len(objs), _CHUNK):
            b = min(a + _CHUNK, len(objs))
            out[a:b] = self._encode_chunk(objs[a:b], a)
            if bar is not None:
                bar.update(b - a)
        if bar is not None:
            bar.close()
        return to_device(out, device)

    def unbind_path(self, vector: Any, path: str | Sequence[str | int]) -> np.ndarray:
        """Apply the transposed roles of ``path`` (outermost first): ``(..., dim) -> (..., dim)``."""
        steps = parse_path(path)
        if self.arrays == "bag" and any(isinstance(s, int) for s in steps):
            raise ValueError("`path` has array positions, but arrays='bag' does not encode positions")
        x = self._model.check(to_numpy(vector), "vector")
        if x.ndim not in (1, 2):
            raise ValueError(f"`vector` must have shape (dim,) or (n, dim); got {x.shape}")
        for step in steps:
            x = self._model.unbind(x, self._role(step))
        return x

    def query(self, vector: Any, path: str | Sequence[str | int], candidates: Sequence[Any]
              ) -> tuple[np.ndarray, np.ndarray]:
        """Rank ``candidates`` (JSON values) as the value stored at ``path`` of ``vector``.

        Returns ``(similarities, indices)``, best first: cosine of each
        candidate's encoding with the unbound vector. Shapes: ``(m,)`` for a
        ``(dim,)`` vector, ``(n, m)`` for ``(n, dim)``.
        """
        x = self.unbind_path(vector, path)
        if isinstance(candidates, (str, bytes, Mapping)) or not isinstance(candidates, Sequence) or not candidates:
            raise ValueError("`candidates` must be a non-empty list of JSON values")
        steps = parse_path(path)
        near = next((s for s in reversed(steps) if isinstance(s, str)), None)
        cand = self._encode_chunk(list(candidates), -1, key=near)
        sims = (x @ cand.T) / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-30)
        order = np.argsort(-sims, axis=-1, kind="stable")
        return np.take_along_axis(sims, order, axis=-1), order
