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
import logging
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from hubutk_pandas.cli.care import run_cache, run_doctor, run_forget
from hubutk_pandas.cli.lookup import TO_FILES, run_lookup
from hubutk_pandas.cli.parser import build_parser, check_args
from hubutk_pandas.credentials import credential_in_environment, missing_credential_message
from hubutk_pandas.errors import CredentialsError, HubSpotError

__all__ = ["main"]


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
        return run_lookup(args)
    if args.command == "sandbox":
        from hubutk_pandas.sandbox import cli as sandbox_cli

        return sandbox_cli.run(args)
    if args.command == "proxy":
        from hubutk_pandas.proxy import cli as proxy_cli

        return proxy_cli.run(args)
    if args.command == "doctor":
        return run_doctor(args)
    if args.command in ("forget", "cache"):
        return run_forget(args) if args.command == "forget" else run_cache(args)
    from hubutk_pandas.demo import run_demo

    return run_demo(args.visitors, args.out, TO_FILES[args.format])


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``hubutk`` command line; return the exit status.

    Examples
    --------
    >>> main(["lookup", "no-such-file.csv"])
    1
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    check_args(parser, args)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return _dispatch(args)
    except (HubSpotError, FileNotFoundError) as exc:  # a bug of ours keeps its traceback
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
