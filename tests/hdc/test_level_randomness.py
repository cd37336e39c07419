"""Level(randomness=r): Torchhd's spans of interpolated random vectors, against a loop written as Torchhd's."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hdvec import hdc
from hdvec._validation import as_rng
from hdvec.hdc.scalars import _components, _vectors


def reference(model, n, seed, r):
    """Torchhd's loop: span i // lps, level within it i % lps; the draws in hdvec's order (end, end, threshold, ...)."""
    rng = as_rng(seed)
    lps = (1 - r) * (n - 1) + r
    n_spans = int(math.ceil((n - 1) / lps - 1e-9))
    ends = [_components(model, model._draw(rng, ())) for _ in range(2)]
    th = [rng.random(ends[0].shape)]
    for _ in range(1, n_spans):
        ends.append(_components(model, model._draw(rng, ())))
        th.append(rng.random(ends[0].shape))
    rows = []
    for i in range(n):
        s = min(int(i / lps + 1e-9), n_spans)
        w = i / lps - s
        w = 0.0 if abs(w) < 1e-9 else w
        rows.append(ends[s] if s == n_spans else np.where(th[s] < w, ends[s + 1], ends[s]))
    return _vectors(model, np.stack(rows))


@settings(deadline=None, max_examples=25)
@given(n=st.integers(2, 40), r=st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.9, 1.0]), seed=st.integers(0, 2**31 - 1),
       name=st.sampled_from(["MAP", "BSC", "FHRR"]))
def test_level_randomness_matches_the_reference(n, r, seed, name):
    model = getattr(hdc, name)(256, seed=0)
    np.testing.assert_array_equal(hdc.Level(model, n, seed=seed, randomness=r).codebook, reference(model, n, seed, r))


def test_randomness_zero_is_the_plain_level_and_one_makes_levels_independent():
    m = hdc.MAP(4000, seed=0)
    plain = hdc.Level(m, 9, seed=1).codebook
    np.testing.assert_array_equal(hdc.Level(m, 9, seed=1, randomness=0.0).codebook, plain)
    rand = hdc.Level(m, 9, seed=1, randomness=1.0).codebook
    sims = np.asarray(m.similarity(rand, rand))[~np.eye(9, dtype=bool)]
    assert np.abs(sims).max() < 0.1  # independent random vectors at D = 4000: |cos| ~ 1/sqrt(D)
    half = np.asarray(m.similarity(hdc.Level(m, 9, seed=1, randomness=0.5).codebook[0],
                                   hdc.Level(m, 9, seed=1, randomness=0.5).codebook))
    assert half[1] > 0.6 and abs(half[-1]) < 0.1


@pytest.mark.parametrize("bad, err", [(-0.1, ValueError), (1.5, ValueError), ("x", TypeError), (True, TypeError)])
def test_bad_randomness_is_refused(bad, err):
    with pytest.raises(err, match="randomness"):
        hdc.Level(hdc.MAP(64), 5, randomness=bad)
