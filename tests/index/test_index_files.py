"""Index files that pass their checksums but describe an impossible index raise FormatError naming the field.

Each case rewrites a saved index through hdvec's own writer (so every checksum
is valid) with one field broken, as a fuzzer or another tool could.
"""

import numpy as np
import pytest

from hdvec import hdc
from hdvec._io import FormatError, read_arrays, write_arrays
from hdvec.index import Index

RNG = np.random.default_rng(0)
X = RNG.standard_normal((400, 16)).astype(np.float32)
BITS = hdc.BSC(200, seed=0).random(300, seed=1)


def _saved(tmp_path, metric="l2"):
    if metric == "hamming":
        idx = Index(200, metric="hamming", spec="IVF4,Flat", seed=0)
        idx.train(BITS)
        idx.add(BITS)
    else:
        idx = Index(16, spec="IVF4,LVQ8,Rerank", seed=0)
        idx.train(X)
        idx.add(X, attributes={"year": np.arange(400)})
    path = tmp_path / "x.hdvec"
    idx.save(path)
    return path


def _set(arrays, name, value):
    arrays[name] = value


CASES = {
    "centroids with twice the rows": ("l2", lambda m, a: _set(a, "centroids", np.tile(a["centroids"], (2, 1))),
                                      "centroids"),
    "centroids narrower than the vectors": ("l2", lambda m, a: _set(a, "centroids", a["centroids"][:, :8].copy()),
                                            "centroids"),
    "hamming centroids with fewer words": ("hamming", lambda m, a: _set(a, "centroids", a["centroids"][:, :2].copy()),
                                           "centroids"),
    "hamming rows with fewer words": ("hamming", lambda m, a: _set(a, "data.words", a["data.words"][:, :2].copy()),
                                      "words"),
    "a negative first offset": ("l2", lambda m, a: a["offsets"].__setitem__(0, -5), "offsets"),
    "offsets not ending at n": ("l2", lambda m, a: a["offsets"].__setitem__(-1, 10**6), "offsets"),
    "LVQ8 codes relabelled LVQ4": ("l2", lambda m, a: m.__setitem__("spec", "IVF4,LVQ4,Rerank"), "lvq_codes"),
    "duplicate ids": ("l2", lambda m, a: a["ids"].__setitem__(1, a["ids"][0]), "ids"),
    "uint8 ids": ("l2", lambda m, a: _set(a, "ids", a["ids"].astype(np.uint8)), "ids"),
    "int8 vectors": ("l2", lambda m, a: _set(a, "data.full", a["data.full"].astype(np.int8)), "full"),
    "NaN vectors": ("l2", lambda m, a: a["data.full"].__setitem__((3, 3), np.nan), "full"),
    "a lowered next_id": ("l2", lambda m, a: m.__setitem__("next_id", 5), "next_id"),
    "a string dim": ("l2", lambda m, a: m.__setitem__("dim", "16"), "dim"),
    "an unknown metric": ("l2", lambda m, a: m.__setitem__("metric", "manhattan"), "metric"),
    "a broken spec": ("l2", lambda m, a: m.__setitem__("spec", "IVF4,LVQ9"), "spec"),
    "no mean": ("l2", lambda m, a: a.pop("mean"), "mean"),
    "an attribute of another length": ("l2", lambda m, a: _set(a, "attr.year", np.arange(5)), "year"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_file_describing_an_impossible_index_raises_format_error_naming_the_field(tmp_path, case):
    metric, breaks, field = CASES[case]
    path = _saved(tmp_path, metric)
    meta, arrays = read_arrays(path)
    arrays = {k: np.array(v) for k, v in arrays.items()}
    breaks(meta, arrays)
    write_arrays(path, meta, arrays)  # valid checksums: only the structure is wrong
    with pytest.raises(FormatError, match=f"'{path}' is corrupted: .*{field}"):
        Index.load(path)


@pytest.mark.parametrize("metric", ["l2", "hamming"])
def test_the_untouched_file_loads_and_searches(tmp_path, metric):
    path = _saved(tmp_path, metric)
    back = Index.load(path, mmap=True)
    q = BITS[:3] if metric == "hamming" else X[:3]
    assert back.search(q, 1)[1][:, 0].tolist() == [0, 1, 2]


def test_empty_containers_save_and_load(tmp_path):
    idx = Index(16, spec="Flat")
    idx.add(X[:3])
    idx.remove([0, 1, 2])
    idx.save(tmp_path / "empty.hdvec")
    back = Index.load(tmp_path / "empty.hdvec")
    assert len(back) == 0 and back.next_id == 3 and back.search(X[0], 2)[1].tolist() == [-1, -1]
    mem = hdc.ItemMemory(hdc.BSC(64, seed=0))
    mem.save(tmp_path / "mem.hdvec")
    assert len(hdc.ItemMemory.load(tmp_path / "mem.hdvec")) == 0
