"""Command line of the sandbox: ``hubutk sandbox`` and ``python -m hubutk_pandas.sandbox``.

By default it serves the portal the sample visits come from (``SAMPLE_CONTACTS`` contacts,
seed ``SAMPLE_SEED``, as ``hubutk demo`` and ``hubutk_pandas.connect()`` do) and prints the
path of that file, so ``hubutk lookup`` on it finds its contacts. Rates are ``N/SECONDS``,
as everywhere in the package; the old ``MAX/MS`` spelling (``100/10000``) still works.

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> add_arguments(parser)
>>> parser.parse_args(["--contacts", "50", "--rate-limit", "10/1"]).rate_limit
(10, 1000)
>>> parser.parse_args(["--rate-limit", "10/1000"]).rate_limit  # the old MAX/MS spelling
(10, 1000)
>>> args = parser.parse_args([])
>>> args.contacts, args.seed, args.rate_limit, args.v1_memberships
(20000, 2026, (100, 10000), 'absent')
"""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

from hubutk_pandas._serve import serve_until_stopped
from hubutk_pandas.sandbox.data import V1_MEMBERSHIPS
from hubutk_pandas.sandbox.faults import FAULT_KINDS
from hubutk_pandas.sandbox.server import SandboxPortal

__all__ = ["add_arguments", "main", "run"]


#: The portal the sample visits (``hubutk_pandas/data/visitors.csv``) come from; the same
#: as ``hubutk_pandas.connection.DEMO_CONTACTS`` / ``DEMO_SEED`` (a test keeps them equal:
#: the sandbox imports nothing of the client side).
SAMPLE_CONTACTS = 20_000
SAMPLE_SEED = 2026
#: A rate's second part from which a whole number is read as milliseconds: the old
#: ``MAX/MS`` spelling (``100/10000``). No limit window lasts 1,000 seconds.
OLD_MS_FROM = 1000


def _rate(text: str) -> tuple[int, int]:
    """``N/SECONDS`` (``100/10``) -> ``(N, milliseconds)``; ``MAX/MS`` (``100/10000``) too."""
    count, sep, per = text.partition("/")
    try:
        if not sep:
            raise ValueError
        n, seconds = int(count), float(per)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not N/SECONDS with N >= 1 and SECONDS > 0, e.g. 100/10"
        ) from None
    ms = int(seconds) if seconds >= OLD_MS_FROM and seconds.is_integer() else seconds * 1000
    if n < 1 or not ms >= 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not N/SECONDS with N >= 1 and SECONDS > 0, e.g. 100/10"
        )
    return n, round(ms)


def _sample_visits() -> Path | None:
    """The sample visits shipped in the package, when they are a file on disk."""
    path = Path(__file__).resolve().parents[1] / "data" / "visitors.csv"
    return path if path.is_file() else None


def _kinds(text: str) -> list[str]:
    kinds = [k.strip() for k in text.split(",") if k.strip()]
    bad = [k for k in kinds if k not in FAULT_KINDS]
    if bad or not kinds:
        raise argparse.ArgumentTypeError(
            f"--faults takes a comma-separated list of {', '.join(FAULT_KINDS)}; got {text!r}"
        )
    return kinds


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the sandbox's options to ``parser``; every help line shows its default."""
    parser.add_argument(
        "--port",
        type=int,
        default=8765,
        help="port on 127.0.0.1 (0 picks a free one; default: 8765)",
    )
    parser.add_argument(
        "--contacts",
        type=int,
        default=SAMPLE_CONTACTS,
        help=f"portal size (default: {SAMPLE_CONTACTS}, with --seed {SAMPLE_SEED} the portal "
        "the sample visits come from)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=SAMPLE_SEED,
        help=f"data seed: the same seed always gives the same contacts (default: {SAMPLE_SEED})",
    )
    parser.add_argument(
        "--rate-limit",
        type=_rate,
        default=(100, 10_000),
        metavar="N/SECONDS",
        help="at most N requests per rolling SECONDS, per account, like HubSpot's burst "
        "limit; the old MAX/MS spelling (100/10000) still works (default: 100/10)",
    )
    parser.add_argument(
        "--daily-limit",
        type=int,
        default=None,
        metavar="N",
        help="requests per day and account, then 429s (default: none)",
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="added to every answer (default: 0)",
    )
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        metavar="P",
        help="probability of a random fault on contact requests, 0 to 1 (default: 0)",
    )
    parser.add_argument(
        "--faults",
        type=_kinds,
        default=None,
        metavar="KINDS",
        help=f"the kinds --fault-rate draws from, comma-separated: {','.join(FAULT_KINDS)} "
        "(default: all)",
    )
    parser.add_argument(
        "--v1-memberships",
        choices=V1_MEMBERSHIPS,
        default="absent",
        help="what v1 reads asked for list memberships hold: absent (no list-memberships "
        "key, as HubSpot since 2026-04-30), empty (an empty array) or legacy (the "
        "memberships, as before); the Lists API serves them in every mode (default: absent)",
    )


def _sample_lines(args: argparse.Namespace) -> list[str]:
    """How to look the sample visits up in this portal, or how to start the portal they need."""
    sample = _sample_visits()
    if sample is None:  # a zipped install: `hubutk demo` still reads them
        return []
    if (args.contacts, args.seed) != (SAMPLE_CONTACTS, SAMPLE_SEED):
        return [
            f"The sample visits ({sample}) come from another portal: start this one with "
            f"--contacts {SAMPLE_CONTACTS} --seed {SAMPLE_SEED} (the defaults) to look them up."
        ]
    return [
        "The sample visits come from this portal. In another shell, export "
        "HUBSPOT_BASE_URL and HUBSPOT_ACCESS_TOKEN as printed above, then:",
        f"  hubutk lookup {sample} --out results/",
    ]


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
            f"seed {args.seed}; rate limit {args.rate_limit[0]} per "
            f"{args.rate_limit[1] / 1000:g} s)",
            flush=True,
        )
        print(f"HUBSPOT_BASE_URL={portal.base_url}", flush=True)
        print(f"HUBSPOT_ACCESS_TOKEN={portal.access_token}", flush=True)
        print(f"HUBSPOT_API_KEY={portal.api_key}", flush=True)
        print(f"sample utk: {portal.sample_utks(1)[0]}", flush=True)
        for line in _sample_lines(args):
            print(line, flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        serve_until_stopped(portal.close, stop)
    except KeyboardInterrupt:  # Ctrl-C before the wait began: a stop all the same
        portal.close()
    except BaseException:
        portal.close()
        raise
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
