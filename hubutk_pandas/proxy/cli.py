"""Command line of the proxy: ``hubutk proxy`` and ``python -m hubutk_pandas.proxy``.

The credential comes from the environment, as for the client (``HUBSPOT_ACCESS_TOKEN``,
``HUBSPOT_API_KEY``, ``HUBSPOT_BASE_URL``). On start it prints the URL, the allowed
origins and properties, the budgets, and never the credential.

The proxy's client never retries (one request, at most one HubSpot call) and keeps its
HTTP cache in a folder of its own (``--cache-dir``; by default ``proxy/`` in the
per-user cache folder), so its cap and sweeps never touch the cache of your lookups.

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> add_arguments(parser)
>>> args = parser.parse_args(["--allow-origin", "https://a.example", "--properties",
...                           "firstname, city", "--client-rate", "10/2"])
>>> args.properties, args.client_rate, args.host, args.daily_budget
(['firstname', 'city'], (10, 2.0), '127.0.0.1', 25000)
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from hubutk_pandas._serve import serve_until_stopped
from hubutk_pandas.errors import HubSpotError, InvalidOptionError
from hubutk_pandas.proxy.app import (
    DEFAULT_CACHE_MAX_BYTES,
    DEFAULT_CLIENT_BUDGET,
    DEFAULT_CLIENT_RATE,
    DEFAULT_DAILY_BUDGET,
    DEFAULT_MAX_UPSTREAM,
    DEFAULT_MAX_WAIT,
    LISTS_REFUSED,
    make_app,
)
from hubutk_pandas.proxy.server import (
    DEFAULT_HOST,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
    DEFAULT_PORT,
    DEFAULT_READ_TIMEOUT,
    DEFAULT_THREADS,
    ProxyServer,
)

__all__ = ["add_arguments", "main", "run"]

EXTRAS = ("history", "form submissions", "list memberships", "deleted contacts")
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


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {text!r}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected seconds > 0, got {text!r}")
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
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"the interface to listen on (default {DEFAULT_HOST}: this machine only)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"the port to listen on (default {DEFAULT_PORT})",
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
    parser.add_argument(
        "--client-budget",
        type=_rate,
        default=DEFAULT_CLIENT_BUDGET,
        metavar="N/SECONDS",
        help="HubSpot calls (lookups the cache cannot answer) one client may cause per "
        "window (default {}/{:g})".format(*DEFAULT_CLIENT_BUDGET),
    )
    parser.add_argument(
        "--daily-budget",
        type=_count,
        default=DEFAULT_DAILY_BUDGET,
        metavar="N",
        help="HubSpot calls the proxy may make in any 24 hours, whoever asks; past it, "
        f"503 with Retry-After (default {DEFAULT_DAILY_BUDGET:,}: a tenth of the smallest "
        "daily limit, 250,000)",
    )
    parser.add_argument(
        "--max-wait",
        type=_seconds,
        default=DEFAULT_MAX_WAIT,
        metavar="SECONDS",
        help="longest a lookup may wait for the shared pacer before a 503 with "
        f"Retry-After (default {DEFAULT_MAX_WAIT:g})",
    )
    parser.add_argument(
        "--max-upstream",
        type=_count,
        default=DEFAULT_MAX_UPSTREAM,
        metavar="N",
        help="lookups waiting for HubSpot at once; keep it below --threads "
        f"(default {DEFAULT_MAX_UPSTREAM})",
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
        "--allow-deletes",
        action="store_true",
        help="serve deleted contacts to includeDeletes=true (off: the parameter is ignored)",
    )
    parser.add_argument(
        "--allow-server-callers",
        action="store_true",
        help="serve lookups without an Origin header (server-to-server callers). This gives "
        "up the guard for browsers that send no Sec-Fetch-Mode (Safari before 16.4): any "
        "page's <img src> then spends lookups from its visitors, and the budgets are the "
        "only limit",
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
    parser.add_argument(
        "--threads",
        type=_count,
        default=DEFAULT_THREADS,
        help=f"requests served at once (default {DEFAULT_THREADS})",
    )
    parser.add_argument(
        "--read-timeout",
        type=_seconds,
        default=DEFAULT_READ_TIMEOUT,
        metavar="SECONDS",
        help="time for a request to arrive whole, and for an idle connection to be "
        f"closed (default {DEFAULT_READ_TIMEOUT:g})",
    )
    parser.add_argument(
        "--max-connections",
        type=_count,
        default=DEFAULT_MAX_CONNECTIONS,
        metavar="N",
        help=f"open connections in all (default {DEFAULT_MAX_CONNECTIONS})",
    )
    parser.add_argument(
        "--max-connections-per-address",
        type=_count,
        default=DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
        metavar="N",
        help="open connections per client address (an IPv6 /64), trusted proxies exempt "
        f"(default {DEFAULT_MAX_CONNECTIONS_PER_ADDRESS})",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        metavar="PATH",
        help="the HTTP cache's folder (default: proxy/ in the per-user cache folder)",
    )
    parser.add_argument(
        "--cache-max-mb",
        type=_count,
        default=DEFAULT_CACHE_MAX_BYTES // 2**20,
        metavar="MB",
        help="the HTTP cache's cap; expired answers (after a day) are swept every 5 "
        f"minutes (default {DEFAULT_CACHE_MAX_BYTES // 2**20})",
    )
    parser.add_argument("--no-cache", action="store_true", help="no HTTP cache on disk")


def check_args(args: argparse.Namespace) -> None:
    """Refuse option combinations that cannot serve, before any credential or request."""
    if args.allow_lists:  # refused at once, before a credential is read or a port opened
        raise InvalidOptionError(LISTS_REFUSED)
    if args.max_upstream >= args.threads:
        raise InvalidOptionError(
            f"--max-upstream {args.max_upstream} is not valid with --threads {args.threads}; "
            "keep it below, so that health checks and cached answers always find a thread"
        )


def run(args: argparse.Namespace, *, stop: threading.Event | None = None) -> int:
    """Serve until Ctrl-C (or until ``stop`` is set); return the exit status."""
    check_args(args)
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


def _per_user_folder() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("hubutk-pandas"))


def _cache(args: argparse.Namespace) -> bool | Path:
    if args.no_cache:
        return False
    if args.cache_dir is not None:
        return Path(args.cache_dir)
    return _per_user_folder() / "proxy"


def _rate_window() -> str:
    """The window every process on the token shares: ``HUBUTK_RATE_WINDOW``, else the one in
    the per-user folder, where notebooks and ``hubutk lookup`` keep it (the proxy's own cache
    is a folder of its own, and a window follows its client's cache folder by default)."""
    return os.environ.get("HUBUTK_RATE_WINDOW") or str(_per_user_folder())


def _serve(args: argparse.Namespace, stop: threading.Event | None) -> int:
    from hubutk_pandas.client import HubSpotClient

    rate = (args.rate_limit[0], args.rate_limit[1])
    with HubSpotClient(
        cache=_cache(args), rate_limit=rate, max_retries=0, rate_window=_rate_window()
    ) as client:
        app = make_app(
            client,
            allow_origins=args.allow_origins,
            properties=args.properties,
            allow_history=args.allow_history,
            allow_forms=args.allow_forms,
            allow_lists=args.allow_lists,
            allow_deletes=args.allow_deletes,
            allow_servers=args.allow_server_callers,
            client_rate=args.client_rate,
            client_budget=args.client_budget,
            daily_budget=args.daily_budget,
            max_wait=args.max_wait,
            max_upstream=args.max_upstream,
            trusted_proxies=args.trusted_proxies,
            cache_max_bytes=args.cache_max_mb * 2**20,
        )
        server = ProxyServer(
            app,
            host=args.host,
            port=args.port,
            threads=args.threads,
            read_timeout=args.read_timeout,
            max_connections=args.max_connections,
            max_connections_per_address=args.max_connections_per_address,
        )
        print(f"hubutk proxy on {server.url} (upstream {client.settings.base_url})", flush=True)
        print(f"allowed origins: {', '.join(app.cors.origins)}", flush=True)
        print(f"allowed properties: {', '.join(app.shape.properties)}", flush=True)
        shape = app.shape
        extras = [
            n
            for n, on in zip(
                EXTRAS, (shape.history, shape.forms, shape.lists, app.allow_deletes), strict=True
            )
            if on
        ]
        print(f"also sent: {', '.join(extras) or 'nothing (current values only)'}", flush=True)
        print(
            f"budgets: {args.daily_budget:,} HubSpot calls in 24 hours; per client "
            "{} calls in {:g} s, {} requests in {:g} s".format(
                *args.client_budget, *args.client_rate
            ),
            flush=True,
        )
        if app.allow_servers:
            print("lookups without an Origin header are served (--allow-server-callers)")
        try:
            print("Press Ctrl-C to stop.", flush=True)
            server.start()
            serve_until_stopped(server.close, stop, poll=0.5)
        except KeyboardInterrupt:  # Ctrl-C before the wait began: a stop all the same
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
