"""The ``hubutk`` command: ``lookup``, ``sandbox``, ``demo``, ``proxy``, ``doctor``, ``forget``,
``cache``.

Built only on the public API, like a user's script would be. The lookup's flags are
written from the declared :class:`~hubutk_pandas.LookupOptions` fields
(:func:`~hubutk_pandas.options.option_specs`) and client settings
(:func:`~hubutk_pandas.settings.setting_specs`); every help line shows its default.

Examples
--------
.. code-block:: console

    $ export HUBSPOT_ACCESS_TOKEN=pat-na1-...
    $ hubutk lookup visitors.csv --column utk --out results/
    $ hubutk lookup 'logs/*.csv' more.parquet --out visits-ds/ --format dataset
    $ hubutk sandbox --port 8765 --contacts 5000
    $ hubutk demo
    $ hubutk proxy --allow-origin https://www.example.com --properties firstname
    $ hubutk doctor
    $ hubutk forget --email ann@example.com --dataset visits-ds/
    $ hubutk cache info
"""

from __future__ import annotations

import argparse
import itertools
import logging
import os
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from hubutk_pandas.errors import CredentialsError, HubSpotError, LookupFailedError
from hubutk_pandas.options import LookupOptions, control_specs, option_specs
from hubutk_pandas.settings import (
    credential_in_environment,
    missing_credential_message,
    setting_specs,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hubutk_pandas.result import FileFormat

__all__ = ["main"]

DEFAULT_VISITORS = None  # hubutk demo: the sample shipped in the package (hubutk_pandas/data)

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
# The spelling before 0.x: "parquet" was a dataset in `lookup` but flat files in `demo`
# (and in LookupResult.to_files). It still works, with a warning naming the new spelling.
_RENAMED = {"lookup": {"parquet": "dataset"}, "demo": {"parquet": "parquet-files"}}
# The CLI's flat formats, as LookupResult.to_files names them.
_TO_FILES: dict[str, FileFormat] = {"csv": "csv", "parquet-files": "parquet"}


class _HelpFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default, in shell words ("off", not False)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if (
            not action.option_strings
            or action.required
            or action.default is argparse.SUPPRESS
            or "default" in text
        ):
            return text
        return f"{text} (default: {_shell_word(action)})".lstrip()


def _shell_word(action: argparse.Action) -> str:
    value = action.default
    if isinstance(action, argparse._StoreTrueAction):  # a switch given or not
        return "on" if value else "off"
    if value is None or value == [] or value == ():
        return "none"
    if isinstance(value, tuple) and len(value) == 2:  # N/SECONDS
        return f"{value[0]:g}/{value[1]:g}"
    return str(value).replace("%", "%%")


def _comma_separated(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def _format(choices: dict[str, str], renamed: dict[str, str]) -> Callable[[str], str]:
    def fmt(text: str) -> str:
        if text not in choices and text not in renamed:
            raise argparse.ArgumentTypeError(
                f"invalid format {text!r} (choose from {', '.join(choices)})"
            )
        return text

    return fmt


def _add_format(parser: argparse.ArgumentParser, command: str, choices: dict[str, str]) -> None:
    lines = "; ".join(f"{name}: {text}" for name, text in choices.items())
    default: str | None = "csv"
    if command == "lookup":  # chosen by the input's size (see _choose_format)
        default = None
        lines += (
            f" (default: csv up to {MEMORY_UTKS:,} distinct utks, dataset above them: a big "
            "input is held in memory only if you say --format csv)"
        )
    parser.add_argument(
        "--format",
        default=default,
        type=_format(choices, _RENAMED[command]),
        metavar="{" + ",".join(choices) + "}",
        help=f"what to write into --out. {lines}",
    )


def _setting_type(spec: Any) -> Callable[[str], Any]:
    """Read a client setting from its flag, checked as the client checks it."""
    flag = "--" + spec.name.replace("_", "-")

    def read(text: str) -> Any:
        try:
            value = spec.parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        try:
            return spec.check(flag, value)
        except HubSpotError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return read


def _add_lookup_options(parser: argparse.ArgumentParser) -> None:
    """One flag per :class:`LookupOptions` field and client setting, from their declarations."""
    options = parser.add_argument_group("lookup options (what to ask HubSpot)")
    for spec in option_specs():
        flag = "--" + spec.name.replace("_", "-")
        if isinstance(spec.default, bool):
            options.add_argument(flag, action="store_true", help=spec.shell)
        elif spec.choices is not None:
            options.add_argument(flag, default=spec.default, choices=spec.choices, help=spec.shell)
        else:  # properties
            options.add_argument(
                flag,
                type=_comma_separated,
                default=spec.default,
                metavar=spec.metavar,
                help=spec.shell,
            )
    refresh = next(s for s in control_specs() if s.name == "refresh")
    options.add_argument(
        "--refresh", action="store_true", help=f"{refresh.shell}; not with --format dataset"
    )
    client = parser.add_argument_group("client settings (how to talk to HubSpot)")
    client.add_argument(
        "--no-cache",
        action="store_true",
        help="neither read nor write the local cache of answers and property definitions",
    )
    for setting in setting_specs():
        if setting.shell is None:
            continue
        client.add_argument(
            "--" + setting.name.replace("_", "-"),
            type=_setting_type(setting),
            default=setting.default,
            metavar=setting.metavar,
            help=setting.shell,
        )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hubutk",
        description="Turn HubSpot visitor tokens (hubspotutk) into tidy pandas tables.",
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log requests and retries")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    lookup = commands.add_parser(
        "lookup",
        help="look up a column of utks in CSV, Parquet or JSON-lines files",
        formatter_class=_HelpFormatter,
        description="Credentials come from HUBSPOT_ACCESS_TOKEN (a Service Key, a private-app "
        "token or an OAuth token); HUBSPOT_BASE_URL, or --base-url, points elsewhere, for "
        "example at `hubutk sandbox`. The inputs' distinct utks are found by DuckDB, so they "
        "never have to fit in memory. --format csv (or parquet-files) looks them up in "
        "memory and writes every table and the typed wide table as files; --format dataset "
        "streams a resumable lookup dataset into --out in bounded memory (rerun the same "
        "command to continue an interrupted one; any Parquet reader opens it, and Python's "
        "hubutk_pandas.open_dataset as a LookupDataset). Without --format, an input of more "
        f"than {MEMORY_UTKS:,} distinct utks is streamed to a dataset, and the command says "
        "so. The exit status is 1 when some utks failed; the same command again fetches "
        "only those.",
    )
    lookup.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="files or globs: .csv/.tsv, .parquet, .jsonl/.ndjson (optionally .gz)",
    )
    lookup.add_argument("--column", default="utk", help="the column of utks")
    lookup.add_argument("--out", type=Path, default=Path("results"), help="output folder")
    _add_format(lookup, "lookup", LOOKUP_FORMATS)
    lookup.add_argument(
        "--retry-missing",
        action="store_true",
        help="look the utks the dataset in --out found missing up again, and only those "
        "(with any new ones): visitors become contacts over time; implies --format dataset",
    )
    lookup.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="print errors and warnings only: no progress bar, no list of what was written",
    )
    _add_lookup_options(lookup)

    from hubutk_pandas.sandbox import cli as sandbox_cli

    sandbox = commands.add_parser(
        "sandbox",
        help="run a local HubSpot-compatible sandbox portal",
        formatter_class=_HelpFormatter,
        description="Serve a synthetic HubSpot portal on 127.0.0.1 until Ctrl-C. It prints "
        "the HUBSPOT_BASE_URL and HUBSPOT_ACCESS_TOKEN to set for `hubutk lookup`.",
    )
    sandbox_cli.add_arguments(sandbox)

    demo = commands.add_parser(
        "demo",
        help="look up the sample visitors against the sandbox",
        formatter_class=_HelpFormatter,
        description="Run the whole pipeline with no portal and no credential: start an "
        "in-process sandbox portal (synthetic data), look up the sample web visits shipped "
        "with the package (or --visitors) with full property history and every form "
        "submission, print a summary (contacts found, missing utks, top sources, lifecycle "
        "stages, the funnel, lead to customer times) and write every table and a few PNG "
        "plots into --out.",
    )
    demo.add_argument(
        "--visitors",
        type=Path,
        default=DEFAULT_VISITORS,
        metavar="CSV",
        help="a CSV of visits with a utk column (default: the sample shipped with the package)",
    )
    demo.add_argument("--out", type=Path, default=Path("demo-output"), help="output folder")
    _add_format(demo, "demo", DEMO_FORMATS)

    from hubutk_pandas.proxy import cli as proxy_cli

    proxy = commands.add_parser(
        "proxy",
        help="serve utk lookups to browsers (CORS, allow-listed properties, per-client limits)",
        formatter_class=_HelpFormatter,
        description="Credentials come from HUBSPOT_ACCESS_TOKEN, as for `hubutk lookup`.",
    )
    proxy_cli.add_arguments(proxy)
    _add_doctor(commands)
    _add_privacy_commands(commands)
    return parser


def _check_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse what does not apply, and warn about old spellings, before any work."""
    if args.command not in _RENAMED:
        return
    new = _RENAMED[args.command].get(args.format)
    if new is not None:
        print(
            f"warning: --format {args.format} is deprecated; it means --format {new} "
            f"({LOOKUP_FORMATS[new]}). Say --format {new}.",
            file=sys.stderr,
        )
        args.format = new
    if args.command == "lookup" and args.retry_missing:
        if args.format not in (None, "dataset"):
            parser.error(
                f"--retry-missing does not apply to --format {args.format}: it looks a "
                "dataset's missing utks up again (--format dataset); in memory, --refresh "
                "fetches every utk again"
            )
        args.format = "dataset"
    if args.command == "lookup" and args.format == "dataset" and args.refresh:
        parser.error(
            "--refresh does not apply to --format dataset: a dataset reads no cached "
            "answers and fetches only the utks it lacks; to fetch everything again, write "
            "to a new --out folder"
        )


# -- personal data: hubutk forget / hubutk cache info|clear ---------------------------------


def _add_privacy_commands(commands: Any) -> None:
    """``hubutk forget`` and ``hubutk cache info|clear`` (on :mod:`hubutk_pandas.privacy`)."""
    where = "the cache folder (default: your per-user cache folder, as hubutk lookup uses)"
    forget = commands.add_parser(
        "forget",
        help="erase a contact from the cache and datasets (a GDPR / CCPA deletion request)",
        formatter_class=_HelpFormatter,
        description="Find a contact by any of its utks, vids or emails in what is held on "
        "this disk (no request is sent; a merged contact by any of its vids) and remove "
        "it: its records in the record store, every cached HTTP answer holding it, and its "
        "rows in every frame of each --dataset. Prints what was removed where. No "
        "credential is needed. Give at least one --utk, --vid or --email.",
    )
    forget.add_argument("--utk", action="append", default=[], help="a utk (repeat for more)")
    forget.add_argument("--vid", action="append", default=[], help="a vid (repeat for more)")
    forget.add_argument("--email", action="append", default=[], help="an email (repeat)")
    forget.add_argument(
        "--dataset", action="append", default=[], type=Path, metavar="PATH",
        help="a dataset folder to erase it from (repeat for more)",
    )  # fmt: skip
    forget.add_argument("--cache-dir", type=Path, default=None, metavar="PATH", help=where)
    forget.add_argument(
        "--no-cache", action="store_true", help="leave the cache folder alone (datasets only)"
    )
    forget.add_argument(
        "--refetch",
        action="store_true",
        help="make its utks pending in the datasets, so the next run fetches them again",
    )
    cache = commands.add_parser(
        "cache",
        help="what the cache folder keeps, and for how long; empty it",
        formatter_class=_HelpFormatter,
        description="The cache folder holds HubSpot's answers (personal data of the "
        "contacts looked up) so that reruns cost no requests.",
    )
    actions = cache.add_subparsers(dest="cache_command", required=True, metavar="ACTION")
    info = actions.add_parser(
        "info",
        help="the folder, its size, oldest entry and retention",
        formatter_class=_HelpFormatter,
        description="Show the cache folder: where it is, its permissions, its size, how many "
        "records and answers it holds, the oldest and newest, and how long they are kept.",
    )
    info.add_argument("--cache-dir", type=Path, default=None, metavar="PATH", help=where)
    clear = actions.add_parser(
        "clear",
        help="remove every cached answer and record",
        formatter_class=_HelpFormatter,
        description="Empty the cache folder in place: every cached answer, record and "
        "property definition is removed; the next lookup asks HubSpot again. Datasets are "
        "not touched.",
    )
    clear.add_argument("--cache-dir", type=Path, default=None, metavar="PATH", help=where)


def _run_forget(args: argparse.Namespace) -> int:
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


def _run_cache(args: argparse.Namespace) -> int:
    from hubutk_pandas.privacy import cache_info, clear_cache

    cache: Any = args.cache_dir or True
    if args.cache_command == "info":
        print(cache_info(cache))
    else:
        print(clear_cache(cache))
    return 0


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


def _run_lookup(args: argparse.Namespace) -> int:
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
        paths = result.to_files(args.out, _TO_FILES[args.format])  # the folder 0700
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


def _show_warning(message: Warning | str, *_: Any, **__: Any) -> None:
    """Warnings in a terminal read as one plain line, not as source locations."""
    print(f"warning: {message}", file=sys.stderr)


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "proxy":
        from hubutk_pandas.proxy import cli as proxy_cli

        proxy_cli.check_args(args)  # a refused option is said before a missing credential
    if args.command in ("lookup", "proxy") and not credential_in_environment():
        # Said for a shell: what to set or run, not a Python call.
        raise CredentialsError(missing_credential_message(shell=True))
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
    if args.command in ("forget", "cache"):
        return _run_forget(args) if args.command == "forget" else _run_cache(args)
    from hubutk_pandas.demo import run_demo

    return run_demo(args.visitors, args.out, _TO_FILES[args.format])


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``hubutk`` command line; return the exit status.

    Examples
    --------
    >>> main(["lookup", "no-such-file.csv"])
    1
    """
    parser = _parser()
    args = parser.parse_args(argv)
    _check_args(parser, args)
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
