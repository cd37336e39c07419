"""Numeric feature encoders (Projection, Sinusoid, Density, LevelRecord) against plain NumPy references."""

import pickle
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hdvec.encoders import Density, LevelRecord, Projection, Sinusoid

from ..conftest import as_numpy, cuda

DEVICES = ["cpu", pytest.param("cuda", marks=[pytest.mark.cuda, cuda])]
# hdvec's encoders validate their arguments in __init__ (a bad one fails at once), which this check forbids
EXPECTED_FAILED = {"check_do_not_raise_errors_in_init_or_set_params":
                   "hdvec's encoders validate their arguments in __init__ and set_params, so a bad one fails at once"}


# ----------------------------------------------------------------- references
def bipolar(rng, shape):
    """The documented draw: bits rng.integers(0, 2), bit 1 -> -1."""
    return (1 - 2 * rng.integers(0, 2, size=shape, dtype=np.int8)).astype(np.int8)


def pack(bits):
    """bool (n, dim) -> uint64 words, bit i in bit i % 64 of word i // 64 (tail zero)."""
    n, dim = bits.shape
    nw = -(-dim // 64)
    out = np.zeros((n, nw), np.uint64)
    for i in range(dim):
        out[:, i // 64] |= bits[:, i].astype(np.uint64) << np.uint64(i % 64)
    return out


def levels_of(X, low, high, steps):
    span = np.where(high > low, high - low, 1.0)
    v = np.clip(np.asarray(X, np.float64), low, high)
    return np.rint((v - low) / span * steps).astype(np.int64)


def ref_weights(seed, n_features, dim):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((n_features, dim))
    w /= np.linalg.norm(w, axis=0)
    return rng, w.astype(np.float32)


def ref_projection(X, seed, dim, binary):
    _, w = ref_weights(seed, X.shape[1], dim)
    out = X.astype(np.float32) @ w
    return pack(out > 0) if binary else out


def ref_sinusoid(X, seed, dim):
    rng, w = ref_weights(seed, X.shape[1], dim)
    b = rng.uniform(0.0, 2 * np.pi, dim).astype(np.float32)
    p = X.astype(np.float32) @ w
    return np.cos(p + b) * np.sin(p)


def ref_density(X, Xfit, seed, dim):
    keys = bipolar(np.random.default_rng(seed), (X.shape[1], dim))
    idx = levels_of(X, Xfit.min(0), Xfit.max(0), dim)
    therm = np.where(np.arange(dim) < idx[..., None], 1, -1)  # (n, F, dim): Torchhd's thermometer
    return (therm * keys).sum(1).astype(np.float32)


def ref_level_draws(seed, n_keys, dim, levels):
    rng = np.random.default_rng(seed)
    keys = bipolar(rng, (n_keys, dim))
    a, b = bipolar(rng, (2, dim))
    u = rng.random(dim)
    tb = bipolar(rng, (dim,))
    t = np.linspace(0.0, 1.0, levels)
    codebook = np.array([np.where(u < t[lv], b, a) for lv in range(levels)], np.int8)
    return keys, codebook, tb


def finish(sums, tb, model):
    if model == "map":
        return np.sign(sums).astype(np.float32)
    return pack((sums < 0) | ((sums == 0) & (tb < 0)))


def ref_level_record(X, Xfit, seed, dim, levels, model):
    keys, codebook, tb = ref_level_draws(seed, X.shape[1], dim, levels)
    idx = levels_of(X, Xfit.min(0), Xfit.max(0), levels - 1)
    sums = np.zeros((X.shape[0], dim), np.int64)
    for i in range(X.shape[0]):
        for f in range(X.shape[1]):
            sums[i] += keys[f].astype(np.int64) * codebook[idx[i, f]]
    return finish(sums, tb, model)


@st.composite
def data(draw, max_features=5):
    """Seeded (n, F) data: real values, or small integers (exact level ties), with a constant column."""
    n = draw(st.integers(1, 6))
    f = draw(st.integers(1, max_features))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if draw(st.booleans()):
        X = rng.normal(size=(n, f)) * draw(st.sampled_from([0.01, 1.0, 100.0]))
    else:
        X = rng.integers(-3, 5, size=(n, f)).astype(np.float64)
    if draw(st.booleans()):
        X[:, 0] = 1.5  # a constant feature: level 0, no division by zero
    return X.astype(draw(st.sampled_from([np.float32, np.float64])))


dims = st.sampled_from([1, 7, 64, 100, 130])
seeds = st.integers(0, 2**16)


# ----------------------------------------------------------------- against the references
@settings(deadline=None, max_examples=25)
@given(X=data(), dim=dims, seed=seeds, binary=st.booleans())
def test_projection_matches_reference(X, dim, seed, binary):
    out = Projection(dim, binary=binary, seed=seed).fit_transform(X)
    ref = ref_projection(X, seed, dim, binary)
    if binary:
        assert out.dtype == np.uint64 and out.shape == (X.shape[0], -(-dim // 64))
        np.testing.assert_array_equal(out, ref)
    else:
        assert out.dtype == np.float32 and out.shape == (X.shape[0], dim)
        np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5 * max(1.0, float(np.abs(X).max())))


@settings(deadline=None, max_examples=25)
@given(X=data(), dim=dims, seed=seeds)
def test_sinusoid_matches_reference(X, dim, seed):
    X = X / max(1.0, float(np.abs(X).max()))  # keep the phases small: float32 trig stays comparable
    out = Sinusoid(dim, seed=seed).fit_transform(X)
    assert out.dtype == np.float32 and out.shape == (X.shape[0], dim)
    np.testing.assert_allclose(out, ref_sinusoid(X, seed, dim), rtol=1e-5, atol=1e-5)


@settings(deadline=None, max_examples=25)
@given(X=data(), dim=dims, seed=seeds)
def test_density_matches_reference(X, dim, seed):
    enc = Density(dim, seed=seed).fit(X)
    out = enc.transform(X[::-1])
    assert out.dtype == np.float32 and out.shape == (X.shape[0], dim)
    np.testing.assert_array_equal(out, ref_density(X[::-1], X, seed, dim))


@settings(deadline=None, max_examples=25)
@given(X=data(), dim=dims, seed=seeds, levels=st.integers(2, 9), model=st.sampled_from(["map", "bsc"]))
def test_level_record_matches_reference(X, dim, seed, levels, model):
    enc = LevelRecord(dim, levels=levels, model=model, seed=seed).fit(X)
    out = enc.transform(X)
    np.testing.assert_array_equal(out, ref_level_record(X, X, seed, dim, levels, model))
    assert out.dtype == (np.float32 if model == "map" else np.uint64)
    keys, codebook, tb = ref_level_draws(seed, X.shape[1], dim, levels)
    np.testing.assert_array_equal(enc.keys_, keys)
    np.testing.assert_array_equal(enc.codebook_, codebook)
    np.testing.assert_array_equal(enc.tiebreak_, tb)


def test_level_record_matches_reference_at_scale(rng):
    """Many features, many levels, 10,000 bits: the prefix kernel against the direct sum."""
    X = rng.random((20, 300))
    X[:, :100] = np.where(rng.random((20, 100)) < 0.7, 0.0, X[:, :100])  # sparse, MNIST-like columns
    for model in ("map", "bsc"):
        out = LevelRecord(10_000, levels=100, model=model, seed=3).fit(X).transform(X)
        np.testing.assert_array_equal(out, ref_level_record(X, X, 3, 10_000, 100, model))


def test_bsc_record_is_the_packed_map_record(rng):
    X = rng.random((30, 8))  # 8 features: ties happen
    m = LevelRecord(256, levels=5, seed=1).fit_transform(X)
    b = LevelRecord(256, levels=5, model="bsc", seed=1).fit(X)
    words = b.transform(X)
    assert (m == 0).any()
    np.testing.assert_array_equal(words, pack((m < 0) | ((m == 0) & (b.tiebreak_ < 0))))


def test_density_thermometer_ends():
    """Low end: the thermometer is all -1 (-sum of keys); high end: all +1."""
    X = np.array([[0.0, 10.0], [1.0, 20.0]])
    enc = Density(50, seed=0).fit(X)
    out = enc.transform(X)
    np.testing.assert_array_equal(out[0], -enc.keys_.sum(0))
    np.testing.assert_array_equal(out[1], enc.keys_.sum(0))


# ----------------------------------------------------------------- torch
ENCODERS = [
    lambda: Projection(200, seed=5), lambda: Projection(200, binary=True, seed=5), lambda: Sinusoid(200, seed=5),
    lambda: Density(200, seed=5), lambda: LevelRecord(200, levels=7, seed=5),
    lambda: LevelRecord(200, levels=7, model="bsc", seed=5), lambda: LevelRecord(200, levels=7, clip=False, seed=5),
]
EXACT = {1, 3, 4, 5, 6}  # integer-valued or binary outputs: bit-identical on both backends


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("which", range(len(ENCODERS)))
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_torch_matches_numpy(which, device, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(which)
    X = (rng.normal(size=(40, 9)) * 3).astype(dtype)
    expected = ENCODERS[which]().fit(X).transform(X)
    enc = ENCODERS[which]().fit(torch.from_numpy(X).to(device))  # fit on torch: same draws, same ranges
    out = enc.transform(torch.from_numpy(X).to(device))
    assert isinstance(out, torch.Tensor) and out.device.type == device
    assert str(out.dtype).replace("torch.", "") == str(expected.dtype)
    if which in EXACT:
        np.testing.assert_array_equal(as_numpy(out), expected)
    else:
        np.testing.assert_allclose(as_numpy(out), expected, rtol=1e-5, atol=1e-4)


# ----------------------------------------------------------------- seeds, ranges, errors
@pytest.mark.parametrize("which", range(len(ENCODERS)))
def test_same_seed_same_output_other_seed_differs(which, rng):
    X = rng.random((10, 6))
    a = ENCODERS[which]().fit_transform(X)
    b = ENCODERS[which]().fit_transform(X)
    np.testing.assert_array_equal(a, b)
    other = ENCODERS[which]().set_params(seed=6).fit_transform(X)
    assert not np.array_equal(a, other)
    gen = ENCODERS[which]().set_params(seed=np.random.default_rng(5))
    assert gen.fit_transform(X).shape == a.shape


@pytest.mark.parametrize("cls", [Density, LevelRecord])
def test_clip_rule(cls, rng):
    X = rng.random((12, 5))
    enc = cls(300, seed=0).fit(X)
    wild = X * 4 - 1.5
    clipped = np.clip(wild, X.min(0), X.max(0))
    np.testing.assert_array_equal(enc.transform(wild), enc.transform(clipped))


def test_clip_false_raises_naming_feature_and_value(rng):
    X = rng.random((12, 5))
    enc = LevelRecord(128, clip=False, seed=0).fit(X)
    enc.transform(X)  # inside the range: fine
    bad = X.copy()
    bad[4, 3] = 7.25
    with pytest.raises(ValueError, match=r"7\.25 in feature 3.*clip=True"):
        enc.transform(bad)


@pytest.mark.parametrize("cls, kwargs, exc, match", [
    (Projection, {"dim": 0}, ValueError, "`dim` must be >= 1; got 0"),
    (Projection, {"dim": 2.5}, TypeError, "`dim` must be an int; got float"),
    (Projection, {"binary": 1}, TypeError, "`binary` must be a bool; got int"),
    (Projection, {"seed": "x"}, TypeError, "`seed`"),
    (Sinusoid, {"seed": -1}, ValueError, "`seed` must be a non-negative int"),
    (Density, {"dim": -3}, ValueError, "`dim`"),
    (LevelRecord, {"levels": 1}, ValueError, "`levels` must be >= 2; got 1"),
    (LevelRecord, {"model": "hrr"}, ValueError, "`model` must be one of 'map', 'bsc'; got 'hrr'"),
    (LevelRecord, {"clip": "yes"}, TypeError, "`clip` must be a bool; got str"),
])
def test_bad_arguments(cls, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        cls(**kwargs)


@pytest.mark.parametrize("which", range(len(ENCODERS)))
def test_bad_input(which, rng):
    from sklearn.exceptions import NotFittedError

    enc = ENCODERS[which]()
    X = rng.random((6, 5))
    with pytest.raises(NotFittedError, match="not fitted"):
        enc.transform(X)
    for bad in (np.where(X > 0.5, np.nan, X), np.where(X > 0.5, np.inf, X)):
        with pytest.raises(ValueError, match="`X` must contain only finite values"):
            enc.fit(bad)
    with pytest.raises(ValueError, match="Reshape your data"):
        enc.fit(X[0])
    with pytest.raises(ValueError, match="Complex data not supported"):
        enc.fit(X + 1j)
    with pytest.raises(TypeError, match="sparse"):
        enc.fit(pytest.importorskip("scipy.sparse").csr_matrix(X))
    enc.fit(X.tolist())  # nested lists are fine
    with pytest.raises(ValueError, match="X has 3 features, but .* is expecting 5 features"):
        enc.transform(X[:, :3])
    with pytest.raises(ValueError, match="finite"):
        enc.transform(np.full((2, 5), np.nan))


def test_set_params_forgets_the_fit(rng):
    from sklearn.exceptions import NotFittedError

    enc = LevelRecord(64, seed=0).fit(rng.random((4, 3)))
    enc.set_params(dim=128)
    assert enc.get_params()["dim"] == 128 and not hasattr(enc, "keys_")
    with pytest.raises(NotFittedError):
        enc.transform(rng.random((4, 3)))
    with pytest.raises(ValueError, match="`levels`"):
        enc.set_params(levels=0)
    assert enc.levels == 100


def test_pickle_round_trip(rng):
    X = rng.random((5, 4))
    enc = LevelRecord(200, model="bsc", seed=2).fit(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(enc)).transform(X), enc.transform(X))


def test_import_does_not_import_sklearn():
    code = "import sys, hdvec.encoders.features; print('sklearn' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


# ----------------------------------------------------------------- behaviour
def test_level_record_similarity_falls_with_distance(rng):
    """Rows moved further from a base row get records less similar to its record."""
    base = rng.random(50)
    direction = rng.choice([-1.0, 1.0], 50)
    steps = np.array([0.0, 0.02, 0.05, 0.1, 0.2, 0.4, 0.8])
    X = np.clip(base + steps[:, None] * direction, 0, 1)
    fit = np.vstack([np.zeros(50), np.ones(50)])
    H = LevelRecord(10_000, levels=100, seed=0).fit(fit).transform(X)
    sims = (H @ H[0]) / (np.linalg.norm(H, axis=1) * np.linalg.norm(H[0]))
    assert np.all(np.diff(sims) < 0), sims
    assert sims[1] > 0.9 and sims[-1] < 0.6


def test_projection_preserves_angles(rng):
    X = rng.normal(size=(6, 30))
    H = Projection(20_000, seed=0).fit_transform(X)
    def cosines(A):
        return (A @ A.T) / np.outer(np.linalg.norm(A, axis=1), np.linalg.norm(A, axis=1))

    np.testing.assert_allclose(cosines(H), cosines(X), atol=0.05)


# ----------------------------------------------------------------- scikit-learn
@pytest.mark.parametrize("estimator", [
    Projection(256, seed=0), Projection(256, binary=True, seed=0), Sinusoid(256, seed=0), Density(256, seed=0),
    LevelRecord(256, seed=0), LevelRecord(256, model="bsc", seed=0), LevelRecord(256, clip=False, seed=0),
], ids=repr)
def test_check_estimator(estimator):
    from sklearn.utils.estimator_checks import check_estimator

    check_estimator(estimator, expected_failed_checks=EXPECTED_FAILED)
