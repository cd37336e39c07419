"""Every bad-input case raises ValueError/TypeError naming the argument, expected and received."""

import numpy as np
import pytest

from hdvec import hdc


def test_model_constructor_arguments():
    with pytest.raises(ValueError, match="`dim` must be >= 1; got 0"):
        hdc.BSC(0)
    with pytest.raises(TypeError, match="`dim` must be an int; got float"):
        hdc.MAP(10.0)
    with pytest.raises(ValueError, match="`dtype` must be 'float32' or 'int8'; got 'float64'"):
        hdc.MAP(10, dtype="float64")
    with pytest.raises(TypeError, match="`seed` must be an int"):
        hdc.HRR(10, seed="abc")
    with pytest.raises(ValueError, match="`seed` must be a non-negative int; got -1"):
        hdc.FHRR(10, seed=-1)
    with pytest.raises(ValueError, match="`rounds`"):
        hdc.MBAT(10, rounds=0)


def test_mismatched_dims_name_argument_expected_and_received():
    m = hdc.MAP(100, seed=0)
    a = m.random(2)
    b = hdc.MAP(99, seed=0).random(2)
    with pytest.raises(ValueError, match=r"`b` must have shape \(\.\.\., 100\).*got \(2, 99\)"):
        m.bind(a, b)
    bsc = hdc.BSC(10_000, seed=0)
    with pytest.raises(ValueError, match=r"`a` must have shape \(\.\.\., 157\).*got \(2, 160\)"):
        bsc.bind(hdc.BSC(10_240).random(2), bsc.random(2))


def test_mixed_models_and_dtypes():
    m = hdc.MAP(64, seed=0)
    with pytest.raises(TypeError, match="`b` must have dtype float32.*got int8"):
        m.bind(m.random(2), hdc.MAP(64, dtype="int8").random(2))
    with pytest.raises(TypeError, match="`a` must have dtype float32.*got float64"):
        m.similarity(m.random(2).astype(np.float64), m.random(2))  # never a silent cast
    with pytest.raises(TypeError, match="`x` must have dtype complex64"):
        hdc.FHRR(64).bundle(m.random(2))
    with pytest.raises(TypeError, match="pack_bits"):
        hdc.BSC(64).similarity(m.random(2), m.random(2))
    with pytest.raises(TypeError, match="numpy.ndarray or torch.Tensor; got list"):
        m.bind([1.0] * 64, m.random(1))


def test_non_finite_values():
    m = hdc.HRR(16, seed=0)
    x = m.random(2)
    x[0, 3] = np.nan
    with pytest.raises(ValueError, match="`a` must contain only finite values"):
        m.bind(x, x)
    x[0, 3] = np.inf
    with pytest.raises(ValueError, match="finite"):
        m.bundle(x)
    with pytest.raises(ValueError, match="`weights` must contain only finite"):
        m.bundle(m.random(2), weights=[1.0, np.nan])
    with pytest.raises(ValueError, match="`values` must contain only finite"):
        hdc.Level(m, 4).encode([np.nan])


def test_empty_batches_and_wrong_shapes():
    for m in (hdc.BSC(64), hdc.MAP(64), hdc.MBAT(64)):
        empty = m.random(0)
        with pytest.raises(ValueError, match="`x` must not be an empty batch"):
            m.bundle(empty)
        with pytest.raises(ValueError, match=r"`x` must have shape \(\.\.\., n,"):
            m.bundle(m.random(1)[0])
        with pytest.raises(ValueError, match="`queries` must not be an empty batch"):
            m.cleanup(empty, m.random(3), 1)
    m = hdc.BSC(64)
    with pytest.raises(ValueError, match="`weights` must be a 1-D real array of length 3"):
        m.bundle(m.random(3), weights=[1, 2])
    with pytest.raises(ValueError, match="`k` must be >= 1; got 0"):
        m.cleanup(m.random(2), m.random(3), 0)
    with pytest.raises(TypeError, match="`shifts` must be an int; got float"):
        m.permute(m.random(2), 1.5)
    with pytest.raises(TypeError, match="`n` must be"):
        m.random(-1)
    with pytest.raises(ValueError, match="same last dimension"):
        hdc.cosine(np.ones((2, 3), np.float32), np.ones((2, 4), np.float32))
    with pytest.raises(ValueError, match="broadcastable"):
        hdc.dot(np.ones((2, 3), np.float32), np.ones((4, 3), np.float32), pairwise=False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
def test_large_array_finite_check_catches_every_position(dtype):
    """Arrays >= 65,536 values take the exponent-bit kernel; it must match np.isfinite."""
    from hdvec._validation import check_finite

    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 300)).astype(dtype)
    big = np.finfo(x.real.dtype).max
    x.flat[:3] = [big, -big, np.finfo(x.real.dtype).tiny / 2]  # finite extremes and a subnormal
    check_finite(x, "x")
    for pos in (0, 1, 4567, x.size - 1):
        for bad in (np.nan, np.inf, -np.inf):
            y = x.copy()
            y.flat[pos] = bad if y.dtype.kind == "f" else complex(0.0, bad)
            with pytest.raises(ValueError, match="`y` must contain only finite"):
                check_finite(y, "y")


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda m: hdc.Level(m, 4, low=1, high=1), ValueError, "`low` and `high`"),
        (lambda m: hdc.Level(m, 1), ValueError, "`n_levels` must be >= 2"),
        (lambda m: hdc.Level("x", 4), TypeError, "`model` must be an hdvec.hdc model"),
        (lambda m: hdc.FractionalPower(hdc.FHRR(8), bandwidth=0), ValueError, "`bandwidth`"),
        (lambda m: hdc.FractionalPower(hdc.FHRR(8), kernel="box"), ValueError, "`kernel`"),
        (lambda m: hdc.ngrams(m, m.random(5), n=0), ValueError, "`n` must be an int >= 1"),
        (lambda m: hdc.ngrams(m, m.random(2), n=3), ValueError, "at least n=3"),
        (lambda m: hdc.sequence(m, m.random(3), mode="x"), ValueError, "`mode`"),
        (lambda m: hdc.hash_table(m, m.random(3), m.random(2)), ValueError, r"same \(n, width\)"),
        (lambda m: hdc.graph(m, m.random(3), np.array([[0.0, 1.0]])), ValueError, "`edges`"),
        (lambda m: hdc.unpack_bits(m.random(2), 200), ValueError, r"`words` must have shape \(\.\.\., 4\)"),
        (lambda m: hdc.model_from_config({"model": "XYZ", "dim": 3}), ValueError, "config"),
        (lambda m: hdc.ItemMemory("BSC"), TypeError, "`model`"),
        (lambda m: hdc.MAP(8, binarize=1), TypeError, "`binarize`"),
        (lambda m: hdc.MBAT(8, structured="yes"), TypeError, "`structured`"),
        (lambda m: hdc.MBAT(8).role(1.5), TypeError, "`name` must be a str, bytes or int; got float"),
        (lambda m: hdc.HRR(8).inverse(np.zeros((1, 8), np.float32), exact=True), ValueError, "zero Fourier"),
        (lambda m: m.cleanup(m.random((2, 2)), m.random(3), 1), ValueError, "must be 2-D"),
    ],
)
def test_public_functions_reject_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call(hdc.BSC(64, seed=0))
