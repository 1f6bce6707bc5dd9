"""Serving the proxy with waitress, a production WSGI server (imported on first use).

:class:`ProxyServer` runs an app in a background thread (tests, notebooks) or in the
foreground (:meth:`ProxyServer.serve_forever`, the command line). waitress's own
handling of ``X-Forwarded-*`` headers is switched off: the app decides whom to trust
(``trusted_proxies``), the same way in any WSGI host.

On top of waitress, the server is strict about what a stranger may hold or send:

* **Framing.** A request with a body (``Content-Length`` above 0, or any
  ``Transfer-Encoding``, so also both together), or with a control character in its path
  or query, gets ``400`` and the connection is closed: nothing after it on that
  connection is read, so no second request can be smuggled behind it. The body is never
  read (``max_request_body_size`` is 1 byte besides).
* **Time.** A request must arrive whole within ``read_timeout`` seconds of its first
  byte, and a connection idle that long is closed (a slow client, "slowloris", holds a
  connection for at most that long).
* **Connections.** At most ``max_connections_per_address`` open connections per client
  (an IPv4 address or an IPv6 ``/64``); more are closed at once, so one address cannot
  take the ``max_connections`` everyone shares. Trusted reverse proxies are exempt: they
  carry everyone's connections and limit them themselves.
* **Logs.** Each request is served inside :func:`~hubutk_pandas.proxy.scrub.scrubbed_logs`,
  waitress's own lines about it included.

Examples
--------
>>> import requests
>>> from hubutk_pandas import HubSpotClient
>>> from hubutk_pandas.proxy import make_app
>>> proxied = HubSpotClient(client.sandbox.access_token, base_url=client.sandbox.base_url,
...                         cache=False, max_retries=0)
>>> app = make_app(proxied, allow_origins=["http://127.0.0.1:9"], properties=["firstname"])
>>> with ProxyServer(app) as server:
...     requests.get(server.url + "/healthz", timeout=10).json()
{'status': 'ok'}
>>> proxied.close()
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from hubutk_pandas._optional import import_optional
from hubutk_pandas.errors import InvalidOptionError
from hubutk_pandas.proxy.limits import Network, address_key, is_trusted, parse_networks
from hubutk_pandas.proxy.scrub import scrubbed_logs
from hubutk_pandas.proxy.wire import request_problem

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_CONNECTIONS_PER_ADDRESS",
    "DEFAULT_PORT",
    "DEFAULT_READ_TIMEOUT",
    "DEFAULT_THREADS",
    "ProxyServer",
]

logger = logging.getLogger("hubutk_pandas.proxy")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787
DEFAULT_THREADS = 16
DEFAULT_READ_TIMEOUT = 10.0
"""Seconds for a whole request to arrive, and for an idle connection to be closed."""
DEFAULT_MAX_CONNECTIONS = 500
DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 20
"""Browsers open up to 6 connections to a host; 20 leaves room for a few behind one NAT."""
MAX_HEADER_BYTES = 32_768
"""The request line and headers: a URL of 8,192 characters (HubSpot's) and room to spare."""


@functools.cache
def _waitress_classes() -> tuple[type[Any], Any]:
    """waitress's TCP server, its channel and its parser, made strict (built on first use)."""
    waitress_server = import_optional(
        "waitress.server", package="waitress", needed_by="hubutk proxy"
    )
    from waitress.channel import HTTPChannel
    from waitress.parser import HTTPRequestParser, ParsingError, TransferEncodingNotImplemented

    class StrictParser(HTTPRequestParser):
        def parse_header(self, header_plus: bytes) -> None:
            try:
                super().parse_header(header_plus)
                # HTTP/1.1's Transfer-Encoding is popped by waitress, HTTP/1.0's kept.
                te = "chunked" if self.chunked else self.headers.get("TRANSFER_ENCODING")
            except TransferEncodingNotImplemented:
                te = "unsupported"  # refused alike, as a 400
            problem = request_problem(
                content_length=self.headers.get("CONTENT_LENGTH"),
                transfer_encoding=te,
                path=getattr(self, "path", ""),
                query=getattr(self, "query", ""),
            )
            if problem is not None:
                self.connection_close = True
                raise ParsingError(problem)

    class Channel(HTTPChannel):
        parser_class = StrictParser
        request_started = 0.0
        client_key: str | None = None

        def received(self, data: bytes) -> bool:
            if self.request is None and data:
                self.request_started = time.time()
            return bool(super().received(data))

        def service(self) -> None:
            with scrubbed_logs():  # waitress's own lines about this request included
                super().service()

        def del_channel(self, map: Any = None) -> None:
            if self.client_key is not None:
                self.server.release(self.client_key)
                self.client_key = None
            super().del_channel(map)

    class Server(waitress_server.TcpWSGIServer):  # type: ignore[name-defined]
        channel_class = Channel

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.read_timeout = kwargs.pop("read_timeout")
            self.per_address = kwargs.pop("per_address")
            self.exempt: tuple[Network, ...] = kwargs.pop("exempt")
            self.open_by_client: Counter[str] = Counter()
            self.refused: Counter[str] = Counter()
            self.next_report = 0.0
            super().__init__(*args, **kwargs)

        def handle_accept(self) -> None:
            try:
                pair = self.accept()
                if pair is None:
                    return
                conn, addr = pair
                self.set_socket_options(conn)
            except OSError:
                return
            peer = str(addr[0]) if isinstance(addr, tuple) and addr else ""
            key: str | None = None
            if not is_trusted(peer, self.exempt):  # a reverse proxy carries everyone's
                key = address_key(peer) or "unknown"
                if self.open_by_client[key] >= self.per_address:
                    self.refused[key] += 1
                    conn.close()
                    return
                self.open_by_client[key] += 1
            channel = self.channel_class(self, conn, self.fix_addr(addr), self.adj, map=self._map)
            channel.client_key = key

        def release(self, key: str) -> None:
            self.open_by_client[key] -= 1
            if self.open_by_client[key] <= 0:
                del self.open_by_client[key]

        def maintenance(self, now: float) -> None:
            super().maintenance(now)  # idle connections: channel_timeout
            cutoff = now - self.read_timeout
            for channel in list(self.active_channels.values()):
                partial = channel.request is not None and not channel.request.completed
                if partial and not channel.requests and channel.request_started < cutoff:
                    channel.will_close = True  # a request still arriving after read_timeout
            if self.refused and now >= self.next_report:
                logger.warning(
                    "refused %d connections over the cap of %d per client (%d clients)",
                    sum(self.refused.values()),
                    self.per_address,
                    len(self.refused),
                )
                self.refused.clear()
                self.next_report = now + 60.0

    return Server, waitress_server


def _positive(name: str, value: Any, *, integer: bool) -> None:
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or value <= 0:
        raise InvalidOptionError(f"{name}={value!r} is not valid; use a number > 0")


class ProxyServer:
    """A waitress server for a WSGI app, bound when built.

    Parameters
    ----------
    app
        The WSGI app (:func:`~hubutk_pandas.proxy.make_app`).
    host
        The interface; the default serves this machine only.
    port
        ``0`` picks a free port (see :attr:`url`).
    threads
        Requests handled at once; the others wait in waitress's queue. Lookups waiting
        for HubSpot hold a thread each: the app admits at most ``max_upstream`` of them
        (half of the default 16), so the others answer health checks and cached lookups.
    read_timeout
        Seconds a request may take to arrive whole after its first byte, and that an idle
        connection is kept.
    max_connections
        Open connections in all.
    max_connections_per_address
        Open connections per client (an IPv4 address, an IPv6 ``/64``); more are closed
        at once.
    trusted_proxies
        Reverse proxies exempt from the per-address cap; by default the app's
        ``trusted_proxies``.
    """

    def __init__(
        self,
        app: Callable[..., Any],
        *,
        host: str = DEFAULT_HOST,
        port: int = 0,
        threads: int = DEFAULT_THREADS,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        max_connections_per_address: int = DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
        trusted_proxies: Iterable[str] | None = None,
    ) -> None:
        _positive("threads", threads, integer=True)
        _positive("read_timeout", read_timeout, integer=False)
        _positive("max_connections", max_connections, integer=True)
        _positive("max_connections_per_address", max_connections_per_address, integer=True)
        exempt = (
            getattr(app, "trusted", ())
            if trusted_proxies is None
            else parse_networks(trusted_proxies)
        )
        server_class, waitress_server = _waitress_classes()
        adj = waitress_server.Adjustments(
            host=host,
            port=port,
            threads=threads,
            clear_untrusted_proxy_headers=False,
            ident="hubutk-proxy",
            channel_timeout=read_timeout,
            cleanup_interval=1,
            connection_limit=max_connections,
            max_request_header_size=MAX_HEADER_BYTES,
            max_request_body_size=1,
            asyncore_use_poll=True,
        )
        dispatcher = waitress_server.ThreadedTaskDispatcher()
        dispatcher.set_thread_count(threads)
        self._server = server_class(
            app,
            {},
            dispatcher=dispatcher,
            adj=adj,
            sockinfo=adj.listen[0],
            read_timeout=float(read_timeout),
            per_address=max_connections_per_address,
            exempt=tuple(exempt),
        )
        self.host = host
        self.port = int(self._server.effective_port)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._closed = threading.Event()

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:8787``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def __repr__(self) -> str:
        return f"ProxyServer({self.url!r})"

    def start(self) -> ProxyServer:
        """Serve from a background thread (returns at once)."""
        if self._thread is None and not self._closed.is_set():
            self._thread = threading.Thread(target=self._loop, name="hubutk-proxy", daemon=True)
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until :meth:`close` is called from another (or Ctrl-C)."""
        self._loop()

    def close(self) -> None:
        """Stop serving: finish the requests in progress, close every connection."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        elif not self._closed.is_set():  # never served: close here
            self._shutdown()

    def _loop(self) -> None:
        # waitress's own run() loops until its sockets are closed; closing them from
        # another thread races its poll(). This loop stops on an event instead and
        # closes everything in the thread that polls.
        from waitress import wasyncore

        try:
            while not self._stop.is_set():
                wasyncore.loop(
                    timeout=0.2,
                    map=self._server._map,
                    use_poll=self._server.adj.asyncore_use_poll,
                    count=1,
                )
        finally:
            self._shutdown()

    def _shutdown(self) -> None:
        from waitress import wasyncore

        if not self._closed.is_set():
            self._closed.set()
            self._server.task_dispatcher.shutdown(timeout=10)
            wasyncore.close_all(self._server._map)

    def __enter__(self) -> ProxyServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
