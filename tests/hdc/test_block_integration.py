"""The integer-index models (BSBC, MCR, CGR) inside the rest of hdvec: search, item memory, embeddings, structures."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hdvec.hdc import (BSBC, CGR, MCR, HashTable, ItemMemory, Multiset, Sequence, Thermometer, hash_table, knn,
                       multiset, sequence)


@pytest.mark.parametrize("model", [BSBC(256, block_size=16, seed=0), MCR(64, block_size=8, seed=0),
                                   CGR(64, block_size=8, seed=0)], ids=lambda m: type(m).__name__)
def test_knn_and_item_memory_use_the_model_metric(model, tmp_path):
    items = model.random(30)
    noisy = items[:10].copy()
    noisy[:, :3] = (noisy[:, :3] + 1) % model.block_size  # a few components changed: still nearest to its item
    d, i = knn(model, noisy, items, 3)
    dm, im = model.cleanup(noisy, items, 3)
    np.testing.assert_array_equal(i, im)
    np.testing.assert_array_equal(d, dm)
    assert (i[:, 0] == np.arange(10)).all()
    mem = ItemMemory(model)
    mem.add([f"k{j}" for j in range(30)], items)
    assert mem.lookup(noisy) == [f"k{j}" for j in range(10)]
    mem.save(tmp_path / "m.hdv")
    back = ItemMemory.load(tmp_path / "m.hdv")
    assert back.lookup(noisy) == [f"k{j}" for j in range(10)]


def test_models_that_cannot_serve_a_feature_say_so():
    for model in (BSBC(64, block_size=8), MCR(64, block_size=8), CGR(64, block_size=8)):
        with pytest.raises(TypeError, match="Thermometer"):
            Thermometer(model, 5)


# --------------------------------------------------------------------------- stateful structures
# Their bundle (mode, phasor angle) is not a running sum, so the structures keep per-component
# index counts; whatever the order of adds and removes, the value must be the model's bundle of
# the rows currently held (adding in two calls catches a sum of bundled index vectors).
CYCLIC = [BSBC(128, block_size=8, seed=0), MCR(48, block_size=16, seed=1), CGR(48, block_size=3, seed=2)]


@pytest.mark.parametrize("model", CYCLIC, ids=lambda m: type(m).__name__)
@settings(deadline=None, max_examples=15)
@given(n_first=st.integers(1, 5), n_second=st.integers(1, 5), n_gone=st.integers(0, 3), seed=st.integers(0, 10**6))
def test_structures_of_integer_models_equal_the_functional_builders(model, n_first, n_second, n_gone, seed):
    x = model.random(n_first + n_second, seed=seed)
    extra = model.random(n_gone, seed=seed + 1) if n_gone else None
    ms = Multiset(model)
    ms.add(x[:n_first])
    if extra is not None:
        ms.add(extra)
    ms.add(x[n_first:])
    if extra is not None:
        ms.remove(extra)
    np.testing.assert_array_equal(ms.value, model.bundle(x))
    np.testing.assert_array_equal(ms.value, multiset(model, x))
    seq = Sequence(model)
    for row in x:
        seq.append(row)
    np.testing.assert_array_equal(seq.value, sequence(model, x))
    keys = model.random(len(x), seed=seed + 2)
    table = HashTable(model)
    table.add(keys[:n_first], x[:n_first])
    table.add(keys[n_first:], x[n_first:])
    np.testing.assert_array_equal(table.value, hash_table(model, keys, x))
    torch = pytest.importorskip("torch")
    mt = Multiset(model, device="cpu")
    mt.add(torch.as_tensor(x[:n_first]))
    mt.add(torch.as_tensor(x[n_first:]))
    np.testing.assert_array_equal(mt.value.numpy(), ms.value)
