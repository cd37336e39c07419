"""Searches from several threads while another thread adds and removes: no exception escapes, and no search
returns an id whose ``remove`` returned before that search began."""

import threading
import time

import numpy as np
import pytest

from hdvec import hdc
from hdvec.index import Index

RNG = np.random.default_rng(0)
X = RNG.standard_normal((6000, 16)).astype(np.float32)
BITS = hdc.BSC(256, seed=0).random(6000, seed=1)
STEPS = 60


@pytest.mark.parametrize("spec, metric", [("IVF16,LVQ8,Rerank", "l2"), ("IVF16,Flat", "hamming"), ("Flat", "l2")])
def test_writers_and_readers(spec, metric):
    data = BITS if metric == "hamming" else X
    idx = Index(256 if metric == "hamming" else 16, metric=metric, spec=spec, seed=0)
    if idx.spec.needs_training:
        idx.train(data)
    idx.add(data[:2000])
    removed_at: dict[int, float] = {}  # id -> time its remove() returned
    recent: list[int] = []  # removed ids, newest last (an id's vector is data[id])
    errors: list[BaseException] = []
    stop = threading.Event()

    def writer():
        rng = np.random.default_rng(1)
        live = list(range(2000))
        try:
            nxt = 2000
            for _ in range(STEPS):
                idx.add(data[nxt % 6000 : nxt % 6000 + 50], ids=np.arange(nxt, nxt + 50))
                live.extend(range(nxt, nxt + 50))
                nxt += 50
                pick = rng.choice(len(live), 30, replace=False)  # random live ids: compactions move every row
                gone = np.array([live[j] for j in pick])
                live[:] = [v for j, v in enumerate(live) if j not in set(pick.tolist())]
                idx.remove(gone)
                t = time.perf_counter()
                removed_at.update(dict.fromkeys(gone.tolist(), t))
                recent.extend(gone.tolist())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            stop.set()

    late: list[tuple[int, float, float]] = []

    def reader(seed):
        rng = np.random.default_rng(seed)
        try:
            while not stop.is_set():
                # the vectors of ids just removed (a stale search finds them first), and random ones
                q = data[np.concatenate([np.array(recent[-24:], np.int64), rng.integers(0, 6000, 8)])]
                began = time.perf_counter()
                _, ids = idx.search(q, 10, nprobe=4)
                for i in np.unique(ids[ids >= 0]).tolist():
                    if removed_at.get(i, np.inf) < began:
                        late.append((i, removed_at[i], began))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert not late, late[:5]
    assert len(idx) == 2000 + STEPS * (50 - 30)
    assert not np.isin(idx.search(data[:100], 10, nprobe=16)[1], list(removed_at)).any()
