"""Torchhd 5.8 behavioural checks for structures, encodings and memories, re-expressed with hdvec's API.

Each test names the Torchhd test it comes from as ``file::Class::function`` (files under
``torchhd/tests/``; ``structures/...`` ship with Torchhd 5.8.4, the others are upstream).
The small fixed vectors below are Torchhd's test inputs (written here as sign strings),
so that the expected sums are Torchhd's expected values.

Adaptations (hdvec's documented choices, not bugs):

* Torchhd's structures take a dimension or an initial hypervector; hdvec's take a model
  (``Multiset(MAP(d))``) and build from vectors with ``from_tensor`` / ``from_edges``.
* Torchhd's ``structures.Memory`` (hypervector key -> arbitrary value) is hdvec's
  ``ItemMemory`` (symbol -> hypervector, nearest-symbol lookup), so the Memory checks
  are made with symbols as the values and vectors as the keys.
* Seeds are ints; MAP vectors are float32.
* hdvec refuses HRR wherever permute must mark order inside a bind (bind sequences,
  directed graphs, trees, automata); Torchhd computes order-free results there.
"""

from __future__ import annotations

import string

import numpy as np
import pytest
import torch

from hdvec import hdc
from hdvec.hdc import ops
from hdvec.hdc.associative import Hopfield, SparseDistributedMemory, modern_hopfield
from hdvec.hdc.collections import BindSequence, FiniteStateAutomaton, Graph, HashTable, Multiset, Sequence, Tree

SEED = 2147483644
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
LETTERS = list(string.ascii_lowercase)


def signs(text: str) -> np.ndarray:
    """Rows of +1 / -1 from space-separated strings of '+' and '-'."""
    return np.array([[1.0 if c == "+" else -1.0 for c in row] for row in text.split()], np.float32)


# 26 x 5 inputs of structures/test_multiset.py and structures/test_sequence.py
KEYS5 = signs("+-+++ --+++ +++-+ +++-- -+--+ ----+ ----+ ---+- +--+- +++-- -+-+- ----- --+++ "
              "++--+ ++++- ++-++ --++- --+++ ----- -+-+- -+-++ +++++ --+-+ ++-++ ----+ -+--+")
# tokens and states of structures/test_fsa.py
TOKENS = signs("++-+++-+-+ +-++++++-+ -+--+-+-+- --++--+-+- +-+-+--+-- ++++----+- ++++-++++- -++++++--+ "
               "--+---+-++ --+-+++--+")
STATES = signs("++--++--++ ---++++++- ++--+-++++ +-+-+---++ ++++-----+ -++++++-+- +---+++--- +-+++----- "
               "+++-++++++ +++-+-+-++")
# nodes of structures/test_graph.py
NODES8 = signs("-+++--+- +--+++++ --+----+ +++-+---")


def map_(d: int) -> hdc.MAP:
    return hdc.MAP(d, seed=0)


def rand(d: int, n: int = len(LETTERS), seed: int = SEED) -> np.ndarray:
    return hdc.MAP(d).random(n, seed=seed)


def cos(m, a, b) -> np.ndarray:
    return np.asarray(m.similarity(a, b))


# ---------------------------------------------------------------- structures/*::test_generator


@pytest.mark.parametrize("name", ["BSC", "MAP", "HRR", "FHRR"])
def test_generator_reproducible(name):
    """structures/test_{multiset,sequence,distinct_sequence,hashtable,graph,tree,fsa,memory}.py::*::test_generator
    (the same seed draws the same 60 x 10000 vectors)."""
    m = getattr(hdc, name)(10000)
    assert np.array_equal(m.random(60, seed=SEED), m.random(60, seed=SEED))


# ---------------------------------------------------------------- structures/test_multiset.py


def test_multiset_creation_dim():
    """structures/test_multiset.py::TestMultiset::test_creation_dim (empty value is zeros)."""
    assert np.array_equal(Multiset(map_(10000)).value, np.zeros(10000))


def test_multiset_creation_tensor():
    """structures/test_multiset.py::TestMultiset::test_creation_tensor (value equals hdc.multiset of the vectors)."""
    m = map_(10000)
    keys = rand(10000)
    assert np.allclose(Multiset.from_tensor(m, keys).value, hdc.multiset(m, keys))


def test_multiset_add():
    """structures/test_multiset.py::TestMultiset::test_add (exact running sums)."""
    M = Multiset(map_(5))
    M.add(KEYS5[0])
    assert np.array_equal(M.value, [1, -1, 1, 1, 1])
    M.add(KEYS5[1])
    assert np.array_equal(M.value, [0, -2, 2, 2, 2])
    M.add(KEYS5[2])
    assert np.array_equal(M.value, [1, -1, 3, 1, 3])


def test_multiset_remove():
    """structures/test_multiset.py::TestMultiset::test_remove (d=1000: member > 0.5; removed < 0.1; remove returns None)."""
    m = map_(1000)
    k = rand(1000)
    M = Multiset(m)
    M.add(k[0])
    M.add(k[1])
    assert M.contains(k[0]) > 0.5
    M.remove(k[0])
    assert M.contains(k[0]) < 0.1 and M.contains(k[1]) > 0.5
    assert M.remove(k[0]) is None


def test_multiset_contains():
    """structures/test_multiset.py::TestMultiset::test_contains (k0 three times + k1: > 0.8, > 0.8, > 0.7, then < 0.1)."""
    m = map_(1000)
    k = rand(1000)
    M = Multiset(m)
    for _ in range(3):
        M.add(k[0])
    M.add(k[1])
    assert M.contains(k[0]) > 0.8
    M.remove(k[0])
    assert M.contains(k[0]) > 0.8
    M.remove(k[0])
    assert M.contains(k[0]) > 0.7
    M.remove(k[0])
    assert M.contains(k[0]) < 0.1
    M.remove(k[1])
    assert M.contains(k[1]) < 0.1


def test_multiset_length():
    """structures/test_multiset.py::TestMultiset::test_length."""
    k = rand(4)
    M = Multiset(map_(4))
    M.add(k[0])
    M.add(k[0])
    M.add(k[1])
    assert len(M) == 3
    M.remove(k[0])
    assert len(M) == 2


def test_multiset_clear():
    """structures/test_multiset.py::TestMultiset::test_clear (d=4 in Torchhd; d=1000 here so that '> 0.8' after
    re-adding and '< 0.1' after clearing are meaningful for a one-element multiset, which has similarity 1)."""
    k = rand(1000)
    M = Multiset(map_(1000))
    M.add(k[0])
    M.add(k[0])
    M.add(k[1])
    M.clear()
    assert M.contains(k[0]) < 0.1 and M.contains(k[1]) < 0.1
    M.add(k[0])
    assert M.contains(k[0]) > 0.8


def test_multiset_from_ngrams():
    """structures/test_multiset.py::TestMultiset::test_from_ngrams (trigrams of the 26 x 5 inputs sum to [6, 0, -10, 8, -4])."""
    assert np.array_equal(Multiset.from_ngrams(map_(5), KEYS5).value, [6, 0, -10, 8, -4])


def test_multiset_from_tensor():
    """structures/test_multiset.py::TestMultiset::test_from_tensor (sum [-6, 0, -4, 2, 6])."""
    assert np.array_equal(Multiset.from_tensor(map_(5), KEYS5).value, [-6, 0, -4, 2, 6])


# ---------------------------------------------------------------- structures/test_sequence.py (BundleSequence)


def test_sequence_creation_dim():
    """structures/test_sequence.py::TestBundleSequence::test_creation_dim."""
    assert np.array_equal(Sequence(map_(10000)).value, np.zeros(10000))


def test_sequence_creation_tensor():
    """structures/test_sequence.py::TestBundleSequence::test_creation_tensor (value of [h0, h1] is
    bundle(h1, permute(h0, 1)))."""
    m = map_(10000)
    hv = rand(10000)
    expected = m.bundle(np.stack([hv[1], m.permute(hv[0], 1)]))
    assert np.allclose(Sequence.from_tensor(m, hv[:2]).value, expected)


def test_sequence_append():
    """structures/test_sequence.py::TestBundleSequence::test_append (exact values)."""
    S = Sequence(map_(5))
    S.append(KEYS5[0])
    assert np.array_equal(S.value, [1, -1, 1, 1, 1])
    S.append(KEYS5[1])
    assert np.array_equal(S.value, [0, 0, 0, 2, 2])
    S.append(KEYS5[2])
    assert np.array_equal(S.value, [3, 1, 1, -1, 3])


def test_sequence_appendleft():
    """structures/test_sequence.py::TestBundleSequence::test_appendleft (exact values)."""
    S = Sequence(map_(5))
    S.appendleft(KEYS5[0])
    assert np.array_equal(S.value, [1, -1, 1, 1, 1])
    S.appendleft(KEYS5[1])
    assert np.array_equal(S.value, [2, -2, 0, 2, 2])
    S.appendleft(KEYS5[2])
    assert np.array_equal(S.value, [1, -1, 1, 3, 3])


def test_sequence_pop():
    """structures/test_sequence.py::TestBundleSequence::test_pop (exact values back to zero)."""
    S = Sequence(map_(5))
    S.append(KEYS5[:3])
    S.pop(KEYS5[2])
    assert np.array_equal(S.value, [0, 0, 0, 2, 2])
    S.pop(KEYS5[1])
    assert np.array_equal(S.value, [1, -1, 1, 1, 1])
    S.pop(KEYS5[0])
    assert np.array_equal(S.value, np.zeros(5))


def test_sequence_popleft():
    """structures/test_sequence.py::TestBundleSequence::test_popleft (exact values back to zero)."""
    S = Sequence(map_(5))
    for i in range(3):
        S.appendleft(KEYS5[i])
    S.popleft(KEYS5[2])
    assert np.array_equal(S.value, [2, -2, 0, 2, 2])
    S.popleft(KEYS5[1])
    assert np.array_equal(S.value, [1, -1, 1, 1, 1])
    S.popleft(KEYS5[0])
    assert np.array_equal(S.value, np.zeros(5))


def test_sequence_replace():
    """structures/test_sequence.py::TestBundleSequence::test_replace (7 elements of 10000; position 2 > 0.35 before,
    < 0.35 for the old and > 0.35 for the new element after; incrementally built and from_tensor)."""
    m = map_(10000)
    hv = rand(10000)
    S = Sequence(m)
    for i in range(7):
        S.append(hv[i])
    for seq in (S, Sequence.from_tensor(m, hv[:7])):
        assert cos(m, seq[2], hv)[2] > 0.35
        seq.replace(2, hv[2], hv[6])
        assert cos(m, seq[2], hv)[2] < 0.35 and cos(m, seq[2], hv)[6] > 0.35


def test_sequence_concat():
    """structures/test_sequence.py::TestBundleSequence::test_concat (lengths 3 + 3 = 6; argmax at each position,
    for append-built and appendleft-built sequences)."""
    m = map_(1000)
    hv = rand(1000, 8)
    S, S2 = Sequence(m), Sequence(m)
    for i in range(3):
        S.append(hv[i])
        S2.append(hv[i])
    assert len(S) == 3 and len(S2) == 3
    S = S.concat(S2)
    assert len(S) == 6
    assert [int(np.argmax(cos(m, S[i], hv))) for i in range(6)] == [0, 1, 2, 0, 1, 2]
    SS, SS2 = Sequence(m), Sequence(m)
    for i in range(3):
        SS.appendleft(hv[i])
        SS2.appendleft(hv[i])
    SS = SS.concat(SS2)
    assert [int(np.argmax(cos(m, SS[i], hv))) for i in range(6)] == [2, 1, 0, 2, 1, 0]


def test_sequence_getitem_length_clear():
    """structures/test_sequence.py::TestBundleSequence::test_getitem, ::test_length and ::test_clear."""
    m = map_(1000)
    hv = rand(1000, 8)
    S = Sequence(m)
    S.append(hv[:3])
    assert int(np.argmax(cos(m, S[0], hv))) == 0
    assert len(S) == 3
    S.pop(hv[2])
    assert len(S) == 2
    S.clear()
    assert len(S) == 0
    S.append(hv[0])
    assert len(S) == 1


def test_sequence_from_tensor():
    """structures/test_sequence.py::TestBundleSequence::test_from_tensor (26 elements of 10000: positions 3, 5, 1 decode)."""
    m = map_(10000)
    hv = rand(10000)
    S = Sequence.from_tensor(m, hv)
    for i in (3, 5, 1):
        assert int(np.argmax(cos(m, S[i], hv))) == i


# ---------------------------------------------------------------- structures/test_distinct_sequence.py (BindSequence)


def test_bind_sequence_creation():
    """structures/test_distinct_sequence.py::TestBindSequence::test_creation_dim (empty value is the bind identity:
    ones) and ::test_creation_tensor (one element: value is that element)."""
    m = map_(10000)
    assert np.array_equal(BindSequence(m).value, np.ones(10000))
    hv = rand(10000)
    assert np.array_equal(BindSequence.from_tensor(m, hv[:1]).value, hv[0])


def test_bind_sequence_append_appendleft():
    """structures/test_distinct_sequence.py::TestBindSequence::test_append and ::test_appendleft."""
    m = map_(10000)
    hv = rand(10000)
    for op in ("append", "appendleft"):
        S = BindSequence(m)
        getattr(S, op)(hv[0])
        assert cos(m, S.value, hv)[0] > 0.5


@pytest.mark.parametrize("push, pop", [("append", "pop"), ("appendleft", "popleft")])
def test_bind_sequence_pop_and_popleft(push, pop):
    """structures/test_distinct_sequence.py::TestBindSequence::test_pop and ::test_popleft."""
    m = map_(10000)
    hv = rand(10000)
    S = BindSequence(m)
    getattr(S, push)(hv[0])
    getattr(S, push)(hv[1])
    getattr(S, pop)(hv[1])
    assert cos(m, S.value, hv)[0] > 0.5
    getattr(S, pop)(hv[0])
    getattr(S, push)(hv[2])
    assert cos(m, S.value, hv)[2] > 0.5
    getattr(S, push)(hv[3])
    getattr(S, pop)(hv[3])
    assert cos(m, S.value, hv)[2] > 0.5


def test_bind_sequence_replace_length_clear():
    """structures/test_distinct_sequence.py::TestBindSequence::test_replace, ::test_length and ::test_clear."""
    m = map_(10000)
    hv = rand(10000)
    S = BindSequence(m)
    S.append(hv[0])
    assert cos(m, S.value, hv)[0] > 0.5
    S.replace(0, hv[0], hv[1])
    assert cos(m, S.value, hv)[1] > 0.5
    S = BindSequence(m)
    for _ in range(4):
        S.append(hv[0])
    assert len(S) == 4
    for _ in range(3):
        S.pop(hv[0])
    assert len(S) == 1
    S.pop(hv[0])
    assert len(S) == 0
    S.append(hv[0])
    assert len(S) == 1
    S.clear()
    assert len(S) == 0


# ---------------------------------------------------------------- structures/test_hashtable.py


def _kv(d=10000):
    return rand(d, seed=SEED), rand(d, seed=2147483622)


def test_hashtable_creation():
    """structures/test_hashtable.py::TestHashtable::test_creation_dim and ::test_creation_tensor
    (empty value zeros; value of two pairs is bundle(bind(k0, v0), bind(k1, v1)))."""
    m = map_(10000)
    assert np.array_equal(HashTable(m).value, np.zeros(10000))
    k, v = _kv()
    expected = m.bundle(np.stack([m.bind(k[0], v[0]), m.bind(k[1], v[1])]))
    assert np.allclose(HashTable.from_tensors(m, k[:2], v[:2]).value, expected)


def test_hashtable_add_get_remove():
    """structures/test_hashtable.py::TestHashtable::test_add, ::test_get, ::test_getitem and ::test_remove
    (the value of a key > 0.5; a non-key query matches nothing above 0.5; a removed pair < 0.2)."""
    m = map_(10000)
    k, v = _kv()
    H = HashTable(m)
    for i in range(3):
        H.add(k[i], v[i])
    for i in range(3):
        assert cos(m, H.get(k[i]), v)[i] > 0.5
        assert cos(m, H[k[i]], v)[i] > 0.5
    assert np.all(cos(m, H.get(v[2]), v) <= 0.5)
    H.remove(k[0], v[0])
    assert cos(m, H[k[0]], v)[0] < 0.2


def test_hashtable_replace_length_clear():
    """structures/test_hashtable.py::TestHashtable::test_replace, ::test_length and ::test_clear."""
    m = map_(10000)
    k, v = _kv()
    H = HashTable(m)
    for i in range(3):
        H.add(k[i], v[i])
    assert cos(m, H[k[0]], v)[0] > 0.5
    H.replace(k[0], v[0], v[1])
    assert cos(m, H[k[0]], v)[1] > 0.5
    assert len(H) == 3
    H.remove(k[0], v[1])
    assert len(H) == 2
    H.clear()
    assert len(H) == 0 and not cos(m, H[k[0]], v)[0] > 0.5
    H.add(k[0], v[0])
    assert cos(m, H[k[0]], v)[0] > 0.5


def test_hashtable_from_tensors():
    """structures/test_hashtable.py::TestHashtable::test_from_tensor (exact value [0, -2, 0])."""
    keys = signs("+-- -++")
    values = signs("-+- ---")
    assert np.array_equal(HashTable.from_tensors(map_(3), keys, values).value, [0, -2, 0])


# ---------------------------------------------------------------- structures/test_graph.py


def test_graph_creation():
    """structures/test_graph.py::TestGraph::test_creation_dim and ::test_creation_tensor
    (empty directed graph is zeros; a one-edge graph is bind(h0, h1))."""
    m = map_(10000)
    assert np.array_equal(Graph(m, directed=True).value, np.zeros(10000))
    hv = rand(10000)
    assert np.allclose(Graph.from_edges(m, hv, [[0, 1]]).value, m.bind(hv[0], hv[1]))


def test_graph_add_edge():
    """structures/test_graph.py::TestGraph::test_add_edge (exact values, undirected and directed)."""
    m = map_(8)
    G = Graph(m)
    G.add_edge(NODES8[0], NODES8[1])
    assert np.array_equal(G.value, [-1, -1, -1, 1, -1, -1, 1, -1])
    G.add_edge(NODES8[2], NODES8[3])
    assert np.array_equal(G.value, [-2, -2, 0, 2, -2, 0, 2, -2])
    GD = Graph(m, directed=True)
    GD.add_edge(NODES8[0], NODES8[1])
    assert np.array_equal(GD.value, [-1, 1, -1, -1, -1, -1, 1, -1])
    GD.add_edge(NODES8[2], NODES8[3])
    assert np.array_equal(GD.value, [0, 0, 0, -2, 0, -2, 2, -2])


def test_graph_encode_edge():
    """structures/test_graph.py::TestGraph::test_encode_edge (exact values, undirected and directed)."""
    m = map_(8)
    G, GD = Graph(m), Graph(m, directed=True)
    assert np.array_equal(G.encode_edge(NODES8[0], NODES8[1])[0], [-1, -1, -1, 1, -1, -1, 1, -1])
    assert np.array_equal(G.encode_edge(NODES8[2], NODES8[3])[0], [-1, -1, 1, 1, -1, 1, 1, -1])
    assert np.array_equal(GD.encode_edge(NODES8[0], NODES8[1])[0], [-1, 1, -1, -1, -1, -1, 1, -1])
    assert np.array_equal(GD.encode_edge(NODES8[2], NODES8[3])[0], [1, -1, 1, -1, 1, -1, 1, -1])


def test_graph_node_neighbors():
    """structures/test_graph.py::TestGraph::test_node_neighbors (10000; directed out-neighbours and undirected neighbours)."""
    m = map_(10000)
    hv = rand(10000, 10, seed=2147483645)
    G = Graph(m, directed=True)
    G.add_edge(hv[0], hv[1])
    G.add_edge(hv[0], hv[2])
    G.add_edge(hv[1], hv[2])
    assert int(np.argmax(cos(m, G.node_neighbors(hv[1]), hv))) == 2
    assert cos(m, G.node_neighbors(hv[1]), hv)[2] > 0.5
    assert cos(m, G.node_neighbors(hv[0]), hv)[2] > 0.5
    assert cos(m, G.node_neighbors(hv[0]), hv)[1] > 0.5
    assert cos(m, G.node_neighbors(hv[2]), hv)[1] < 0.5
    assert cos(m, G.node_neighbors(hv[2]), hv)[0] < 0.5
    assert cos(m, G.node_neighbors(hv[1]), hv)[0] < 0.5
    G1 = Graph(m)
    G1.add_edge(hv[0], hv[1])
    G1.add_edge(hv[0], hv[2])
    G1.add_edge(hv[1], hv[2])
    for a, b in [(1, 0), (0, 1), (0, 2), (2, 0), (1, 2), (2, 1)]:
        assert cos(m, G1.node_neighbors(hv[a]), hv)[b] > 0.5


def test_graph_contains_separates_edges():
    """structures/test_graph.py::TestGraph::test_contains, adapted: Torchhd scores an edge by the dot product
    over the dimension (about 1 per stored edge, threshold 0.6); hdvec's ``contains`` / ``has_edge`` is the
    cosine, as for every structure, so with 3 stored edges a stored edge scores about 1/sqrt(3) (> 0.45) and
    an absent or reversed one about 0 (< 0.15)."""
    m = map_(1000)
    hv = rand(1000, 4, seed=2147483645)
    G = Graph(m)
    e1, e2, e3 = (G.encode_edge(hv[a], hv[b]) for a, b in [(0, 1), (0, 2), (2, 3)])
    G.add_edge(hv[[0, 0, 1]], hv[[1, 2, 2]])
    assert G.contains(e1) > 0.45 and G.contains(e2) > 0.45 and abs(G.contains(e3)) < 0.15
    GD = Graph(m, directed=True)
    ee = [GD.encode_edge(hv[a], hv[b]) for a, b in [(0, 1), (0, 2), (2, 3), (1, 0)]]
    GD.add_edge(hv[[0, 0, 3]], hv[[1, 2, 1]])
    assert GD.contains(ee[0]) > 0.45 and GD.contains(ee[1]) > 0.45
    assert abs(GD.contains(ee[2])) < 0.15 and abs(GD.contains(ee[3])) < 0.15


def test_graph_clear_and_from_edges():
    """structures/test_graph.py::TestGraph::test_clear and ::test_from_edges (neighbours of node 0 are 1 and 2)."""
    m8 = map_(8)
    hv = rand(8, 4, seed=2147483645)
    G = Graph(m8)
    G.add_edge(hv[[0, 0, 1]], hv[[1, 2, 2]])
    G.clear()
    assert np.array_equal(G.value, np.zeros(8))
    m = map_(1000)
    hv = rand(1000, 4, seed=2147483645)
    G = Graph.from_edges(m, hv, np.array([[0, 1], [0, 2], [1, 2]]))
    s = cos(m, G.node_neighbors(hv[0]), hv)
    assert s[0] < 0.5 and s[1] > 0.5 and s[2] > 0.5 and s[3] < 0.5


# ---------------------------------------------------------------- structures/test_tree.py


def test_tree():
    """structures/test_tree.py::TestTree::test_creation_dim, ::test_add_leaf, ::test_get_leaf and ::test_clear."""
    m = map_(10000)
    T = Tree(m)
    assert np.array_equal(T.value, np.zeros(10000))
    hv = rand(10000)
    T.add_leaf(hv[0], ["l", "l"])
    assert int(np.argmax(cos(m, T.get_leaf(["l", "l"]), hv))) == 0
    T.add_leaf(hv[1], ["l", "r"])
    assert int(np.argmax(cos(m, T.get_leaf(["l", "r"]), hv))) == 1
    assert int(np.argmax(cos(m, T.get_leaf(["l", "l"]), hv))) == 0
    T.clear()
    assert np.array_equal(T.value, np.zeros(10000))


# ---------------------------------------------------------------- structures/test_fsa.py


def test_fsa_add_transition():
    """structures/test_fsa.py::TestFSA::test_creation_dim and ::test_add_transition (exact values)."""
    m = map_(10)
    F = FiniteStateAutomaton(m)
    assert np.array_equal(F.value, np.zeros(10))
    F.add_transition(TOKENS[0], STATES[1], STATES[2])
    assert np.array_equal(F.value, [-1, -1, 1, -1, -1, 1, 1, 1, -1, -1])
    F.add_transition(TOKENS[1], STATES[1], STATES[3])
    assert np.array_equal(F.value, [-2, 0, 2, 0, -2, 2, 0, 0, 0, -2])
    F.add_transition(TOKENS[2], STATES[1], STATES[3])
    assert np.array_equal(F.value, [-1, -1, 1, -1, -3, 1, -1, 1, -1, -1])


def test_fsa_transition_and_clear():
    """structures/test_fsa.py::TestFSA::test_transition and ::test_clear (d=10: next states 2, 3, 5 decode)."""
    m = map_(10)
    F = FiniteStateAutomaton(m)
    F.add_transition(TOKENS[0], STATES[1], STATES[2])
    F.add_transition(TOKENS[1], STATES[1], STATES[3])
    F.add_transition(TOKENS[2], STATES[1], STATES[5])
    for t, s in [(0, 2), (1, 3), (2, 5)]:
        assert int(np.argmax(cos(m, F.transition(STATES[1], TOKENS[t]), STATES))) == s
    F.clear()
    assert np.array_equal(F.value, np.zeros(10))


def test_order_structures_refuse_hrr():
    """Documented difference (not a Torchhd test): where permute must mark order inside a bind, hdvec raises
    TypeError for HRR, while Torchhd computes an order-free result."""
    h = hdc.HRR(64, seed=0)
    x = h.random(4)
    for build in (lambda: BindSequence(h), lambda: Tree(h), lambda: FiniteStateAutomaton(h),
                  lambda: Graph(h, directed=True), lambda: hdc.ngrams(h, x, 2),
                  lambda: hdc.sequence(h, x, mode="bind"), lambda: hdc.graph(h, x, [[0, 1]], directed=True)):
        with pytest.raises(TypeError):
            build()


# ---------------------------------------------------------------- structures/test_memory.py (-> ItemMemory)


def test_memory_creation_add_index():
    """structures/test_memory.py::TestMemory::test_creation, ::test_add and ::test_index
    (stored vectors are returned unchanged; a stored vector finds its own entry)."""
    m = map_(10000)
    keys = rand(10000)
    mem = hdc.ItemMemory(m)
    assert mem.keys == [] and len(mem) == 0
    mem.add(LETTERS[:3], keys[:3])
    assert mem.keys == LETTERS[:3]
    assert np.array_equal(mem.vectors, keys[:3])
    _, rows = mem.cleanup(keys[:3])
    assert rows[:, 0].tolist() == [0, 1, 2]


def test_memory_length_getitem_setitem_delitem():
    """structures/test_memory.py::TestMemory::test_length, ::test_getitem, ::test_setitem and ::test_delitem.

    Adaptation: a Torchhd entry is (vector -> value); here the value is the symbol, looked up from the vector.
    Setting: storing another vector under an existing symbol replaces it without growing the memory.
    """
    m = map_(10000)
    keys = rand(10000)
    mem = hdc.ItemMemory(m)
    mem.add(LETTERS[:3], keys[:3])
    assert len(mem) == 3
    assert mem.lookup(keys[:3]) == LETTERS[:3]
    mem.add(["a"], keys[3:4])
    assert len(mem) == 3 and mem.lookup(keys[3:4]) == ["a"]
    mem.remove(["a"])
    assert len(mem) == 2 and "a" not in mem
    assert mem.lookup(keys[1:3]) == ["b", "c"]
    mem.add(["a"], keys[:1])
    assert len(mem) == 3


# ---------------------------------------------------------------- test_encodings.py (upstream)

ENC4 = signs("+--+ --++ -+++ -++-")
BSC5 = np.array([[1, 0, 0, 1, 0, 0, 0, 0, 0, 0], [1, 0, 0, 1, 0, 0, 1, 0, 1, 1], [1, 0, 0, 0, 1, 0, 1, 0, 1, 1],
                 [0, 0, 0, 0, 1, 0, 0, 1, 0, 0], [1, 1, 0, 1, 1, 0, 1, 1, 0, 0]], bool)
MAP5 = np.array([[1, 1, -1, 1, -1, 1, -1, 1, -1, 1], [1, -1, -1, 1, 1, -1, 1, -1, 1, -1],
                 [-1, 1, -1, 1, 1, 1, 1, -1, -1, -1], [1, 1, -1, -1, 1, -1, 1, 1, 1, 1],
                 [1, 1, -1, -1, -1, 1, -1, 1, -1, 1]], np.float32)


def test_encodings_multiset():
    """test_encodings.py::TestMultiset::test_value (BSC majority [1,0,0,1,1,0,1,0,0,0]; MAP sum) and ::test_dtype."""
    bsc = hdc.BSC(10, seed=0)
    res = hdc.multiset(bsc, hdc.pack_bits(BSC5))
    assert np.array_equal(hdc.unpack_bits(res, 10), [1, 0, 0, 1, 1, 0, 1, 0, 0, 0])
    res = hdc.multiset(hdc.MAP(10), MAP5)
    assert np.array_equal(res, [3, 3, -5, 1, 1, 1, 1, 1, -1, 1]) and res.dtype == np.float32
    assert hdc.multiset(hdc.MAP(1000), np.zeros((23, 1000), np.float32)).dtype == np.float32


def test_encodings_multibind():
    """test_encodings.py::TestMultibind::test_value (BSC XOR [0,1,0,1,1,0,1,0,0,0]; MAP product)."""
    res = ops.multibind(hdc.BSC(10), hdc.pack_bits(BSC5))
    assert np.array_equal(hdc.unpack_bits(res, 10), [0, 1, 0, 1, 1, 0, 1, 0, 0, 0])
    res = ops.multibind(hdc.MAP(10), MAP5)
    assert np.array_equal(res, [-1, -1, -1, 1, 1, 1, 1, 1, -1, 1]) and res.dtype == np.float32


def test_encodings_cross_product():
    """test_encodings.py::TestCrossProduct::test_value (zeros -> zeros; [0, 2, 0, 6]; dtype kept)."""
    m = hdc.MAP(1000)
    z = np.zeros((4, 1000), np.float32)
    assert np.all(ops.cross_product(m, z, z) == 0)
    a = signs("+--+ --++ -+++")
    b = signs("+--+ --++")
    res = ops.cross_product(hdc.MAP(4), a, b)
    assert np.array_equal(res, [0, 2, 0, 6]) and res.dtype == a.dtype


def test_encodings_ngrams():
    """test_encodings.py::TestNgrams::test_value (zeros -> zeros; trigrams [0, -2, -2, 0]; dtype kept)."""
    assert np.all(hdc.ngrams(hdc.MAP(1000), np.zeros((4, 1000), np.float32)) == 0)
    res = hdc.ngrams(hdc.MAP(4), ENC4)
    assert np.array_equal(res, [0, -2, -2, 0]) and res.dtype == ENC4.dtype


def test_encodings_hash_table():
    """test_encodings.py::TestHashTable::test_value (zeros -> zeros; [0, -2, 0, 0])."""
    z = np.zeros((4, 1000), np.float32)
    assert np.all(hdc.hash_table(hdc.MAP(1000), z, z) == 0)
    res = hdc.hash_table(hdc.MAP(4), signs("+--+ --++"), signs("-+++ -++-"))
    assert np.array_equal(res, [0, -2, 0, 0]) and res.dtype == np.float32


def test_encodings_bundle_and_bind_sequence():
    """test_encodings.py::TestBundleSequence::test_value ([0, 0, 2, 0]) and ::TestBindSequence::test_value
    ([1, 1, -1, 1]); zeros map to zeros."""
    z = np.zeros((4, 1000), np.float32)
    m4 = hdc.MAP(4)
    assert np.all(hdc.sequence(hdc.MAP(1000), z) == 0)
    assert np.all(hdc.sequence(hdc.MAP(1000), z, mode="bind") == 0)
    assert np.array_equal(hdc.sequence(m4, ENC4), [0, 0, 2, 0])
    assert np.array_equal(hdc.sequence(m4, ENC4, mode="bind"), [1, 1, -1, 1])


def test_encodings_graph():
    """test_encodings.py::TestGraph::test_value (edges A-B, B-C, C-A: undirected [-1, -1, -1, 3],
    directed [-1, 3, 1, 1]). Adaptation: hdvec takes node vectors plus integer edges instead of a
    (2, n_edges, d) tensor of endpoint vectors."""
    nodes = signs("+--+ --++ -+++")
    edges = [[0, 1], [1, 2], [2, 0]]
    m = hdc.MAP(4)
    assert np.array_equal(hdc.graph(m, nodes, edges), [-1, -1, -1, 3])
    assert np.array_equal(hdc.graph(m, nodes, edges, directed=True), [-1, 3, 1, 1])
    assert np.all(hdc.graph(hdc.MAP(1000), np.zeros((4, 1000), np.float32), edges) == 0)


@pytest.mark.parametrize("device", DEVICES)
def test_encodings_device(device):
    """test_encodings.py::Test{Multiset,Multibind,CrossProduct,Ngrams,HashTable,BundleSequence,BindSequence,Graph}::test_device."""
    m = hdc.MAP(10000)
    hv = m.random(11, device=device)
    outs = [hdc.multiset(m, hv), ops.multibind(m, hv), ops.cross_product(m, hv, hv), hdc.ngrams(m, hv),
            hdc.hash_table(m, hv, hv), hdc.sequence(m, hv), hdc.sequence(m, hv, mode="bind"),
            hdc.graph(m, hv, torch.tensor([[0, 1], [1, 2]]))]
    assert all(o.device.type == device for o in outs)


# ---------------------------------------------------------------- test_memory.py (upstream)


def test_sdm_shape():
    """test_memory.py::TestSparseDistributed::test_shape (1000 locations, 67-d keys, 123-d values: the read-back
    signs are the value or all zero)."""
    keys = hdc.MAP(67).random(1, seed=1)[0]
    values = hdc.MAP(123).random(1, seed=2)[0]
    mem = SparseDistributedMemory(hdc.MAP(67), 1000, value_model=hdc.MAP(123), seed=0)
    mem.write(keys, values)
    read = np.sign(mem.read(keys, binarize=False))
    assert read.shape == values.shape
    assert np.array_equal(read, values) or np.all(read == 0)


@pytest.mark.parametrize("device", DEVICES)
def test_sdm_device(device):
    """test_memory.py::TestSparseDistributed::test_device (kappa 3; 5 keys of 35, values of 74)."""
    mem = SparseDistributedMemory(hdc.MAP(35), 1000, value_model=hdc.MAP(74), kappa=3, seed=0, device=device)
    keys = hdc.MAP(35).random(5, device=device)
    values = hdc.MAP(74).random(5, device=device)
    mem.write(keys, values)
    read = mem.read(keys)
    assert read.device.type == device and tuple(read.shape) == tuple(values.shape)


def test_hopfield_recall():
    """test_memory.py::TestHopfieldFn::test_shape and ::TestHopfieldClass::test_shape (one stored 67-d pattern is read back)."""
    m = hdc.MAP(67)
    items = m.random(1, seed=3)
    net = Hopfield(m)
    net.write(items)
    read = net.recall(items)
    assert read.shape == items.shape and np.array_equal(np.sign(read), items)


@pytest.mark.parametrize("device", DEVICES)
def test_hopfield_device(device):
    """test_memory.py::TestHopfieldFn::test_device and ::TestHopfieldClass::test_device (kappa 4; 10 x 67)."""
    m = hdc.MAP(67)
    net = Hopfield(m, kappa=4, device=device)
    items = m.random(10, device=device)
    net.write(items)
    read = net.recall(items)
    assert read.device.type == device and tuple(read.shape) == tuple(items.shape)


def test_modern_hopfield():
    """test_memory.py::TestModernHopfield::test_shape (one query of 67 against one stored pattern -> (67,), that pattern)."""
    items = hdc.MAP(67).random(1, seed=4)
    read = np.sign(modern_hopfield(items[0], items))
    assert read.shape == (67,) and np.array_equal(read, items[0])


@pytest.mark.parametrize("device", DEVICES)
def test_modern_hopfield_device(device):
    """test_memory.py::TestModernHopfield::test_device (10 x 67 on the device)."""
    items = hdc.MAP(67).random(10, device=device)
    read = modern_hopfield(items, items)
    assert read.device.type == device and tuple(read.shape) == (10, 67)
