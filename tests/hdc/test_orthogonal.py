import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hdvec import hdc
from hdvec.hdc.orthogonal import hadamard_blocks


def models():
    return [hdc.MBAT(200, seed=0), hdc.MBAT(200, seed=0, structured=True), hdc.MBAT(2048 + 100, seed=1)]


@pytest.mark.parametrize("m", models(), ids=["dense", "structured-200", "structured-2148"])
def test_roles_are_orthogonal(m):
    q = m.matrix(m.role("a"))
    np.testing.assert_allclose(q.T @ q, np.eye(m.dim), atol=1e-5)
    np.testing.assert_allclose(m.matrix(m.role("a").T), q.T, atol=1e-6)
    x = m.random(3)
    np.testing.assert_allclose(m.bind(x, m.role("a")), (q @ x.T.astype(np.float64)).T, atol=1e-5)


def test_dense_for_small_structured_for_large():
    assert not hdc.MBAT(1024, seed=0).structured
    assert hdc.MBAT(10_000, seed=0).structured
    r = hdc.MBAT(10_000, seed=0).role("k")
    f = r.factors[0]
    assert f.matrix is None and f.signs.nbytes + f.perms.nbytes < 1_000_000  # no 400 MB matrix


@pytest.mark.parametrize("dim", [1, 2, 7, 64, 100, 1000, 10_000])
def test_hadamard_blocks_tile_dim(dim):
    starts, sizes = hadamard_blocks(dim)
    assert sizes.sum() == dim and starts[0] == 0
    assert np.all(starts[1:] == np.cumsum(sizes)[:-1])
    assert all(s & (s - 1) == 0 for s in sizes)


@given(seed=st.integers(0, 2**32 - 1), dim=st.integers(1, 300), structured=st.booleans())
def test_unbind_inverts_bind(seed, dim, structured):
    m = hdc.MBAT(dim, seed=seed, structured=structured)
    x = m.random(4)
    r = m.role(seed % 17)
    np.testing.assert_allclose(m.unbind(m.bind(x, r), r), x, atol=1e-5)
    np.testing.assert_allclose(m.bind(m.bind(x, r), m.inverse(r)), x, atol=1e-5)


@pytest.mark.parametrize("m", models(), ids=["dense", "structured-200", "structured-2148"])
def test_100_nested_binds_keep_norm_and_invert(m):
    x = m.random(1)
    roles = [m.role(i % 7) for i in range(100)]
    y = x
    for r in roles:
        y = m.bind(y, r)
    np.testing.assert_allclose(np.linalg.norm(y), np.linalg.norm(x), rtol=1e-5)
    for r in reversed(roles):
        y = m.unbind(y, r)
    np.testing.assert_allclose(y, x, atol=1e-5)
    # the composed operator does the same in one call
    comp = m.compose(*roles)
    np.testing.assert_allclose(m.unbind(m.bind(x, comp), comp), x, atol=1e-5)


def test_gaussian_matrices_drift_orthogonal_do_not():
    """The paper's point: general random matrices make norms drift, orthogonal ones keep them."""
    m = hdc.MBAT(256, seed=0)
    rng = np.random.default_rng(0)
    g = rng.standard_normal((256, 256)) / math.sqrt(256)
    x = m.random(1)[0].astype(np.float64)
    y = x.copy()
    for _ in range(100):
        y = g @ y
    assert abs(np.linalg.norm(y) / np.linalg.norm(x) - 1) > 0.1  # about 2x with this seed
    q = m.matrix(m.role("r"))
    z = x.copy()
    for _ in range(100):
        z = q @ z
    assert abs(np.linalg.norm(z) / np.linalg.norm(x) - 1) < 1e-6


@pytest.mark.parametrize("m", models(), ids=["dense", "structured-200", "structured-2148"])
def test_compose_is_non_commutative_and_associative(m):
    a, b = m.role("a"), m.role("b")
    x = m.random(1)
    ab = m.bind(x, m.compose(a, b))
    np.testing.assert_allclose(ab, m.bind(m.bind(x, b), a), atol=1e-5)
    ba = m.bind(x, m.compose(b, a))
    assert abs(m.similarity(ab, ba)[0, 0]) < 5 / math.sqrt(m.dim)
    # bound vector quasi-orthogonal to its input
    assert abs(m.similarity(m.bind(x, a), x)[0, 0]) < 5 / math.sqrt(m.dim)


def test_roles_are_deterministic_per_name():
    m1, m2 = hdc.MBAT(3000, seed=5), hdc.MBAT(3000, seed=5)
    x = m1.random(2)
    np.testing.assert_array_equal(m1.bind(x, m1.role("key")), m2.bind(x, m2.role("key")))
    assert not np.allclose(m1.bind(x, m1.role("key")), m1.bind(x, m1.role("other")))
    assert m1.role("key") is m1.role("key")  # cached


def test_mbat_bad_inputs():
    m = hdc.MBAT(64, seed=0)
    x = m.random(2)
    with pytest.raises(TypeError, match="Role"):
        m.bind(x, x)
    with pytest.raises(ValueError, match="dim 64"):
        m.bind(x, hdc.MBAT(32, seed=0).role("a"))
    with pytest.raises(ValueError, match="at least one Role"):
        m.compose()


@pytest.mark.parametrize("dim,rounds", [(1000, 3), (2048, 1), (48, 2)])
def test_tiled_structured_kernel_matches_row_kernel(dim, rounds):
    from hdvec.hdc import _mbat_kernels as MK

    m = hdc.MBAT(dim, seed=5, structured=True, rounds=rounds)
    f = m.role("r").factors[0]
    x = m.random(37)  # two full tiles and a partial one
    for transpose in (False, True):
        rows, tiles = np.empty_like(x), np.empty_like(x)
        MK.structured_apply_rows(x, f.signs, f.perms, m.starts, m.sizes, transpose, rows)
        MK.structured_apply_tiles(x, f.signs, f.perms, m.starts, m.sizes, transpose, tiles)
        np.testing.assert_allclose(tiles, rows, atol=2e-6)
        for n in (1, 3, 37):  # the one-row-at-a-time float32 kernel gives the tiles' bytes
            few = np.empty_like(x[:n])
            MK.structured_apply_few(x[:n], f.signs, f.perms, m.starts, m.sizes, transpose, few)
            np.testing.assert_array_equal(few, tiles[:n])
    # batches (tiles) and single rows give the same binding, and unbind inverts it
    b = m.bind(x, m.role("r"))
    np.testing.assert_allclose(b[5], m.bind(x[5], m.role("r")), atol=2e-6)
    np.testing.assert_allclose(m.unbind(b, m.role("r")), x, atol=2e-5)


def test_bind_takes_the_role_second_like_unbind_and_the_old_order_warns():
    m = hdc.MBAT(64, seed=0)
    x, r = m.random(3), m.role("k")
    new = m.bind(x, r)
    np.testing.assert_allclose(m.unbind(new, r), x, atol=1e-5)
    with pytest.warns(DeprecationWarning, match=r"bind\(x, role\)"):
        old = m.bind(r, x)
    np.testing.assert_array_equal(old, new)
