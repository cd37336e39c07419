"""NeuralHD, DistHD, SparseHD, QuantHD, CompHD, LeHDC, IntRVFL: conformance, rules against NumPy, files, errors."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.utils.estimator_checks import check_estimator  # noqa: E402

from hdvec.encoders import Projection, Sinusoid  # noqa: E402
from hdvec.hdc import pack_bits, unpack_bits  # noqa: E402
from hdvec.learn import CompHD, DistHD, IntRVFL, LeHDC, NeuralHD, QuantHD, SparseHD  # noqa: E402

PRE = "precomputed"
REGEN_STREAM = 1 << 40  # the seed stream NeuralHD / DistHD / LeHDC draw from (documented in their modules)

SMALL = [
    NeuralHD(dim=256, epochs=3, regen_freq=1, seed=0),
    DistHD(dim=256, epochs=3, regen_freq=1, seed=0),
    SparseHD(dim=256, epochs=3, seed=0),
    QuantHD(dim=256, epochs=3, seed=0),
    CompHD(dim=256, seed=0),
    LeHDC(dim=256, epochs=10, batch_size=8, seed=0),  # 3 epochs of Adam are too few for check_classifiers_train
    IntRVFL(dim=256, seed=0),
]
IDS = [type(c).__name__ for c in SMALL]


def features(seed: int, n: int = 40, f: int = 5, c: int = 3):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((c, f)) * 2
    y = np.arange(n) % c
    return centres[y] + rng.standard_normal((n, f)), y


def bipolar_problem(seed: int, n: int = 45, d: int = 128, c: int = 3, flip: float = 0.35):
    """Noisy copies of c random ±1 prototypes: float32 (n, d), labels (n,)."""
    rng = np.random.default_rng(seed)
    protos = rng.choice([-1.0, 1.0], (c, d))
    y = np.arange(n) % c
    h = protos[y] * np.where(rng.random((n, d)) < flip, -1.0, 1.0)
    return h.astype(np.float32), y


def cos_scores(h, w):
    den = np.linalg.norm(h, axis=1)[:, None] * np.linalg.norm(w, axis=1)[None, :]
    return np.divide(h @ w.T, den, out=np.zeros((h.shape[0], w.shape[0])), where=den > 0)


def adapt_pass(h, y, w, lr, online=False):
    """One Torchhd add_adapt / add_online epoch with batch size 1, in order."""
    for i in range(len(h)):
        s = cos_scores(h[i:i + 1], w)[0]
        p = int(s.argmax())
        if p != y[i]:
            w[y[i]] += lr * (1 - s[y[i]] if online else 1) * h[i]
            w[p] += lr * (s[p] - 1 if online else -1) * h[i]


# ---------------------------------------------------------------- scikit-learn conformance
@pytest.mark.parametrize("est", SMALL, ids=IDS)
def test_check_estimator(est):
    check_estimator(clone(est))


def test_offline_methods_have_no_partial_fit_and_online_ones_do():
    assert [hasattr(c, "partial_fit") for c in SMALL] == [False, False, False, True, True, False, False]


# ---------------------------------------------------------------- update rules against NumPy
def sinusoid(x, w, b):
    p = x.astype(np.float32) @ w
    return (np.cos(p + b) * np.sin(p)).astype(np.float64)


@pytest.mark.parametrize("epochs", [1, 2, 3, 4, 5])
def test_neuralhd_matches_the_numpy_reference_after_each_epoch(epochs):
    X, y = features(0)
    dim, k = 64, 16  # regen_rate 0.25
    enc = Sinusoid(dim, seed=3).fit(X)
    w_enc, b_enc = enc.weights_.copy(), enc.bias_.copy()
    rng = np.random.default_rng([3, REGEN_STREAM])
    h = sinusoid(X, w_enc, b_enc)
    w = np.zeros((3, dim))
    np.add.at(w, y, h)
    for e in range(1, epochs):  # Torchhd: the epoch loop starts at 1
        adapt_pass(h, y, w, 0.37)
        if e % 2 == 1:
            wn = w / np.linalg.norm(w, axis=1, keepdims=True)
            dims = np.sort(np.argsort(wn.var(0, ddof=1), kind="stable")[:k])
            w[:, dims] = 0
            w_enc[:, dims] = rng.standard_normal((5, k)).astype(np.float32)
            b_enc[dims] = rng.uniform(0, 2 * np.pi, k).astype(np.float32)
            h = sinusoid(X, w_enc, b_enc)
    clf = NeuralHD(dim=dim, epochs=epochs, regen_freq=2, regen_rate=0.25, shuffle=False, seed=3).fit(X, y)
    np.testing.assert_allclose(clf.prototypes_, w, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(clf.encoder_.weights_, w_enc)
    np.testing.assert_array_equal(clf.encoder_.bias_, b_enc)
    assert clf.n_regenerated_ == k * ((epochs - 1 + 1) // 2 if epochs > 1 else 0)


def dist_reference_scores(h, y, w, alpha, beta, theta):
    wn = w / np.linalg.norm(w, axis=1, keepdims=True)
    total = np.zeros(h.shape[1])
    for i in range(len(h)):
        order = np.argsort(-cos_scores(h[i:i + 1], w)[0], kind="stable")
        p1, p2, t = order[0], order[1], y[i]
        if p1 == t:
            continue
        d_t, d_1, d_2 = (np.abs(wn[c] - h[i]) for c in (t, p1, p2))
        total += 0.5 * (beta * d_1 - alpha * d_t) if p2 == t else beta * d_1 + theta * d_2 - alpha * d_t
    return total


@pytest.mark.parametrize("epochs", [1, 2, 3, 4])
def test_disthd_matches_the_numpy_reference_after_each_epoch(epochs):
    X, y = features(1, c=4)
    dim, k = 48, 12
    enc = Projection(dim, seed=5).fit(X)
    w_enc = enc.weights_.copy()
    rng = np.random.default_rng([5, REGEN_STREAM])
    h = (X.astype(np.float32) @ w_enc).astype(np.float64)
    w = np.zeros((4, dim))
    n_regen = 0
    for e in range(epochs):
        adapt_pass(h, y, w, 0.05, online=True)
        if e % 2 == 1:
            scores = dist_reference_scores(h, y, w, 0.5, 1.0, 0.25)
            dims = np.sort(np.argsort(scores, kind="stable")[:k])
            w[:, dims] = 0
            w_enc[:, dims] = rng.standard_normal((5, k)).astype(np.float32)
            h = (X.astype(np.float32) @ w_enc).astype(np.float64)
            n_regen += k
    clf = DistHD(dim=dim, epochs=epochs, regen_freq=2, regen_rate=0.25, shuffle=False, seed=5).fit(X, y)
    np.testing.assert_allclose(clf.prototypes_, w, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(clf.encoder_.weights_, w_enc)
    assert clf.n_regenerated_ == n_regen


@pytest.mark.parametrize("kind", ["dimension", "class"])
@pytest.mark.parametrize("epochs", [1, 2, 3])
def test_sparsehd_is_adapthd_then_sparsify_each_epoch(kind, epochs):
    h, y = bipolar_problem(2, flip=0.42)
    h = h + np.random.default_rng(2).normal(0, 0.5, h.shape).astype(np.float32)  # no ties among the values
    w = np.zeros((3, h.shape[1]))
    s = round(0.3 * h.shape[1])
    for _ in range(epochs):
        adapt_pass(h.astype(np.float64), y, w, 0.035)
        if kind == "dimension":
            w[:, np.argsort(w.max(0) - w.min(0), kind="stable")[:s]] = 0
        else:
            for c in range(3):
                w[c, np.argsort(np.abs(w[c]), kind="stable")[:s]] = 0
    clf = SparseHD(PRE, dim=h.shape[1], epochs=epochs, sparsity=0.3, sparsity_type=kind, shuffle=False,
                   seed=0).fit(h, y)
    np.testing.assert_allclose(clf.prototypes_, w, rtol=1e-5, atol=1e-6)
    assert (clf.prototypes_ == 0).sum() >= 3 * s


@pytest.mark.parametrize("epochs", [1, 2, 3, 5])
def test_quanthd_matches_the_numpy_reference_after_each_epoch(epochs):
    h, y = bipolar_problem(3, n=44, d=130, flip=0.45)  # 44 samples: even class sizes give zero counts
    clf = QuantHD(PRE, dim=130, epochs=epochs, seed=1).fit(h, y)
    tie = unpack_bits(clf.tiebreak_, 130)
    counts = np.zeros((3, 130))
    np.add.at(counts, y, h)

    def signs(cnt):
        return np.where((cnt < 0) | ((cnt == 0) & tie), -1.0, 1.0)

    for _ in range(1, epochs):
        p = (h @ signs(counts).T).argmax(1)  # every sample against the binary model of the epoch start
        for i in np.flatnonzero(p != y):
            counts[y[i]] += 0.035 * h[i]
            counts[p[i]] -= 0.035 * h[i]
    np.testing.assert_allclose(clf.counts_, counts, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(clf.prototypes_, pack_bits(signs(counts)))
    # inference: nearest packed prototype, the same from dense or packed queries
    np.testing.assert_array_equal(clf.predict(h), clf.classes_[(h @ signs(counts).T).argmax(1)])
    clf_bits = QuantHD(PRE, dim=130, epochs=epochs, seed=1).fit(pack_bits(h), y)
    np.testing.assert_array_equal(clf_bits.prototypes_, clf.prototypes_)
    np.testing.assert_allclose(clf_bits.decision_function(pack_bits(h)), h @ signs(counts).T / 130, atol=1e-6)


@pytest.mark.parametrize("chunks", [1, 2, 4, 8])
def test_comphd_folds_class_sums_with_torchhd_hadamard_keys(chunks):
    from scipy.linalg import hadamard

    h, y = bipolar_problem(4, d=256)
    m = 256 // chunks
    keys = hadamard(max(m, chunks))[:chunks, :m]

    def fold(x):
        return (x.reshape(len(x), chunks, m) * keys).sum(1)

    counts = np.zeros((3, 256))
    np.add.at(counts, y, h)
    clf = CompHD(PRE, dim=256, chunks=chunks, seed=0).fit(h, y)
    np.testing.assert_allclose(clf.prototypes_, fold(counts), rtol=1e-6)
    np.testing.assert_allclose(clf.decision_function(h), cos_scores(fold(h.astype(np.float64)), fold(counts)),
                               atol=1e-5)


def lehdc_reference(h, y, c, epochs, lr, wd, p, batch, patience, rng):
    """Torchhd's LeHDC.fit in plain NumPy: dropout, dot logits with sign(W), CE, straight-through Adam, plateau."""
    w = np.zeros((c, h.shape[1]), np.float32)
    wb = np.zeros_like(w)
    m, v, t = np.zeros_like(w), np.zeros_like(w), 0
    best, bad, losses = np.inf, 0, []
    for _ in range(epochs):
        total = 0.0
        for s in range(0, len(h), batch):
            hb, yb = h[s:s + batch].copy(), y[s:s + batch]
            if p:
                hb = hb * (rng.random(hb.shape, dtype=np.float32) < np.float32(1 - p)) / np.float32(1 - p)
            z = hb @ wb.T
            z = z - z.max(1, keepdims=True)
            prob = np.exp(z) / np.exp(z).sum(1, keepdims=True)
            total += float(np.mean(-np.log(prob[np.arange(len(yb)), yb])))
            prob[np.arange(len(yb)), yb] -= 1
            g = (prob / len(yb)).T @ hb + np.float32(wd) * w
            t += 1
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g * g
            w = w - (lr / (1 - 0.9**t)) * m / (np.sqrt(v) / np.sqrt(1 - 0.999**t) + 1e-8)
            w = w.astype(np.float32)
            wb = np.sign(w)
        losses.append(total)
        if total < best * (1 - 1e-4):
            best, bad = total, 0
        else:
            bad += 1
        if bad > patience:
            bad, lr = 0, lr * 0.1
    return w, np.array(losses), lr


@pytest.mark.parametrize("dropout", [0.0, 0.3])
@pytest.mark.parametrize("epochs", [1, 3, 8])
def test_lehdc_matches_the_numpy_reference_after_each_epoch(dropout, epochs):
    h, y = bipolar_problem(5, n=60, d=192, flip=0.4)
    rng = np.random.default_rng([7, REGEN_STREAM])
    w, losses, lr = lehdc_reference(h, y, 3, epochs, 0.01, 0.003, dropout, 16, 1, rng)
    clf = LeHDC(PRE, dim=192, epochs=epochs, dropout_rate=dropout, batch_size=16, patience=1, shuffle=False,
                seed=7).fit(h, y)
    np.testing.assert_allclose(clf.weights_, w, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(clf.losses_, losses, rtol=1e-4)
    assert clf.lr_ == pytest.approx(lr)
    np.testing.assert_array_equal(clf.prototypes_, pack_bits(w < 0))


@pytest.mark.parametrize("alpha", [0.7, 0.0])
@pytest.mark.parametrize("n", [30, 200])  # fewer samples than dimensions (n x n solves) and more (d x d pinv)
@pytest.mark.parametrize("kappa", [None, 2])
def test_intrvfl_readout_is_torchhd_ridge_regression(n, kappa, alpha):
    rng = np.random.default_rng(6)
    y = np.arange(n) % 3
    h = (rng.integers(-4, 5, (n, 80)) + 2 * y[:, None] * (np.arange(80) % 3 == 0)).astype(np.float32)
    h[:, :6] = rng.integers(-4, 5, 6)  # constant columns: zero variance, unpenalized
    hc = h.astype(np.float64) if kappa is None else np.clip(h, -kappa, kappa).astype(np.float64)
    onehot = np.eye(3)[y]
    w = onehot.T @ hc @ np.linalg.pinv(hc.T @ hc + alpha * np.diag(hc.var(0, ddof=1)))
    clf = IntRVFL(PRE, dim=80, kappa=kappa, alpha=alpha).fit(h, y)
    np.testing.assert_allclose(clf.prototypes_, w, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(clf.decision_function(h), hc @ w.T, rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------------- partial_fit, seeds, files
@pytest.mark.parametrize("cls", [QuantHD, CompHD])
def test_partial_fit_over_batches_equals_fit(cls):
    h, y = bipolar_problem(8, n=60)
    kw = {"epochs": 1} if cls is QuantHD else {}
    full = cls(PRE, dim=128, seed=4, **kw).fit(h, y)
    inc = cls(PRE, dim=128, seed=4, **kw)
    for s in (0, 20, 40):
        inc.partial_fit(h[s:s + 20], y[s:s + 20], classes=[0, 1, 2])
    np.testing.assert_allclose(inc.counts_, full.counts_, rtol=1e-6)
    np.testing.assert_array_equal(inc.prototypes_, full.prototypes_)
    np.testing.assert_array_equal(inc.predict(h), full.predict(h))
    once = cls(PRE, dim=128, seed=4, **kw).partial_fit(h[:20], y[:20], classes=[0, 1, 2])
    assert not np.array_equal(once.counts_, full.counts_)


@pytest.mark.parametrize("est", SMALL, ids=IDS)
def test_same_seed_gives_the_same_model(est):
    X, y = features(9, n=60, f=4)
    a, b = clone(est).fit(X, y), clone(est).fit(X, y)
    np.testing.assert_array_equal(a.prototypes_, b.prototypes_)
    c = clone(est).set_params(seed=1).fit(X, y)
    assert not np.array_equal(c.prototypes_, a.prototypes_)


def _round_trip(clf, Xq, path):
    """(loaded, original) predictions and decision functions on Xq after save -> load."""
    clf.save(path)
    back = type(clf).load(path)
    return (back.predict(Xq), back.decision_function(Xq)), (clf.predict(Xq), clf.decision_function(Xq))


@pytest.mark.parametrize("est", SMALL, ids=IDS)
def test_save_load_gives_identical_predictions_on_hypervectors(est, tmp_path):
    h, y = bipolar_problem(9, n=60, d=128)
    clf = clone(est).set_params(encoder=PRE, dim=128, **({"regen_rate": 0.0} if hasattr(est, "regen_rate") else {}))
    (pred, dec), (want_pred, want_dec) = _round_trip(clf.fit(h, y), bipolar_problem(10, n=30, d=128)[0],
                                                     tmp_path / "clf.hdv")
    np.testing.assert_array_equal(pred, want_pred)
    np.testing.assert_array_equal(dec, want_dec)


@pytest.mark.parametrize("est", SMALL, ids=IDS)
def test_save_load_gives_identical_predictions_with_the_default_encoder(est, tmp_path):
    X, y = features(9, n=60, f=4)
    (pred, dec), (want_pred, want_dec) = _round_trip(clone(est).fit(X, y), features(10, n=30, f=4)[0],
                                                     tmp_path / "clf.hdv")
    np.testing.assert_array_equal(pred, want_pred)
    np.testing.assert_array_equal(dec, want_dec)


def test_regeneration_needs_an_encoder_with_weights():
    h, y = bipolar_problem(0)
    with pytest.raises(TypeError, match="weights_"):
        NeuralHD(PRE, dim=128, epochs=3, regen_freq=1).fit(h, y)
    clf = NeuralHD(PRE, dim=128, epochs=3, regen_rate=0.0).fit(h, y)  # no regeneration: any encoder
    assert clf.n_regenerated_ == 0 and clf.score(h, y) > 0.9


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize("est", SMALL, ids=IDS)
def test_bad_input_raises_clear_errors(est):
    X, y = features(11, n=30, f=4)
    bad = X.copy()
    bad[3, 1] = np.nan
    est = clone(est)
    with pytest.raises(ValueError, match="NaN"):
        est.fit(bad, y)
    with pytest.raises(ValueError, match="at least 2 classes"):
        est.fit(X, np.zeros(30, int))
    est.fit(X, y)
    with pytest.raises(ValueError, match="4 features"):
        est.predict(X[:, :3])


@pytest.mark.parametrize("est, match", [
    (SparseHD(sparsity=1.5), "`sparsity`"), (SparseHD(sparsity_type="row"), "`sparsity_type`"),
    (LeHDC(dropout_rate=1.0), "`dropout_rate`"), (LeHDC(patience=-1), "`patience`"),
    (CompHD(dim=1000, chunks=3), "`chunks` must divide"), (NeuralHD(regen_rate=2.0), "`regen_rate`"),
    (NeuralHD(regen_freq=0), "`regen_freq`"), (DistHD(theta=-1.0), "`theta`"), (IntRVFL(kappa=0), "`kappa`"),
    (IntRVFL(alpha=float("nan")), "`alpha`"), (QuantHD(lr=-1.0), "`lr`"),
])
def test_bad_parameters_raise_value_errors_naming_them(est, match):
    X, y = features(12)
    with pytest.raises(ValueError, match=match):
        est.fit(X, y)


@pytest.mark.parametrize("est, match", [(QuantHD(epochs=2.5), "`epochs`"), (IntRVFL(kappa=1.5), "`kappa`"),
                                        (LeHDC(shuffle=1), "`shuffle`"), (CompHD(chunks="4"), "`chunks`")])
def test_bad_parameter_types_raise_type_errors_naming_them(est, match):
    X, y = features(12)
    with pytest.raises(TypeError, match=match):
        est.fit(X, y)
