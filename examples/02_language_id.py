"""Language identification with character n-gram prototypes (Rahimi et al. 2016).

One prototype per language: the bundle of every n-gram of its training text.
A test sentence gets the language of its most similar prototype. Data: 21
European languages in ``../shared/data/langid`` (Wortschatz train, Europarl
test, 1,000 sentences per language).

Run: python examples/02_language_id.py [--model BSC|MAP] [--n 3] [--dim 10000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from hdvec import hdc
from hdvec.encoders import NGramEncoder

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "langid"


def load(data: Path) -> tuple[list[str], list[str], list[str], np.ndarray]:
    """Training texts per language, test sentences and their language index."""
    if not (data / "train").is_dir() or not (data / "test").is_dir():
        sys.exit(f"language data not found: expected {data}/train and {data}/test (pass --data)")
    langs = sorted(p.stem for p in (data / "train").glob("*.txt"))
    train = [(data / "train" / f"{lang}.txt").read_text(encoding="utf-8") for lang in langs]
    sentences, labels = [], []
    for i, lang in enumerate(langs):
        lines = [s.strip() for s in (data / "test" / f"{lang}.txt").read_text(encoding="utf-8").splitlines()]
        lines = [s for s in lines if s]
        sentences += lines
        labels += [i] * len(lines)
    return langs, train, sentences, np.asarray(labels)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--model", choices=["BSC", "MAP"], default="MAP")
    ap.add_argument("--n", type=int, default=3)
    ap.add_argument("--dim", type=int, default=10_000)
    args = ap.parse_args()

    langs, train, sentences, labels = load(args.data)
    model = hdc.BSC(args.dim, seed=0) if args.model == "BSC" else hdc.MAP(args.dim, dtype="int8", seed=0)
    enc = NGramEncoder(model, n=args.n, lowercase=True)

    t0 = time.perf_counter()
    prototypes = enc.encode_batch(train)  # one whole training text per language
    t1 = time.perf_counter()
    queries = enc.encode_batch(sentences, progress=True)
    t2 = time.perf_counter()
    if args.model == "BSC":  # nearest prototype by Hamming distance
        _, pred = hdc.knn(model, queries, prototypes, k=1)
    else:  # MAP-I prototypes keep their integer sums: nearest by cosine
        pred = np.argmax(hdc.cosine(queries.astype(np.float32), prototypes.astype(np.float32)), axis=1)[:, None]
    pred = np.asarray(pred)[:, 0]
    acc = float(np.mean(pred == labels))
    chars = sum(map(len, train))
    print(f"{args.model} D={args.dim} n={args.n}: accuracy {acc:.2%} on {len(sentences)} sentences, "
          f"{len(langs)} languages")
    print(f"train: {chars / 1e6:.1f} MB in {t1 - t0:.2f} s; test: {len(sentences)} sentences in {t2 - t1:.2f} s")
    worst = np.argsort([np.mean(pred[labels == i] == i) for i in range(len(langs))])[:3]
    print("hardest:", ", ".join(f"{langs[i]} {np.mean(pred[labels == i] == i):.1%}" for i in worst))


if __name__ == "__main__":
    main()
