"""Benchmark: peak memory of the lead analytics on a dataset vs the same lookup in memory.

Builds (once) a dataset of ``-n`` sandbox utks with ``value_and_history`` and all form
submissions, then measures, each in a fresh process so peak RSS is its own:

- ``baseline``: the interpreter with pandas, pyarrow and DuckDB, the dataset opened;
- ``dataset``: the six analyses run on the ``LookupDataset`` (filters pushed into Parquet);
- ``memory``: ``ds.to_result()`` first, then the same analyses.

Target: the dataset path's peak is bounded by what the analyses need (the lifecycle rows and
a few columns), well below loading the lookup. Figures in the README (Lead intelligence).
Run: ``.venv/bin/python benchmarks/bench_lead_dataset.py [-n 30000] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from peak_rss import peak_rss_bytes


def build(n: int, out: Path) -> None:
    """Stream ``n`` sandbox utks with full history into a dataset at ``out``."""
    from hubutk_pandas import HubSpotClient, LookupOptions
    from hubutk_pandas.sandbox import SandboxPortal

    # Limits lifted on both sides: this measures the analyses, not the pacing.
    with SandboxPortal(contacts=int(n * 1.3), rate_limit=(1_000_000, 10_000)) as portal:
        utks = portal.sample_utks(n)
        with HubSpotClient(
            portal.access_token, base_url=portal.base_url, cache=False, rate_limit=(1_000_000, 10)
        ) as client:
            started = time.perf_counter()
            options = LookupOptions(property_mode="value_and_history", form_submission_mode="all")
            ds = client.lookup_utks(utks, options=options, progress=False, out=out)
            print(f"built {ds!r} in {time.perf_counter() - started:.0f} s", flush=True)


def measure(mode: str, path: str) -> dict[str, float | str]:
    """Run the analyses in ``mode`` on the dataset at ``path``; peak RSS and seconds per call."""
    from hubutk_pandas import lead, open_dataset

    warnings.simplefilter("ignore")
    ds = open_dataset(path)
    ds.sql("select count(*) from contacts")  # DuckDB and pyarrow loaded in every mode
    started = time.perf_counter()
    source = ds if mode in ("dataset", "baseline") else ds.to_result()
    figures: dict[str, float | str] = {"mode": mode, "load_s": time.perf_counter() - started}
    if mode != "baseline":
        calls = {
            "stages": lambda: lead.stages(source),
            "funnel": lambda: lead.funnel(source),
            "funnel_by_source": lambda: lead.funnel(source, by="hs_analytics_source", kind="all"),
            "time_to_stage_summary": lambda: lead.time_to_stage_summary(source, "lead", "customer"),
            "attribution": lambda: lead.attribution(source),
            "cohorts": lambda: lead.cohorts(source, "Q"),
        }
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            figures[name] = round(time.perf_counter() - started, 2)
    figures["peak_rss_mb"] = round(peak_rss_bytes() / 2**20)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=30_000, help="contacts (default 30,000)")
    parser.add_argument("--out", type=Path, help="dataset folder (default: a temporary one)")
    parser.add_argument("--measure", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-lead-ds-")) / "ds"
    if not out.exists():
        build(args.n, out)
    for mode in ("baseline", "dataset", "memory"):
        done = subprocess.run(
            [sys.executable, __file__, "--measure", mode, str(out)],
            check=True,
            capture_output=True,
            text=True,
        )
        print(done.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
