"""Benchmark: streaming lookups to a dataset at scale (memory, throughput, disk, resume, Dask).

Not a test. ``hubutk sandbox`` runs in its own process with its limits lifted, so its
memory and CPU are not counted against the client. Each measured lookup runs in a fresh
child process (the looking-up process; its peak RSS is its own ``VmHWM``, see
``peak_rss.py``) with
``property_mode="value_and_history"``, ``form_submission_mode="all"`` and the client's
pacer lifted too (against HubSpot the pacer caps any path at 100 requests per 10 s, i.e.
1,000 utks/s; here we measure what the code itself sustains).

Reported:

* per size (``--sizes``): wall time, utks/s, peak RSS of the looking-up process, disk per
  contact (the whole dataset folder incl. its resume state, no HTTP cache or record store),
  and the time of a ``ds.sql`` group-by over the whole ``history`` frame;
* ``--compare N``: the in-memory path (``client.lookup_utks`` without ``out``) against the
  dataset path at N utks (60,000 in the issue): utks/s, peak RSS and CPU time of each;
* ``--reruns N``: an in-memory lookup of N utks with a cache folder (cold), the same again
  (the warm rerun: every answer from the record store) and the N with 1% new utks (a
  partly stored lookup, on a copy of the cold run's cache): peak RSS and CPU of each. A
  lookup holds one group of stored records at a time, whatever the store answers;
* ``--resume``: the largest size again, ``kill -9`` at about half way, rerun; the final
  dataset against the uninterrupted one (rows per frame and a hash of the sorted frames);
* ``--dask-rows R``: ``ddf.hubspot.enrich`` of an R-row synthetic visits frame (on a
  LocalCluster of 2 worker processes) against the largest dataset: wall time and the
  driver's peak RSS.

Usage::

    .venv/bin/python benchmarks/bench_scale.py --sizes 100000,300000 --compare 60000 \\
        --resume --dask-rows 10000000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from peak_rss import HERE

from hubutk_pandas.lookup import DEFAULT_CHUNK_SIZE, VALUE_ONLY_CHUNK_SIZE

CHILD = r"""
import json, resource, sys, time
from peak_rss import peak_rss_bytes
from hubutk_pandas import HubSpotClient
from hubutk_pandas.dataset import distinct_utks
mode, source, out, property_mode = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
options = {"property_mode": property_mode, "form_submission_mode": "all", "progress": False}
started = time.monotonic()
cache = sys.argv[5] if len(sys.argv) > 5 else False  # a cache folder: the record store
with HubSpotClient(cache=cache, rate_limit=(1_000_000, 1.0)) as client:
    if mode == "memory":
        result = client.lookup_utks(list(distinct_utks([source])), **options)
        contacts = len(result.contacts)
    else:
        ds = client.lookup_utks(distinct_utks([source]), **options, out=out)
        contacts = ds.counts["contacts"]
wall = time.monotonic() - started
rss = peak_rss_bytes()
usage = resource.getrusage(resource.RUSAGE_SELF)  # a new process counts CPU from zero
print(json.dumps({"wall": wall, "rss": rss, "contacts": contacts,
                  "cpu": usage.ru_utime + usage.ru_stime}))
"""

DASK_CHILD = r"""
import json, sys, time
from peak_rss import peak_rss_bytes
import dask.dataframe as dd, pandas as pd, numpy as np
from dask.distributed import Client, LocalCluster
import hubutk_pandas.dask
from hubutk_pandas import HubSpotClient
source, out, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
utks = pd.read_csv(source, dtype="string", keep_default_na=False)["utk"].to_numpy(dtype=object)
parts = 20
def part(i):
    rng = np.random.default_rng(i)
    n = rows // parts
    return pd.DataFrame({"utk": utks[rng.integers(0, len(utks), n)],
                         "page": rng.integers(0, 50, n), "row": np.arange(i * n, (i + 1) * n)})
with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                  dashboard_address="127.0.0.1:0") as lc, Client(lc):
    visits = dd.from_map(part, range(parts))
    started = time.monotonic()
    with HubSpotClient(cache=False, rate_limit=(1_000_000, 1.0)) as client:
        enriched = visits.hubspot.enrich("utk", properties=["lifecyclestage", "hubspotscore",
            "hs_analytics_source"], out=out, client=client, progress=False)
        looked_up = time.monotonic() - started
        enriched.to_parquet(out + "-enriched", write_index=False)
    wall = time.monotonic() - started
rss = peak_rss_bytes()
print(json.dumps({"wall": wall, "lookup": looked_up, "rss": rss}))
"""


def start_sandbox(contacts: int) -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "hubutk_pandas.sandbox", "--port", "0", "--contacts",
         str(contacts), "--seed", "0", "--rate-limit", "100000000/1000"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    env: dict[str, str] = {}
    assert proc.stdout is not None
    while "HUBSPOT_ACCESS_TOKEN" not in env:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("the sandbox did not start")
        key, _, value = line.strip().partition("=")
        if key.startswith("HUBSPOT_"):
            env[key] = value
    return proc, {"HUBSPOT_BASE_URL": env["HUBSPOT_BASE_URL"],
                  "HUBSPOT_ACCESS_TOKEN": env["HUBSPOT_ACCESS_TOKEN"]}  # fmt: skip


def write_utks(path: Path, n: int, contacts: int) -> None:
    """n distinct utks of the sandbox's main portal (every kind: contacts, visitors, ...).

    The portal of seed 0, which :func:`start_sandbox` serves (the sandbox's default seed is
    the sample visits' since issue 20; drawn from another, no utk would match).
    """
    from hubutk_pandas.sandbox.accounts import portal_id_for
    from hubutk_pandas.sandbox.data import SyntheticPortal

    data = SyntheticPortal(seed=0, contacts=contacts, portal_id=portal_id_for(0, set()))
    with open(path, "w") as handle:
        handle.write("utk\n")
        handle.writelines(f"{u}\n" for u in data.sample_utks(n, kind="any"))


def child_env(env: dict[str, str]) -> dict[str, str]:
    """The environment of a measured child: the sandbox's and ``peak_rss`` importable."""
    return {**os.environ, **env, "PYTHONPATH": HERE}


PROPERTY_MODE = "value_and_history"
"""The lookups' ``property_mode`` (``--value-only``: ``value_only``; 2,000 utks a chunk)."""


def run_child(
    env: dict[str, str], mode: str, source: Path, out: Path, cache: Path | None = None
) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(source), str(out), PROPERTY_MODE,
         *([str(cache)] if cache else [])],
        env=child_env(env), capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def folder_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def frame_hashes(path: Path) -> dict[str, tuple[int, str]]:
    """Rows and an md5 of the sorted rows of every frame (order-independent equality)."""
    from hubutk_pandas import open_dataset
    from hubutk_pandas.frames import FRAME_NAMES

    con = open_dataset(path).connect()
    out = {}
    for name in FRAME_NAMES:
        rows, digest = con.sql(
            "SELECT count(*), md5(coalesce(string_agg(r, '|' ORDER BY r), '')) FROM ("
            f"SELECT CAST(t AS VARCHAR) AS r FROM (SELECT * EXCLUDE (filename, file_row_number) "
            f"FROM {name}) t)"
        ).fetchall()[0]
        out[name] = (rows, digest)
    con.close()
    return out


def mb(n: float) -> str:
    return f"{n / 1e6:,.0f} MB"


def reruns(env: dict[str, str], work: Path, n: int, contacts: int) -> None:
    """In memory with a record store: ``n`` utks cold, warm, and with 1% new utks."""
    everyone = work / f"utks-{n}-more.csv"
    write_utks(everyone, n + n // 100, contacts)
    lines = everyone.read_text().splitlines(keepends=True)
    base = work / f"utks-{n}-base.csv"
    base.write_text("".join(lines[: n + 1]))  # the header and the first n
    cold_cache = work / f"cache-{n}"
    shutil.rmtree(cold_cache, ignore_errors=True)
    runs = [("cold", base, cold_cache)]
    runs += [("warm rerun", base, work / "cache-warm"), ("1% new", everyone, work / "cache-new")]
    for label, source, cache in runs:
        if cache != cold_cache:  # each rerun on its own copy of the cold run's store
            shutil.rmtree(cache, ignore_errors=True)
            shutil.copytree(cold_cache, cache)
        got = run_child(env, "memory", source, work / "unused", cache=cache)
        print(
            f"{n:>9,} utks in memory, {label:>10}: {got['wall']:7.1f} s, peak RSS "
            f"{mb(got['rss'])}, CPU of the looking-up process {got['cpu']:.1f} s, "
            f"{got['contacts']:,} contacts",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000", help="comma-separated utk counts")
    parser.add_argument("--compare", type=int, default=0, help="in-memory vs dataset at N utks")
    parser.add_argument("--resume", action="store_true", help="kill -9 half way, then rerun")
    parser.add_argument(
        "--reruns", type=int, default=0, help="in memory at N utks: cold, warm, 1%% new"
    )
    parser.add_argument("--dask-rows", type=int, default=0, help="Dask enrich of R visits")
    parser.add_argument("--workdir", default=None, help="where datasets go (default: a temp dir)")
    parser.add_argument(
        "--value-only", action="store_true", help="property_mode='value_only' (default: history)"
    )
    args = parser.parse_args()
    global PROPERTY_MODE
    if args.value_only:
        PROPERTY_MODE = "value_only"
    sizes = [int(s) for s in args.sizes.split(",") if s]
    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    biggest = max([*sizes, args.compare, args.reruns + args.reruns // 100])
    sandbox, env = start_sandbox(contacts=max(biggest, 2))
    print(f"sandbox in its own process, {biggest:,} contacts, limits lifted; work dir {work}")
    try:
        for n in sizes:
            source = work / f"utks-{n}.csv"
            write_utks(source, n, max(biggest, 2))
            out = work / f"ds-{n}"
            shutil.rmtree(out, ignore_errors=True)
            got = run_child(env, "dataset", source, out)
            from hubutk_pandas import open_dataset

            ds = open_dataset(out)
            started = time.monotonic()
            ds.sql("SELECT property, count(*) AS versions, count(DISTINCT vid) AS contacts "
                   "FROM history GROUP BY property")  # fmt: skip
            group_by = time.monotonic() - started
            disk = folder_bytes(out)
            print(
                f"{n:>9,} utks: {got['wall']:7.1f} s, {n / got['wall']:6,.0f} utks/s, peak RSS "
                f"{mb(got['rss'])}, {got['contacts']:,} contacts rows, {ds.counts['history']:,} "
                f"history rows, disk {mb(disk)} = {disk / max(got['contacts'], 1):,.0f} B per "
                f"contact, ds.sql group-by over history {group_by:.2f} s",
                flush=True,
            )
        if args.compare:
            n = args.compare
            source = work / f"utks-{n}.csv"
            write_utks(source, n, max(biggest, 2))
            memory = run_child(env, "memory", source, work / "unused")
            out = work / f"ds-compare-{n}"
            shutil.rmtree(out, ignore_errors=True)
            streamed = run_child(env, "dataset", source, out)
            for label, got in (("in memory", memory), ("dataset", streamed)):
                print(
                    f"{n:>9,} utks {label:>9}: {got['wall']:7.1f} s, "
                    f"{n / got['wall']:6,.0f} utks/s, peak RSS {mb(got['rss'])}, CPU of the "
                    f"looking-up process {got['cpu']:.1f} s",
                    flush=True,
                )
        if args.reruns:
            reruns(env, work, args.reruns, max(biggest, 2))
        if args.resume and sizes:
            n = max(sizes)
            source = work / f"utks-{n}.csv"
            out = work / f"ds-resume-{n}"
            shutil.rmtree(out, ignore_errors=True)
            proc = subprocess.Popen([sys.executable, "-c", CHILD, "dataset", str(source),
                                     str(out), PROPERTY_MODE], env=child_env(env),
                                    stdout=subprocess.DEVNULL)  # fmt: skip
            chunk = VALUE_ONLY_CHUNK_SIZE if PROPERTY_MODE == "value_only" else DEFAULT_CHUNK_SIZE
            while True:
                time.sleep(0.5)
                parts = len(list((out / "contacts").glob("part-*.parquet")))
                if parts * chunk >= n // 2:
                    break
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            print(f"resume: killed (-9) after {parts - 1} parts of {chunk:,} utks",
                  flush=True)  # fmt: skip
            got = run_child(env, "dataset", source, out)
            same = frame_hashes(out) == frame_hashes(work / f"ds-{n}")
            print(
                f"resume: rerun {got['wall']:.1f} s; equal to the uninterrupted dataset "
                f"(rows per frame and hash of the sorted frames): {same}",
                flush=True,
            )
        if args.dask_rows and sizes:
            n = max(sizes)
            done = subprocess.run(
                [sys.executable, "-c", DASK_CHILD, str(work / f"utks-{n}.csv"),
                 str(work / f"ds-enrich-{n}"), str(args.dask_rows)],
                env=child_env(env), capture_output=True, text=True, check=True,
            )  # fmt: skip
            got = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"dask enrich of {args.dask_rows:,} visits ({n:,} distinct utks): "
                f"{got['wall']:.1f} s (of which the lookup of the distinct utks, value_only, "
                f"{got['lookup']:.1f} s), driver peak RSS {mb(got['rss'])}",
                flush=True,
            )
    finally:
        sandbox.terminate()
        sandbox.wait()


if __name__ == "__main__":
    main()
