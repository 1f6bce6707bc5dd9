"""Benchmark: HubSpotClient throughput against a rate-limited sandbox, versus a naive loop.

Not a test. Runs the sandbox in a child process (so its CPU does not compete with the
client for the GIL), with HubSpot's default burst limit (100 requests per 10 s) and
network latency, then looks ``--utks`` utks up:

* with :class:`hubutk_pandas.HubSpotClient` (cache disabled, 4 workers, paced);
* with a naive loop: ``requests.get`` over the same batches, sequential, no pacing,
  a 429 gives up the batch (its utks are lost).

Printed per run: requests, wall time, achieved requests/s, the fraction of the ceiling
(achieved ÷ 10 requests/s), 429 answers and lost utks; for the client also the
steady-state rate after the initial burst, which is the fair fraction of the ceiling.
Because the limit is a *rolling* window, a run may burst 100 requests at once, so over a
short run the achieved rate can exceed 10/s (200 requests can finish in a little over
10 s in theory; the sandbox's CPU for building 100 records per request keeps it from
getting that close).

Usage::

    .venv/bin/python benchmarks/bench_client.py --utks 20000 --latency 0.08
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import time
from multiprocessing.connection import Connection
from typing import Any

import requests

MAX_REQUESTS, INTERVAL = 100, 10.0
BY_UTK = "/contacts/v1/contact/byUtk/batch/"


def _serve(conn: Connection, contacts: int, latency: float, n: int) -> None:
    from hubutk_pandas.sandbox import SandboxPortal

    with SandboxPortal(
        contacts=contacts, rate_limit=(MAX_REQUESTS, int(INTERVAL * 1000)), latency=latency
    ) as portal:
        conn.send((portal.base_url, portal.access_token, portal.sample_utks(n)))
        while True:
            command = conn.recv()
            if command == "stats":
                conn.send(portal.stats.snapshot())
            elif command == "reset":
                portal.reset_stats()
                portal.reset_limits()
                conn.send(True)
            else:
                return


def _report(name: str, requests_: int, elapsed: float, n429: int, lost: int) -> None:
    rate = requests_ / elapsed
    print(
        f"{name:<14} requests={requests_:4d}  wall={elapsed:6.2f}s  rate={rate:5.2f}/s  "
        f"fraction of ceiling={rate / (MAX_REQUESTS / INTERVAL):6.1%}  "
        f"429s={n429:3d}  lost utks={lost}"
    )


def _steady_state(done_at: list[tuple[int, float]]) -> None:
    """Print the rate after the rolling window's initial burst of MAX_REQUESTS requests.

    A rolling window lets a client send MAX_REQUESTS at once; after that no client can
    exceed MAX_REQUESTS / INTERVAL. The fair "fraction of the ceiling" is the rate from
    the end of the burst to the last request, against that limit.
    """
    after = [(done, t) for done, t in done_at if done >= MAX_REQUESTS]
    if len(after) < 2:
        print("steady state    not reached (fewer than two windows of requests)")
        return
    (d0, t0), (d1, t1) = after[0], after[-1]
    rate = (d1 - d0) / (t1 - t0)
    print(
        f"steady state   requests {d0 + 1}-{d1} after the initial burst: {rate:5.2f}/s  "
        f"fraction of ceiling={rate / (MAX_REQUESTS / INTERVAL):6.1%}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--utks", type=int, default=20_000, help="utks to look up")
    parser.add_argument("--latency", type=float, default=0.08, help="seconds per request")
    parser.add_argument("--workers", type=int, default=4, help="client worker threads")
    parser.add_argument("--skip-naive", action="store_true", help="only run the client")
    args = parser.parse_args(argv)

    from hubutk_pandas.client import HubSpotClient

    parent, child = mp.Pipe()
    server = mp.get_context("spawn").Process(
        target=_serve, args=(child, max(args.utks * 2, 1000), args.latency, args.utks), daemon=True
    )
    server.start()
    base_url, token, utks = parent.recv()
    stats: dict[str, Any]
    try:
        with HubSpotClient(
            token, base_url=base_url, cache=False, max_workers=args.workers
        ) as client:
            done_at: list[tuple[int, float]] = []
            started = time.monotonic()
            result = client.lookup_utks(
                utks, progress=lambda done, _total: done_at.append((done, time.monotonic()))
            )
            elapsed = time.monotonic() - started
        parent.send("stats")
        stats = parent.recv()
        lost = args.utks - len(result.contacts) - len(result.missing)
        _report("HubSpotClient", stats["requests"], elapsed, stats["by_status"].get(429, 0), lost)
        _steady_state(done_at)

        if not args.skip_naive:
            parent.send("reset")
            parent.recv()
            session = requests.Session()
            headers = {"Authorization": f"Bearer {token}"}
            lost = 0
            started = time.monotonic()
            for start in range(0, len(utks), 100):
                batch = utks[start : start + 100]
                resp = session.get(base_url + BY_UTK, params={"utk": batch}, headers=headers)
                if resp.status_code != 200:
                    lost += len(batch)
            elapsed = time.monotonic() - started
            parent.send("stats")
            stats = parent.recv()
            _report("naive loop", stats["requests"], elapsed, stats["by_status"].get(429, 0), lost)
    finally:
        parent.send("stop")
        server.join(timeout=10)


if __name__ == "__main__":
    main()
