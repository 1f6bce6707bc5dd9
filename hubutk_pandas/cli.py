"""The ``hubutk`` command: ``hubutk lookup``, ``hubutk sandbox`` and ``hubutk demo``.

Built only on the public API, like a user's script would be.

Examples
--------
.. code-block:: console

    $ export HUBSPOT_ACCESS_TOKEN=pat-na1-...
    $ hubutk lookup visitors.csv --column utk --out results/ --format parquet
    $ hubutk sandbox --port 8765 --contacts 5000
    $ hubutk demo
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from hubutk_pandas.errors import HubSpotError, LookupFailedError

__all__ = ["main", "write_frames"]

FORMATS = ("csv", "parquet")
DEFAULT_VISITORS = None  # hubutk demo: the sample shipped in the package (hubutk_pandas/data)


def _add_lookup_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--properties",
        help="comma-separated property names to fetch (default: every valued property)",
    )
    parser.add_argument(
        "--property-mode", default="value_only", choices=("value_only", "value_and_history")
    )
    parser.add_argument(
        "--form-submission-mode", default="newest", choices=("all", "none", "newest", "oldest")
    )
    parser.add_argument("--show-list-memberships", action="store_true")
    parser.add_argument("--include-deletes", action="store_true")
    parser.add_argument("--endpoint", default="byUtk", choices=("byUtk", "utks"))
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    parser.add_argument("--refresh", action="store_true", help="ignore cached answers")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hubutk",
        description="Turn HubSpot visitor tokens (hubspotutk) into tidy pandas tables.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log requests and retries")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    lookup = commands.add_parser(
        "lookup",
        help="look up a CSV column of utks and write every frame",
        description="Credentials come from HUBSPOT_ACCESS_TOKEN (or HUBSPOT_API_KEY); "
        "HUBSPOT_BASE_URL points elsewhere, for example at `hubutk sandbox`.",
    )
    lookup.add_argument("csv", type=Path, help="a CSV file with a column of utks")
    lookup.add_argument("--column", default="utk", help="the column of utks (default: utk)")
    lookup.add_argument("--out", type=Path, default=Path("results"), help="output folder")
    lookup.add_argument("--format", default="csv", choices=FORMATS)
    _add_lookup_options(lookup)

    from hubutk_pandas.sandbox import cli as sandbox_cli

    sandbox = commands.add_parser("sandbox", help="run a local HubSpot-compatible sandbox portal")
    sandbox_cli.add_arguments(sandbox)

    demo = commands.add_parser("demo", help="look up the sample visitors against the sandbox")
    demo.add_argument("--visitors", type=Path, default=DEFAULT_VISITORS)
    demo.add_argument("--out", type=Path, default=Path("demo-output"))
    demo.add_argument("--format", default="csv", choices=FORMATS)
    return parser


def _cell_for_csv(value: Any) -> Any:
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


def write_frames(frames: dict[str, pd.DataFrame], out: Path, fmt: str = "csv") -> list[Path]:
    """Write each frame to ``out/<name>.<fmt>`` and return the paths.

    CSV cells holding lists (``merged_vids``, multi-select values) are written as
    JSON text; Parquet keeps them as lists.

    Examples
    --------
    >>> import tempfile
    >>> paths = write_frames({"t": pd.DataFrame({"a": [[1, 2]]})}, Path(tempfile.mkdtemp()))
    >>> paths[0].read_text().splitlines()[1]
    '"[1, 2]"'
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ImportError(
                "Parquet output needs pyarrow: pip install 'hubutk-pandas[parquet]'"
            ) from exc
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in frames.items():
        path = out / f"{name}.{fmt}"
        if fmt == "parquet":
            frame.to_parquet(path, index=False)
        else:
            listy = [c for c in frame.columns if frame[c].dtype == object]
            written = frame.assign(**{c: frame[c].map(_cell_for_csv) for c in listy})
            written.to_csv(path, index=False)
        paths.append(path)
    return paths


def _lookup_options(args: argparse.Namespace) -> dict[str, Any]:
    properties = None
    if args.properties:
        properties = [p.strip() for p in args.properties.split(",") if p.strip()]
    return {
        "properties": properties,
        "property_mode": args.property_mode,
        "form_submission_mode": args.form_submission_mode,
        "show_list_memberships": args.show_list_memberships,
        "include_deletes": args.include_deletes,
        "endpoint": args.endpoint,
        "refresh": args.refresh,
    }


def _all_frames(result: Any) -> dict[str, pd.DataFrame]:
    frames = dict(result.frames)
    try:
        frames["wide"] = result.wide()
    except HubSpotError as exc:  # property definitions unavailable: keep the long frames
        print(f"note: no typed wide table ({exc})", file=sys.stderr)
    return frames


def _run_lookup(args: argparse.Namespace) -> int:
    from hubutk_pandas.client import HubSpotClient

    visitors = pd.read_csv(args.csv, dtype="string", keep_default_na=False)
    options = _lookup_options(args)
    with HubSpotClient(cache=not args.no_cache) as client:
        try:
            result = visitors.hubspot.lookup_utks(args.column, client=client, **options)
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
        paths = write_frames(_all_frames(result), args.out, args.format)
    print(f"{len(result.contacts)} contacts, {len(result.missing)} missing; wrote:")
    for path in paths:
        print(f"  {path}")
    return status


def _show_warning(message: Warning | str, *_: Any, **__: Any) -> None:
    """Warnings in a terminal read as one plain line, not as source locations."""
    print(f"warning: {message}", file=sys.stderr)


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "lookup":
        return _run_lookup(args)
    if args.command == "sandbox":
        from hubutk_pandas.sandbox import cli as sandbox_cli

        return sandbox_cli.run(args)
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
