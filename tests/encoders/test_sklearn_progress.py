"""Encoders as scikit-learn transformers; progress bars and logging of long operations; torch in/out."""

import logging
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import NearestCentroid
from sklearn.pipeline import make_pipeline
from sklearn.utils import estimator_checks, get_tags

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


# ---------------------------------------------------------------------- scikit-learn conformance
_TEXTS = ["the cat sat on the mat", "a dog ran", "", "Zebra", "the cat ran home"]
_RECORDS = [{"a": 1, "b": "cat"}, {"a": [1, 2], "c": None}, {}, {"b": {"d": True}}, {"a": 2.5, "b": "cats"}]
_T = np.linspace(0.0, 1.0, 25)
_FUNCTIONS = [(_T, np.sin(3 * _T)), (_T, np.cos(3 * _T)), (_T[::2], _T[::2] ** 2), (_T, 0.5 * _T),
              (_T[:10], -_T[:10])]

# small, fast encoders with non-default arguments, and a batch of the input each one takes
CASES = {
    "NGramEncoder": (lambda: NGramEncoder(hdc.MAP(256, seed=0), n=2, lowercase=True, seed=1), _TEXTS),
    "TokenEncoder": (lambda: TokenEncoder(hdc.BSC(256, seed=0), mode="window", window=2, stopwords=["the"], seed=3),
                     _TEXTS),
    "JSONEncoder": (lambda: JSONEncoder(256, seed=0, number_scale={"a": 2.0}, arrays="bag"), _RECORDS),
    "FunctionEncoder": (lambda: FunctionEncoder(256, x_bandwidth=0.1, iterations=10, seed=0), _FUNCTIONS),
}

# what each encoder declares about its input (besides two_d_array=False, common to all)
EXPECTED_INPUT_TAGS = {
    "NGramEncoder": {"string": True, "one_d_array": True, "dict": False},
    "TokenEncoder": {"string": True, "one_d_array": True, "dict": False},
    "JSONEncoder": {"string": False, "one_d_array": False, "dict": True},
    "FunctionEncoder": {"string": False, "one_d_array": False, "dict": False},
}

# scikit-learn's API checks that need no input data (check_estimator skips them for estimators whose
# tags say two_d_array=False, so they are run here one by one)
API_CHECKS = [
    estimator_checks.check_estimator_cloneable,
    estimator_checks.check_estimator_tags_renamed,
    estimator_checks.check_valid_tag_types,
    estimator_checks.check_estimator_repr,
    estimator_checks.check_no_attributes_set_in_init,
    estimator_checks.check_mixin_order,
    estimator_checks.check_get_params_invariance,
    estimator_checks.check_set_params,
    estimator_checks.check_parameters_default_constructible,
    pytest.param(estimator_checks.check_do_not_raise_errors_in_init_or_set_params, marks=pytest.mark.xfail(
        strict=True, raises=(TypeError, ValueError),
        reason="the encoders validate their arguments in __init__ / set_params, so a bad one fails at once "
               "(tests/encoders/test_text.py, test_json.py and test_functions.py rely on it)")),
]


@pytest.mark.parametrize("name", CASES)
def test_check_estimator_passes_what_the_tags_let_it_run(name):
    enc = CASES[name][0]()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = estimator_checks.check_estimator(enc, on_fail=None)
    assert results, "check_estimator ran no check"
    failed = [(r["check_name"], r["status"], repr(r["exception"])) for r in results if r["status"] != "passed"]
    assert not failed, failed
    assert "check_estimator_cloneable" in [r["check_name"] for r in results]
    # honest tags: the remaining checks feed 2-D numeric arrays, which the encoders do not take
    assert any(f"Can't test estimator {name}" in str(w.message) for w in caught)


@pytest.mark.parametrize("check", API_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("name", CASES)
def test_scikit_learn_api_checks(name, check):
    enc = CASES[name][0]()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check(name, enc)
    # check_set_params only warns when a failed set_params left the parameters changed
    changed = [str(w.message) for w in caught if "changed after set_params" in str(w.message)]
    assert not changed, changed


@pytest.mark.parametrize("name", CASES)
def test_encoders_are_transformers_on_their_own_input(name):
    """What check_estimator's data checks verify, on input the encoder takes (texts, JSON values, functions)."""
    make, X = CASES[name]
    enc = make()
    tags = get_tags(enc)  # scikit-learn reads the encoder's own tags: a transformer of 1-D input
    assert tags.transformer_tags is not None and not tags.input_tags.two_d_array and not tags.requires_fit
    ref = make().fit(X).transform(X)
    assert isinstance(ref, np.ndarray) and ref.ndim == 2 and ref.shape[0] == len(X)
    assert enc.fit(X) is enc
    np.testing.assert_array_equal(enc.fit_transform(X), ref)
    np.testing.assert_array_equal(enc.fit(X).transform(X), ref)  # fitting again changes nothing
    before = dict(vars(enc))
    order = [3, 0, 4, 2, 1]
    np.testing.assert_allclose(enc.transform([X[i] for i in order]), ref[order], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(enc.transform(X[1:3]), ref[1:3], rtol=1e-6, atol=1e-6)
    # transform leaves the attributes alone (caches such as the item memory grow in place)
    assert vars(enc).keys() == before.keys()
    assert all(vars(enc)[k] is v for k, v in before.items())
    # clone: same arguments, a new (unfitted) encoder, the same output
    c = clone(enc)
    assert c is not enc and type(c) is type(enc)
    assert c.get_params().keys() == enc.get_params().keys()
    np.testing.assert_array_equal(c.fit_transform(X), ref)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(enc)).transform(X), ref)


@pytest.mark.parametrize("name", CASES)
def test_tags_and_html_repr(name):
    enc = CASES[name][0]()
    tags = get_tags(enc)
    assert tags == enc.__sklearn_tags__()
    assert not tags.requires_fit
    assert not tags.input_tags.two_d_array
    assert {k: getattr(tags.input_tags, k) for k in EXPECTED_INPUT_TAGS[name]} == EXPECTED_INPUT_TAGS[name]
    assert tags.transformer_tags is not None and tags.transformer_tags.preserves_dtype == []
    html = enc._repr_html_()
    assert isinstance(html, str) and name in html and "<div" in html
    # an output row is one hypervector, not named feature columns: no set_output (pandas / polars)
    assert not hasattr(enc, "set_output")


def test_function_encoder_get_params_gives_the_ranges_as_given():
    """x_range / y_range attributes hold the ranges in use; get_params and clone keep the arguments."""
    f = FunctionEncoder(128, x_range=(0, 2), seed=0)
    f.fit(_FUNCTIONS)
    np.testing.assert_array_equal(f.x_range, [[0.0, 2.0]])
    ys = np.concatenate([y for _, y in _FUNCTIONS])
    np.testing.assert_allclose(f.y_range, [[ys.min(), ys.max()]])  # learned from all the samples
    params = f.get_params()
    assert params["x_range"] == (0, 2) and params["y_range"] is None
    c = clone(f)
    assert c.y_range is None and c.get_params()["x_range"] == (0, 2)


def test_set_params_validates_before_changing_anything():
    enc = NGramEncoder(hdc.MAP(256, seed=0), n=2, seed=1)
    before = enc.transform(["abcd"])
    with pytest.raises(ValueError, match="`n` must be an int >= 1; got 0"):
        enc.set_params(n=0)
    assert enc.get_params()["n"] == 2
    np.testing.assert_array_equal(enc.transform(["abcd"]), before)


def test_hdvec_encoders_work_without_scikit_learn():
    """scikit-learn is optional: without it the encoders keep get_params / set_params / fit / transform."""
    code = """
import sys
sys.modules["sklearn"] = None  # import sklearn now raises ImportError
import numpy as np
from hdvec import hdc
from hdvec.encoders import FunctionEncoder, TokenEncoder
from hdvec.encoders._sklearn import HAVE_SKLEARN
assert not HAVE_SKLEARN
m = hdc.MAP(128, seed=0)
enc = TokenEncoder(m, mode="window", window=2, seed=3)
assert enc.get_params() == {"model": m, "mode": "window", "window": 2, "tokenizer": None, "lowercase": True,
                            "stopwords": None, "seed": 3}, enc.get_params()
before = enc.transform(["a b c"])
assert enc.set_params(mode="bag") is enc and enc.mode == "bag"
assert not np.array_equal(enc.fit_transform(["a b c"]), before)
assert not hasattr(enc, "__sklearn_tags__")
x = np.linspace(0, 1, 9)
f = FunctionEncoder(64, seed=0).fit([(x, 2 * x)])
assert f.get_params()["y_range"] is None and f.y_range.tolist() == [[0.0, 2.0]]
print("ok")
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


def test_function_encoder_torch_in_torch_out():
    torch = pytest.importorskip("torch")
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
                 lambda p: Index(8, spec="Flat").add(np.ones((5, 8), np.float32), progress=p),
                 lambda p: Index(8, spec="PCA4,IVF2,LVQ8", seed=0).train(
                     np.random.default_rng(0).standard_normal((40, 8)).astype(np.float32), progress=p)):
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


def test_importing_the_encoders_does_not_import_scikit_learn():
    code = "import sys, hdvec.encoders; print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
