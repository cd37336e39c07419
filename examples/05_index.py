"""Build, save, load and query indexes of encoded text.

Every text of ``../shared/data/text/fortunes.jsonl`` (15k short texts, 43
categories) is encoded twice: as a 10,000-bit BSC hypervector of its
character 3-grams and as a dense MAP bundle of its words. The binary vectors
go into an exact Hamming index, the dense ones into an IVF index with 8-bit
LVQ codes and exact re-ranking. Both are saved, loaded back (the dense one
memory-mapped) and queried; we report how often the nearest texts share the
query's category, and check the loaded indexes answer like the originals.

Run: python examples/05_index.py
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from hdvec import hdc
from hdvec.encoders import NGramEncoder, TokenEncoder
from hdvec.encoders.segmentation import STOPWORDS_EN
from hdvec.index import Index

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "text" / "fortunes.jsonl"


def precision_at(ids: np.ndarray, labels: np.ndarray, queries: np.ndarray) -> float:
    """Share of the neighbours (the query itself excluded) with the query's label."""
    hits = [np.mean(labels[row[row != q][:10]] == labels[q]) for q, row in zip(queries, ids)]
    return float(np.mean(hits))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = ap.parse_args()
    if not args.data.is_file():
        sys.exit(f"text data not found: {args.data} (pass --data)")
    rows = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [r["text"] for r in rows]
    _, labels = np.unique([r["category"] for r in rows], return_inverse=True)
    queries = np.random.default_rng(0).choice(len(texts), 500, replace=False)
    chance = float(np.mean([np.mean(labels == labels[q]) for q in queries]))

    t = time.perf_counter()
    bits = NGramEncoder(hdc.BSC(10_000, seed=0), n=3, lowercase=True).encode_batch(texts)
    dense = TokenEncoder(hdc.MAP(1_024, seed=0), mode="bag", stopwords=STOPWORDS_EN).encode_batch(texts)
    print(f"encoded {len(texts):,} texts in {time.perf_counter() - t:.1f} s: bits {bits.shape}, dense {dense.shape}")

    binary = Index(10_000, metric="hamming")  # exact Hamming search over packed words
    binary.add(bits)
    vec = Index(1_024, metric="cosine", spec="IVF64,LVQ8,Rerank", nprobe=16, seed=0)
    vec.train(dense)
    vec.add(dense, attributes={"category": labels})
    with tempfile.TemporaryDirectory() as tmp:
        binary.save(Path(tmp) / "bits.hdvec")
        vec.save(Path(tmp) / "dense.hdvec")
        sizes = {p.name: p.stat().st_size for p in Path(tmp).iterdir()}
        binary2 = Index.load(Path(tmp) / "bits.hdvec")
        vec2 = Index.load(Path(tmp) / "dense.hdvec", mmap=True)
        for name, a, b, q in (("bits", binary, binary2, bits[queries]), ("dense", vec, vec2, dense[queries])):
            same = np.array_equal(a.search(q, 11)[1], b.search(q, 11)[1])
            print(f"{name}: {len(b):,} vectors, file {sizes[name + '.hdvec'] / 1e6:.1f} MB, "
                  f"loaded index gives the same answers: {same}")
        t = time.perf_counter()
        _, ids_bits = binary2.search(bits[queries], 11)
        t_bits = time.perf_counter() - t
        t = time.perf_counter()
        _, ids_dense = vec2.search(dense[queries], 11)
        t_dense = time.perf_counter() - t
        print(f"precision@10 of the category (chance {chance:.1%}):")
        print(f"  3-gram bits, exact Hamming : {precision_at(ids_bits, labels, queries):.1%} "
              f"({len(queries) / t_bits:,.0f} queries/s)")
        print(f"  word bundle, IVF + LVQ8    : {precision_at(ids_dense, labels, queries):.1%} "
              f"({len(queries) / t_dense:,.0f} queries/s)")
        q = int(queries[0])
        _, same_cat = vec2.search(dense[q], 3, filter={"category": int(labels[q])})
        print(f"\nquery: {texts[q][:70]!r}\nnearest in its category:")
        for i in same_cat[1:]:
            print("  -", texts[i][:70].replace("\n", " "))
        del binary2, vec2  # release the memory map before the folder goes


if __name__ == "__main__":
    main()
