"""Benchmark: the lead analytics on a large in-memory lookup (default 20,000 contacts).

The records (``value_and_history``, all form submissions) come straight from the sandbox's
data generator (no HTTP: the lookup itself is measured by ``bench_client.py``) and become a
:class:`~hubutk_pandas.result.LookupResult`; each ``result.lead`` function is then timed,
best of ``--repeat``, next to the tidy step (``LookupResult.from_records``) that any analysis
has already paid for.

Target: every lead function costs less than the tidy step of the same lookup (the analytics
should never be the slow part of a notebook). Printed PASS or MISS per function.
Run: ``.venv/bin/python benchmarks/bench_lead.py [-n 20000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from typing import Any

import pandas as pd

from hubutk_pandas.result import LookupResult
from hubutk_pandas.sandbox.data import SyntheticPortal
from hubutk_pandas.sandbox.vocab import property_definitions


def best_of(repeat: int, fn: Callable[[], Any]) -> float:
    """The best wall time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20_000, help="contacts (default 20,000)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    data = SyntheticPortal(seed=0, contacts=int(args.n * 1.25), portal_id=1)
    records = []
    index = 0
    while len(records) < args.n:
        if data.kind(index) == "contact":
            rec = data.record(index, property_mode="value_and_history", form_submission_mode="all")
            records.append((data.utks(index)[0], rec))
        index += 1
    definitions = property_definitions()

    def tidy() -> LookupResult:
        return LookupResult.from_records(records, definitions=lambda: definitions)

    result = tidy()
    base = best_of(args.repeat, tidy)
    visits = pd.DataFrame(
        {
            "utk": [utk for utk, _rec in records for _ in range(3)],
            "at": pd.Timestamp("2025-03-01", tz="UTC")
            + pd.to_timedelta([k % 90 for k in range(3 * len(records))], unit="D"),
            "page": [f"/page-{k % 10}" for k in range(3 * len(records))],
        }
    )
    lead = result.lead
    runs: dict[str, Callable[[], Any]] = {
        "stages()": lead.stages,
        "funnel()": lead.funnel,
        'funnel(kind="all")': lambda: lead.funnel(kind="all"),
        'funnel(by="hs_analytics_source")': lambda: lead.funnel(by="hs_analytics_source"),
        'time_to_stage_summary("lead", "customer")': lambda: lead.time_to_stage_summary(
            "lead", "customer"
        ),
        "attribution()": lead.attribution,
        'cohorts("M", "lead")': lambda: lead.cohorts("M", "lead"),
        f"touchpoints({len(visits):,} visits)": lambda: lead.touchpoints(
            visits, at="at", page="page"
        ),
    }
    print(
        f"{args.n:,} contacts, {len(result.history):,} history rows, "
        f"{len(result.properties):,} property rows; best of {args.repeat}"
    )
    print(f"{'tidy step (LookupResult.from_records)':<46}{base:>8.2f} s")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # wide()'s note about unparseable annualrevenue
        for name, fn in runs.items():
            seconds = best_of(args.repeat, fn)
            verdict = "PASS" if seconds < base else "MISS"
            print(f"{name:<46}{seconds:>8.2f} s  {seconds / base:>5.0%} of tidy  {verdict}")


if __name__ == "__main__":
    main()
