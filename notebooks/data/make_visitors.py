"""Regenerate visitors.csv: sample web-visit rows whose utks come from the demo sandbox.

Run from the repository root: ``.venv/bin/python notebooks/data/make_visitors.py``.
The file is package data (``hubutk_pandas/data/visitors.csv``, what ``hubutk demo`` reads
wherever the package is installed); ``notebooks/data/visitors.csv`` is a link to it.
The file mixes known contacts, anonymous visitors, merged and deleted contacts,
utks HubSpot has never seen, blanks, padded values, odd cells and repeat visits,
like a real export from web logs. Deterministic: same seed, same file.

Pages lean towards what precedes a conversion on a real site: a visit made before the
contact's first conversion (its first form submission in the sandbox) shows the pricing,
demo or lead-scoring page more often. That choice is drawn from its own RNG, so the
rows, times and utks are those of the file without it.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd

from hubutk_pandas.connection import DEMO_CONTACTS, DEMO_SEED
from hubutk_pandas.sandbox import SandboxPortal

PAGES = ["/", "/pricing", "/blog/utm-guide", "/blog/lead-scoring", "/docs/api", "/demo",
         "/contact", "/careers", "/product/analytics", "/webinar/2025-q2"]
#: Pages seen more often before a conversion, and how much more (weights over PAGES).
BEFORE_CONVERTING = {"/pricing": 6, "/demo": 5, "/blog/lead-scoring": 3}
ODD = ["N/A", "undefined", "not a token", "<script>", "null;", "x" * 80]


def _first_conversion(record: dict | None) -> datetime | None:
    subs = (record or {}).get("form-submissions") or []
    if not subs:
        return None
    return datetime.fromtimestamp(subs[0]["timestamp"] / 1000, tz=timezone.utc)


def _lean_pages(rows: list[tuple], first_conversion: dict[str, datetime | None]) -> list[tuple]:
    rng = random.Random(f"pages:{DEMO_SEED}")
    weights = [BEFORE_CONVERTING.get(page, 1) for page in PAGES]
    out = []
    for seen, page, cell in rows:
        converted = first_conversion.get(cell.strip())
        if converted is not None and seen < converted:
            page = rng.choices(PAGES, weights)[0]
        out.append((seen, page, cell))
    return out


def main() -> None:
    rng = random.Random(DEMO_SEED)
    with SandboxPortal(contacts=DEMO_CONTACTS, seed=DEMO_SEED) as portal:
        utks = (portal.sample_utks(1400, kind="contact") + portal.sample_utks(120, kind="visitor")
                + portal.sample_utks(60, kind="merged") + portal.sample_utks(40, kind="deleted")
                + portal.unknown_utks(200))
        first_conversion = {utk: _first_conversion(portal.record(utk, form_submission_mode="oldest"))
                            for utk in utks}
    rows = []
    end = datetime(2025, 6, 1, tzinfo=timezone.utc)
    for utk in utks:
        for _ in range(rng.choice([1, 1, 1, 2, 2, 3, 4])):
            seen = end - timedelta(seconds=rng.randrange(90 * 24 * 3600))
            cell = f"  {utk} " if rng.random() < 0.02 else utk
            rows.append((seen, rng.choice(PAGES), cell))
    for _ in range(60):
        rows.append((end - timedelta(seconds=rng.randrange(90 * 24 * 3600)), rng.choice(PAGES), ""))
    for odd in ODD:
        rows.append((end - timedelta(seconds=rng.randrange(90 * 24 * 3600)), rng.choice(PAGES), odd))
    rows = _lean_pages(rows, first_conversion)
    rows.sort(key=lambda row: row[0])
    frame = pd.DataFrame(rows, columns=["visited_at", "page", "utk"])
    frame["visited_at"] = frame["visited_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    path = Path(__file__).resolve().parents[2] / "hubutk_pandas" / "data" / "visitors.csv"
    frame.to_csv(path, index=False)
    print(f"wrote {len(frame)} rows to {path}")


if __name__ == "__main__":
    main()
