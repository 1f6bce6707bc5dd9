"""Benchmark: ``import hubutk_pandas`` in a fresh interpreter stays light.

Times the import (best of several fresh subprocesses) and checks that matplotlib and
ipywidgets are not imported by it. Target: < 0.5 s.
Run: ``.venv/bin/python benchmarks/bench_import.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys, time
start = time.perf_counter()
import hubutk_pandas
elapsed = time.perf_counter() - start
heavy = sorted(m for m in ("matplotlib", "ipywidgets") if m in sys.modules)
print(json.dumps({"seconds": elapsed, "heavy": heavy}))
"""


def main(runs: int = 7) -> int:
    results = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
        ).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    best = min(r["seconds"] for r in results)
    heavy = sorted({m for r in results for m in r["heavy"]})
    print(
        f"import hubutk_pandas: best of {runs} fresh interpreters = {best:.3f} s (target < 0.5 s)"
    )
    print(f"heavy modules imported: {heavy or 'none'} (must be none)")
    ok = best < 0.5 and not heavy
    print("OK" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
