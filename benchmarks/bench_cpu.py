"""Benchmark: the client's CPU seconds per utk, and the fraction of a core each HubSpot tier needs.

Not a test. The sandbox runs in its own process with its limits lifted and every person
behind the utks prebuilt (:meth:`SandboxPortal.prebuild`), so it only assembles and encodes
answers while timed and is never the bottleneck. Each measured lookup runs in a fresh child
process with the client's pacer lifted; the figure is that process's CPU time (every
thread, user + system, :func:`time.process_time`) from the call to the returned result,
divided by the utks looked up. Wall time is not used: the machine may be shared, and CPU
seconds do not depend on what else runs.

The utks are drawn as ``bench_scale.py`` draws them (``--kind any``: contacts, anonymous
visitors, merged and deleted ones, in the sandbox's proportions); ``--kind contact`` measures
known contacts only, the heaviest answers.

Four paths, each the median of ``--runs`` runs (default 3), the runs of the paths
alternating:

* value only (``property_mode="value_only"``, no form submissions) and full history
  (``property_mode="value_and_history"``, ``form_submission_mode="all"``);
* in memory (``client.lookup_utks(utks)``, the cache on, as by default, in a fresh
  folder: a cold run) and streamed to a dataset (``out=``).

From the CPU per utk: the fraction of one core each HubSpot tier needs at its ceiling,
100, 190 and 250 requests per 10 s of 100 utks each (1,000, 1,900 and 2,500 utks/s).

``--arrow-pool`` sets pyarrow's allocator in the measured processes (the
``ARROW_DEFAULT_MEMORY_POOL`` variable an analyst can set too; the package itself never
changes it): on this machine the system allocator takes about a tenth off an in-memory lookup
with full history (see the README).

The warm rerun: the in-memory lookup again in the same cache folder (every record from the
record store, no request), against a plain ``json.loads`` of the same answers (the bodies
fetched once more with ``requests``, decoded in the same child), for thin records (value
only) and heavy ones (full history). The ratio is warm CPU / ``json.loads`` CPU.

Usage::

    .venv/bin/python benchmarks/bench_cpu.py                # 20,000 utks, 3 runs, ~3 min
    .venv/bin/python benchmarks/bench_cpu.py --quick        # 4,000 utks, 1 run
    .venv/bin/python benchmarks/bench_cpu.py --utks 50000 --runs 5
    .venv/bin/python benchmarks/bench_cpu.py --arrow-pool system   # glibc's malloc for pyarrow
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing as mp
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

TIERS = {"100 / 10 s (Starter, free)": 1000, "190 / 10 s (Pro, Enterprise)": 1900,
         "250 / 10 s (API limit increase)": 2500}  # fmt: skip
"""utks per second at each tier's ceiling: requests per 10 s of 100 utks each."""

MODES = {
    "value only": {"property_mode": "value_only", "form_submission_mode": "none"},
    "full history": {"property_mode": "value_and_history", "form_submission_mode": "all"},
}

CHILD = r"""
import json, sys, time
from hubutk_pandas import HubSpotClient
path, mode, utks_file, cache, out = sys.argv[1:6]
options = json.loads(sys.argv[6])
with open(utks_file) as handle:
    utks = handle.read().split()
base_url, token = sys.argv[7], sys.argv[8]
with HubSpotClient(token, base_url=base_url, cache=cache, rate_limit=(1_000_000, 1.0)) as client:
    client.property_definitions  # fetched once per client: not per utk
    cpu, wall = time.process_time(), time.monotonic()
    if path == "memory":
        result = client.lookup_utks(utks, **options, progress=False)
        contacts = len(result.contacts)
    else:
        ds = client.lookup_utks(utks, **options, progress=False, out=out)
        contacts = ds.counts["contacts"]
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    loads = None
    if mode == "warm":  # the same answers, decoded by a plain json.loads
        import requests
        from hubutk_pandas.lookup.plan import plan
        from hubutk_pandas.options import LookupOptions
        planned = plan(client.fetcher, utks, LookupOptions(**options))
        session = requests.Session()
        bodies = []
        for batch in planned.batches:
            answer = session.get(base_url + "/contacts/v1/contact/byUtk/batch/",
                                 params=[*planned.query, *(("utk", u) for u in batch)],
                                 headers={"Authorization": "Bearer " + token})
            answer.raise_for_status()
            bodies.append(answer.content)
        loads = time.process_time()
        for body in bodies:
            json.loads(body)
        loads = time.process_time() - loads
        mb = sum(map(len, bodies)) / 1e6
import pyarrow
print(json.dumps({"cpu": cpu, "wall": wall, "contacts": contacts, "loads": loads,
                  "mb": mb if loads is not None else None,
                  "pool": pyarrow.default_memory_pool().backend_name}))
"""


def _serve(conn: Connection, contacts: int, n: int, kind: str) -> None:
    from hubutk_pandas.sandbox import SandboxPortal

    with SandboxPortal(contacts=contacts, rate_limit=(100_000_000, 1000)) as portal:
        utks = portal.sample_utks(n, kind=kind)
        kept = portal.prebuild(utks)
        gc.collect()
        gc.freeze()  # the prebuilt people: out of the collector's sight (see bench_client)
        conn.send((portal.base_url, portal.access_token, utks, kept))
        conn.recv()  # until told to stop


def run_child(
    path: str, mode: str, options: dict[str, Any], work: Path, cache: Path, server: tuple[str, str],
    pool: str = "",
) -> dict[str, Any]:  # fmt: skip
    out = work / "dataset"
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    if pool:  # pyarrow reads it when it first allocates: the child's whole process
        env["ARROW_DEFAULT_MEMORY_POOL"] = pool
    done = subprocess.run(
        [sys.executable, "-c", CHILD, path, mode, str(work / "utks.txt"), str(cache), str(out),
         json.dumps(options), *server],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"the measured child failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--utks", type=int, default=20_000, help="utks per lookup")
    parser.add_argument("--runs", type=int, default=3, help="runs per path (the median)")
    parser.add_argument("--quick", action="store_true", help="4,000 utks, one run")
    parser.add_argument(
        "--kind", default="any", help="sandbox utks: any (default, as bench_scale), contact, ..."
    )
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated paths, e.g. 'memory full history' (default: all)",
    )
    parser.add_argument("--no-warm", action="store_true", help="skip the warm reruns")
    parser.add_argument(
        "--arrow-pool",
        default="",
        choices=["", "mimalloc", "jemalloc", "system"],
        help="pyarrow's allocator in the measured processes (ARROW_DEFAULT_MEMORY_POOL; "
        "default: pyarrow's own choice, mimalloc on Linux wheels)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.utks, args.runs = min(args.utks, 4000), 1
    n = args.utks

    parent, child = mp.Pipe()
    server = mp.get_context("spawn").Process(
        target=_serve, args=(child, max(2 * n, 1000), n, args.kind), daemon=True
    )
    server.start()
    base_url, token, utks, kept = parent.recv()
    work = Path(tempfile.mkdtemp(prefix="bench-cpu-"))
    (work / "utks.txt").write_text("\n".join(utks))
    where = (base_url, token)
    print(
        f"sandbox in its own process, limits lifted, {kept:,} people prebuilt; "
        f"{n:,} utks of kind {args.kind!r} per lookup, median of {args.runs} run(s); "
        f"CPU of the client process (all threads) from the call to the result"
    )
    paths = [(p, m) for m in MODES for p in ("memory", "streamed")]
    if args.only:
        wanted = {w.strip() for w in args.only.split(",")}
        paths = [(p, m) for p, m in paths if f"{p} {m}" in wanted]
    cpu: dict[tuple[str, str], list[float]] = {key: [] for key in paths}
    warm: dict[str, dict[str, Any]] = {}
    pools: set[str] = set()
    try:
        for run in range(args.runs):
            for path, mode in paths:
                cache = work / f"cache-{path}-{mode}-{run}".replace(" ", "-")
                got = run_child(path, "cold", MODES[mode], work, cache, where, args.arrow_pool)
                pools.add(got["pool"])
                cpu[path, mode].append(got["cpu"] / n * 1000)
                print(
                    f"  run {run + 1}: {path:<8} {mode:<12} {got['cpu']:6.2f} s CPU "
                    f"({got['cpu'] / n * 1000:.3f} ms/utk), wall {got['wall']:5.2f} s, "
                    f"{got['contacts']:,} contacts",
                    flush=True,
                )
                if path == "memory" and run == 0 and not args.no_warm:
                    warm[mode] = run_child(
                        path, "warm", MODES[mode], work, cache, where, args.arrow_pool
                    )
                shutil.rmtree(cache, ignore_errors=True)
        print(f"\npyarrow's allocator in the measured processes: {', '.join(sorted(pools))}")
        print(f"{'path':<28} {'CPU ms/utk':>10} {'utks/s/core':>12}  " +
              "  ".join(f"{t.split(' (')[0]:>10}" for t in TIERS))  # fmt: skip
        for (path, mode), values in cpu.items():
            median = statistics.median(values)
            spread = f"{min(values):.3f}-{max(values):.3f}" if len(values) > 1 else ""
            fractions = "  ".join(f"{median * rate / 1000:>9.0%} " for rate in TIERS.values())
            print(f"{path + ', ' + mode:<28} {median:>10.3f} {1000 / median:>12,.0f}  "
                  f"{fractions}  {spread}")  # fmt: skip
        print("  (tier columns: the fraction of one core the lookup needs at that ceiling; "
              + "; ".join(f"{t} = {r:,} utks/s" for t, r in TIERS.items()) + ")")  # fmt: skip
        for mode, got in warm.items():
            print(
                f"warm rerun, {mode:<12}: {got['cpu']:.2f} s CPU vs json.loads of the same "
                f"answers ({got['mb']:.0f} MB) {got['loads']:.2f} s = "
                f"{got['cpu'] / got['loads']:.2f}x json.loads"
            )
    finally:
        parent.send("stop")
        server.join(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
