"""Command line of the sandbox: ``hubutk sandbox`` and ``python -m hubutk_pandas.sandbox``.

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> add_arguments(parser)
>>> parser.parse_args(["--contacts", "50", "--rate-limit", "10/1000"]).rate_limit
(10, 1000)
>>> parser.parse_args([]).v1_memberships, parser.parse_args(
...     ["--v1-memberships", "legacy"]).v1_memberships
('absent', 'legacy')
"""

from __future__ import annotations

import argparse
import threading

from hubutk_pandas._serve import serve_until_stopped
from hubutk_pandas.sandbox.data import V1_MEMBERSHIPS
from hubutk_pandas.sandbox.faults import FAULT_KINDS
from hubutk_pandas.sandbox.server import SandboxPortal

__all__ = ["add_arguments", "main", "run"]


def _rate(text: str) -> tuple[int, int]:
    try:
        count, _, ms = text.partition("/")
        value = (int(count), int(ms or 10_000))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected MAX/INTERVAL_MS such as 100/10000, got {text!r}"
        ) from None
    if value[0] < 1 or value[1] < 1:
        raise argparse.ArgumentTypeError("both parts of --rate-limit must be >= 1")
    return value


def _kinds(text: str) -> list[str]:
    kinds = [k.strip() for k in text.split(",") if k.strip()]
    bad = [k for k in kinds if k not in FAULT_KINDS]
    if bad or not kinds:
        raise argparse.ArgumentTypeError(
            f"--faults takes a comma-separated list of {', '.join(FAULT_KINDS)}; got {text!r}"
        )
    return kinds


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the sandbox's options to ``parser``."""
    parser.add_argument(
        "--port",
        type=int,
        default=8765,
        help="port on 127.0.0.1 (0 picks a free one; default 8765)",
    )
    parser.add_argument("--contacts", type=int, default=1000, help="portal size (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="data seed (default 0)")
    parser.add_argument(
        "--rate-limit",
        type=_rate,
        default=(100, 10_000),
        metavar="MAX/MS",
        help="rolling window per account (default 100/10000)",
    )
    parser.add_argument("--daily-limit", type=int, default=None, help="daily cap (default none)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        help="probability of a random fault on contact requests (0..1)",
    )
    parser.add_argument(
        "--faults",
        type=_kinds,
        default=None,
        metavar="KINDS",
        help=f"comma-separated fault kinds ({','.join(FAULT_KINDS)}; default all)",
    )
    parser.add_argument(
        "--v1-memberships",
        choices=V1_MEMBERSHIPS,
        default="absent",
        help="what v1 reads asked for list memberships hold: absent (the default: no "
        "list-memberships key, as HubSpot since 2026-04-30), empty (an empty array) or "
        "legacy (the memberships, as before); the Lists API serves them in every mode",
    )


def run(args: argparse.Namespace, *, stop: threading.Event | None = None) -> int:
    """Serve in the foreground until Ctrl-C (or until ``stop`` is set); return the exit code."""
    portal = SandboxPortal(
        contacts=args.contacts,
        seed=args.seed,
        rate_limit=args.rate_limit,
        daily_limit=args.daily_limit,
        latency=args.latency,
        fault_rate=args.fault_rate,
        faults=args.faults,
        v1_memberships=args.v1_memberships,
        port=args.port,
    )
    try:
        print(
            f"HubSpot sandbox portal {portal.portal_id} ({args.contacts} contacts, "
            f"seed {args.seed})",
            flush=True,
        )
        print(f"HUBSPOT_BASE_URL={portal.base_url}", flush=True)
        print(f"HUBSPOT_ACCESS_TOKEN={portal.access_token}", flush=True)
        print(f"HUBSPOT_API_KEY={portal.api_key}", flush=True)
        print(f"sample utk: {portal.sample_utks(1)[0]}", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
    except BaseException:
        portal.close()
        raise
    serve_until_stopped(portal.close, stop)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m hubutk_pandas.sandbox``."""
    parser = argparse.ArgumentParser(
        prog="python -m hubutk_pandas.sandbox",
        description="Serve a local HubSpot-compatible sandbox (Contacts v1 and the Lists API) "
        "on 127.0.0.1.",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))
