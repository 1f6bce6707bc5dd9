"""The ``hubutk`` command: ``hubutk lookup``, ``sandbox``, ``demo``, ``proxy`` and ``doctor``.

Built only on the public API, like a user's script would be.

Examples
--------
.. code-block:: console

    $ export HUBSPOT_ACCESS_TOKEN=pat-na1-...
    $ hubutk lookup visitors.csv --column utk --out results/
    $ hubutk lookup 'logs/*.csv' more.parquet --out visits-ds/ --format parquet
    $ hubutk sandbox --port 8765 --contacts 5000
    $ hubutk demo
    $ hubutk proxy --allow-origin https://www.example.com --properties firstname
    $ hubutk doctor
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from hubutk_pandas.errors import HubSpotError, LookupFailedError
from hubutk_pandas.options import LookupOptions, option_specs
from hubutk_pandas.result import FILE_FORMATS

__all__ = ["main"]

DEFAULT_VISITORS = None  # hubutk demo: the sample shipped in the package (hubutk_pandas/data)


def _comma_separated(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def _add_lookup_options(parser: argparse.ArgumentParser) -> None:
    """One flag per :class:`LookupOptions` field, with its choices and default from there."""
    for spec in option_specs():
        flag = "--" + spec.name.replace("_", "-")
        text = spec.doc.replace("``", "").split(". ")[0].rstrip(".")  # the first sentence
        if isinstance(spec.default, bool):
            parser.add_argument(flag, action="store_true", help=text)
        elif spec.choices is not None:
            parser.add_argument(flag, default=spec.default, choices=spec.choices, help=text)
        else:  # properties
            parser.add_argument(
                flag,
                type=_comma_separated,
                default=spec.default,
                help=f"comma-separated names. {text}",
            )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="neither read nor write the cache (--format csv; a dataset keeps no cache)",
    )
    parser.add_argument(
        "--refresh",
        action="store_true",
        help="ignore cached answers (--format csv; a dataset fetches only what it lacks)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hubutk",
        description="Turn HubSpot visitor tokens (hubspotutk) into tidy pandas tables.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log requests and retries")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    lookup = commands.add_parser(
        "lookup",
        help="look up a column of utks in CSV, Parquet or JSON-lines files",
        description="Credentials come from HUBSPOT_ACCESS_TOKEN (or HUBSPOT_API_KEY); "
        "HUBSPOT_BASE_URL points elsewhere, for example at `hubutk sandbox`. The inputs' "
        "distinct utks are found by DuckDB, so they never have to fit in memory. "
        "--format csv writes every frame (and the typed wide table) as CSV files; "
        "--format parquet streams a resumable lookup dataset into --out (rerun the same "
        "command to continue an interrupted one; read it with hubutk_pandas.open_dataset).",
    )
    lookup.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="files or globs: .csv/.tsv, .parquet, .jsonl/.ndjson (optionally .gz)",
    )
    lookup.add_argument("--column", default="utk", help="the column of utks (default: utk)")
    lookup.add_argument("--out", type=Path, default=Path("results"), help="output folder")
    lookup.add_argument("--format", default="csv", choices=FILE_FORMATS)
    _add_lookup_options(lookup)

    from hubutk_pandas.sandbox import cli as sandbox_cli

    sandbox = commands.add_parser("sandbox", help="run a local HubSpot-compatible sandbox portal")
    sandbox_cli.add_arguments(sandbox)

    demo = commands.add_parser("demo", help="look up the sample visitors against the sandbox")
    demo.add_argument("--visitors", type=Path, default=DEFAULT_VISITORS)
    demo.add_argument("--out", type=Path, default=Path("demo-output"))
    demo.add_argument("--format", default="csv", choices=FILE_FORMATS)

    from hubutk_pandas.proxy import cli as proxy_cli

    proxy = commands.add_parser(
        "proxy",
        help="serve utk lookups to browsers (CORS, allow-listed properties, per-client limits)",
        description="Credentials come from HUBSPOT_ACCESS_TOKEN, as for `hubutk lookup`.",
    )
    proxy_cli.add_arguments(proxy)
    _add_doctor(commands)
    return parser


def _lookup_options(args: argparse.Namespace) -> LookupOptions:
    return LookupOptions(**{spec.name: getattr(args, spec.name) for spec in option_specs()})


def _run_lookup(args: argparse.Namespace) -> int:
    from hubutk_pandas.client import HubSpotClient
    from hubutk_pandas.dataset import distinct_utks

    utks = distinct_utks(args.inputs, args.column)  # checks the files before any request
    options = _lookup_options(args)
    if args.format == "parquet":
        return _run_dataset_lookup(args, utks, options)
    with HubSpotClient(cache=not args.no_cache) as client:
        try:
            result = client.lookup_utks(list(utks), options=options, refresh=args.refresh)
            status = 0
        except LookupFailedError as exc:
            print(f"error: {exc}", file=sys.stderr)
            if exc.partial is None:
                return 1
            result, status = exc.partial, 1
            failed = args.out / "failed_utks.csv"
            args.out.mkdir(parents=True, exist_ok=True)
            pd.DataFrame({"utk": exc.failed_utks}).to_csv(failed, index=False)
            print(
                f"{len(exc.failed_utks)} utks failed, listed in {failed}; "
                "rerun to fetch only those.",
                file=sys.stderr,
            )
        paths = result.to_files(args.out, args.format)
    print(f"{len(result.contacts)} contacts, {len(result.missing)} missing; wrote:")
    for path in paths:
        print(f"  {path}")
    return status


def _run_dataset_lookup(args: argparse.Namespace, utks: Any, options: LookupOptions) -> int:
    from hubutk_pandas.client import HubSpotClient

    status = 0
    with HubSpotClient(cache=not args.no_cache) as client:
        try:
            dataset = client.lookup_utks(utks, options=options, progress=True, out=args.out)
        except LookupFailedError as exc:
            if exc.partial is None:
                raise
            print(f"error: {exc}", file=sys.stderr)
            dataset, status = exc.partial, 1
    counts = dataset.counts
    print(f"{counts['contacts']} contacts, {counts['missing']} missing; wrote the dataset:")
    print(f"  {dataset!r}")
    return status


def _add_doctor(commands: Any) -> None:
    """``hubutk doctor``: the subcommand and its flags."""
    doctor = commands.add_parser(
        "doctor",
        help="check the setup: credential, scopes, rate limits, cache folder",
        description="Checks what a lookup needs, with two cheap requests: the credential "
        "(HUBSPOT_ACCESS_TOKEN) is accepted, it has the scopes crm.objects.contacts.read "
        "(lookups) and crm.lists.read (list memberships), the portal's burst limit and the "
        "daily calls left, the cache folder is writable, HubSpot or another server "
        "(HUBSPOT_BASE_URL), and HubSpot's support horizon for the v1 endpoints. Each "
        "failing line says how to fix it; the credential is never printed. Exit status 1 "
        "when lookups cannot work, else 0.",
    )
    doctor.add_argument("--json", action="store_true", help="print the report as JSON")
    doctor.add_argument(
        "--no-cache", action="store_true", help="check for lookups without a cache folder"
    )


def _run_doctor(args: argparse.Namespace) -> int:
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
        with HubSpotClient(cache=False) as client:
            report = client.check()
        if exc.folder is not None:
            report = report.replace(writable(Path(exc.folder)))
    else:
        with client:
            report = client.check()
    print(report.to_json(indent=1) if args.json else report)
    return 0 if report.lookups_work else 1


def _show_warning(message: Warning | str, *_: Any, **__: Any) -> None:
    """Warnings in a terminal read as one plain line, not as source locations."""
    print(f"warning: {message}", file=sys.stderr)


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "lookup":
        return _run_lookup(args)
    if args.command == "sandbox":
        from hubutk_pandas.sandbox import cli as sandbox_cli

        return sandbox_cli.run(args)
    if args.command == "proxy":
        from hubutk_pandas.proxy import cli as proxy_cli

        return proxy_cli.run(args)
    if args.command == "doctor":
        return _run_doctor(args)
    from hubutk_pandas.demo import run_demo

    return run_demo(args.visitors, args.out, args.format)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``hubutk`` command line; return the exit status.

    Examples
    --------
    >>> main(["lookup", "no-such-file.csv"])
    1
    """
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return _dispatch(args)
    except (HubSpotError, KeyError, ValueError, FileNotFoundError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
