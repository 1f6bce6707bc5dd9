"""Benchmark: ``import hubutk_pandas`` in a fresh interpreter stays light.

Times the import (best of several fresh subprocesses), and pandas' own import apart (the
floor: ``df.hubspot`` is registered at import, which needs pandas), and checks that
matplotlib, ipywidgets, pyarrow's dataset layer, DuckDB, requests-cache and
importlib.metadata are not imported by it. Target: < 0.3 s. pandas' own import is not
ours to cut (0.27 s for pandas 2.2 on a quiet machine, 0.66 s for pandas 3.1 on the same
one), so the check is on what ``hubutk_pandas`` adds to it; both are printed.
Run: ``.venv/bin/python benchmarks/bench_import.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("matplotlib", "ipywidgets", "pyarrow.dataset", "duckdb", "requests_cache",
         "importlib.metadata")  # fmt: skip
PROBE = f"""
import json, sys, time
start = time.perf_counter()
import pandas
middle = time.perf_counter()
import hubutk_pandas
end = time.perf_counter()
heavy = sorted(m for m in {HEAVY!r} if m in sys.modules)
print(json.dumps({{"seconds": end - start, "pandas": middle - start, "heavy": heavy}}))
"""


def main(runs: int = 7) -> int:
    results = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
        ).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    best = min(r["seconds"] for r in results)
    pandas = min(r["pandas"] for r in results)
    heavy = sorted({m for r in results for m in r["heavy"]})
    print(
        f"import hubutk_pandas: best of {runs} fresh interpreters = {best:.3f} s, of which "
        f"pandas {pandas:.3f} s and ours {best - pandas:.3f} s (target < 0.3 s)"
    )
    print(f"heavy modules imported: {heavy or 'none'} (must be none)")
    ok = best - pandas < 0.3 and not heavy
    print("OK" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
