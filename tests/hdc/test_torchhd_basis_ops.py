"""Torchhd 5.8 behavioural checks, re-expressed with hdvec's API: basis vectors, operations, similarities, embeddings.

Each test names the Torchhd test it comes from as ``file::Class::function``
(files under ``torchhd/tests/``). The checks keep Torchhd's facts (which
property, which tolerance, which expected value) and are written anew for hdvec.

Adaptations applied throughout (hdvec's documented choices, not bugs):

* Torchhd's ``d`` for BSBC is the number of blocks; hdvec's ``dim`` counts bits,
  so ``BSBC(d * block_size, block_size=...)`` has ``width == d`` blocks.
* BSC vectors are bit-packed uint64; bit-level checks unpack them first.
* dtypes are fixed per model (BSC uint64, MAP float32 by default, HRR / VTB
  float32, FHRR complex64, BSBC / MCR / CGR int16 where Torchhd uses int64),
  and similarities are float32; Torchhd's ``dtype=`` / ``requires_grad=`` /
  default-dtype / ``sparsity=`` parameters have no hdvec counterpart and are not ported.
* Seeding is ``seed=`` (an int) instead of a ``torch.Generator``.
* "device" checks use torch tensors on CPU (and CUDA when present): hdvec
  returns torch tensors on the device they came from.
* Torchhd raises ValueError for unsupported model/feature pairs; hdvec raises
  TypeError for a model that does not support a feature (ValueError stays for bad
  values, e.g. a VTB dimension that is not a perfect square).
* Level / Circular need ``n_levels >= 2`` in hdvec (Torchhd also allows 1), so the
  shape checks use 2 where Torchhd uses 1.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hdvec import hdc
from hdvec.hdc import ops
from hdvec.hdc.model import Model

ALL = ["BSC", "MAP", "HRR", "FHRR", "BSBC", "VTB", "MCR", "CGR"]
CYCLIC = ("BSBC", "MCR", "CGR")
SEED = 2147483644
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def make(name: str, d: int, *, block_size: int = 1024, seed: int = 0) -> Model:
    """A model of ``name`` whose vectors have ``d`` components (bits for BSC, blocks for BSBC)."""
    if name == "BSBC":
        return hdc.BSBC(d * block_size, block_size=block_size, seed=seed)
    if name in ("MCR", "CGR"):
        return getattr(hdc, name)(d, block_size=block_size, seed=seed)
    return getattr(hdc, name)(d, seed=seed)


def comps(model: Model, x):
    """Per-component form: unpacked bits for BSC, the array itself otherwise (NumPy)."""
    if isinstance(x, torch.Tensor):
        x = x.cpu().numpy()
    return hdc.unpack_bits(x, model.dim) if isinstance(model, hdc.BSC) else x


def n_comps(model: Model) -> int:
    return model.dim if isinstance(model, hdc.BSC) else model.width


# ---------------------------------------------------------------- basis_hv/test_random_hv.py


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("d", [84, 16])
@pytest.mark.parametrize("n", [1, 3, 55])
def test_random_shape(name, d, n):
    """basis_hv/test_random_hv.py::Testrandom::test_shape (block_size 64 for BSBC/MCR/CGR; VTB rejects 84)."""
    if name == "VTB" and d == 84:
        with pytest.raises(ValueError):
            make(name, d)
    else:
        m = make(name, d, block_size=64)
        hv = comps(m, m.random(n))
        assert hv.ndim == 2 and hv.shape == (n, d)


@pytest.mark.parametrize("name", ALL)
def test_random_generator(name):
    """basis_hv/test_random_hv.py::Testrandom::test_generator (same seed -> same vectors; seed= instead of a Generator)."""
    a = make(name, 10000, block_size=64, seed=SEED).random(20)
    b = make(name, 10000, block_size=64, seed=SEED).random(20)
    assert np.array_equal(a, b)
    m = make(name, 10000, block_size=64)
    assert np.array_equal(m.random(20, seed=SEED), m.random(20, seed=SEED))


@pytest.mark.parametrize("name", ALL)
def test_random_value(name):
    """basis_hv/test_random_hv.py::Testrandom::test_value (value sets; HRR mean 0 atol 1e-4; VTB norm 1; FHRR |x| = 1).

    Adaptation: dtype is the model's fixed one (checked), not a parameter.
    """
    m = make(name, 25921, block_size=64, seed=SEED)
    hv = m.random(8)
    x = comps(m, hv)
    assert x.shape == (8, 25921)
    if name == "BSC":
        assert hv.dtype == np.uint64 and x.dtype == bool
    elif name == "MAP":
        assert np.all((x == -1) | (x == 1))
    elif name == "HRR":
        assert abs(float(x.mean())) < 1e-4
    elif name == "VTB":
        assert np.allclose(np.linalg.norm(x, axis=-1), 1.0, atol=1e-5)
    elif name == "FHRR":
        assert np.allclose(np.abs(x), 1.0, atol=1e-6)
    else:
        assert np.all((x >= 0) & (x < 64))


@pytest.mark.parametrize("name", ALL)
def test_random_orthogonality(name):
    """basis_hv/test_random_hv.py::Testrandom::test_orthogonality (100 x 10000, block_size 1042, mean cos 0 atol 0.002)."""
    m = make(name, 10000, block_size=1042, seed=SEED)
    hv = m.random(100)
    sims = m.similarity(hv[0], hv[1:])
    assert sims.shape == (99,)
    assert abs(float(sims.mean())) < 0.002


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", ALL)
def test_random_device(name, device):
    """basis_hv/test_random_hv.py::Testrandom::test_device (vectors land on the requested device, same numbers)."""
    m = make(name, 49, block_size=64)
    hv = m.random(3, seed=1, device=device)
    assert isinstance(hv, torch.Tensor) and hv.device.type == device
    assert np.array_equal(hv.cpu().numpy(), m.random(3, seed=1))


def test_random_uses_default_dtype():
    """basis_hv/test_random_hv.py::Testrandom::test_uses_default_dtype.

    Adaptation: hdvec has no default dtype; each model's dtype is fixed (BSC uint64 words where
    Torchhd uses bool, BSBC int16 where Torchhd uses int64). MAP can also be int8 on request.
    """
    expected = {"BSC": np.uint64, "MAP": np.float32, "HRR": np.float32, "VTB": np.float32,
                "FHRR": np.complex64, "BSBC": np.int16, "MCR": np.int16, "CGR": np.int16}
    for name, dt in expected.items():
        assert make(name, 49 if name != "BSBC" else 52, block_size=64).random(3).dtype == dt
    assert hdc.MAP(49, dtype="int8").random(3).dtype == np.int8


# ---------------------------------------------------------------- basis_hv/test_level_hv.py


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("d", [84, 16])
@pytest.mark.parametrize("n", [2, 3, 55])
def test_level_shape(name, d, n):
    """basis_hv/test_level_hv.py::Testlevel::test_shape (block_size 1024 is kept; VTB rejects 84; n=1 -> 2, see module doc)."""
    if name == "VTB" and d == 84:
        with pytest.raises(ValueError):
            hdc.Level(make(name, d), n)
    else:
        m = make(name, d)
        cb = hdc.Level(m, n, seed=0).codebook
        assert comps(m, cb).shape == (n, d)
        if name in CYCLIC:
            assert m.block_size == 1024


@pytest.mark.parametrize("name", ALL)
def test_level_generator(name):
    """basis_hv/test_level_hv.py::Testlevel::test_generator (same seed -> same codebook)."""
    m = make(name, 10000)
    assert np.array_equal(hdc.Level(m, 20, seed=SEED).codebook, hdc.Level(m, 20, seed=SEED).codebook)


@pytest.mark.parametrize("name", ALL)
def test_level_value(name):
    """basis_hv/test_level_hv.py::Testlevel::test_value.

    50 levels of 25921 components: values in the model's set and similarity to level 0
    strictly decreasing; 5 levels of 1,000,000 components: consecutive similarities differ
    by 0.25 (atol 0.005), i.e. the similarity falls linearly.
    """
    m = make(name, 25921, seed=SEED)
    hv = hdc.Level(m, 50, seed=SEED).codebook
    x = comps(m, hv)
    assert x.shape == (50, 25921)
    if name == "MAP":
        assert np.all((x == -1) | (x == 1))
    elif name == "HRR":
        assert abs(float(x.mean())) < 1e-4
    elif name == "FHRR":
        assert np.allclose(np.abs(x), 1.0, atol=1e-6)
    elif name in CYCLIC:
        assert np.all((x >= 0) & (x < 1024))
    sims = np.asarray(m.similarity(hv[0], hv), np.float64)
    assert np.all(sims[:-1] - sims[1:] > 0), "similarity must be decreasing"

    m = make(name, 1_000_000, seed=SEED)
    hv = hdc.Level(m, 5, seed=SEED).codebook
    sims = np.asarray(m.similarity(hv[0], hv), np.float64)
    assert np.allclose(sims[:-1] - sims[1:], 0.25, atol=0.005), "similarity decreases linearly"


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", ALL)
def test_level_device(name, device):
    """basis_hv/test_level_hv.py::Testlevel::test_device (encode of torch values returns on their device)."""
    m = make(name, 49)
    lv = hdc.Level(m, 3, seed=0)
    out = lv.encode(torch.tensor([0.0, 0.5, 1.0], device=device))
    assert isinstance(out, torch.Tensor) and out.device.type == device
    assert np.array_equal(out.cpu().numpy(), lv.codebook)


@pytest.mark.parametrize("r", [0.25, 0.5, 1.0])
def test_level_randomness_matches_torchhd(r):
    """Cross-check of Torchhd 5.8.4 ``functional.level(..., randomness=r)`` (no Torchhd test covers randomness).

    The similarity profile to level 0 (MAP, 11 levels, d=10000) must match Torchhd's own
    output within 0.05; r=1 gives (nearly) independent levels.
    """
    torchhd = pytest.importorskip("torchhd")
    g = torch.Generator().manual_seed(SEED)
    ref = torchhd.functional.level(11, 10000, "MAP", randomness=r, generator=g)
    ref_prof = torchhd.functional.cosine_similarity(ref[0], ref).numpy()
    m = hdc.MAP(10000)
    cb = hdc.Level(m, 11, seed=SEED, randomness=r).codebook
    prof = np.asarray(m.similarity(cb[0], cb))
    assert np.allclose(prof, ref_prof, atol=0.05)
    if r == 1.0:
        assert np.all(np.abs(prof[1:]) < 0.05)


# ---------------------------------------------------------------- basis_hv/test_circular_hv.py

CIRC = ["BSC", "MAP", "FHRR", "BSBC", "MCR", "CGR"]  # Torchhd skips / refuses HRR and VTB


@pytest.mark.parametrize("name", CIRC)
@pytest.mark.parametrize("d", [84, 16])
@pytest.mark.parametrize("n", [2, 3, 55])
def test_circular_shape(name, d, n):
    """basis_hv/test_circular_hv.py::Testcircular::test_shape (n=1 -> 2, see module doc)."""
    m = make(name, d)
    assert comps(m, hdc.Circular(m, n, seed=0).codebook).shape == (n, d)


@pytest.mark.parametrize("name", CIRC)
def test_circular_generator(name):
    """basis_hv/test_circular_hv.py::Testcircular::test_generator."""
    m = make(name, 10000)
    assert np.array_equal(hdc.Circular(m, 20, seed=SEED).codebook, hdc.Circular(m, 20, seed=SEED).codebook)


@pytest.mark.parametrize("name", ["HRR", "VTB"])
def test_circular_refuses_hrr_vtb(name):
    """basis_hv/test_circular_hv.py::Testcircular::test_value (HRR / VTB branch).

    Adaptation: Torchhd raises ValueError for HRR and VTB; hdvec refuses them (TypeError) only
    where the walk back must bind componentwise (randomness > 0); randomness 0 is accepted (documented).
    """
    with pytest.raises(TypeError):
        hdc.Circular(make(name, 26 if name == "HRR" else 25), 3, seed=0, randomness=0.5)


@pytest.mark.parametrize("name", CIRC)
def test_circular_value(name):
    """basis_hv/test_circular_hv.py::Testcircular::test_value.

    50 levels of 26569 components hold model values; 8 levels of 1,000,000: from any level the
    similarity falls for 4 steps and rises for 3, each step 0.25 (atol 0.005).
    """
    m = make(name, 26569, seed=SEED)
    x = comps(m, hdc.Circular(m, 50, seed=SEED).codebook)
    assert x.shape == (50, 26569)
    if name == "MAP":
        assert np.all((x == -1) | (x == 1))
    elif name == "FHRR":
        assert np.allclose(np.abs(x), 1.0, rtol=1e-4, atol=1e-4)
    elif name in CYCLIC:
        assert np.all((x >= 0) & (x < 1024))

    m = make(name, 1_000_000, seed=SEED)
    hv = hdc.Circular(m, 8, seed=SEED).codebook
    for i in range(8):
        sims = np.asarray(m.similarity(hv[0], hv), np.float64)
        diff = sims[:-1] - sims[1:]
        assert np.array_equal(np.sign(diff), [1, 1, 1, 1, -1, -1, -1]), f"element #{i}: second half must get more similar"
        assert np.allclose(np.abs(diff), 0.25, atol=0.005), f"element #{i}: similarity decreases linearly"
        hv = np.roll(hv, 1, axis=0)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", CIRC)
def test_circular_device(name, device):
    """basis_hv/test_circular_hv.py::Testcircular::test_device."""
    c = hdc.Circular(make(name, 52), 3, seed=0)
    out = c.encode(torch.tensor([0.0, 2.0], device=device))
    assert isinstance(out, torch.Tensor) and out.device.type == device


# ---------------------------------------------------------------- basis_hv/test_empty_hv.py


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("d", [84, 16])
@pytest.mark.parametrize("n", [1, 3, 55])
def test_empty_shape(name, d, n):
    """basis_hv/test_empty_hv.py::Testempty::test_shape.

    Adaptation: hdvec refuses BSC (TypeError: bitwise majority has no neutral element, documented);
    Torchhd returns random BSC vectors there.
    """
    if name == "VTB" and d == 84:
        with pytest.raises(ValueError):
            make(name, d)
    else:
        m = make(name, d)
        if name == "BSC":
            with pytest.raises(TypeError):
                ops.empty(m, n)
        else:
            assert comps(m, ops.empty(m, n)).shape == (n, d)


@pytest.mark.parametrize("name", [n for n in ALL if n != "BSC"])
def test_empty_value(name):
    """basis_hv/test_empty_hv.py::Testempty::test_value and test_embeddings.py::TestEmpty::test_value (zeros; cyclic in range)."""
    m = make(name, 25)
    hv = ops.empty(m, 8)
    assert hv.shape == (8, 25) and hv.dtype == m.random(1).dtype
    if name in CYCLIC:
        assert np.all((hv >= 0) & (hv < 1024))
    else:
        assert np.all(hv == 0)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", [n for n in ALL if n != "BSC"])
def test_empty_device(name, device):
    """basis_hv/test_empty_hv.py::Testempty::test_device."""
    hv = ops.empty(make(name, 49), 3, device=device)
    assert isinstance(hv, torch.Tensor) and hv.device.type == device


# ---------------------------------------------------------------- basis_hv/test_identity_hv.py



@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("d", [84, 16])
@pytest.mark.parametrize("n", [1, 3, 55])
def test_identity_shape(name, d, n):
    """basis_hv/test_identity_hv.py::Testidentity::test_shape."""
    if name == "VTB" and d == 84:
        with pytest.raises(ValueError):
            make(name, d)
    else:
        m = make(name, d, block_size=1042)
        assert comps(m, ops.identity(m, n)).shape == (n, d)


@pytest.mark.parametrize("name", ["BSC", "MAP", "HRR", "FHRR"])
def test_identity_value(name):
    """basis_hv/test_identity_hv.py::Testidentity::test_value (BSC all 0; HRR fft == 1; MAP / FHRR all 1)."""
    m = make(name, 25)
    hv = ops.identity(m, 8)
    x = comps(m, hv)
    assert x.shape == (8, 25)
    if name == "BSC":
        assert not x.any()
    elif name == "HRR":
        assert np.allclose(np.fft.fft(x), 1.0)
    else:
        assert np.all(x == 1)


@pytest.mark.parametrize("name", CYCLIC)
def test_identity_value_cyclic(name):
    """basis_hv/test_identity_hv.py::Testidentity::test_value (BSBC / MCR / CGR identity is all zeros)."""
    m = make(name, 25, block_size=1042)
    assert np.all(ops.identity(m, 8) == 0)


def test_identity_value_vtb():
    """test_embeddings.py::TestIdentity::test_value (VTB branch: dim 9 -> [1,0,0,0,1,0,0,0,1] / sqrt(3))."""
    hv = ops.identity(hdc.VTB(9), 4)
    ref = np.tile(np.eye(3).reshape(-1) * 3 ** -0.5, (4, 1))
    assert np.allclose(hv, ref)


@pytest.mark.parametrize("name", ["BSC", "MAP", "HRR", "FHRR"]
                         + ["BSBC", "VTB", "MCR", "CGR"])
def test_identity_is_neutral_under_bind(name):
    """Intent of basis_hv/test_identity_hv.py::Testidentity::test_value (Torchhd's identity: bound with x gives x)."""
    m = make(name, 64, block_size=1042)
    x = m.random(3, seed=1)
    i = ops.identity(m, 3)
    assert np.allclose(comps(m, m.bind(x, i)), comps(m, x), atol=1e-5)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", ALL)
def test_identity_device(name, device):
    """basis_hv/test_identity_hv.py::Testidentity::test_device."""
    hv = ops.identity(make(name, 49, block_size=1042), 3, device=device)
    assert isinstance(hv, torch.Tensor) and hv.device.type == device


# ---------------------------------------------------------------- basis_hv/test_base_tensor.py


def test_base_model_random_not_implemented():
    """basis_hv/test_base_tensor.py::TestVSATensor::test_random (the abstract base cannot draw vectors).

    The other base-class checks (bind, bundle, ... raise NotImplementedError) have no counterpart:
    hdvec's ``Model`` base simply does not define those methods.
    """
    with pytest.raises(NotImplementedError):
        Model(525).random(4)
    assert not hasattr(Model(525), "bind")


# ---------------------------------------------------------------- test_operations.py (upstream)


@pytest.mark.parametrize("name", ALL)
def test_bind_value(name):
    """test_operations.py::TestBind::test_value: bind's formula per model, dtype kept.

    Adaptation: random vectors instead of Torchhd's ``empty`` ones (all-zero there, which makes
    the MAP / FHRR / VTB comparison vacuous); VTB is checked against its block-matrix definition.
    """
    m = make(name, 16)
    a, b = m.random(2, seed=3)
    res = m.bind(a, b)
    assert res.dtype == a.dtype
    if name == "BSC":
        assert np.array_equal(comps(m, res), np.logical_xor(comps(m, a), comps(m, b)))
    elif name in ("MAP", "FHRR"):
        assert np.array_equal(res, a * b)
    elif name == "HRR":
        assert np.allclose(res, np.fft.ifft(np.fft.fft(a) * np.fft.fft(b)).real, atol=1e-6)
    elif name == "VTB":
        ref = (a.reshape(4, 4) @ b.reshape(4, 4).T * 2).reshape(-1)
        assert np.allclose(res, ref, atol=1e-6)
    else:
        assert np.array_equal(res, (a.astype(np.int64) + b) % 1024)


@pytest.mark.parametrize("device", DEVICES)
def test_bind_device(device):
    """test_operations.py::TestBind::test_device."""
    m = hdc.MAP(100)
    hv = m.random(2, device=device)
    res = m.bind(hv[0], hv[1])
    assert res.dtype == hv.dtype and res.dim() == 1 and res.size(0) == 100
    assert torch.all((hv == -1) | (hv == 1)) and res.device.type == device


@pytest.mark.parametrize("name", ALL)
def test_bundle_value(name):
    """test_operations.py::TestBundle::test_value.

    BSC / BSBC / CGR: each component comes from one of the two inputs; MAP: exact sums;
    FHRR / VTB: the plain sum; MCR (block_size 10): one of Torchhd's admissible values.
    Adaptation: the dtype check is "the model's vector dtype" (MAP float32 stays float32).
    """
    m = make(name, 16 if name not in CYCLIC else 10)
    hv = m.random(2, seed=5)
    res = m.bundle(hv)
    if name in ("BSC", "BSBC"):
        r, x = comps(m, res), comps(m, hv)
        assert np.all((r == x[0]) | (r == x[1]))
    if name in ("FHRR", "VTB"):
        assert np.array_equal(res, hv[0] + hv[1])
    if name == "MAP":
        x = np.array([[1, 1, -1, -1, 1, 1, 1, 1, -1, -1], [1, 1, -1, -1, -1, -1, -1, -1, 1, -1]], np.float32)
        res = hdc.MAP(10).bundle(x)
        assert np.array_equal(res, [2, 2, -2, -2, 0, 0, 0, 0, 0, -2])
    if name in ("MCR", "CGR"):
        x = np.array([[1, 3, 5, 7, 9, 0, 2, 4, 6, 8], list(range(10))], np.int16)
        res = getattr(hdc, name)(10, block_size=10, seed=0).bundle(x)
        if name == "MCR":
            allowed = [[0, 1], [1, 2], [3, 4], [5], [6, 7, 1, 2], [2, 3, 7, 8], [4], [5, 6], [7], [8, 9]]
        else:
            allowed = [[1, 0], [3, 1], [5, 2], [7, 3], [9, 4], [0, 5], [2, 6], [4, 7], [6, 8], [8, 9]]
        assert all(int(res[i]) in allowed[i] for i in range(10))
    assert res.dtype == hv.dtype


@pytest.mark.parametrize("device", DEVICES)
def test_bundle_device(device):
    """test_operations.py::TestBundle::test_device (values of a 2-bundle lie in [-2, 2])."""
    m = hdc.MAP(100)
    hv = m.random(2, device=device)
    res = m.bundle(hv)
    assert res.dtype == hv.dtype and res.dim() == 1 and res.size(0) == 100
    assert torch.all((res <= 2) & (res >= -2)) and res.device.type == device


@pytest.mark.parametrize("name", ALL)
def test_permute_value(name):
    """test_operations.py::TestPermute::test_value (shape / dtype kept; BSC, MAP: a shift changes the vector and
    shifts 1 and 2 differ; every model: shift 5 then -5 restores it)."""
    m = make(name, 100)
    hv = m.random(2, seed=7)
    res = m.permute(hv[0])
    assert res.dtype == hv.dtype and comps(m, res).shape == (100,)
    if name in ("BSC", "MAP"):
        x = comps(m, hv)
        assert np.sum(comps(m, res) == x[0]) != 100, "all elements must not be the same"
        assert np.sum(comps(m, m.permute(hv[0], 1)) == comps(m, m.permute(hv[0], 2))) != 100
    big = make(name, 10000)
    v = big.random(1, seed=8)
    assert np.array_equal(big.permute(big.permute(v, 5), -5), v), "can undo shifts"


@pytest.mark.parametrize("device", DEVICES)
def test_permute_device(device):
    """test_operations.py::TestPermute::test_device."""
    m = hdc.MAP(100)
    hv = m.random(2, device=device)
    res = m.permute(hv[0])
    assert res.dtype == hv.dtype and res.dim() == 1 and res.size(0) == 100 and res.device.type == device




@pytest.mark.parametrize("name", ["BSC", "MAP", "HRR", "FHRR", "VTB"]
                         + list(CYCLIC))
def test_normalize_value(name):
    """test_operations.py::TestNormalize::test_value (12 x 900 bundle then normalize: dtype of the vectors;
    BSC / BSBC unchanged; MAP +-1; HRR / VTB unit norm; FHRR unit phasors with the bundle's angle).

    Torchhd compares lower-case names for the HRR / VTB / FHRR branches (so they never run there);
    the intended checks are made here. MCR / CGR: Torchhd checks dtype and shape only.
    """
    m = make(name, 900)
    hv = m.random(12, seed=9)
    bundle = m.bundle(hv)
    res = ops.normalize(m, bundle)
    assert res.dtype == hv.dtype and comps(m, res).shape == (900,)
    if name in ("BSC", "BSBC"):
        assert np.array_equal(res, bundle)
    if name == "MAP":
        assert np.all((res == -1) | (res == 1))
    if name in ("HRR", "VTB"):
        assert np.isclose(np.linalg.norm(res), 1.0, atol=1e-5)
    if name == "FHRR":
        assert np.isclose(np.linalg.norm(res), np.sqrt(900), rtol=1e-5)
        assert np.allclose(np.angle(res), np.angle(bundle), atol=1e-5)


@pytest.mark.parametrize("device", DEVICES)
def test_normalize_device(device):
    """test_operations.py::TestNormalize::test_device."""
    m = hdc.MAP(100)
    res = ops.normalize(m, m.bundle(m.random(4, device=device)))
    assert res.dim() == 1 and res.size(0) == 100 and res.device.type == device
    assert torch.all((res == -1) | (res == 1))


def _cleanup_case(name):
    m = make(name, 100, seed=SEED)
    hv = m.random(5)
    noise = m.random(1)
    return m, hv, m.bundle(np.concatenate([hv[:1], noise]))


@pytest.mark.parametrize("name", ALL)
def test_cleanup_value(name):
    """test_operations.py::TestCleanup::test_value (5 x 100 items; the bundle of item 0 and a noise vector
    cleans up to item 0)."""
    m, hv, q = _cleanup_case(name)
    _, idx = m.cleanup(q, hv)
    assert np.array_equal(hv[int(idx[0])], hv[0])




@pytest.mark.parametrize("name", [n for n in ALL if n not in CYCLIC]
                         + list(CYCLIC))
def test_cleanup_threshold(name):
    """test_operations.py::TestCleanup::test_threshold (as ::test_value, with similarity threshold 0.3)."""
    m, hv, q = _cleanup_case(name)
    sim, found = ops.cleanup_threshold(m, q, hv, threshold=0.3, return_similarity=True)
    assert int(found) == 0
    assert np.isclose(float(sim), float(m.similarity(q, hv[0])), atol=1e-5)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", ALL)
def test_cleanup_device(name, device):
    """test_operations.py::TestCleanup::test_device."""
    m = make(name, 100)
    hv = m.random(5, device=device)
    d, i = m.cleanup(hv[0], hv)
    assert i.device.type == device and int(i[0]) == 0


@pytest.mark.parametrize("name", ALL)
def test_randsel_value(name):
    """test_operations.py::TestRandsel::test_value (p=0 -> b, p=1 -> a, default: each component from a or b)."""
    m = make(name, 1024 if name not in CYCLIC else 1000)
    a, b = m.random(2, seed=11)
    assert np.array_equal(ops.randsel(m, a, b, p=0, seed=1), b)
    a, b = m.random(2, seed=12)
    assert np.array_equal(ops.randsel(m, a, b, p=1, seed=1), a)
    a, b = m.random(2, seed=13)
    res = ops.randsel(m, a, b, seed=1)
    r, x, y = comps(m, res), comps(m, a), comps(m, b)
    assert np.all((r == x) | (r == y))
    assert res.dtype == a.dtype


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", ALL)
def test_randsel_device(name, device):
    """test_operations.py::TestRandsel::test_device."""
    m = make(name, 100)
    a, b = m.random(2, device=device)
    res = ops.randsel(m, a, b)
    assert res.dtype == a.dtype and comps(m, res).shape == (100,) and res.device.type == device




@pytest.mark.parametrize("name", ALL)
def test_multirandsel_value(name):
    """test_operations.py::TestMultiRandsel::test_value (p one-hot -> that row; p on rows 0, 2 -> one of them;
    uniform -> one of the four)."""
    m = make(name, 1024 if name not in CYCLIC else 1000)
    x = m.random(4, seed=14)
    assert np.array_equal(ops.multirandsel(m, x, p=np.array([0.0, 0.0, 1.0, 0.0]), seed=1), x[2])
    x = m.random(4, seed=15)
    r, c = comps(m, ops.multirandsel(m, x, p=np.array([0.5, 0.0, 0.5, 0.0]), seed=1)), comps(m, x)
    assert np.all((c[0] == r) | (c[2] == r))
    x = m.random(4, seed=16)
    res = ops.multirandsel(m, x, seed=1)
    r, c = comps(m, res), comps(m, x)
    assert np.all((c == r[None]).any(0))
    assert res.dtype == x.dtype


@pytest.mark.parametrize("device", DEVICES)
def test_multirandsel_device(device):
    """test_operations.py::TestMultiRandsel::test_device."""
    m = hdc.MAP(100)
    x = m.random(4, device=device)
    res = ops.multirandsel(m, x)
    assert res.dtype == x.dtype and res.dim() == 1 and res.size(0) == 100 and res.device.type == device




@pytest.mark.parametrize("name", ALL)
def test_random_permute_value(name):
    """test_operations.py::TestRandomPermute::test_value (p(p(x, 3), -3) == x; p(x, 0) == x; a permutation
    keeps the multiset of components, checked for non-complex models)."""
    m = make(name, 100)
    x = m.random(4, seed=17)
    perm = hdc.random_permutation(m, seed=1)
    assert np.array_equal(perm(perm(x, 3), -3), x)
    assert np.array_equal(perm(x, 0), x)
    if name != "FHRR":
        assert np.array_equal(np.sort(comps(m, x), -1), np.sort(comps(m, perm(x, 5)), -1))


@pytest.mark.parametrize("device", DEVICES)
def test_random_permute_device(device):
    """test_operations.py::TestRandomPermute::test_device."""
    m = hdc.MAP(100)
    perm = hdc.random_permutation(m, seed=0)
    assert perm(m.random(4, device=device)).device.type == device


def test_resonator_shape():
    """test_operations.py::TestResonator::test_shape.

    Adaptation: Torchhd exposes one resonator step (new estimates shaped like the old); hdvec runs the
    whole network and returns the decoded rows, so the check is on the output shapes and the factors
    of ``X[0] * Y[1] * Z[3]`` (MAP, 5 x 100 codebooks; d raised to 1000 so the factorisation is reliable).
    """
    m = hdc.MAP(1000, seed=SEED)
    X, Y, Z = m.random(5), m.random(5), m.random(5)
    s = m.bind(m.bind(X[0], Y[1]), Z[3])
    idx, conv, it = hdc.resonator(m, s, [X, Y, Z])
    assert idx.shape == (3,) and conv.shape == () and it.shape == ()
    assert list(np.asarray(idx)) == [0, 1, 3]


# ---------------------------------------------------------------- test_similarities.py (upstream)

BSC_BITS = np.array([[1, 0, 0, 1, 0, 0, 0, 0, 0, 0], [1, 0, 0, 1, 0, 0, 1, 0, 1, 1]], bool)
MAP_ROWS = np.array([[1, 1, -1, 1, -1, 1, -1, 1, -1, 1], [1, -1, -1, 1, 1, -1, 1, -1, 1, -1]], np.float32)
FHRR_ROWS = np.array([
    [-0.2510 + 0.9680j, 0.0321 + 0.9995j, -0.6063 - 0.7953j, -0.4006 - 0.9162j, 0.4987 - 0.8667j,
     -0.3252 - 0.9456j, -0.2784 + 0.9605j, -0.8563 + 0.5165j, 0.9061 + 0.4231j, -0.3801 - 0.9250j],
    [-0.9610 + 0.2766j, 0.9879 - 0.1551j, -0.4111 - 0.9116j, -0.8185 + 0.5744j, -0.8123 + 0.5833j,
     0.2966 + 0.9550j, -0.9958 - 0.0915j, 0.8630 - 0.5052j, -0.1480 - 0.9890j, 0.5285 - 0.8489j],
], np.complex64)


@pytest.mark.parametrize("name", ALL)
def test_similarity_shape(name):
    """test_similarities.py::TestCosSimilarity::test_shape (and the same shapes of ::TestDotSimilarity /
    ::TestHammingSimilarity::test_shape): () / (2,) / (2, 4) / (2, 3, 4)."""
    m = make(name, 100, seed=SEED)
    hv = m.random(2)
    assert np.shape(m.similarity(hv[0], hv[1])) == ()
    assert m.similarity(hv[0], m.random(2)).shape == (2,)
    assert m.similarity(m.random(2), m.random(4)).shape == (2, 4)
    assert m.similarity(m.random((2, 3)), m.random(4)).shape == (2, 3, 4)
    assert m.distance(m.random((2, 3)), m.random(4)).shape == (2, 3, 4)


def test_dot_similarity_value():
    """test_similarities.py::TestDotSimilarity::test_value (BSC [[10, 4], [4, 10]], MAP [[10, -4], [-4, 10]],
    FHRR [[10, -1.5274], [-1.5274, 10]]). Adaptation: BSC dot is taken on the bipolar form (hdvec's dot
    is for real / complex arrays)."""
    bsc = hdc.BSC(10)
    bip = bsc.to_bipolar(hdc.pack_bits(BSC_BITS))
    assert np.array_equal(hdc.dot(bip, bip), [[10, 4], [4, 10]])
    assert np.array_equal(hdc.dot(MAP_ROWS, MAP_ROWS), [[10, -4], [-4, 10]])
    assert np.allclose(hdc.dot(FHRR_ROWS, FHRR_ROWS), [[10.0, -1.5274], [-1.5274, 10.0]], atol=1e-3)


def test_cosine_similarity_value():
    """test_similarities.py::TestCosSimilarity::test_value (BSC 0.4, MAP -0.4, FHRR -0.15274 off the diagonal)."""
    bsc = hdc.BSC(10)
    p = hdc.pack_bits(BSC_BITS)
    assert np.allclose(bsc.similarity(p, p), [[1, 0.4], [0.4, 1]])
    assert np.allclose(hdc.MAP(10).similarity(MAP_ROWS, MAP_ROWS), [[1, -0.4], [-0.4, 1]])
    assert np.allclose(hdc.FHRR(10).similarity(FHRR_ROWS, FHRR_ROWS), [[1.0, -0.15274], [-0.15274, 1.0]], atol=1e-4)


def test_hamming_similarity_value():
    """test_similarities.py::TestHammingSimilarity::test_value (equal components: BSC 7, MAP 3, FHRR 0 off the
    diagonal). Adaptation: hdvec gives Hamming *distances* (BSC: hdc.hamming); similarity = dim - distance.
    For MAP the distance is taken on the packed bipolar form; FHRR has no Hamming metric in hdvec, so
    its count of exactly equal components is computed directly."""
    p = hdc.pack_bits(BSC_BITS)
    assert np.array_equal(10 - hdc.hamming(p, p), [[10, 7], [7, 10]])
    q = hdc.pack_bits(MAP_ROWS)
    assert np.array_equal(10 - hdc.hamming(q, q), [[10, 3], [3, 10]])
    eq = (FHRR_ROWS[:, None, :] == FHRR_ROWS[None, :, :]).sum(-1)
    assert np.array_equal(eq, [[10, 0], [0, 10]])


@pytest.mark.parametrize("name", ALL)
def test_similarity_dtype(name):
    """test_similarities.py::TestCosSimilarity::test_dtype. Adaptation: hdvec similarities are float32 for every model."""
    m = make(name, 100)
    hv = m.random(3)
    assert m.similarity(hv, hv).dtype == np.float32


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", ALL)
def test_similarity_device(name, device):
    """test_similarities.py::TestCosSimilarity::test_device (and ::TestDotSimilarity / ::TestHammingSimilarity)."""
    m = make(name, 100)
    hv = m.random(3, device=device)
    assert m.similarity(hv, hv).device.type == device
    if name == "BSC":
        assert hdc.hamming(hv, hv).device.type == device
    if name in ("MAP", "HRR", "FHRR", "VTB"):
        assert hdc.dot(hv, hv).device.type == device


# ---------------------------------------------------------------- test_embeddings.py (upstream)


@pytest.mark.parametrize("name", ALL)
def test_embedding_random_value(name):
    """test_embeddings.py::TestRandom::test_value (two random embeddings of 10000: |cos| < 0.05)."""
    m = make(name, 10000)
    w = m.random(4, seed=SEED)
    assert abs(float(m.similarity(w[0], w[1]))) < 0.05


@pytest.mark.parametrize("name", ALL)
def test_embedding_level_value(name):
    """test_embeddings.py::TestLevel::test_value (4 levels of 99856: |cos| to level 0 about 2/3, 1/3 and < 0.01).

    Torchhd asserts the three facts joined by ``or``; all three are asserted here (2/3 and 1/3 with
    atol 0.015 around the exact values, Torchhd's windows being 0.65-0.67 and 0.32-0.34).
    """
    m = make(name, 99856)
    w = hdc.Level(m, 4, seed=SEED).codebook
    s = np.abs(np.asarray(m.similarity(w[0], w), np.float64))
    assert abs(s[1] - 2 / 3) < 0.015 and abs(s[2] - 1 / 3) < 0.015 and s[3] < 0.01
    assert hdc.Level(m, 10, seed=0).codebook.shape == (10, m.width)  # ::test_embedding_dim / ::test_num_embeddings


@pytest.mark.parametrize("name", CIRC)
def test_embedding_circular_value(name):
    """test_embeddings.py::TestCircular::test_value (4 levels of 99856: |cos| 0.5 to both neighbours, < 0.01 opposite;
    all three asserted, Torchhd joins them with ``or``)."""
    m = make(name, 99856)
    w = hdc.Circular(m, 4, seed=SEED).codebook
    s = np.abs(np.asarray(m.similarity(w[0], w), np.float64))
    assert 0.49 < s[1] < 0.51 and 0.49 < s[3] < 0.51 and s[2] < 0.01
    assert hdc.Circular(m, 10, seed=0).codebook.shape == (10, m.width)


@pytest.mark.parametrize("name", ["BSC", "MAP", "FHRR"])
def test_embedding_thermometer_value(name):
    """test_embeddings.py::TestThermometer::test_value (4 levels of 99856: |cos| 1/3, 1/3 and > 0.99 to level 0;
    all asserted) and ::test_embedding_dim."""
    m = make(name, 99856)
    w = hdc.Thermometer(m, 4).codebook
    s = np.abs(np.asarray(m.similarity(w[0], w), np.float64))
    assert 0.32 < s[1] < 0.34 and 0.32 < s[2] < 0.34 and s[3] > 0.99
    assert comps(m, hdc.Thermometer(m, 10).codebook).shape == (10, 99856)


@pytest.mark.parametrize("name", CYCLIC)
def test_embedding_thermometer_refuses_index_models(name):
    """test_embeddings.py::TestThermometer::test_embedding_dim (unsupported models).
    Adaptation: TypeError instead of ValueError; hdvec also accepts HRR and VTB (+-1/sqrt(d) codes)."""
    with pytest.raises(TypeError):
        hdc.Thermometer(make(name, 64), 4)


@pytest.mark.parametrize("name", ALL)
def test_embedding_fractional_power(name):
    """test_embeddings.py::TestFractionalPower::test_default_dtype and ::test_dtype (HRR / FHRR only; (2, 16)
    inputs -> (2, 1000) vectors, float32 / complex64; (13, 2) -> (13, 1456)). Adaptation: TypeError for other models."""
    if name not in ("HRR", "FHRR"):
        with pytest.raises(TypeError):
            hdc.FractionalPower(make(name, 1024 if name != "VTB" else 1024), n_features=16, seed=0)
    else:
        m = make(name, 1000)
        emb = hdc.FractionalPower(m, n_features=16, seed=0)
        y = emb(np.random.default_rng(0).standard_normal((2, 16)))
        assert y.shape == (2, 1000) and y.dtype == (np.float32 if name == "HRR" else np.complex64)
        emb = hdc.FractionalPower(make(name, 1456), n_features=2, seed=0)
        assert emb(np.random.default_rng(1).standard_normal((13, 2))).shape == (13, 1456)


@pytest.mark.parametrize("device", DEVICES)
def test_embedding_fractional_power_device(device):
    """test_embeddings.py::TestFractionalPower::test_device ((5, 35) inputs -> (5, 1000) on the device)."""
    emb = hdc.FractionalPower(hdc.FHRR(1000), n_features=35, seed=0)
    y = emb(torch.randn(5, 35, device=device))
    assert y.shape == (5, 1000) and y.device.type == device
