"""``hubutk doctor``, ``hubutk forget`` and ``hubutk cache info|clear``: run them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["run_cache", "run_doctor", "run_forget"]


def run_forget(args: argparse.Namespace) -> int:
    from hubutk_pandas.privacy import forget

    if not (args.utk or args.vid or args.email):
        print("error: give at least one --utk, --vid or --email", file=sys.stderr)
        return 2
    cache: Any = False if args.no_cache else (args.cache_dir or True)
    report = forget(
        utks=args.utk, vids=args.vid, emails=args.email, datasets=args.dataset,
        cache=cache, refetch=args.refetch, quiet=True,
    )  # fmt: skip
    print(report)
    return 0


def run_cache(args: argparse.Namespace) -> int:
    from hubutk_pandas.privacy import cache_info, clear_cache

    cache: Any = args.cache_dir or True
    if args.cache_command == "info":
        print(cache_info(cache))
    else:
        print(clear_cache(cache))
    return 0


def run_doctor(args: argparse.Namespace) -> int:
    """Print the report of ``client.check()`` (text or JSON); 1 when lookups cannot work."""
    import os

    from hubutk_pandas.client import HubSpotClient
    from hubutk_pandas.doctor import no_credential, writable
    from hubutk_pandas.errors import CacheError, CredentialsError

    try:
        client = HubSpotClient(cache=not args.no_cache)
    except CredentialsError as exc:
        report = no_credential(str(exc), os.environ.get("HUBSPOT_BASE_URL", ""))
    except CacheError as exc:  # the folder is unusable: check the rest without it
        # (the rate window shared by this machine's processes lives in that folder too)
        with HubSpotClient(cache=False, rate_window="client") as client:
            report = client.check()
        if exc.folder is not None:
            report = report.replace(writable(Path(exc.folder)))
    else:
        with client:
            report = client.check()
    print(report.to_json(indent=1) if args.json else report)
    return 0 if report.lookups_work else 1
