"""Benchmark: several processes on one credential, sharing one rate window (or not).

Not a test. Runs the sandbox in a child process with HubSpot's default burst limit (100
requests per rolling 10 s; ``--window``) and 80 ms of latency, prebuilds the people behind
the utks (so the sandbox's CPU, which HubSpot's servers do not share with us, stays out of
the way), then runs each scenario: N looking-up processes started together, each with
its own utks (``--requests`` requests in all, 25 utks each), every one a normal
:class:`hubutk_pandas.HubSpotClient` (cache off, default workers):

* 1, 3 and 8 processes on the machine window (the default: a SQLite file in one folder);
* 2 processes on a Redis window (a ``redis-server`` started here on a free loopback port,
  nothing written to disk), standing for two machines;
* 3 processes each pacing alone (``rate_window="client"``: what every client did before
  the shared window), for comparison.

For each: the requests answered, the sandbox's 429s, the utks lost (must be 0), and the
combined rate against the ceiling. The ideal: a full window at once, then a window every
interval, so the N-th request cannot go before ``interval * floor((N - 1) / max)``; plus one
answer. Also printed: the steady rate after the first window (the answers after the first
``max``, over the time they took) against ``max / interval``.

Usage::

    .venv/bin/python benchmarks/bench_pacer.py                   # ~5 min
    .venv/bin/python benchmarks/bench_pacer.py --requests 200 --window 20/2
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import socket
import subprocess
import tempfile
import time
from multiprocessing.connection import Connection
from typing import Any

CTX = mp.get_context("spawn")
PER_REQUEST = 25
LATENCY = 0.08


def _serve(conn: Connection, window: tuple[int, float], n: int) -> None:
    import gc

    from hubutk_pandas.sandbox import SandboxPortal

    with SandboxPortal(
        contacts=max(2 * n, 1000), rate_limit=(window[0], int(window[1] * 1000)), latency=LATENCY
    ) as portal:
        utks = portal.sample_utks(n)
        portal.prebuild(utks)
        gc.collect()
        gc.freeze()  # the prebuilt people live as long as this process: out of the GC's sight
        conn.send((portal.base_url, portal.access_token, utks))
        while True:
            command = conn.recv()
            if command == "stats":
                conn.send(portal.stats.snapshot())
            elif command == "reset":
                portal.wait_idle()
                portal.reset_stats()
                portal.reset_limits()
                conn.send(True)
            else:
                return


def _lookup(
    base_url: str, token: str, utks: list[str], options: dict[str, Any], go: Any, out: Any
) -> None:
    from hubutk_pandas.client import HubSpotClient
    from hubutk_pandas.errors import LookupFailedError

    with HubSpotClient(token, base_url=base_url, **options) as client:
        client.lookup_utks([], progress=False)  # imports what a lookup needs
        out.put(("ready",))
        go.wait(120)
        started = time.monotonic()
        answers: list[float] = []
        try:
            result = client.lookup_utks(
                utks,
                properties=["email"],
                progress=lambda done, total: answers.append(time.monotonic()) if done else None,
            )
            lost = len(utks) - len(result.contacts) - len(result.missing)
        except LookupFailedError as exc:
            lost = len(exc.failed_utks)
        out.put(("done", started, answers, lost))


def _scenario(
    name: str,
    processes: int,
    rate_window: str,
    utks: list[str],
    server: Connection,
    base_url: str,
    token: str,
    window: tuple[int, float],
) -> None:
    server.send("reset")
    server.recv()
    go, out = CTX.Event(), CTX.Queue()
    options = {
        "cache": False,
        "rate_window": rate_window,
        "rate_limit": window,
        "max_url_length": 1100,  # 25 utks a request
    }
    per = len(utks) // PER_REQUEST // processes * PER_REQUEST  # whole requests each
    children = [
        CTX.Process(
            target=_lookup,
            args=(base_url, token, utks[i * per : (i + 1) * per], options, go, out),
            daemon=True,
        )
        for i in range(processes)
    ]
    for child in children:
        child.start()
    for _ in children:
        assert out.get(timeout=120)[0] == "ready"
    go.set()
    reports = [out.get(timeout=1800) for _ in children]
    for child in children:
        child.join(30)
    server.send("stats")
    stats = server.recv()
    answered = stats["by_status"].get(200, 0)
    refused = stats["by_status"].get(429, 0)
    lost = sum(r[3] for r in reports)
    started = min(r[1] for r in reports)
    times = sorted(t for r in reports for t in r[2])
    elapsed = times[-1] - started
    ideal = window[1] * ((answered - 1) // window[0]) + LATENCY
    ceiling = window[0] / window[1]
    steady = ""
    if len(times) > window[0] + 1:
        rate = (len(times) - window[0]) / (times[-1] - times[window[0] - 1])
        steady = f"  steady {rate:5.2f}/s = {rate / ceiling:6.1%}"
    print(
        f"{name:<28} requests={answered:4d}  429s={refused:4d}  lost utks={lost:5d}  "
        f"wall={elapsed:6.2f}s  rate={answered / elapsed:5.2f}/s  "
        f"of the ideal {ideal / elapsed:6.1%}{steady}",
        flush=True,
    )


def _redis_server(folder: str) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is missing (make bench installs it as root)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", folder],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    import redis

    deadline = time.monotonic() + 20
    while True:
        try:
            redis.Redis(host="127.0.0.1", port=port).ping()
            return process, f"redis://127.0.0.1:{port}/0"
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="requests per scenario")
    parser.add_argument("--window", default="100/10", help="the portal's burst limit, N/SECONDS")
    parser.add_argument(
        "--only", default="1,3,8,redis,alone", help="scenarios: 1, 3, 8, redis, alone"
    )
    args = parser.parse_args(argv)
    count, seconds = args.window.split("/")
    window = (int(count), float(seconds))
    wanted = args.only.split(",")
    n = args.requests * PER_REQUEST
    parent, child = mp.Pipe()
    server = CTX.Process(target=_serve, args=(child, window, n), daemon=True)
    server.start()
    started = time.monotonic()
    base_url, token, utks = parent.recv()
    print(
        f"sandbox        {window[0]} requests per rolling {window[1]:g}s, "
        f"{LATENCY * 1000:.0f} ms latency, {n:,} people prebuilt in "
        f"{time.monotonic() - started:.0f}s; {args.requests} requests of {PER_REQUEST} utks "
        f"per scenario; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    folder = tempfile.mkdtemp(prefix="bench-pacer-")
    redis_process = None
    try:
        common = (parent, base_url, token, window)
        for processes in (1, 3, 8):
            if str(processes) in wanted:
                name = f"{processes} process{'es' if processes > 1 else ''}, machine"
                _scenario(name, processes, folder, utks, *common)
        if "redis" in wanted:
            redis_process, url = _redis_server(folder)
            _scenario("2 processes, redis", 2, url, utks, *common)
        if "alone" in wanted:
            _scenario("3 processes, each alone", 3, "client", utks, *common)
    finally:
        if redis_process is not None:
            redis_process.terminate()
            redis_process.wait(10)
        parent.send("stop")
        server.join(10)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
