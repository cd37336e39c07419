"""Stateful hypervector data structures (Torchhd's ``structures`` vocabulary) over ``structures.py``.

Each structure holds one hypervector, ``value``. Bundle-form structures keep
an exact running sum (int32 / float32, complex64 for FHRR, ±1 counts per bit
for BSC), so removing undoes adding exactly; ``value`` turns it into a vector
of the model (the majority for BSC, the sign for MAP-B). What is read back is
noisy: clean it up (``ItemMemory.lookup``, ``ops.cleanup_threshold``). ``device=None``
keeps state and input in NumPy; a torch device keeps them there.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import is_torch, to_device, torch_module
from ._stateful import _SequenceBase, _Structure, check_device, check_edges
from .model import Model
from .ops import identity
from .structures import _no_hrr_order, _no_mbat, sequence

__all__ = ["BindSequence", "FiniteStateAutomaton", "Graph", "HashTable", "Multiset", "Sequence", "Tree"]


class Multiset(_Structure):
    """A bag of vectors: their running bundle; ``contains`` is about ``1/sqrt(len)`` for a member, ~0 otherwise.

    Parameters
    ----------
    model : Model
        BSC, MAP, HRR, FHRR or MBAT.
    device : str, torch.device or None
        None: NumPy state and input; otherwise torch tensors on that device.

    Examples
    --------
    >>> from hdvec import hdc
    >>> from hdvec.hdc.collections import Multiset
    >>> m = hdc.MAP(10_000, seed=0)
    >>> x = m.random(4)
    >>> s = Multiset(m)
    >>> s.add(x[:3])
    >>> [bool(v > 0.3) for v in s.contains(x)]
    [True, True, True, False]
    """

    _allow_mbat = True

    def add(self, x: Any) -> None:
        """Add ``x`` ``(width,)`` or each row of ``x`` ``(n, width)``."""
        self._put(self._rows(x, "x"))

    def remove(self, x: Any) -> None:
        """Remove ``x`` (one vector or a batch), undoing ``add`` exactly."""
        self._put(self._rows(x, "x"), -1)

    @classmethod
    def from_tensor(cls, model: Model, x: Any) -> Multiset:
        """A multiset of the rows of ``x`` ``(n, width)`` (on ``x``'s backend)."""
        s = cls(model, device=cls._device_of(x))
        s.add(x)
        return s

    @classmethod
    def from_ngrams(cls, model: Model, x: Any, n: int = 3) -> Multiset:
        """The multiset of the n-grams of ``x`` ``(L, width)`` (as in ``hdc.ngrams``, kept as a sum).

        Not for HRR with ``n >= 2`` (TypeError, as ``hdc.ngrams``): its n-grams would not depend on the order.
        """
        x = model.check_batch(x, "x")
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= x.shape[-2]:
            raise ValueError(f"`n` must be an int in [1, {x.shape[-2]}]; got {n!r}")
        _no_mbat(model, "Multiset.from_ngrams")
        if n == 1:  # a 1-gram is its element, bound with nothing: HRR too (as hdc.ngrams)
            return cls.from_tensor(model, model.permute(x, 0))
        _no_hrr_order(model, f"Multiset.from_ngrams(n={n})")
        grams = [sequence(model, x[i : i + n], mode="bind") for i in range(x.shape[-2] - n + 1)]
        stack = torch_module().stack(grams) if is_torch(x) else np.stack(grams)
        return cls.from_tensor(model, stack)


class HashTable(_Structure):
    """Key-value record: the running bundle of ``bind(key, value)``; ``get(key)`` is a noisy value.

    Parameters
    ----------
    model : Model
        BSC, MAP, HRR or FHRR.
    device : str, torch.device or None
        None: NumPy; otherwise torch tensors on that device.

    Examples
    --------
    >>> from hdvec import hdc
    >>> from hdvec.hdc.collections import HashTable
    >>> m = hdc.BSC(10_000, seed=0)
    >>> mem = hdc.ItemMemory(m)
    >>> _ = mem.add(["name", "age", "ann", "42"])
    >>> t = HashTable(m)
    >>> t.add(mem.get(["name", "age"]), mem.get(["ann", "42"]))
    >>> mem.lookup(t.get(mem["age"]))
    ['42']
    """

    def _pairs(self, keys: Any, values: Any) -> Any:
        k, v = self._rows(keys, "keys"), self._rows(values, "values")
        if k.shape != v.shape:
            raise ValueError(f"`keys` and `values` must have the same shape; got {tuple(k.shape)} and {tuple(v.shape)}")
        return self.model.bind(k, v)

    def add(self, keys: Any, values: Any) -> None:
        """Add pairs: ``keys`` and ``values`` ``(width,)`` or ``(n, width)``."""
        self._put(self._pairs(keys, values))

    def remove(self, keys: Any, values: Any) -> None:
        """Remove pairs added before (exactly)."""
        self._put(self._pairs(keys, values), -1)

    def get(self, keys: Any) -> Any:
        """Noisy value(s) of ``keys`` ``(width,)`` or ``(n, width)``: ``unbind(value, key)``, same shape."""
        check_device(keys, "keys", self._device)
        return self.model.unbind(self.value, self.model.check(keys, "keys"))

    __getitem__ = get

    def replace(self, key: Any, old: Any, new: Any) -> None:
        """Replace the value ``old`` of ``key`` by ``new``."""
        self.remove(key, old)
        self.add(key, new)

    @classmethod
    def from_tensors(cls, model: Model, keys: Any, values: Any) -> HashTable:
        """A table of the pairs ``(keys[i], values[i])``, ``(n, width)`` each."""
        t = cls(model, device=cls._device_of(values))
        t.add(keys, values)
        return t


class Sequence(_SequenceBase):
    """Ordered sequence, bundle form: element ``i`` of ``n`` is permuted ``n - 1 - i`` times, then summed.

    ``value`` is ``hdc.sequence(model, x)`` (for BSC the majority of the same sum); ``seq[i]`` is a noisy copy.

    Parameters
    ----------
    model : Model
        BSC, MAP, HRR, FHRR or MBAT.
    device : str, torch.device or None
        None: NumPy; otherwise torch tensors on that device.

    Examples
    --------
    >>> from hdvec import hdc
    >>> from hdvec.hdc.collections import Sequence
    >>> m = hdc.MAP(10_000, seed=0)
    >>> mem = hdc.ItemMemory(m)
    >>> seq = Sequence(m)
    >>> seq.append(mem.get(list("abc"), add=True))
    >>> seq.decode(mem)
    ['a', 'b', 'c']
    """

    _allow_mbat = True

    def append(self, x: Any) -> None:
        """Append ``x`` ``(width,)``, or each row of ``(n, width)`` in order, on the right."""
        for row in self._rows(x, "x"):
            acc = self._zeros() if self._acc is None else self._acc
            self._acc = self._roll(acc, 1) + self._sum1(row)
            self.size += 1

    def appendleft(self, x: Any) -> None:
        """Prepend ``x`` ``(width,)`` on the left."""
        for row in self._rows(x, "x"):
            self._add(self._roll(self._sum1(row), self.size))
            self.size += 1

    def pop(self, x: Any) -> None:
        """Remove the last element, which the caller knows is ``x`` ``(width,)``.

        Raises
        ------
        IndexError
            If the sequence is empty.
        """
        self._check_pop()
        row = self._rows(x, "x")[0]
        self._add(self._sum1(row), -1)
        self._acc = self._roll(self._acc, -1)
        self.size -= 1

    def popleft(self, x: Any) -> None:
        """Remove the first element, which the caller knows is ``x`` ``(width,)``."""
        self._check_pop()
        row = self._rows(x, "x")[0]
        self.size -= 1
        self._add(self._roll(self._sum1(row), self.size), -1)

    def replace(self, index: int, old: Any, new: Any) -> None:
        """Replace element ``index`` (negative counts from the end), known to be ``old``, by ``new``."""
        i = self._index(index)
        diff = self._sum1(self._rows(new, "new")[0]) - self._sum1(self._rows(old, "old")[0])
        self._add(self._roll(diff, self.size - 1 - i))

    def concat(self, other: Sequence) -> Sequence:
        """A new sequence: the elements of ``self`` followed by those of ``other``."""
        self._check_other(other)
        out = type(self)(self.model, device=self.device)
        a = self._zeros() if self._acc is None else self._acc
        b = self._zeros() if other._acc is None else other._acc
        out._acc, out.size = self._roll(a, other.size) + b, self.size + other.size
        return out

    def __getitem__(self, index: int) -> Any:
        """A noisy copy of element ``index`` ``(width,)``."""
        return self.model.permute(self.value, -(self.size - 1 - self._index(index)))

    def decode(self, memory: Any) -> list:
        """The nearest key of ``memory`` (an ItemMemory) for every position, in order."""
        if self.size == 0:
            return []
        v = self.value
        rows = [self.model.permute(v, -(self.size - 1 - i)) for i in range(self.size)]
        return memory.lookup(torch_module().stack(rows) if is_torch(v) else np.stack(rows))

    @classmethod
    def from_tensor(cls, model: Model, x: Any) -> Sequence:
        """The sequence of the rows of ``x`` ``(n, width)``."""
        s = cls(model, device=cls._device_of(x))
        s.append(x)
        return s


class BindSequence(_SequenceBase):
    """Ordered sequence, bind form: ``bind_i permute(x_i, n - 1 - i)``, an exact key of the whole sequence.

    ``value`` equals ``hdc.sequence(model, x, mode="bind")``; it is similar
    only to the same sequence. Popping unbinds (exact for MAP, BSC and FHRR).

    Parameters
    ----------
    model : Model
        BSC, MAP or FHRR (not HRR: its cyclic shift commutes with circular
        convolution, so the chain would not depend on the order).
    device : str, torch.device or None
        None: NumPy; otherwise torch tensors on that device.

    Examples
    --------
    >>> from hdvec import hdc
    >>> from hdvec.hdc.collections import BindSequence
    >>> m = hdc.BSC(1024, seed=0)
    >>> x = m.random(3)
    >>> s = BindSequence.from_tensor(m, x)
    >>> bool((s.value == hdc.sequence(m, x, mode="bind")).all())
    True
    """

    _needs_order = True

    def _cur(self) -> Any:
        return identity(self.model, (), device=self._device) if self._acc is None else self._acc

    @property
    def value(self) -> Any:
        cur = self._cur()
        return cur.clone() if is_torch(cur) else cur.copy()

    def append(self, x: Any) -> None:
        """Append ``x`` ``(width,)``, or each row of ``(n, width)`` in order, on the right."""
        for row in self._rows(x, "x"):
            self._acc = row if self._acc is None else self.model.bind(row, self.model.permute(self._acc, 1))
            self.size += 1

    def appendleft(self, x: Any) -> None:
        """Prepend ``x`` ``(width,)`` on the left."""
        for row in self._rows(x, "x"):
            self._acc = self.model.bind(self._cur(), self.model.permute(row, self.size))
            self.size += 1

    def pop(self, x: Any) -> None:
        """Remove the last element, known to be ``x`` ``(width,)``."""
        self._check_pop()
        row = self._rows(x, "x")[0]
        self._acc = self.model.permute(self.model.unbind(self._cur(), row), -1)
        self.size -= 1

    def popleft(self, x: Any) -> None:
        """Remove the first element, known to be ``x`` ``(width,)``."""
        self._check_pop()
        row = self._rows(x, "x")[0]
        self.size -= 1
        self._acc = self.model.unbind(self._cur(), self.model.permute(row, self.size))

    def replace(self, index: int, old: Any, new: Any) -> None:
        """Replace element ``index``, known to be ``old``, by ``new``."""
        k = self.size - 1 - self._index(index)
        old, new = self._rows(old, "old")[0], self._rows(new, "new")[0]
        cur = self.model.unbind(self._cur(), self.model.permute(old, k))
        self._acc = self.model.bind(cur, self.model.permute(new, k))

    def concat(self, other: BindSequence) -> BindSequence:
        """A new sequence: the elements of ``self`` followed by those of ``other``."""
        self._check_other(other)
        out = type(self)(self.model, device=self.device)
        out._acc = other._acc if self._acc is None else self._acc if other._acc is None else \
            self.model.bind(self.model.permute(self._acc, other.size), other._acc)
        out.size = self.size + other.size
        return out

    @classmethod
    def from_tensor(cls, model: Model, x: Any) -> BindSequence:
        """The bind sequence of the rows of ``x`` ``(n, width)`` (via ``hdc.sequence(mode="bind")``)."""
        s = cls(model, device=cls._device_of(x))
        x = s._rows(x, "x")
        s._acc, s.size = sequence(model, x, mode="bind"), x.shape[0]
        return s


class Graph(_Structure):
    """Graph as the running bundle of its edges, ``bind(a, b)`` (directed: ``bind(a, permute(b, 1))``).

    Parameters
    ----------
    model : Model
        BSC, MAP, HRR (undirected only) or FHRR.
    directed : bool
        Mark the edge target with a permutation.
    device : str, torch.device or None
        None: NumPy; otherwise torch tensors on that device.

    Examples
    --------
    >>> from hdvec import hdc
    >>> from hdvec.hdc.collections import Graph
    >>> m = hdc.MAP(10_000, seed=0)
    >>> v = m.random(4)
    >>> g = Graph(m, directed=True)
    >>> g.add_edge(v[[0, 1]], v[[1, 2]])
    >>> bool(g.has_edge(v[0], v[1]) > 0.3), bool(g.has_edge(v[1], v[0]) > 0.3)
    (True, False)
    """

    def __init__(self, model: Model, *, directed: bool = False, device: Any = None):
        if not isinstance(directed, bool):
            raise TypeError(f"`directed` must be a bool; got {type(directed).__name__}")
        self._needs_order = directed
        super().__init__(model, device=device)
        self.directed = directed

    def encode_edge(self, a: Any, b: Any) -> Any:
        """Edge vector(s) from node ``a`` to node ``b`` (``(width,)`` or ``(n, width)`` each)."""
        a, b = self._rows(a, "a"), self._rows(b, "b")
        if a.shape != b.shape:
            raise ValueError(f"`a` and `b` must have the same shape; got {tuple(a.shape)} and {tuple(b.shape)}")
        return self.model.bind(a, self.model.permute(b, 1) if self.directed else b)

    def add_edge(self, a: Any, b: Any) -> None:
        """Add the edge(s) ``a -> b``."""
        self._put(self.encode_edge(a, b))

    def remove_edge(self, a: Any, b: Any) -> None:
        """Remove edge(s) added before (exactly)."""
        self._put(self.encode_edge(a, b), -1)

    def has_edge(self, a: Any, b: Any) -> Any:
        """Similarity of the edge(s) ``a -> b`` to the graph: float32 ``(n,)``, or ``()`` for one edge."""
        e = self.encode_edge(a, b)
        s = self.model.similarity(e, self.value)
        return s[0] if getattr(a, "ndim", 2) == 1 else s

    def node_neighbors(self, node: Any, *, outgoing: bool = True) -> Any:
        """Noisy multiset of the neighbours of ``node`` ``(width,)`` (directed: targets if ``outgoing``, else sources)."""
        node = self._rows(node, "node")[0]
        if not self.directed:
            return self.model.unbind(self.value, node)
        if outgoing:
            return self.model.permute(self.model.unbind(self.value, node), -1)
        return self.model.unbind(self.value, self.model.permute(node, 1))

    @classmethod
    def from_edges(cls, model: Model, nodes: Any, edges: Any, *, directed: bool = False) -> Graph:
        """A graph of ``nodes`` ``(n_nodes, width)`` and integer ``edges`` ``(n_edges, 2)`` (as ``hdc.graph``)."""
        g = cls(model, directed=directed, device=cls._device_of(nodes))
        nodes = g._rows(nodes, "nodes")
        e = check_edges(edges, nodes.shape[0])
        if e.shape[0]:
            g.add_edge(nodes[e[:, 0]], nodes[e[:, 1]])
        return g


class Tree(_Structure):
    """Binary tree: leaves bundled, each bound to its path ``bind_k permute(L or R, k)``.

    The left and right vectors are drawn from the model seed (the same in every process).

    Parameters
    ----------
    model : Model
        BSC, MAP or FHRR (not HRR: a path would not depend on its order).
    device : str, torch.device or None
        None: NumPy; otherwise torch tensors on that device.

    Examples
    --------
    >>> from hdvec import hdc
    >>> from hdvec.hdc.collections import Tree
    >>> m = hdc.FHRR(4096, seed=0)
    >>> mem = hdc.ItemMemory(m)
    >>> t = Tree(m)
    >>> t.add_leaf(mem.get(["x"], add=True)[0], "ll")
    >>> t.add_leaf(mem.get(["y"], add=True)[0], "lr")
    >>> mem.lookup(t.get_leaf("lr"))
    ['y']
    """

    _needs_order = True

    def __init__(self, model: Model, *, device: Any = None):
        super().__init__(model, device=device)
        self.left = to_device(model._draw(model.keyed_rng("hdvec.Tree.left", 4), ()), self._device)
        self.right = to_device(model._draw(model.keyed_rng("hdvec.Tree.right", 4), ()), self._device)

    def path_vector(self, path: Any) -> Any:
        """The vector of ``path``, a non-empty str or list of ``"l"`` / ``"r"`` from the root."""
        if isinstance(path, str):
            path = list(path)
        if not isinstance(path, (list, tuple)) or not path or any(p not in ("l", "r") for p in path):
            raise ValueError(f"`path` must be a non-empty sequence of 'l' / 'r'; got {path!r}")
        out = None
        for k, p in enumerate(path):
            step = self.model.permute(self.left if p == "l" else self.right, k)
            out = step if out is None else self.model.bind(out, step)
        return out

    def add_leaf(self, value: Any, path: Any) -> None:
        """Add the leaf ``value`` ``(width,)`` at ``path``."""
        self._put(self.model.bind(self._rows(value, "value"), self.path_vector(path)))

    def remove_leaf(self, value: Any, path: Any) -> None:
        """Remove a leaf added before (exactly)."""
        self._put(self.model.bind(self._rows(value, "value"), self.path_vector(path)), -1)

    def get_leaf(self, path: Any) -> Any:
        """Noisy value (or bundle of the subtree's leaves) at ``path``: ``(width,)``."""
        return self.model.unbind(self.value, self.path_vector(path))


class FiniteStateAutomaton(_Structure):
    """Automaton as the bundle of its transitions ``bind(token, bind(state, permute(next, 1)))``.

    Parameters
    ----------
    model : Model
        BSC, MAP or FHRR (not HRR: the direction would be lost).
    device : str, torch.device or None
        None: NumPy; otherwise torch tensors on that device.

    Examples
    --------
    >>> from hdvec import hdc
    >>> from hdvec.hdc.collections import FiniteStateAutomaton
    >>> m = hdc.MAP(10_000, seed=0)
    >>> mem = hdc.ItemMemory(m)
    >>> s, t = mem.get(["locked", "open"], add=True), mem.get(["coin", "push"], add=True)
    >>> fsa = FiniteStateAutomaton(m)
    >>> fsa.add_transition(t, s, s[::-1])
    >>> mem.lookup(fsa.transition(s[0], t[0]))
    ['open']
    """

    _needs_order = True

    def _encode(self, token: Any, state: Any, final: Any) -> Any:
        t, s, f = self._rows(token, "token"), self._rows(state, "initial_state"), self._rows(final, "final_state")
        if not t.shape == s.shape == f.shape:
            raise ValueError(f"`token`, `initial_state` and `final_state` must have one shape; got {tuple(t.shape)}, "
                             f"{tuple(s.shape)} and {tuple(f.shape)}")
        return self.model.bind(t, self.model.bind(s, self.model.permute(f, 1)))

    def add_transition(self, token: Any, initial_state: Any, final_state: Any) -> None:
        """Add transition(s) ``initial_state --token--> final_state`` (``(width,)`` or ``(n, width)`` each)."""
        self._put(self._encode(token, initial_state, final_state))

    def remove_transition(self, token: Any, initial_state: Any, final_state: Any) -> None:
        """Remove transition(s) added before (exactly)."""
        self._put(self._encode(token, initial_state, final_state), -1)

    def transition(self, state: Any, token: Any) -> Any:
        """Noisy next state(s) from ``state`` on ``token``: ``(width,)`` or ``(n, width)``; clean it up."""
        s, t = self._rows(state, "state"), self._rows(token, "token")
        out = self.model.permute(self.model.unbind(self.model.unbind(self.value, s), t), -1)
        return out[0] if getattr(state, "ndim", 2) == 1 and getattr(token, "ndim", 2) == 1 else out
