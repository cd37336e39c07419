"""Circular(randomness=r): Torchhd's circular construction, against its loop written in plain NumPy."""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hdvec import hdc
from hdvec._validation import as_rng
from hdvec.hdc.scalars import _components, _vectors

MODELS = {"MAP": lambda d: hdc.MAP(d, seed=0), "MAP-int8": lambda d: hdc.MAP(d, dtype="int8", seed=0),
          "BSC": lambda d: hdc.BSC(d, seed=0), "FHRR": lambda d: hdc.FHRR(d, seed=0),
          "MCR": lambda d: hdc.MCR(d, block_size=16, seed=0)}


def _algebra(model):
    """Componentwise bind and inverse in component form (bits for BSC), in plain NumPy."""
    if isinstance(model, hdc.BSC):
        return np.bitwise_xor, lambda a: a
    if isinstance(model, hdc.FHRR):
        return np.multiply, np.conj
    if isinstance(model, hdc.MAP):
        return np.multiply, lambda a: a  # bipolar: its own inverse
    q = model.block_size
    return (lambda a, b: ((a.astype(np.int64) + b) % q).astype(a.dtype)), (lambda a: ((-a.astype(np.int64)) % q)
                                                                          .astype(a.dtype))


def reference(model, n, seed, r):
    """Torchhd's ``functional.circular`` loop (mutation history, walk back), with hdvec's draws and thresholds."""
    bind, inverse = _algebra(model)
    rng = as_rng(seed)
    lps = ((1 - r) * (n / 2) + r) * 2  # levels per span, in half-level steps
    n_spans = math.ceil(n / lps - 1e-9)
    ends = [_components(model, model._draw(rng, ())) for _ in range(2)]
    th = [rng.random(ends[0].shape)]
    for _ in range(1, n_spans):
        ends.append(_components(model, model._draw(rng, ())))
        th.append(rng.random(ends[0].shape))

    def walk(i):
        s = min(int(i / lps + 1e-9), n_spans)
        w = max(i / lps - s, 0.0)
        return ends[s] if s == n_spans else np.where(th[s] < w, ends[s + 1], ends[s])

    hv = [None] * n
    hv[0] = mutation = ends[0]
    history = deque()
    for i in range(1, n + 1):
        temp = walk(i)
        history.append(bind(temp, inverse(mutation)))
        mutation = temp
        if i % 2 == 0:
            hv[i // 2] = mutation
    for i in range(n + 1, 2 * n - 1):
        mutation = bind(mutation, inverse(history.popleft()))
        if i % 2 == 0:
            hv[i // 2] = mutation
    return _vectors(model, np.stack(hv))


def circular_before_randomness(model, n, seed):
    """Circular as it was before ``randomness``: a -> b in the first half, back in the same order."""
    rng = as_rng(seed)
    a, b = (_components(model, model._draw(rng, ())) for _ in range(2))
    u = rng.random(a.shape)
    pos = (np.arange(n) / n * 2.0)[:, None]
    on_b = np.where(pos <= 1.0, u[None, :] < pos, u[None, :] >= pos - 1.0)
    return _vectors(model, np.where(on_b, b[None, :], a[None, :]))


@settings(deadline=None, max_examples=30)
@given(n=st.integers(2, 30), r=st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0]), seed=st.integers(0, 2**31 - 1),
       name=st.sampled_from(sorted(MODELS)))
def test_circular_randomness_matches_torchhds_loop(n, r, seed, name):
    model = MODELS[name](256)
    got = hdc.Circular(model, n, seed=seed, randomness=r).codebook
    ref = reference(model, n, seed, r)
    assert got.dtype == ref.dtype and got.shape == ref.shape == (n, model.width)
    if name == "FHRR":  # the loop multiplies phasors one change at a time: rounding only
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-4)
    else:
        np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize("n", [2, 3, 8, 9, 33])
@pytest.mark.parametrize("name", ["MAP", "MAP-int8", "BSC", "FHRR", "MCR", "HRR"])
def test_randomness_zero_is_bit_for_bit_the_circular_before_it(n, name):
    model = hdc.HRR(256, seed=0) if name == "HRR" else MODELS[name](256)
    before = circular_before_randomness(model, n, seed=7)
    np.testing.assert_array_equal(hdc.Circular(model, n, seed=7).codebook, before)
    np.testing.assert_array_equal(hdc.Circular(model, n, seed=7, randomness=0.0).codebook, before)
    np.testing.assert_array_equal(hdc.Circular(model, n, seed=7, randomness=0).codebook, before)


@pytest.mark.parametrize("name", ["MAP", "BSC", "FHRR"])
def test_similarity_profile_is_periodic_and_falls_within_a_span(name):
    model = MODELS[name](8000)
    n = 16
    tol = 5 / math.sqrt(model.dim)
    plain = hdc.Circular(model, n, seed=3).codebook
    s0 = np.asarray(model.similarity(plain[0], plain))
    assert s0[n - 1] > 1 - 2 / n - tol and s0[1] > 1 - 2 / n - tol  # the circle closes
    assert abs(s0[n // 2]) < tol  # the opposite point is quasi-orthogonal

    cb = hdc.Circular(model, n, seed=3, randomness=0.5).codebook
    sims = np.asarray(model.similarity(cb, cb))
    neighbours = sims[np.arange(n), (np.arange(n) + 1) % n]  # includes level n-1 -> level 0
    opposite = sims[np.arange(n), (np.arange(n) + n // 2) % n]
    assert np.all(neighbours > 0.65) and np.all(np.abs(opposite) < tol)
    assert np.ptp(neighbours) < 2 * tol  # the same step similarity all round the circle
    # a span is (1 - r) n + 2 r = 9 half-level steps: from level 0 similarity falls to ~0 by level 5
    assert np.all(np.diff(sims[0, :5]) < 0) and np.all(np.abs(sims[0, 5:9]) < tol)
    assert sims[0, n - 1] > 0.65 and sims[0, n - 1] > sims[0, n - 2] > sims[0, n - 3]  # and back up before 0

    rand = hdc.Circular(model, n, seed=3, randomness=1.0).codebook
    off = np.asarray(model.similarity(rand, rand))[~np.eye(n, dtype=bool)]
    assert np.abs(off).max() < tol  # independent random vectors


def test_same_seed_same_vectors_and_torch_matches_numpy():
    m = hdc.BSC(500, seed=0)
    a = hdc.Circular(m, 12, seed=5, randomness=0.3)
    np.testing.assert_array_equal(a.codebook, hdc.Circular(m, 12, seed=5, randomness=0.3).codebook)
    assert not np.array_equal(a.codebook, hdc.Circular(m, 12, seed=6, randomness=0.3).codebook)
    torch = pytest.importorskip("torch")
    vals = np.linspace(0, 2 * np.pi, 25)
    vt = a.encode(torch.tensor(vals))
    assert isinstance(vt, torch.Tensor)
    np.testing.assert_array_equal(vt.cpu().numpy(), a.encode(vals))


@pytest.mark.parametrize("bad, err", [(-0.1, ValueError), (1.5, ValueError), (float("nan"), ValueError),
                                      ("x", TypeError), (True, TypeError), (None, TypeError)])
def test_bad_randomness_is_refused(bad, err):
    with pytest.raises(err, match="randomness"):
        hdc.Circular(hdc.MAP(64), 5, randomness=bad)


@pytest.mark.parametrize("model", [hdc.HRR(64, seed=0), hdc.VTB(64, seed=0)])
def test_randomness_needs_componentwise_binding(model):
    with pytest.raises(TypeError, match=f"randomness.*{type(model).__name__}"):
        hdc.Circular(model, 8, randomness=0.5)
    assert hdc.Circular(model, 8, seed=0).codebook.shape == (8, model.width)  # r = 0 needs no binding
