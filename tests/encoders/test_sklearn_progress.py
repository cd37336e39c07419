"""Encoders as scikit-learn transformers; progress bars and logging of long operations; torch in/out."""

import logging

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import NearestCentroid
from sklearn.pipeline import make_pipeline

from hdvec import hdc
from hdvec.encoders import FunctionEncoder, JSONEncoder, NGramEncoder, TokenEncoder
from hdvec.index import Index


def _two_languages(n, seed):
    """Texts from two letter distributions: 'a'-heavy vs 'z'-heavy words."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    p_a = np.r_[np.full(13, 3.0), np.ones(13)]
    texts, labels = [], []
    for i in range(n):
        lab = i % 2
        p = p_a if lab == 0 else p_a[::-1]
        words = ["".join(rng.choice(letters, rng.integers(2, 7), p=p / p.sum())) for _ in range(12)]
        texts.append(" ".join(words))
        labels.append(lab)
    return texts, np.array(labels)


@pytest.mark.parametrize("clf", [LogisticRegression(max_iter=500), NearestCentroid()])
def test_pipeline_with_an_encoder_fits_and_predicts(clf):
    train, ytr = _two_languages(120, 0)
    test, yte = _two_languages(60, 1)
    pipe = make_pipeline(NGramEncoder(hdc.MAP(2048, seed=0), n=3), clf)
    pipe.fit(train, ytr)
    assert (pipe.predict(test) == yte).mean() >= 0.9
    # cross-validation clones the pipeline: the clone must encode identically
    enc2 = clone(pipe).steps[0][1]
    np.testing.assert_array_equal(enc2.transform(test[:5]), pipe.steps[0][1].transform(test[:5]))


def test_get_params_set_params_and_clone():
    m = hdc.MAP(1024, seed=0)
    enc = TokenEncoder(m, mode="window", window=2, seed=3)
    params = enc.get_params()
    assert params == {"model": m, "mode": "window", "window": 2, "tokenizer": None, "lowercase": True,
                      "stopwords": None, "seed": 3}
    c = clone(enc)  # deep-copies the model: same settings and seed, so the same vectors
    cp = c.get_params()
    assert c is not enc and repr(cp.pop("model")) == repr(m)
    assert cp == {k: v for k, v in params.items() if k != "model"}
    np.testing.assert_array_equal(c.transform(["a b c d"]), enc.encode_batch(["a b c d"]))
    before = enc.encode_batch(["a b c d"])
    assert enc.set_params(mode="bag") is enc and enc.mode == "bag"
    assert not np.array_equal(enc.encode_batch(["a b c d"]), before)  # the state was rebuilt
    np.testing.assert_array_equal(enc.fit_transform(["a b c d"]), TokenEncoder(m, mode="bag", window=2,
                                                                              seed=3).encode_batch(["a b c d"]))
    with pytest.raises(ValueError, match="invalid parameter 'nope' for TokenEncoder"):
        enc.set_params(nope=1)
    j = JSONEncoder(256, seed=1)
    assert clone(j).get_params()["model_or_dim"] == 256
    np.testing.assert_array_equal(clone(j).transform([{"a": 1}]), j.encode_batch([{"a": 1}]))
    g = NGramEncoder(hdc.BSC(512, seed=0), n=2, seed=1)
    assert g.set_params(n=3).n == 3


def test_function_encoder_transform_is_the_real_view():
    f = FunctionEncoder(256, seed=0)
    x = np.linspace(0, 1, 40)
    pairs = [(x, np.sin(3 * x)), (x, np.cos(3 * x))]
    feats = f.fit_transform(pairs)
    v = f.encode_batch([x, x], [np.sin(3 * x), np.cos(3 * x)])
    assert feats.shape == (2, 512) and feats.dtype == np.float32
    np.testing.assert_allclose(feats[0] @ feats[1], np.real(np.vdot(v[0], v[1])), rtol=1e-4)
    assert clone(f).get_params()["dim"] == 256
    with pytest.raises(ValueError, match=r"`X` must hold \(x, y\) pairs"):
        f.transform([x])


def test_function_encoder_torch_in_torch_out():
    f = FunctionEncoder(256, seed=0)
    x = np.linspace(0, 1, 30)
    y = x**2
    v = f.encode(torch.from_numpy(x), torch.from_numpy(y))
    assert isinstance(v, torch.Tensor)
    np.testing.assert_array_equal(v.numpy(), f.encode(x, y))
    vb = f.encode_batch([torch.from_numpy(x)], [torch.from_numpy(y)])
    assert isinstance(vb, torch.Tensor) and vb.shape == (1, 256)
    dec = f.decode(v, torch.from_numpy(x))
    assert isinstance(dec, torch.Tensor)
    np.testing.assert_allclose(dec.numpy(), f.decode(v.numpy(), x))


def test_progress_bars_follow_the_progress_argument(capsys):
    texts = ["some text"] * 50
    enc = NGramEncoder(hdc.BSC(256, seed=0))
    for call in (lambda p: enc.encode_batch(texts, progress=p),
                 lambda p: JSONEncoder(128, seed=0).encode_batch([{"a": 1}] * 5, progress=p),
                 lambda p: Index(8, spec="Flat").add(np.ones((5, 8), np.float32), progress=p)):
        call(False)
        assert capsys.readouterr().err == ""
        call(None)  # auto: small inputs and no terminal -> no bar
        assert capsys.readouterr().err == ""
        call(True)
        assert "100%" in capsys.readouterr().err
    with pytest.raises(TypeError, match="`progress` must be True, False or None"):
        enc.encode_batch(texts, progress="yes")


def test_long_operations_log(caplog):
    x = np.random.default_rng(0).standard_normal((300, 8)).astype(np.float32)
    with caplog.at_level(logging.INFO, logger="hdvec"):
        idx = Index(8, spec="IVF4,LVQ8", seed=0)
        idx.train(x)
        idx.add(x)
    msgs = [r.getMessage() for r in caplog.records if r.name == "hdvec.index.ivf_index"]
    assert any(m.startswith("Index.train: IVF4,LVQ8 on 300 vectors") for m in msgs), msgs
    assert any(m.startswith("Index.add: 300 vectors") for m in msgs), msgs
