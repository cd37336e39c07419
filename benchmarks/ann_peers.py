"""Peer adapters for ``bench_ann.py``: each library's index configurations and search knobs.

Every ``*_configs(ctx)`` function imports its library (an ImportError means "not installed"),
and returns ``(configs, version)``. A :class:`Config` says how to build the index (train + add,
timed by the caller), which knob settings to sweep, how to apply one, how to search, and how
many bytes the index takes. All peers search the same float32 vectors with (squared) L2; the
angular set (``minilm``) holds unit vectors, on which L2 ranks as cosine does.
"""

from __future__ import annotations

import importlib.metadata
import os
import pickle
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from bench_index import fit_spec, nlist_cap

K = 10
MODULES = {"hdvec": "hdvec.index", "faiss": "faiss", "hnswlib": "hnswlib", "usearch": "usearch.index",
           "scann": "scann", "glass": "glass", "voyager": "voyager", "pynndescent": "pynndescent", "ngt": "ngtpy"}
DISTS = {"hdvec": "hdvec", "faiss": "faiss-cpu", "hnswlib": "hnswlib", "usearch": "usearch", "scann": "scann",
         "glass": "pyglass-portable", "voyager": "voyager", "pynndescent": "pynndescent", "ngt": "ngt"}
GLASS_CODE_BYTES = {"FP32": 4.0, "FP16": 2.0, "SQ8U": 1.0, "SQ4U": 0.5}  # bytes per dimension


@dataclass
class Ctx:
    """What an adapter needs: the base vectors, thread count, knob grids, hdvec specs."""

    xb: np.ndarray
    threads: int
    grids: dict[str, list]
    hdvec_specs: list[str]
    unit: bool  # the base vectors have unit length (angular data)
    workdir: Path  # for indexes that live on disk (removed by the caller)

    @property
    def n(self) -> int:
        return self.xb.shape[0]

    @property
    def d(self) -> int:
        return self.xb.shape[1]


@dataclass
class Config:
    """One index configuration of one library, and how to sweep its search knob."""

    label: str
    build: Callable[[], Any]
    sweeps: Callable[[Any], list[list[dict]]]  # lists of settings, cheapest first
    apply: Callable[[Any, dict], None]
    search: Callable[[Any, np.ndarray], np.ndarray]  # (nq, d) queries -> (nq, K) ids
    size: Callable[[Any], int | None]  # bytes of the whole index
    size_how: str  # "serialized", "file", "estimate: ..."
    search1: Callable[[Any, np.ndarray], Any] | None = None  # one (1, d) query; None: search
    skip: str | None = None  # why the configuration is not run
    describe: Callable[[Any], str] | None = None
    notes: list[str] = field(default_factory=list)


def version(peer: str) -> str:
    return f"{DISTS[peer]} {importlib.metadata.version(DISTS[peer])}"


def pow2_nlist(n: int) -> int:
    """About 4 sqrt(n) IVF lists, rounded to a power of two, at most nlist_cap(n) (>= 39 points per list)."""
    return min(int(2 ** round(np.log2(4 * np.sqrt(n)))), nlist_cap(n))


def upto(grid: list, limit: float) -> list:
    return [v for v in grid if v <= limit]


def one_sweep(key: str, values: list) -> Callable[[Any], list[list[dict]]]:
    return lambda _obj: [[{key: v} for v in values]]


def dir_bytes(path: str | Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def file_bytes(save: Callable[[str], None]) -> int:
    """Size of what ``save(path)`` writes (a file or a directory) in a temporary directory."""
    with tempfile.TemporaryDirectory(prefix="bench_ann_") as tmp:
        target = Path(tmp) / "index"
        save(str(target))
        return dir_bytes(tmp)


def as_ids(x: Any) -> np.ndarray:
    return np.asarray(x).astype(np.int64, copy=False)


# ----------------------------------------------------------------------------- hdvec
def hdvec_configs(ctx: Ctx) -> tuple[list[Config], str]:
    """``Index(dim)`` as shipped (spec and nprobe picked on add), then explicit specs."""
    from hdvec.index import Index

    shipped: dict[str, int] = {}  # the nprobe Index(dim) picked on add

    def sweeps(idx) -> list[list[dict]]:
        return [[{"nprobe": p} for p in upto(ctx.grids["nprobe"], idx.nlist)]] if idx.nlist > 1 else [[{}]]

    def default_sweeps(idx) -> list[list[dict]]:
        return ([[{"calibrated nprobe": shipped["nprobe"]}]] if idx.nlist > 1 else []) + sweeps(idx)

    def build_default():
        idx = Index(ctx.d)
        idx.add(ctx.xb)
        shipped["nprobe"] = idx.nprobe
        return idx

    def apply(idx, s):
        if s:
            idx.nprobe = s.get("nprobe") or s["calibrated nprobe"]

    def builder(spec: str):
        def build():
            idx = Index(ctx.d, spec=spec, seed=0)
            idx.train(ctx.xb)
            idx.add(ctx.xb)
            return idx
        return build

    common = {"apply": apply, "search": lambda idx, q: as_ids(idx.search(q, K)[1]),
              "size": lambda idx: file_bytes(idx.save), "size_how": "file (Index.save)"}
    configs = [Config("Index(dim) default", build_default, default_sweeps, **common,
                      describe=lambda idx: f"picked spec {idx.spec}"
                      + (f", calibrated nprobe {shipped['nprobe']}" if idx.nlist > 1 else ""))]
    configs += [Config(f"Index(spec={fit_spec(s, ctx.n)!r})", builder(fit_spec(s, ctx.n)), sweeps, **common)
                for s in ctx.hdvec_specs if not s.upper().startswith("VAMANA")]
    configs += [graph_config(ctx, int(s[6:] or 32)) for s in ctx.hdvec_specs if s.upper().startswith("VAMANA")]
    return configs, version("hdvec")


def graph_config(ctx: Ctx, degree: int) -> Config:
    """``GraphIndex(dim, degree=R)`` (Vamana over LVQ8, exact re-rank), its beam swept."""
    from hdvec.index import GraphIndex

    def build():
        return GraphIndex(ctx.d, degree=degree, seed=0).build(ctx.xb)

    def apply(idx, s):
        idx.beam = s["beam"]

    return Config(f"GraphIndex(degree={degree})", build, lambda _g: [[{"beam": e} for e in ctx.grids["ef"] if e >= K]],
                  apply, lambda idx, q: as_ids(idx.search(q, K)[1]), lambda idx: file_bytes(idx.save),
                  "file (GraphIndex.save)")


# ----------------------------------------------------------------------------- faiss
def faiss_configs(ctx: Ctx) -> tuple[list[Config], str]:
    import faiss

    faiss.omp_set_num_threads(ctx.threads)
    nl, g = pow2_nlist(ctx.n), ctx.grids
    nprobe = upto(g["nprobe"], nl)

    def builder(key: str):
        def build():
            idx = faiss.index_factory(ctx.d, key)
            if key.startswith("HNSW"):
                idx.hnsw.efConstruction = 200  # hnswlib's ef_construction here
            idx.train(ctx.xb)
            idx.add(ctx.xb)
            return idx
        return build

    def apply(idx, s):
        if "nprobe" in s:
            faiss.extract_index_ivf(idx).nprobe = s["nprobe"]
        if "k_factor" in s:
            idx.k_factor = s["k_factor"]
        if "efSearch" in s:
            idx.hnsw.efSearch = s["efSearch"]

    def refine(_idx) -> list[list[dict]]:
        return [[{"k_factor": f, "nprobe": p} for p in nprobe] for f in g["k_factor"]]

    keys = [(f"IVF{nl},Flat", one_sweep("nprobe", nprobe)), (f"IVF{nl},SQ8", one_sweep("nprobe", nprobe)),
            ("HNSW32,Flat", one_sweep("efSearch", g["ef"])), (f"IVF{nl},RaBitQfs,RFlat", refine),
            (f"IVF{nl},PQ{ctx.d // 2}x4fs,RFlat", refine)]
    configs = [Config(key + (" efC=200" if key.startswith("HNSW") else ""), builder(key), sweeps, apply,
                      lambda idx, q: idx.search(q, K)[1], lambda idx: len(faiss.serialize_index(idx)),
                      "serialized (faiss.serialize_index)")
               for key, sweeps in keys]
    return configs, version("faiss")


# ----------------------------------------------------------------------------- hnswlib
def hnswlib_configs(ctx: Ctx) -> tuple[list[Config], str]:
    import hnswlib

    def builder(m: int):
        def build():
            idx = hnswlib.Index(space="l2", dim=ctx.d)
            idx.init_index(max_elements=ctx.n, ef_construction=200, M=m, random_seed=100)
            idx.add_items(ctx.xb, np.arange(ctx.n), num_threads=ctx.threads)
            idx.set_num_threads(ctx.threads)
            return idx
        return build

    configs = [Config(f"HNSW M={m} efC=200", builder(m), one_sweep("ef", ctx.grids["ef"]),
                      lambda idx, s: idx.set_ef(s["ef"]),
                      lambda idx, q: as_ids(idx.knn_query(q, k=K, num_threads=ctx.threads)[0]),
                      lambda idx: file_bytes(idx.save_index), "file (save_index)",
                      search1=lambda idx, q: idx.knn_query(q, k=K, num_threads=1))
               for m in (16, 32)]
    return configs, version("hnswlib")


# ----------------------------------------------------------------------------- usearch
def usearch_configs(ctx: Ctx) -> tuple[list[Config], str]:
    from usearch.index import Index

    def builder(dtype: str):
        def build():
            idx = Index(ndim=ctx.d, metric="l2sq", dtype=dtype)
            idx.add(np.arange(ctx.n), ctx.xb, threads=ctx.threads)
            return idx
        return build

    def apply(idx, s):
        idx.expansion_search = s["expansion_search"]

    configs = []
    for dtype in ("f32", "i8"):
        c = Config(f"HNSW {dtype} (default connectivity)", builder(dtype),
                   one_sweep("expansion_search", ctx.grids["ef"]), apply,
                   lambda idx, q: as_ids(idx.search(q, K, threads=ctx.threads).keys),
                   lambda idx: idx.serialized_length, "serialized (Index.serialized_length)",
                   search1=lambda idx, q: idx.search(q, K, threads=1))
        if dtype == "i8" and not ctx.unit:
            c.skip = ("usearch's i8 scales each vector to unit length before quantizing, so it cannot serve L2 "
                      "on vectors that are not unit length; run only on unit-vector data (minilm)")
        configs.append(c)
    return configs, version("usearch")


# ----------------------------------------------------------------------------- ScaNN
def scann_configs(ctx: Ctx) -> tuple[list[Config], str]:
    import scann

    leaves = pow2_nlist(ctx.n)
    knobs: dict = {}

    def build():
        b = scann.scann_ops_pybind.builder(ctx.xb, K, "squared_l2")
        b = b.tree(num_leaves=leaves, num_leaves_to_search=min(16, leaves), training_sample_size=ctx.n)
        b = b.score_ah(2, anisotropic_quantization_threshold=0.2).reorder(max(ctx.grids["reorder"]))
        b.set_n_training_threads(ctx.threads)
        searcher = b.build()
        searcher.set_num_threads(ctx.threads)
        return searcher

    def sweeps(_s) -> list[list[dict]]:
        return [[{"reorder": r, "leaves": v} for v in upto(ctx.grids["nprobe"], leaves)] for r in ctx.grids["reorder"]]

    def search(s, q):
        return as_ids(s.search_batched_parallel(q, final_num_neighbors=K, pre_reorder_num_neighbors=knobs["reorder"],
                                                leaves_to_search=knobs["leaves"])[0])

    def search1(s, q):
        return s.search(q[0], final_num_neighbors=K, pre_reorder_num_neighbors=knobs["reorder"],
                        leaves_to_search=knobs["leaves"])

    def save(s, path: str) -> None:
        os.mkdir(path)
        s.serialize(path)

    config = Config(f"tree{leaves} + AH(2, aq=0.2) + reorder", build, sweeps, lambda s, k: knobs.update(k),
                    search, lambda s: file_bytes(lambda p: save(s, p)), "files (ScannSearcher.serialize)",
                    search1=search1)
    return [config], version("scann")


# ----------------------------------------------------------------------------- glass (pyglass)
def glass_configs(ctx: Ctx) -> tuple[list[Config], str]:
    import glass

    glass.set_num_threads(ctx.threads)
    r = 32

    graph_bytes: dict[str, int] = {}  # graph file size of the latest build (size() runs right after build())

    def builder(quant: str, refine: str):
        def build():
            graph = glass.Index("HNSW", "L2", "FP32", R=r, L=200).build(ctx.xb)
            path = ctx.workdir / f"glass-{quant}-{refine}.graph"
            graph.save(str(path))  # a Searcher takes its graph over (leaving it empty): measure it before
            searcher = glass.Searcher(graph, ctx.xb, "L2", quant, refine)
            searcher.optimize(ctx.threads)
            graph_bytes["last"] = path.stat().st_size
            return searcher
        return build

    def size(quant: str, refine: str):
        per_dim = GLASS_CODE_BYTES[quant] + GLASS_CODE_BYTES.get(refine, 0.0)
        return lambda _s: int(graph_bytes["last"] + per_dim * ctx.d * ctx.n)

    configs = []
    for quant, refine in (("SQ8U", "FP32"), ("SQ4U", "FP32")):
        configs.append(Config(f"HNSW R={r} L=200, {quant} + {refine} refine", builder(quant, refine),
                              one_sweep("ef", ctx.grids["ef"]), lambda s, k: s.set_ef(k["ef"]),
                              lambda s, q: as_ids(np.asarray(s.batch_search(q, K, ctx.threads))[0]),
                              size(quant, refine),
                              "estimate: graph file (Graph.save) + n x d x code bytes (glass cannot save a Searcher)",
                              search1=lambda s, q: s.search(q[0], K)))
    return configs, version("glass")


# ----------------------------------------------------------------------------- voyager
def voyager_configs(ctx: Ctx) -> tuple[list[Config], str]:
    import voyager

    def build():
        idx = voyager.Index(voyager.Space.Euclidean, num_dimensions=ctx.d)
        idx.add_items(ctx.xb, num_threads=ctx.threads)
        return idx

    def apply(idx, s):
        idx.ef = s["ef"]

    config = Config("HNSW f32 (default M=12, efC=200)", build, one_sweep("ef", ctx.grids["ef"]), apply,
                    lambda idx, q: as_ids(idx.query(q, k=K, num_threads=ctx.threads)[0]),
                    lambda idx: len(idx.as_bytes()), "serialized (Index.as_bytes)",
                    search1=lambda idx, q: idx.query(q[0], k=K, num_threads=1))
    return [config], version("voyager")


# ----------------------------------------------------------------------------- pynndescent
def pynndescent_configs(ctx: Ctx) -> tuple[list[Config], str]:
    import pynndescent

    knobs: dict = {}

    def build():
        idx = pynndescent.NNDescent(ctx.xb, metric="euclidean", random_state=0, n_jobs=ctx.threads)
        idx.prepare()
        return idx

    config = Config("NNDescent (default n_neighbors=30), prepared", build, one_sweep("epsilon", ctx.grids["eps_nnd"]),
                    lambda idx, s: knobs.update(s), lambda idx, q: as_ids(idx.query(q, k=K, epsilon=knobs["epsilon"])[0]),
                    lambda idx: len(pickle.dumps(idx)), "serialized (pickle)")
    return [config], version("pynndescent")


# ----------------------------------------------------------------------------- NGT
def ngt_configs(ctx: Ctx) -> tuple[list[Config], str]:
    import ngtpy

    edges, path = 20, str(ctx.workdir / "ngt-anng")  # creation edges (NGT default 10)

    def build():
        ngtpy.create(path, ctx.d, edge_size_for_creation=edges, distance_type="L2", object_type="Float")
        idx = ngtpy.Index(path, log_disabled=True)
        idx.batch_insert(ctx.xb, num_threads=ctx.threads)
        idx.save()
        return idx

    def sweeps(_idx) -> list[list[dict]]:
        return [[{"edge_size": e, "epsilon": v} for v in ctx.grids["eps_ngt"]] for e in ctx.grids["ngt_edges"]]

    def apply(idx, s):
        idx.set(num_of_search_objects=K, epsilon=s["epsilon"], edge_size=s["edge_size"])

    def search(idx, q):
        res = ngtpy.BatchResults()
        idx.batch_search(q, res, K, with_distance=False)
        return as_ids(res.get_ids()).reshape(len(q), K)

    config = Config(f"ANNG (creation edges {edges})", build, sweeps, apply, search,
                    lambda idx: dir_bytes(path), "files (index directory)",
                    search1=lambda idx, q: idx.search(q[0], K, with_distance=False))
    return [config], version("ngt")


PEERS: dict[str, Callable[[Ctx], tuple[list[Config], str]]] = {
    "hdvec": hdvec_configs, "faiss": faiss_configs, "hnswlib": hnswlib_configs, "usearch": usearch_configs,
    "scann": scann_configs, "glass": glass_configs, "voyager": voyager_configs, "pynndescent": pynndescent_configs,
    "ngt": ngt_configs}
