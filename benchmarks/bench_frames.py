"""Benchmark: cached records with full history → LookupResult frames (default 100,000 records).

Every record is one JSON blob, as the record store keeps them (value_and_history, all form
submissions, list memberships; every kind of sandbox contact). Timed, best of ``--repeat``:

* **decode**: ``json.loads`` of every blob (the raw decode);
* **ours, tidy step**: ``LookupResult.from_records`` on the decoded records;
* **ours, end to end**: ``json.loads`` of every blob, then ``from_records``;
* **json_normalize**, the usual notebook approach, one ``pd.json_normalize`` per record (and
  no concat: flattering to it). It is far too slow to run on every record, so it is timed on
  the first ``--sample`` records and extrapolated linearly to ``n`` - said in the output.
  Tidy step: on the decoded records; end to end: ``json.loads`` + ``json_normalize`` per blob.

Targets (from the issue), each printed PASS or MISS:

* (a) end to end within 3x of the raw decode;
* (b) at least 10x faster than json_normalize, read two ways: the tidy step alone, and end
  to end (where both sides pay the same decode, so the ratio is smaller).

The garbage collector is left on, as in a notebook: ``json.loads`` of many records kept alive
costs several times a decode of records thrown away at once, and the timings include it.
Peak memory at 100,000 records is about 5 GB.
Run: ``.venv/bin/python benchmarks/bench_frames.py [-n 100000] [--sample 2000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

import pandas as pd

from hubutk_pandas.result import LookupResult
from hubutk_pandas.sandbox.data import SyntheticPortal


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


def best_of(fn: Callable[[], Any], repeat: int) -> float:
    """Best wall time of ``repeat`` calls; each call's result is freed before the next."""
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
        del out
    return min(times)


def decode(cache: list[tuple[str, bytes]]) -> list[tuple[str, Any]]:
    return [(utk, json.loads(blob)) for utk, blob in cache]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100_000, help="records (default 100,000)")
    parser.add_argument("--sample", type=int, default=2_000, help="json_normalize sample size")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = parser.parse_args(argv)
    n, repeat = args.n, args.repeat

    start = time.perf_counter()
    cache = make_cache(n)
    size = sum(len(b) for _, b in cache)
    print(f"generated {n:,} records ({size / 1e6:.0f} MB of JSON) "
          f"in {time.perf_counter() - start:.0f} s")  # fmt: skip

    t_decode = best_of(lambda: decode(cache), repeat)
    t_total = best_of(lambda: LookupResult.from_records(decode(cache)), repeat)
    decoded = decode(cache)
    t_frames = best_of(lambda: LookupResult.from_records(decoded), repeat)
    result = LookupResult.from_records(decoded)

    k = min(args.sample, n)
    sample_records = [rec for _, rec in decoded[:k]]
    sample_blobs = [blob for _, blob in cache[:k]]
    decoded.clear()  # keep one decoded copy alive at most
    s_tidy = best_of(lambda: [pd.json_normalize(rec) for rec in sample_records], 1)
    s_total = best_of(lambda: [pd.json_normalize(json.loads(b)) for b in sample_blobs], 1)
    n_tidy, n_total = s_tidy * n / k, s_total * n / k

    ratio_a = t_total / t_decode
    ratio_tidy = n_tidy / t_frames
    ratio_total = n_total / t_total
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # KiB on Linux
    print(result)
    print(f"best of {repeat}; json_normalize timed once on the first {k:,} records and "
          f"extrapolated linearly to {n:,} (x{n / k:g}); peak RSS {peak_gb:.1f} GB")  # fmt: skip
    print()
    print(f"{'':38s}{'ours':>10s}{'json_normalize':>16s}")
    print(f"{'json.loads (raw decode)':38s}{t_decode:9.2f}s")
    print(f"{'tidy step (on decoded records)':38s}{t_frames:9.2f}s{n_tidy:15.1f}s"
          f"   ({s_tidy:.2f} s for {k:,})")  # fmt: skip
    print(f"{'end to end (json.loads + tidy step)':38s}{t_total:9.2f}s{n_total:15.1f}s"
          f"   ({s_total:.2f} s for {k:,})")  # fmt: skip
    print()
    print(f"(a)      end to end / raw decode      = {ratio_a:6.2f}x  (target <= 3x)   "
          f"{verdict(ratio_a <= 3)}")  # fmt: skip
    print(f"(b tidy) json_normalize / ours, tidy  = {ratio_tidy:6.1f}x  (target >= 10x)  "
          f"{verdict(ratio_tidy >= 10)}")  # fmt: skip
    print(f"(b e2e)  json_normalize / ours, e2e   = {ratio_total:6.1f}x  (target >= 10x)  "
          f"{verdict(ratio_total >= 10)}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
