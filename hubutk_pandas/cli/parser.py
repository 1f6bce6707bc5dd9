"""The ``hubutk`` argument parser: every subcommand, its flags and their help.

The lookup's flags are written from the declared :class:`~hubutk_pandas.LookupOptions`
fields (:func:`~hubutk_pandas.options.option_specs`) and client settings
(:func:`~hubutk_pandas.settings.setting_specs`); every help line shows its default.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hubutk_pandas.cli.lookup import DEMO_FORMATS, LOOKUP_FORMATS, MEMORY_UTKS
from hubutk_pandas.errors import HubSpotError
from hubutk_pandas.options import control_specs, option_specs
from hubutk_pandas.settings import setting_specs

__all__ = ["RENAMED", "build_parser", "check_args"]

DEFAULT_VISITORS = None  # hubutk demo: the sample shipped in the package (hubutk_pandas/data)

# The spelling before 0.x: "parquet" was a dataset in `lookup` but flat files in `demo`
# (and in LookupResult.to_files). It still works, with a warning naming the new spelling.
RENAMED = {"lookup": {"parquet": "dataset"}, "demo": {"parquet": "parquet-files"}}


class HelpFormatter(argparse.HelpFormatter):
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
        type=_format(choices, RENAMED[command]),
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hubutk",
        description="Turn HubSpot visitor tokens (hubspotutk) into tidy pandas tables.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log requests and retries")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    lookup = commands.add_parser(
        "lookup",
        help="look up a column of utks in CSV, Parquet or JSON-lines files",
        formatter_class=HelpFormatter,
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
        formatter_class=HelpFormatter,
        description="Serve a synthetic HubSpot portal on 127.0.0.1 until Ctrl-C. It prints "
        "the HUBSPOT_BASE_URL and HUBSPOT_ACCESS_TOKEN to set for `hubutk lookup`.",
    )
    sandbox_cli.add_arguments(sandbox)

    demo = commands.add_parser(
        "demo",
        help="look up the sample visitors against the sandbox",
        formatter_class=HelpFormatter,
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
        formatter_class=HelpFormatter,
        description="Credentials come from HUBSPOT_ACCESS_TOKEN, as for `hubutk lookup`.",
    )
    proxy_cli.add_arguments(proxy)
    add_doctor(commands)
    add_privacy_commands(commands)
    return parser


def check_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse what does not apply, and warn about old spellings, before any work."""
    if args.command not in RENAMED:
        return
    new = RENAMED[args.command].get(args.format)
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


def add_privacy_commands(commands: Any) -> None:
    """``hubutk forget`` and ``hubutk cache info|clear`` (on :mod:`hubutk_pandas.privacy`)."""
    where = "the cache folder (default: your per-user cache folder, as hubutk lookup uses)"
    forget = commands.add_parser(
        "forget",
        help="erase a contact from the cache and datasets (a GDPR / CCPA deletion request)",
        formatter_class=HelpFormatter,
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
        formatter_class=HelpFormatter,
        description="The cache folder holds HubSpot's answers (personal data of the "
        "contacts looked up) so that reruns cost no requests.",
    )
    actions = cache.add_subparsers(dest="cache_command", required=True, metavar="ACTION")
    info = actions.add_parser(
        "info",
        help="the folder, its size, oldest entry and retention",
        formatter_class=HelpFormatter,
        description="Show the cache folder: where it is, its permissions, its size, how many "
        "records and answers it holds, the oldest and newest, and how long they are kept.",
    )
    info.add_argument("--cache-dir", type=Path, default=None, metavar="PATH", help=where)
    clear = actions.add_parser(
        "clear",
        help="remove every cached answer and record",
        formatter_class=HelpFormatter,
        description="Empty the cache folder in place: every cached answer, record and "
        "property definition is removed; the next lookup asks HubSpot again. Datasets are "
        "not touched.",
    )
    clear.add_argument("--cache-dir", type=Path, default=None, metavar="PATH", help=where)


def add_doctor(commands: Any) -> None:
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
