"""ItemMemory.remove and relabel against a dict reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hdvec import hdc


@settings(deadline=None, max_examples=25)
@given(ops=st.lists(st.tuples(st.sampled_from(["add", "remove", "relabel"]), st.integers(0, 12)), max_size=25),
       name=st.sampled_from(["MAP", "BSC"]))
def test_add_remove_relabel_follow_a_dict(ops, name):
    model = getattr(hdc, name)(128, seed=0)
    mem, ref, fresh = hdc.ItemMemory(model), {}, 100
    for op, k in ops:
        if op == "add":
            mem.add([k])
            ref.setdefault(k, mem[k].copy())
        elif op == "remove":
            if k in ref:
                assert mem.remove([k]) == 1
                del ref[k]
            else:
                with pytest.raises(KeyError):
                    mem.remove([k])
        elif k in ref:
            mem.relabel({k: fresh})
            ref[fresh] = ref.pop(k)
            fresh += 1
    assert sorted(mem.keys, key=str) == sorted(ref, key=str) and len(mem) == len(ref)
    for key, vec in ref.items():
        np.testing.assert_array_equal(mem[key], vec)
    if ref:
        keys = list(ref)
        assert mem.lookup(np.stack([ref[k] for k in keys])) == keys


def test_removed_key_comes_back_with_its_seeded_vector_and_relabel_checks_names():
    mem = hdc.ItemMemory(hdc.MAP(256, seed=1))
    mem.add(["a", "b", "c"])
    va = mem["a"].copy()
    mem.remove(["a"])
    assert "a" not in mem and mem.keys == ["b", "c"]
    mem.add(["a"])
    np.testing.assert_array_equal(mem["a"], va)
    mem.relabel({"b": "c", "c": "b"})  # a swap
    assert mem.keys == ["c", "b", "a"]
    with pytest.raises(ValueError, match="already stored"):
        mem.relabel({"a": "b"})
    with pytest.raises(ValueError, match="same new name"):
        mem.relabel({"a": "x", "b": "x"})
    with pytest.raises(KeyError, match="'zz'"):
        mem.relabel({"zz": "y"})
