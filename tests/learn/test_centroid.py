"""Centroid, Vanilla, AdaptHD, OnlineHD: scikit-learn conformance, update rules against NumPy, files, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("sklearn")
from sklearn.utils.estimator_checks import check_estimator  # noqa: E402

from hdvec._io import FormatError  # noqa: E402
from hdvec.hdc import pack_bits  # noqa: E402
from hdvec.learn import AdaptHD, Centroid, OnlineHD, Vanilla  # noqa: E402

PRE = "precomputed"


def problem(seed: int, n: int = 60, d: int = 48, c: int = 4):
    """Gaussian classes around random centres: hypervector-like features (n, d) float32, labels (n,)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((c, d))
    y = rng.integers(0, c, n)
    h = (centres[y] + 1.5 * rng.standard_normal((n, d))).astype(np.float32)
    return h, y


# ---------------------------------------------------------------- NumPy references (Torchhd's rules)
def cos_scores(h, w):
    hn = np.linalg.norm(h, axis=1)[:, None]
    wn = np.linalg.norm(w, axis=1)[None, :]
    den = hn * wn
    return np.divide(h @ w.T, den, out=np.zeros((h.shape[0], w.shape[0])), where=den > 0)


def reference_epochs(h, y, c, rule, lr, epochs, batch, w=None):
    """Torchhd's add / add_adapt / add_online over batches in order; prototypes after each epoch."""
    h = h.astype(np.float64)
    w = np.zeros((c, h.shape[1])) if w is None else w.copy()
    out = []
    for _ in range(epochs):
        for s in range(0, len(h), batch):
            hb, yb = h[s:s + batch], y[s:s + batch]
            if rule == "add":
                np.add.at(w, yb, hb)
                continue
            sc = cos_scores(hb, w)
            p = sc.argmax(1)
            wrong = p != yb
            for i in np.flatnonzero(wrong):
                t, q = yb[i], p[i]
                if rule == "adapt":
                    w[t] += lr * hb[i]
                    w[q] -= lr * hb[i]
                else:
                    w[t] += lr * (1 - sc[i, t]) * hb[i]
                    w[q] += lr * (sc[i, q] - 1) * hb[i]
        out.append(w.copy())
    return out


@settings(deadline=None, max_examples=15)
@given(seed=st.integers(0, 2**31 - 1), batch=st.sampled_from([1, 3, 8, 13]), rule=st.sampled_from(["adapt", "online"]))
def test_adapt_and_online_updates_match_the_numpy_reference_after_each_epoch(seed, batch, rule):
    h, y = problem(seed)
    ref = reference_epochs(h, y, 4, rule, 0.5, 3, batch)
    cls = AdaptHD if rule == "adapt" else OnlineHD
    for e in range(1, 4):
        clf = cls(PRE, dim=h.shape[1], epochs=e, lr=0.5, batch_size=batch, shuffle=False, seed=0).fit(h, y)
        np.testing.assert_allclose(clf.prototypes_, ref[e - 1], rtol=2e-4, atol=2e-4)


@settings(deadline=None, max_examples=15)
@given(seed=st.integers(0, 2**31 - 1), epochs=st.integers(0, 3), batch=st.sampled_from([1, 5]))
def test_centroid_is_the_class_sum_then_adapt_retraining(seed, epochs, batch):
    h, y = problem(seed)
    w = reference_epochs(h, y, 4, "add", 1.0, 1, len(h))[0]
    if epochs:
        w = reference_epochs(h, y, 4, "adapt", 0.25, epochs, batch, w)[-1]
    clf = Centroid(PRE, dim=h.shape[1], epochs=epochs, lr=0.25, batch_size=batch, shuffle=False, seed=0).fit(h, y)
    np.testing.assert_allclose(clf.prototypes_, w, rtol=2e-4, atol=2e-4)


def reference_binary(bits, y, c, tiebreak, epochs, batch):
    """Bipolar class sums, majority with tie-break, then mistake-driven retraining on the sums (Hamming scores)."""
    bip = 1 - 2 * bits.astype(np.int64)  # bit 1 is -1
    counts = np.zeros((c, bits.shape[1]), np.int64)
    np.add.at(counts, y, bip)

    def signs(cn):
        return np.where(cn < 0, 1, np.where(cn > 0, 0, tiebreak)).astype(np.uint8)

    protos = signs(counts)
    for _ in range(epochs):
        for s in range(0, len(bits), batch):
            bb, yb = bits[s:s + batch], y[s:s + batch]
            dist = (bb[:, None, :] != protos[None, :, :]).sum(2)
            p = dist.argmin(1)
            for i in np.flatnonzero(p != yb):
                counts[yb[i]] += bip[s + i]
                counts[p[i]] -= bip[s + i]
            protos = signs(counts)
    return counts, protos


@settings(deadline=None, max_examples=15)
@given(seed=st.integers(0, 2**31 - 1), dim=st.sampled_from([64, 100, 130]), epochs=st.integers(0, 2),
       batch=st.sampled_from([1, 4]))
def test_binary_centroid_counts_and_packed_prototypes_match_the_reference(seed, dim, epochs, batch):
    h, y = problem(seed, d=dim)
    bits = (h < 0).astype(np.uint8)
    clf = Centroid(PRE, dim=dim, epochs=epochs, batch_size=batch, shuffle=False, seed=seed).fit(pack_bits(bits), y)
    words = clf.tiebreak_.view(np.uint8)
    tiebreak = np.unpackbits(words, bitorder="little")[:dim]
    counts, protos = reference_binary(bits, y, 4, tiebreak, epochs, batch)
    np.testing.assert_array_equal(clf.counts_, counts)
    np.testing.assert_array_equal(clf.prototypes_, pack_bits(protos))


def test_binary_predictions_are_the_nearest_prototype_by_hamming():
    h, y = problem(3, n=80, d=200)
    packed = pack_bits((h < 0).astype(np.uint8))
    clf = Centroid(PRE, dim=200, seed=1).fit(packed, y)
    protos = np.unpackbits(clf.prototypes_.view(np.uint8), bitorder="little", axis=1)[:, :200]
    bits = (h < 0).astype(np.uint8)
    dist = (bits[:, None, :] != protos[None]).sum(2)
    np.testing.assert_array_equal(clf.predict(packed), clf.classes_[dist.argmin(1)])
    np.testing.assert_allclose(clf.decision_function(packed), 1 - 2 * dist / 200, rtol=1e-6)


# ---------------------------------------------------------------- online use
def test_partial_fit_over_batches_equals_fit():
    h, y = problem(5, n=90)
    classes = np.arange(4)
    for make in (lambda: Centroid(PRE, dim=48, seed=0),
                 lambda: AdaptHD(PRE, dim=48, epochs=1, batch_size=3, shuffle=False, seed=0),
                 lambda: OnlineHD(PRE, dim=48, epochs=1, batch_size=3, shuffle=False, seed=0)):
        full = make().fit(h, y)
        part = make()
        for s in range(0, 90, 30):
            part.partial_fit(h[s:s + 30], y[s:s + 30], classes=classes)
        np.testing.assert_allclose(part.prototypes_, full.prototypes_, rtol=1e-5, atol=1e-5)


def test_partial_fit_needs_classes_first_and_rejects_unseen_labels():
    h, y = problem(6)
    clf = AdaptHD(PRE, dim=48, seed=0)
    with pytest.raises(ValueError, match="`classes`"):
        clf.partial_fit(h, y)
    clf.partial_fit(h[:20], y[:20], classes=[0, 1, 2, 3])
    with pytest.raises(ValueError, match="labels not in `classes`.*'7'"):
        clf.partial_fit(h[:3], [0, 1, 7])
    with pytest.raises(ValueError, match="must not change"):
        clf.partial_fit(h[:3], [0, 1, 2], classes=[0, 1, 2])


# ---------------------------------------------------------------- scikit-learn conformance
CLASSES = [Centroid, Vanilla, AdaptHD, OnlineHD]


def small(cls, encoder=None):
    kw = {"dim": 512, "seed": 0}
    if cls is not Vanilla:
        kw["epochs"] = 3
    if cls in (AdaptHD, OnlineHD):
        kw["lr"] = 1.0
    return cls(encoder, **kw)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_check_estimator_on_hypervectors(cls):
    check_estimator(small(cls, PRE))


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_check_estimator_with_the_default_encoder(cls):
    pytest.importorskip("hdvec.encoders.features")
    check_estimator(small(cls))


# ---------------------------------------------------------------- torch, files, errors
def test_torch_hypervectors_give_the_numpy_predictions():
    torch = pytest.importorskip("torch")
    h, y = problem(7)
    clf = OnlineHD(PRE, dim=48, epochs=3, seed=0).fit(h, y)
    np.testing.assert_array_equal(clf.predict(torch.from_numpy(h)), clf.predict(h))
    got = clf.decision_function(torch.from_numpy(h))
    assert isinstance(got, torch.Tensor)
    np.testing.assert_allclose(got.numpy(), clf.decision_function(h), rtol=1e-5, atol=1e-6)
    packed = pack_bits((h < 0).astype(np.uint8))
    b = Centroid(PRE, dim=48, seed=0).fit(packed, y)
    np.testing.assert_array_equal(b.predict(torch.from_numpy(packed.view(np.int64)).view(torch.uint64)),
                                  b.predict(packed))


@pytest.mark.parametrize("labels", [np.array(["cat", "dog", "emu", "fox"]), np.array([3, 10, 11, 40])])
def test_save_load_gives_identical_predictions(tmp_path, labels):
    h, y = problem(8)
    y = labels[y]
    for clf in (AdaptHD(PRE, dim=48, epochs=4, seed=0).fit(h, y),
                Centroid(PRE, dim=48, seed=0).fit(pack_bits((h < 0).astype(np.uint8)), y)):
        path = tmp_path / "clf.hdv"
        clf.save(path)
        back = type(clf).load(path)
        x = h if clf.prototypes_.dtype == np.float32 else pack_bits((h < 0).astype(np.uint8))
        np.testing.assert_array_equal(back.predict(x), clf.predict(x))
        np.testing.assert_array_equal(back.decision_function(x), clf.decision_function(x))
        assert back.get_params() == clf.get_params()
    with pytest.raises(FormatError, match="not a saved OnlineHD"):
        OnlineHD.load(path)
    raw = bytearray(path.read_bytes())
    raw[-5] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(FormatError):
        Centroid.load(path)


def test_bad_input_raises_clear_errors():
    h, y = problem(9)
    with pytest.raises(ValueError, match="NaN|infinity"):
        AdaptHD(PRE, dim=48, seed=0).fit(np.where(np.eye(60, 48, dtype=bool), np.nan, h), y)
    with pytest.raises(ValueError, match="at least 2 classes"):
        Centroid(PRE, dim=48).fit(h, np.zeros(60, int))
    clf = Centroid(PRE, dim=48, seed=0).fit(h, y)
    with pytest.raises(ValueError, match="48 features"):
        clf.predict(h[:, :40])
    with pytest.raises(ValueError, match="`epochs` must be >= 0"):
        AdaptHD(PRE, epochs=-1).fit(h, y)
    with pytest.raises(TypeError, match="`lr` must be a number"):
        AdaptHD(PRE, lr="fast").fit(h, y)
    with pytest.raises(TypeError, match="`encoder`"):
        Centroid(encoder=5).fit(h, y)
    with pytest.raises(TypeError, match="packed binary"):
        AdaptHD(PRE, dim=64).fit(pack_bits((h < 0).astype(np.uint8)), y)


def test_prototypes_export_to_an_index_whose_nearest_id_is_the_prediction():
    h, y = problem(12, n=80, d=96)
    labels = np.array(["a", "b", "c", "d"])[y]
    dense = AdaptHD(PRE, dim=96, epochs=3, seed=0).fit(h, labels)
    _, ids = dense.to_index().search(h, 1)
    np.testing.assert_array_equal(dense.classes_[ids[:, 0]], dense.predict(h))
    packed = pack_bits((h < 0).astype(np.uint8))
    binary = Centroid(PRE, dim=96, seed=0).fit(packed, labels)
    index = binary.to_index()
    assert index.metric == "hamming" and len(index) == 4
    _, ids = index.search(packed, 1)
    scores = binary.decision_function(packed)
    top = scores.max(1, keepdims=True)
    assert all(scores[i, ids[i, 0]] == top[i, 0] for i in range(len(h)))  # a nearest prototype (ties: any)
