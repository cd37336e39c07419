"""The "which operations each model supports" table of docs/concepts.md, checked cell by cell.

Every ✓ must run, every ✗ must raise a TypeError (a clear refusal, never a crash or a silent
wrong answer), and the unbind row must say whether unbinding is exact. A change of support
without a change of the table (or the other way round) fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from hdvec import hdc
from hdvec.encoders import NGramEncoder, TokenEncoder

DOC = Path(__file__).resolve().parents[2] / "docs" / "concepts.md"
TITLE = "### Which operations each model supports"
DIM = 256
MODELS = {
    "MAP": lambda: hdc.MAP(DIM, seed=0), "BSC": lambda: hdc.BSC(DIM, seed=0), "HRR": lambda: hdc.HRR(DIM, seed=0),
    "FHRR": lambda: hdc.FHRR(DIM, seed=0), "MBAT": lambda: hdc.MBAT(DIM, seed=0),
    "BSBC": lambda: hdc.BSBC(DIM, block_size=8, seed=0), "VTB": lambda: hdc.VTB(DIM, seed=0),
    "MCR": lambda: hdc.MCR(DIM, block_size=16, seed=0), "CGR": lambda: hdc.CGR(DIM, block_size=16, seed=0),
}


def _one(m, seed=1):
    return m.random((), seed=seed)


def _key(m, i):
    return m.role(i) if m.name == "MBAT" else _one(m, 100 + i)


def _values():
    return np.array([0.1, 0.5, 0.9])


def _filled_memory(m):
    mem = hdc.ItemMemory(m)
    mem.add(["a", "b"], m.random(2))
    return mem.cleanup(m.random(2), k=1)


def _filled(structure, method: str, *args):
    """Call ``structure.method(*args)`` and return the structure's vector."""
    getattr(structure, method)(*args)
    return structure.value


OPERATIONS = {
    "`ItemMemory`, `knn`": lambda m: _filled_memory(m),
    "`Level`, `Circular`": lambda m: (hdc.Level(m, 8, seed=0).encode(_values()),
                                      hdc.Circular(m, 8, seed=0).encode(_values())),
    "`Level(randomness=0.5)`": lambda m: hdc.Level(m, 8, seed=0, randomness=0.5).encode(_values()),
    "`Circular(randomness=0.5)`": lambda m: hdc.Circular(m, 8, seed=0, randomness=0.5).encode(_values()),
    "`Thermometer`": lambda m: hdc.Thermometer(m, 8).encode(_values()),
    "`FractionalPower`": lambda m: hdc.FractionalPower(m, seed=0).encode(_values()),
    "`multiset`, `sequence`, `hash_table`": lambda m: (
        hdc.multiset(m, m.random(3)), hdc.sequence(m, m.random(3)),
        hdc.hash_table(m, [_key(m, i) for i in range(2)] if m.name == "MBAT" else m.random(2), m.random(2, seed=5))),
    "`sequence(mode=\"bind\")`, `ngrams`": lambda m: (hdc.sequence(m, m.random(3), mode="bind"),
                                                     hdc.ngrams(m, m.random(5), 3)),
    "`graph`": lambda m: hdc.graph(m, m.random(3), [(0, 1), (1, 2)]),
    "`graph(directed=True)`": lambda m: hdc.graph(m, m.random(3), [(0, 1), (1, 2)], directed=True),
    "`Multiset`, `Sequence`": lambda m: (_filled(hdc.Multiset(m), "add", _one(m)),
                                         _filled(hdc.Sequence(m), "append", _one(m))),
    "`HashTable`, `Graph`": lambda m: (_filled(hdc.HashTable(m), "add", _key(m, 0), _one(m)),
                                       _filled(hdc.Graph(m), "add_edge", _one(m), _one(m, 3))),
    "`BindSequence`, `Tree`, `FiniteStateAutomaton`, directed `Graph`": lambda m: (
        _filled(hdc.BindSequence(m), "append", _one(m)), _filled(hdc.Tree(m), "add_leaf", _one(m), "lr"),
        _filled(hdc.FiniteStateAutomaton(m), "add_transition", _one(m), _one(m, 2), _one(m, 3)),
        _filled(hdc.Graph(m, directed=True), "add_edge", _one(m), _one(m, 3))),
    "`NGramEncoder` (n >= 2)": lambda m: NGramEncoder(m, 3, seed=0).encode("hello"),
    "`TokenEncoder` (bag of tokens)": lambda m: TokenEncoder(m, seed=0).encode("hello world"),
    "`resonator`": lambda m: hdc.resonator(m, m.bind(_one(m, 1), _one(m, 2)), [m.random(4, seed=1), m.random(4, seed=2)]),
    "torch tensors": lambda m: m.bundle(__import__("torch").as_tensor(m.random(3))),
}


def _finite(x) -> bool:
    """Every component of a returned array (NumPy or torch) is finite; other results pass."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    x = np.asarray(x)
    return x.dtype.kind not in "fc" or bool(np.isfinite(x).all())


def _table() -> tuple[list[str], list[list[str]]]:
    text = DOC.read_text(encoding="utf-8")
    assert TITLE in text, f"{DOC} lost its section {TITLE!r}"
    after = text.split(TITLE, 1)[1].splitlines()
    first = next(i for i, ln in enumerate(after) if ln.startswith("|"))
    lines = []
    for ln in after[first:]:  # the first table of the section, up to its first non-table line
        if not ln.startswith("|"):
            break
        lines.append(ln)
    rows = [[c.strip() for c in ln.strip().strip("|").split("|")] for ln in lines]
    header, body = rows[0], rows[2:]
    return header[1:], body


def _cells():
    models, body = _table()
    for row in body:
        for name, cell in zip(models, row[1:], strict=True):
            yield pytest.param(row[0], name, cell, id=f"{row[0]}-{name}")


def test_the_table_lists_every_model_and_operation():
    models, body = _table()
    assert models == list(MODELS)
    assert [r[0] for r in body] == ["`unbind`"] + list(OPERATIONS)
    assert all(len(r) == len(models) + 1 for r in body)


@pytest.mark.parametrize("operation, model_name, cell", list(_cells()))
def test_each_cell_of_the_table_holds(operation, model_name, cell):
    m = MODELS[model_name]()
    if operation == "`unbind`":
        if model_name == "MBAT":
            a, r = _one(m), m.role("k")
            back = m.unbind(m.bind(a, r), r)
        else:
            a, b = _one(m, 1), _one(m, 2)
            back = m.unbind(m.bind(a, b), b)
        exact = bool(np.allclose(np.asarray(back), np.asarray(a), atol=1e-4))
        assert cell == ("exact" if exact else "approximate")
        assert float(m.similarity(back, a)) > 0.3  # approximate still recovers a noisy copy
    elif cell == "✓":
        out = OPERATIONS[operation](m)
        outs = out if isinstance(out, tuple) else (out,)
        assert all(_finite(o) for o in outs)
    else:
        assert cell == "✗", f"cells are ✓ or ✗; got {cell!r}"
        with pytest.raises(TypeError):
            OPERATIONS[operation](m)
