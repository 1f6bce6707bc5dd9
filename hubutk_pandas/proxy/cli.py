"""Command line of the proxy: ``hubutk proxy`` and ``python -m hubutk_pandas.proxy``.

The credential comes from the environment, as for the client (``HUBSPOT_ACCESS_TOKEN``,
``HUBSPOT_API_KEY``, ``HUBSPOT_BASE_URL``). On start it prints the URL, the allowed
origins and properties, and never the credential.

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> add_arguments(parser)
>>> args = parser.parse_args(["--allow-origin", "https://a.example", "--properties",
...                           "firstname, city", "--client-rate", "10/2"])
>>> args.properties, args.client_rate, args.host
(['firstname', 'city'], (10, 2.0), '127.0.0.1')
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import threading
from collections.abc import Iterator

from hubutk_pandas.errors import HubSpotError, InvalidOptionError
from hubutk_pandas.proxy.app import DEFAULT_CLIENT_RATE, LISTS_REFUSED, make_app
from hubutk_pandas.proxy.server import DEFAULT_HOST, DEFAULT_PORT, ProxyServer

__all__ = ["add_arguments", "main", "run"]

EXTRAS = ("history", "form submissions", "list memberships")
#: Libraries that log whole request URLs (utks, a ``hapikey``) at DEBUG.
QUIET_LOGGERS = ("urllib3", "requests_cache")


def _rate(text: str) -> tuple[int, float]:
    count, _, seconds = text.partition("/")
    try:
        value = (int(count), float(seconds))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected N/SECONDS such as 30/10, got {text!r}"
        ) from None
    if value[0] < 1 or not value[1] > 0:
        raise argparse.ArgumentTypeError(f"expected N >= 1 and SECONDS > 0, got {text!r}")
    return value


def _names(text: str) -> list[str]:
    names = [p.strip() for p in text.split(",") if p.strip()]
    if not names or "*" in names:
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated list of property names, got {text!r}"
        )
    return names


def _origin(text: str) -> str:
    if text.strip() == "*":
        raise argparse.ArgumentTypeError("'*' is not allowed: name each origin")
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the proxy's options to ``parser``."""
    parser.add_argument(
        "--allow-origin",
        dest="allow_origins",
        action="append",
        required=True,
        type=_origin,
        metavar="ORIGIN",
        help="an origin whose pages may read answers, e.g. https://www.example.com "
        "(repeatable; required: there is no '*')",
    )
    parser.add_argument(
        "--properties",
        required=True,
        type=_names,
        metavar="a,b,c",
        help="the only properties a browser may receive (required)",
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"interface (default {DEFAULT_HOST})")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--client-rate",
        type=_rate,
        default=DEFAULT_CLIENT_RATE,
        metavar="N/SECONDS",
        help="requests one client may send per window (default {}/{:g})".format(
            *DEFAULT_CLIENT_RATE
        ),
    )
    parser.add_argument(
        "--rate-limit",
        type=_rate,
        default=(100, 10.0),
        metavar="N/SECONDS",
        help="the portal's limit, shared by every browser (default 100/10)",
    )
    parser.add_argument("--allow-history", action="store_true", help="send property history")
    parser.add_argument("--allow-forms", action="store_true", help="send form submissions")
    parser.add_argument(
        "--allow-lists",
        action="store_true",
        help="refused: HubSpot's utk reads carry no list memberships since 2026-04-30, and "
        "the proxy does not read the Lists API for browsers (use hubutk lookup)",
    )
    parser.add_argument(
        "--trusted-proxy",
        dest="trusted_proxies",
        action="append",
        default=[],
        metavar="ADDR",
        help="a reverse proxy (address or network) whose X-Forwarded-For is believed "
        "(repeatable; elsewhere the header is ignored)",
    )
    parser.add_argument("--threads", type=int, default=16, help="requests served at once")
    parser.add_argument("--no-cache", action="store_true", help="no HTTP cache on disk")


def run(args: argparse.Namespace, *, stop: threading.Event | None = None) -> int:
    """Serve until Ctrl-C (or until ``stop`` is set); return the exit status."""
    if args.allow_lists:  # refused at once, before a credential is read or a port opened
        raise InvalidOptionError(LISTS_REFUSED)
    with _proxy_logging():
        return _serve(args, stop)


@contextlib.contextmanager
def _proxy_logging() -> Iterator[None]:
    """The access log at INFO; the HTTP libraries' DEBUG lines (full URLs, utks) off.

    Scoped to :func:`run`: each level is restored when it returns.
    """
    levels = {
        name: logging.getLogger(name).level for name in ("hubutk_pandas.proxy", *QUIET_LOGGERS)
    }
    proxy_logger = logging.getLogger("hubutk_pandas.proxy")
    if proxy_logger.getEffectiveLevel() > logging.INFO:
        proxy_logger.setLevel(logging.INFO)
    for name in QUIET_LOGGERS:
        quiet = logging.getLogger(name)
        if quiet.getEffectiveLevel() < logging.INFO:
            quiet.setLevel(logging.INFO)
    try:
        yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _serve(args: argparse.Namespace, stop: threading.Event | None) -> int:
    from hubutk_pandas.client import HubSpotClient

    rate = (args.rate_limit[0], args.rate_limit[1])
    with HubSpotClient(cache=not args.no_cache, rate_limit=rate) as client:
        app = make_app(
            client,
            allow_origins=args.allow_origins,
            properties=args.properties,
            allow_history=args.allow_history,
            allow_forms=args.allow_forms,
            allow_lists=args.allow_lists,
            client_rate=args.client_rate,
            trusted_proxies=args.trusted_proxies,
        )
        server = ProxyServer(app, host=args.host, port=args.port, threads=args.threads)
        print(f"hubutk proxy on {server.url} (upstream {client.settings.base_url})", flush=True)
        print(f"allowed origins: {', '.join(app.cors.origins)}", flush=True)
        print(f"allowed properties: {', '.join(app.shape.properties)}", flush=True)
        shape = app.shape
        extras = [
            n for n, on in zip(EXTRAS, (shape.history, shape.forms, shape.lists), strict=True) if on
        ]
        print(f"also sent: {', '.join(extras) or 'nothing (current values only)'}", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        server.start()
        stop = stop or threading.Event()
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            server.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m hubutk_pandas.proxy``."""
    parser = argparse.ArgumentParser(
        prog="python -m hubutk_pandas.proxy",
        description="Serve HubSpot's utk lookups to browsers: CORS, allow-lists, limits.",
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        return run(args)
    except HubSpotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
