"""``hubutk lookup``: read the inputs' distinct utks, look them up, write files or a dataset."""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import pandas as pd

from hubutk_pandas.errors import LookupFailedError
from hubutk_pandas.options import LookupOptions, option_specs
from hubutk_pandas.settings import setting_specs

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hubutk_pandas.result import FileFormat

__all__ = ["DEMO_FORMATS", "LOOKUP_FORMATS", "MEMORY_UTKS", "TO_FILES", "run_lookup"]

LOOKUP_FORMATS = {
    "csv": "flat CSV files, one per table plus the typed wide table, from a lookup held in memory",
    "parquet-files": "the same flat files as Parquet",
    "dataset": "a resumable Parquet dataset folder, streamed in bounded memory (rerun the "
    "same command to continue an interrupted lookup)",
}
"""``hubutk lookup --format``: what each name writes into ``--out``."""

MEMORY_UTKS = 50_000
"""``hubutk lookup`` without ``--format``: up to this many distinct utks it looks them up in
memory and writes CSV files; above, it streams a dataset (a lookup with full history holds
about 45 KB per contact in memory, so 50,000 utks are about 2 GB)."""

DEMO_FORMATS = {k: v for k, v in LOOKUP_FORMATS.items() if k != "dataset"}
"""``hubutk demo --format``: the flat files."""

# The CLI's flat formats, as LookupResult.to_files names them.
TO_FILES: dict[str, FileFormat] = {"csv": "csv", "parquet-files": "parquet"}


def _lookup_options(args: argparse.Namespace) -> LookupOptions:
    return LookupOptions(**{spec.name: getattr(args, spec.name) for spec in option_specs()})


def _client(args: argparse.Namespace) -> Any:
    from hubutk_pandas.client import HubSpotClient

    settings = {s.name: getattr(args, s.name) for s in setting_specs() if s.shell is not None}
    return HubSpotClient(cache=not args.no_cache, **settings)


def _choose_format(args: argparse.Namespace, utks: Iterator[str]) -> tuple[str, Iterable[str]]:
    """``--format``, or without it csv for a small input and a dataset for a big one.

    Reads at most ``MEMORY_UTKS + 1`` utks to decide; what was read is looked up too.
    A big input held in memory (``--format csv``, or ``--refresh``) is said on stderr.
    """
    if args.format == "dataset":
        return "dataset", utks
    head = list(itertools.islice(utks, MEMORY_UTKS + 1))
    if len(head) <= MEMORY_UTKS:
        return args.format or "csv", head
    if args.format is None and not args.refresh:
        print(
            f"note: more than {MEMORY_UTKS:,} distinct utks: streaming them into a dataset "
            f"in {args.out} (--format dataset), in bounded memory; say --format csv to hold "
            "them in memory and write flat files instead",
            file=sys.stderr,
        )
        return "dataset", itertools.chain(head, utks)
    print(
        f"note: more than {MEMORY_UTKS:,} distinct utks, held in memory for --format "
        f"{args.format or 'csv'} (about 45 KB a contact with full history); --format dataset "
        "streams them in bounded memory",
        file=sys.stderr,
    )
    return args.format or "csv", [*head, *utks]


def run_lookup(args: argparse.Namespace) -> int:
    from hubutk_pandas.dataset import distinct_utks

    found = distinct_utks(args.inputs, args.column)  # checks the files before any request
    options = _lookup_options(args)
    args.format, utks = _choose_format(args, found)
    if args.format == "dataset":
        return _run_dataset_lookup(args, utks, options)
    with _client(args) as client:
        try:
            result = client.lookup_utks(
                list(utks), options=options, refresh=args.refresh, progress=_progress(args)
            )
            status = 0
        except LookupFailedError as exc:
            print(f"error: {exc}", file=sys.stderr)
            if exc.partial is None:
                return 1
            result, status = exc.partial, 1
            failed_utks = exc.failed_utks
        paths = result.to_files(args.out, TO_FILES[args.format])  # the folder 0700
    if status:
        failed = args.out / "failed_utks.csv"
        # 0600 like the tables beside it: utks are personal data too.
        with open(failed, "w", newline="", opener=_private) as file:
            pd.DataFrame({"utk": failed_utks}).to_csv(file, index=False)
        print(
            f"{len(failed_utks)} utks failed, listed in {failed}; rerun to fetch only those.",
            file=sys.stderr,
        )
    if not args.quiet:
        print(f"{_matched(len(result.contacts), result.contacts['vid'].nunique())}, "
              f"{len(result.missing):,} missing; wrote:")  # fmt: skip
        for path in paths:
            print(f"  {path}")
    return status


def _matched(utks: int, contacts: int) -> str:
    """``"1,580 utks matched 1,520 contacts"``: a contact may have several utks."""
    return f"{utks:,} utk{'s' if utks != 1 else ''} matched {contacts:,} contact" + (
        "s" if contacts != 1 else ""
    )


def _progress(args: argparse.Namespace) -> bool | None:
    """No bar with --quiet; else the lookup's own choice (a bar when it sends several batches)."""
    return False if args.quiet else None


def _private(path: str, flags: int) -> int:
    """An ``opener=`` creating a file readable by its owner only (``0600``), whatever the umask."""
    descriptor = os.open(path, flags, 0o600)
    os.fchmod(descriptor, 0o600)
    return descriptor


def _run_dataset_lookup(args: argparse.Namespace, utks: Any, options: LookupOptions) -> int:
    status = 0
    with _client(args) as client:
        try:
            dataset = client.lookup_utks(
                utks,
                options=options,
                progress=not args.quiet,
                out=args.out,
                retry_missing=args.retry_missing,
            )
        except LookupFailedError as exc:
            if exc.partial is None:
                raise
            print(f"error: {exc}", file=sys.stderr)
            dataset, status = exc.partial, 1
    counts = dataset.counts
    if not args.quiet:
        vids = dataset.sql("SELECT count(DISTINCT vid) AS n FROM contacts")["n"].iloc[0]
        print(f"{_matched(counts['contacts'], int(vids))}, {counts['missing']:,} missing; "
              "wrote the dataset:")  # fmt: skip
        print(f"  {dataset!r}")
    return status
