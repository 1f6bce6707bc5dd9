"""Benchmark: 100,000 cached records with full history → LookupResult frames.

Compares, on the same JSON bytes (one cache entry per record, as a record store keeps them):

* raw decode: ``json.loads`` of every record;
* ours: decode + ``LookupResult.from_records`` (and ``from_records`` alone);
* the usual notebook approach: ``pd.json_normalize`` on each record, timed on a sample and
  extrapolated linearly (said in the output).

Targets: decode + frames within 3x of the raw decode; at least 10x faster than json_normalize.
Run: ``.venv/bin/python benchmarks/bench_frames.py [n_records]``.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import pandas as pd

from hubutk_pandas.result import LookupResult
from hubutk_pandas.sandbox.data import SyntheticPortal

SAMPLE = 2_000


def make_cache(n: int) -> list[tuple[str, bytes]]:
    """``n`` (utk, JSON bytes) cache entries: every kind of record, value_and_history, forms=all."""
    portal = SyntheticPortal(seed=0, contacts=n, portal_id=62515)
    entries = []
    for index in range(n):
        record = portal.record(
            index,
            property_mode="value_and_history",
            form_submission_mode="all",
            show_list_memberships=True,
        )
        entries.append((f"utk-{index}", json.dumps(record).encode()))
    return entries


def best_of(fn: Any, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    start = time.perf_counter()
    cache = make_cache(n)
    size = sum(len(b) for _, b in cache)
    print(
        f"generated {n:,} records ({size / 1e6:.0f} MB JSON) in {time.perf_counter() - start:.0f} s"
    )

    decoded = [(utk, json.loads(blob)) for utk, blob in cache]
    t_decode = best_of(lambda: [(utk, json.loads(blob)) for utk, blob in cache])
    t_frames = best_of(lambda: LookupResult.from_records(decoded))
    t_total = best_of(
        lambda: LookupResult.from_records([(utk, json.loads(blob)) for utk, blob in cache])
    )
    result = LookupResult.from_records(decoded)

    sample = cache[:SAMPLE]
    t_sample = best_of(lambda: [pd.json_normalize(json.loads(blob)) for _, blob in sample], 1)
    t_normalize = t_sample * n / len(sample)

    print(result)
    print(f"json.loads (raw decode)            : {t_decode:8.2f} s")
    print(f"from_records on decoded dicts      : {t_frames:8.2f} s")
    print(f"decode + from_records (end to end) : {t_total:8.2f} s  "
          f"= {t_total / t_decode:.2f}x raw decode (target <= 3x)")  # fmt: skip
    print(f"json_normalize per record          : {t_normalize:8.2f} s  (timed on {len(sample):,} "
          f"records: {t_sample:.2f} s, extrapolated linearly to {n:,})")  # fmt: skip
    print(f"speed-up over json_normalize       : {t_normalize / t_total:8.1f}x (target >= 10x)")


if __name__ == "__main__":
    main()
