"""HRR and order: a cyclic shift commutes with circular convolution, so the order-marking builders refuse HRR."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from hdvec import hdc
from hdvec.hdc.collections import (
    BindSequence,
    FiniteStateAutomaton,
    Graph,
    Multiset,
    Tree,
)

D = 64
HRR_MSG = "does not apply to HRR: a cyclic shift commutes with circular convolution"


def circular_convolution(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Plain definition, no FFT: ``c[k] = sum_j a[j] b[(k - j) mod D]``."""
    d = a.shape[-1]
    return b[(np.arange(d)[:, None] - np.arange(d)[None, :]) % d] @ a


def bind_chain_numpy(xs: list[np.ndarray]) -> np.ndarray:
    """``bind_i roll(x_i, n - 1 - i)`` with circular convolution: what sequence(mode="bind") builds for HRR."""
    n = len(xs)
    out = np.roll(xs[0], n - 1)
    for i in range(1, n):
        out = circular_convolution(out, np.roll(xs[i], n - 1 - i))
    return out


def test_the_order_loss_is_real_in_plain_numpy():
    rng = np.random.default_rng(0)
    a, b, c = rng.standard_normal((3, D)) / np.sqrt(D)
    # the identity behind it: shifting an operand shifts the convolution
    lhs = circular_convolution(circular_convolution(np.roll(a, 2), np.roll(b, 1)), c)
    rhs = np.roll(circular_convolution(circular_convolution(a, b), c), 3)
    np.testing.assert_allclose(lhs, rhs, atol=1e-12)
    # so every order of the same elements gives the same bind chain (a 3-gram, a bind sequence) ...
    chains = [bind_chain_numpy(list(p)) for p in itertools.permutations([a, b, c])]
    for other in chains[1:]:
        np.testing.assert_allclose(other, chains[0], atol=1e-12)
    # ... and a directed edge is the same both ways
    np.testing.assert_allclose(circular_convolution(a, np.roll(b, 1)), circular_convolution(b, np.roll(a, 1)),
                               atol=1e-12)


def test_the_library_hrr_is_that_algebra():
    m = hdc.HRR(D, seed=0)
    a, b = m.random(2)
    np.testing.assert_allclose(m.bind(a, b), circular_convolution(a, b), atol=1e-5)
    np.testing.assert_array_equal(m.permute(a, 2), np.roll(a, 2))
    np.testing.assert_allclose(m.bind(m.permute(a, 2), m.permute(b, 1)), m.permute(m.bind(a, b), 3), atol=1e-5)


@pytest.mark.parametrize("build, what", [
    (lambda m, x: hdc.sequence(m, x, mode="bind"), r"sequence\(mode='bind'\)"),
    (lambda m, x: hdc.sequence(m, x[:1], mode="bind"), r"sequence\(mode='bind'\)"),
    (lambda m, x: hdc.ngrams(m, x, 2), r"ngrams\(n=2\)"),
    (lambda m, x: hdc.ngrams(m, x), r"ngrams\(n=3\)"),
    (lambda m, x: hdc.graph(m, x, np.array([[0, 1], [1, 2]]), directed=True), r"graph\(directed=True\)"),
    (lambda m, x: Multiset.from_ngrams(m, x, 2), r"Multiset.from_ngrams\(n=2\)"),
    (lambda m, x: BindSequence(m), "BindSequence"),
    (lambda m, x: Graph(m, directed=True), "Graph"),
    (lambda m, x: Tree(m), "Tree"),
    (lambda m, x: FiniteStateAutomaton(m), "FiniteStateAutomaton"),
])
def test_order_marking_builders_refuse_hrr(build, what):
    m = hdc.HRR(D, seed=0)
    x = m.random(5)
    with pytest.raises(TypeError, match=f"{what} {HRR_MSG}.*use FHRR, MAP or BSC"):
        build(m, x)


def test_hrr_keeps_what_does_not_bind_permuted_vectors():
    m = hdc.HRR(1024, seed=0)
    x = m.random(5)
    seq = hdc.sequence(m, x)  # bundle: the shift marks the position, nothing commutes it away
    np.testing.assert_allclose(seq, m.bundle(np.stack([m.permute(x[i], 4 - i) for i in range(5)])), atol=1e-6)
    assert float(m.similarity(seq, hdc.sequence(m, x[::-1]))) < 0.5
    np.testing.assert_allclose(hdc.ngrams(m, x, 1), m.bundle(x), atol=1e-6)
    np.testing.assert_allclose(Multiset.from_ngrams(m, x, 1).value, m.bundle(x), atol=1e-5)
    g = hdc.graph(m, x, np.array([[0, 1], [1, 2]]))
    np.testing.assert_allclose(g, m.bundle(m.bind(x[[0, 1]], x[[1, 2]])), atol=1e-6)
    assert hdc.hash_table(m, x[:2], x[2:4]).shape == (1024,)


@pytest.mark.parametrize("model", [hdc.MAP(2048, seed=0), hdc.MAP(2048, dtype="int8", seed=0),
                                   hdc.FHRR(2048, seed=0), hdc.BSC(2048, seed=0)])
def test_other_models_keep_the_order(model):
    x = model.random(3)
    swapped = x[[1, 0, 2]]
    chain = hdc.sequence(model, x, mode="bind")
    expect = model.permute(x[0], 2)
    for i in (1, 2):
        expect = model.bind(expect, model.permute(x[i], 2 - i))
    np.testing.assert_allclose(chain, expect, atol=1e-5)
    assert abs(float(model.similarity(chain, hdc.sequence(model, swapped, mode="bind")))) < 0.2
    assert float(model.similarity(hdc.ngrams(model, x, 2), hdc.ngrams(model, swapped, 2))) < 0.8
    fwd = hdc.graph(model, x, np.array([[0, 1]]), directed=True)
    back = hdc.graph(model, x, np.array([[1, 0]]), directed=True)
    assert abs(float(model.similarity(fwd, back))) < 0.2
    assert Multiset.from_ngrams(model, x, 2).value.shape[-1] == model.width
    assert len(BindSequence.from_tensor(model, x)) == 3


def test_mbat_is_still_refused_by_from_ngrams():
    m = hdc.MBAT(256, seed=0)
    with pytest.raises(TypeError, match="MBAT binds a Role"):
        Multiset.from_ngrams(m, m.random(4), 1)
