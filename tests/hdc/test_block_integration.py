"""The integer-index models (BSBC, MCR, CGR) and VTB inside the rest of hdvec: search, item memory, embeddings."""

from __future__ import annotations

import numpy as np
import pytest

from hdvec.encoders import NGramEncoder
from hdvec.hdc import BSBC, CGR, MCR, VTB, ItemMemory, Thermometer, knn


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
    with pytest.raises(TypeError, match="Thermometer"):
        Thermometer(BSBC(64, block_size=8), 5)
    for model in (BSBC(64, block_size=8), MCR(64, block_size=8), VTB(64)):
        with pytest.raises(TypeError, match=type(model).__name__):
            NGramEncoder(model, 3)
