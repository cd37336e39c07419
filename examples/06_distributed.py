"""Encode a JSON-lines file on Dask workers and search it with a ShardedIndex.

The 20,968 browser-compatibility records of ``../shared/data/json/mdn_bcd_features.jsonl.gz``
are read as a ``dask.bag``, encoded by ``JSONEncoder`` on the workers of a local cluster (the
vectors are byte-identical to encoding in this process; checked below on a sample), put into a
``ShardedIndex`` (2 shards, each owning whole IVF cells), saved, loaded back and queried: for a
sample of records we look for the nearest other records and report how often they share the
query's ``category`` (api, css, html, javascript, ...), which the encoder never saw.

Needs ``pip install -e ".[distributed]"``. Run: python examples/06_distributed.py [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from hdvec.encoders import JSONEncoder
from hdvec.encoders.distributed import encode_bag
from hdvec.index import ShardedIndex

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "json" / "mdn_bcd_features.jsonl.gz"


def strip(record: dict) -> dict:
    """The record without its label and the fields that spell it out (path, URLs, source file)."""
    compat = dict(record.get("__compat") or {})
    for key in ("mdn_url", "source_file", "spec_url"):
        compat.pop(key, None)
    return {"__compat": compat}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--dim", type=int, default=1024)
    args = ap.parse_args()
    if not args.data.is_file():
        sys.exit(f"data not found: {args.data} (see ../shared/data/README.md)")
    import dask.bag as db
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=40) as cluster, Client(cluster) as client:
        records = db.read_text(str(args.data), blocksize=None).map(json.loads)
        records = records.repartition(npartitions=8)
        labels = np.array(records.pluck("category").compute())
        enc = JSONEncoder(args.dim, seed=0, strings="exact")
        t = time.perf_counter()
        x = encode_bag(enc, records.map(strip)).persist()  # encoded on the workers, kept there
        print(f"encoded {x.shape[0]:,} records (D={args.dim}) on {args.workers} workers in "
              f"{time.perf_counter() - t:.1f} s")
        sample = [strip(json.loads(line)) for line in db.read_text(str(args.data), blocksize=None).take(200)]
        assert JSONEncoder(args.dim, seed=0, strings="exact").encode_batch(sample).tobytes() == \
            x[:200].compute().tobytes(), "distributed encoding differs from local encoding"
        print("the first 200 vectors are byte-identical to local encoding")

        idx = ShardedIndex(args.dim, metric="cosine", spec="IVF64,Flat", nprobe=8, seed=0, n_shards=2,
                           client=client)
        idx.train(x[::4].compute())  # a sample trains the shared centroids
        t = time.perf_counter()
        idx.add(x)  # rows go from the workers that encoded them to the shards owning their cells
        print(f"added in {time.perf_counter() - t:.1f} s: {idx!r}")
        with tempfile.TemporaryDirectory() as tmp:
            idx.save(tmp)
            back = ShardedIndex.load(tmp, client=client)
            queries = np.random.default_rng(0).choice(x.shape[0], 300, replace=False)
            q = x[np.sort(queries)].compute()
            _, i1 = idx.search(q, 6)
            _, i2 = back.search(q, 6)
            assert np.array_equal(i1, i2), "the loaded index answers differently"
        qids = np.sort(queries)
        hits = [(labels[row[row != qid][:5]] == labels[qid]).mean() for qid, row in zip(qids, i2)]
        base = np.mean([(labels == labels[qid]).mean() for qid in qids])
        print(f"saved and loaded: identical answers; the 5 nearest other records share the query's "
              f"category {np.mean(hits):.1%} of the time (chance: {base:.1%})")


if __name__ == "__main__":
    main()
