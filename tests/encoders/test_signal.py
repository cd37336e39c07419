"""Signal (EMG windows) against a plain NumPy reference."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hdvec.encoders import Signal

from ..conftest import as_numpy, cuda
from .test_features import EXPECTED_FAILED, finish, levels_of, pack, ref_level_draws

DEVICES = ["cpu", pytest.param("cuda", marks=[pytest.mark.cuda, cuda])]


def ref_signal(X3, Xfit3, seed, dim, levels, ngram, model):
    """Records per step (ties from the tie-break vector), n-grams of rolled records, window bundle."""
    n, T, C = X3.shape
    keys, codebook, tb = ref_level_draws(seed, C, dim, levels)
    flat = Xfit3.reshape(-1, C)
    idx = levels_of(X3, flat.min(0), flat.max(0), levels - 1)
    sums = np.zeros((n, dim), np.int64)
    for i in range(n):
        rec = []
        for t in range(T):
            s = sum(keys[c].astype(np.int64) * codebook[idx[i, t, c]] for c in range(C))
            rec.append(np.where(s > 0, 1, np.where(s < 0, -1, tb)))
        for t in range(T - ngram + 1):
            g = np.ones(dim, np.int64)
            for j in range(ngram):
                g *= np.roll(rec[t + j], ngram - 1 - j)
            sums[i] += g
    return finish(sums, tb, model)


@st.composite
def windows(draw):
    n = draw(st.integers(1, 4))
    C = draw(st.integers(1, 4))
    ngram = draw(st.integers(1, 4))
    T = draw(st.integers(ngram, ngram + 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    X = rng.integers(0, 6, size=(n, T, C)).astype(np.float64) if draw(st.booleans()) else rng.normal(size=(n, T, C))
    return X.astype(draw(st.sampled_from([np.float32, np.float64]))), ngram


@settings(deadline=None, max_examples=25)
@given(data=windows(), dim=st.sampled_from([1, 5, 64, 100, 130]), seed=st.integers(0, 2**16),
       levels=st.integers(2, 8), model=st.sampled_from(["map", "bsc"]))
def test_signal_matches_reference(data, dim, seed, levels, model):
    X3, ngram = data
    n, T, C = X3.shape
    enc = Signal(dim, channels=C, levels=levels, ngram=ngram, model=model, seed=seed)
    out = enc.fit(X3.reshape(n, T * C)).transform(X3.reshape(n, T * C))
    np.testing.assert_array_equal(out, ref_signal(X3, X3, seed, dim, levels, ngram, model))
    np.testing.assert_array_equal(enc.transform(X3), out)  # 3-D input: the same windows
    assert out.dtype == (np.float32 if model == "map" else np.uint64)
    assert enc.n_features_in_ == T * C and enc.n_steps_ == T and enc.low_.shape == (C,)


def test_signal_at_scale(rng):
    X3 = rng.normal(size=(6, 12, 4))
    for model in ("map", "bsc"):
        out = Signal(10_000, channels=4, model=model, seed=1).fit(X3).transform(X3)
        np.testing.assert_array_equal(out, ref_signal(X3, X3, 1, 10_000, 21, 4, model))


def test_bsc_window_is_the_packed_map_window(rng):
    X = rng.normal(size=(20, 6, 2))
    m = Signal(256, channels=2, ngram=1, seed=3).fit_transform(X)
    b = Signal(256, channels=2, ngram=1, model="bsc", seed=3).fit(X)
    assert (m == 0).any()
    np.testing.assert_array_equal(b.transform(X), pack((m < 0) | ((m == 0) & (b.tiebreak_ < 0))))


def test_ranges_are_per_channel(rng):
    X = rng.random((5, 7, 3)) * np.array([1.0, 10.0, 100.0])
    enc = Signal(64, channels=3, ngram=2, seed=0).fit(X)
    np.testing.assert_array_equal(enc.low_, X.reshape(-1, 3).min(0))
    np.testing.assert_array_equal(enc.high_, X.reshape(-1, 3).max(0))
    assert enc.low_.dtype == np.float64


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("model", ["map", "bsc"])
def test_torch_matches_numpy(model, device, rng):
    torch = pytest.importorskip("torch")
    X = rng.normal(size=(9, 10, 4)).astype(np.float32)
    expected = Signal(300, channels=4, ngram=3, model=model, seed=7).fit(X).transform(X)
    enc = Signal(300, channels=4, ngram=3, model=model, seed=7).fit(torch.from_numpy(X).to(device))
    out = enc.transform(torch.from_numpy(X.reshape(9, 40)).to(device))
    assert isinstance(out, torch.Tensor) and out.device.type == device
    np.testing.assert_array_equal(as_numpy(out), expected)


def test_seeds(rng):
    X = rng.random((4, 8, 2))
    a = Signal(128, channels=2, seed=0).fit_transform(X)
    np.testing.assert_array_equal(a, Signal(128, channels=2, seed=0).fit_transform(X))
    assert not np.array_equal(a, Signal(128, channels=2, seed=1).fit_transform(X))


def test_clip(rng):
    X = rng.random((4, 8, 2))
    enc = Signal(128, channels=2, seed=0).fit(X)
    wild = X * 3 - 1
    np.testing.assert_array_equal(enc.transform(wild), enc.transform(np.clip(wild, enc.low_, enc.high_)))
    strict = Signal(128, channels=2, clip=False, seed=0).fit(X)
    bad = X.copy()
    bad[1, 2, 1] = -4.5
    with pytest.raises(ValueError, match=r"-4\.5 in feature 5 .*clip=True"):
        strict.transform(bad)


def test_errors(rng):
    from sklearn.exceptions import NotFittedError

    X = rng.random((4, 8, 2))
    with pytest.raises(NotFittedError):
        Signal(64, channels=2).transform(X)
    with pytest.raises(ValueError, match="T >= ngram = 4 time steps; got T = 3"):
        Signal(64, channels=2).fit(X[:, :3])
    with pytest.raises(ValueError, match="T \\* channels features with channels=2; got 15"):
        Signal(64, channels=2).fit(X.reshape(4, 16)[:, :15])
    with pytest.raises(ValueError, match="2 channels on its last axis"):
        Signal(64, channels=2).fit(rng.random((4, 8, 3)))
    enc = Signal(64, channels=2, seed=0).fit(X)
    with pytest.raises(ValueError, match="X has 12 features, but Signal is expecting 16 features"):
        enc.transform(X[:, :6])
    with pytest.raises(ValueError, match="finite"):
        enc.transform(np.where(X > 0.5, np.nan, X))
    with pytest.raises(TypeError, match="`channels` must be an int"):
        Signal(64, channels=None)
    with pytest.raises(ValueError, match="`ngram` must be >= 1; got 0"):
        Signal(64, channels=2, ngram=0)
    with pytest.raises(ValueError, match="`model`"):
        Signal(64, channels=2, model="MAP")
    with pytest.raises(TypeError, match="missing 1 required keyword-only argument: 'channels'"):
        Signal(64)


def test_check_estimator():
    from sklearn.utils.estimator_checks import check_estimator

    # one channel and 1-grams: any number of features is a valid window (scikit-learn's checks use many)
    check_estimator(Signal(256, channels=1, ngram=1, seed=0), expected_failed_checks=EXPECTED_FAILED)
    check_estimator(Signal(256, channels=1, ngram=1, model="bsc", clip=False, seed=0),
                    expected_failed_checks=EXPECTED_FAILED)
