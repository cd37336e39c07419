"""Similar-record search and field queries over real JSON with the MBAT soft JSON encoder.

1. Penguins, cars and films: encode each record without its label field
   (species, origin, genre), find the 5 nearest other records (plain cleanup
   with ``hdc.knn``), and measure how often they share the label.
2. World countries (nested objects and arrays): read ``name.common`` back
   out of each country's single vector by unbinding the path and ranking all
   250 names.

Data: ``../shared/data/json`` (see its README). Run:
python examples/03_json_search.py [--dim 10000]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from hdvec import hdc
from hdvec.encoders import JSONEncoder

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "json"
TASKS = [("penguins.json", "Species"), ("cars.json", "Origin"), ("movies.json", "Major Genre")]


def numeric_scales(records: list[dict]) -> dict[str, float]:
    """Kernel width per numeric field: its standard deviation over the data set / 2."""
    values: dict[str, list[float]] = {}
    for r in records:
        for k, v in r.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                values.setdefault(k, []).append(float(v))
    return {k: float(np.std(v)) / 2 or 1.0 for k, v in values.items() if len(v) > 1}


def neighbour_precision(dim: int, records: list[dict], label: str, k: int = 5) -> tuple[float, float, float]:
    """Mean fraction of the k nearest records (leave-one-out) sharing ``label``; chance level; records/s."""
    keep = [r for r in records if r.get(label) is not None]
    labels = np.asarray([str(r[label]) for r in keep])
    features = [{f: v for f, v in r.items() if f != label} for r in keep]
    enc = JSONEncoder(dim, seed=0, number_scale=numeric_scales(features))
    t = time.perf_counter()
    x = enc.encode_batch(features)
    rate = len(x) / (time.perf_counter() - t)
    _, idx = hdc.knn(enc.model, x, x, k=k + 1)  # the first hit is the record itself
    hits = labels[idx[:, 1:]] == labels[:, None]
    chance = sum((c / len(labels)) ** 2 for c in Counter(labels).values())
    return float(hits.mean()), chance, rate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--dim", type=int, default=10_000)
    args = ap.parse_args()
    if not args.data.is_dir():
        sys.exit(f"JSON data not found: expected the folder {args.data} (pass --data)")

    print(f"1. nearest records share the label (5-NN, leave-one-out), D={args.dim}")
    for name, label in TASKS:
        records = json.loads((args.data / name).read_text(encoding="utf-8"))
        p, chance, rate = neighbour_precision(args.dim, records, label)
        print(f"   {name:14s} {label:12s} precision@5 {p:.1%} (chance {chance:.1%}), {rate:,.0f} records/s")

    movies = json.loads((args.data / "movies.json").read_text(encoding="utf-8"))
    enc = JSONEncoder(args.dim, seed=0, number_scale=numeric_scales(movies))
    x = enc.encode_batch(movies)
    title = "Toy Story"
    i = next(j for j, m in enumerate(movies) if m["Title"] == title)
    _, idx = hdc.knn(enc.model, x[i], x, k=4)
    print(f"   films closest to {title!r}:", "; ".join(str(movies[j]["Title"]) for j in idx[1:]))

    countries = json.loads((args.data / "world-countries.json").read_text(encoding="utf-8"))
    enc = JSONEncoder(args.dim, seed=0)
    x = enc.encode_batch(countries, progress=False)
    names = [c["name"]["common"] for c in countries]
    _, order = enc.query(x, "name.common", names)
    acc = float(np.mean(order[:, 0] == np.arange(len(names))))
    fields = np.mean([len(json.dumps(c)) for c in countries])
    print(f"2. name.common read back from {len(countries)} nested country records "
          f"(~{fields:.0f} JSON characters each): top-1 {acc:.1%}")
    regions = sorted({c["region"] for c in countries})
    _, order = enc.query(x, "region", regions)
    acc = float(np.mean([regions[o] == c["region"] for o, c in zip(order[:, 0], countries)]))
    print(f"   region read back among {len(regions)} regions: top-1 {acc:.1%}")


if __name__ == "__main__":
    main()
