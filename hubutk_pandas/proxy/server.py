"""Serving the proxy with waitress, a production WSGI server (imported on first use).

:class:`ProxyServer` runs an app in a background thread (tests, notebooks) or in the
foreground (:meth:`ProxyServer.serve_forever`, the command line). waitress's own
handling of ``X-Forwarded-*`` headers is switched off: the app decides whom to trust
(``trusted_proxies``), the same way in any WSGI host.

Examples
--------
>>> import requests
>>> from hubutk_pandas.proxy import make_app
>>> app = make_app(client, allow_origins=["http://127.0.0.1:9"], properties=["firstname"])
>>> with ProxyServer(app) as server:
...     requests.get(server.url + "/healthz", timeout=10).json()
{'status': 'ok'}
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

from hubutk_pandas._optional import import_optional

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "ProxyServer"]

logger = logging.getLogger("hubutk_pandas.proxy")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787


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
        Requests handled at once; the others wait in waitress's queue. Requests waiting
        for a rate-limit slot hold a thread, so allow for the browsers you expect.
    """

    def __init__(
        self,
        app: Callable[..., Any],
        *,
        host: str = DEFAULT_HOST,
        port: int = 0,
        threads: int = 16,
    ) -> None:
        waitress_server = import_optional(
            "waitress.server", package="waitress", needed_by="hubutk proxy"
        )
        self._server = waitress_server.create_server(
            app,
            host=host,
            port=port,
            threads=threads,
            clear_untrusted_proxy_headers=False,
            ident="hubutk-proxy",
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
        # another thread races its select(). This loop stops on an event instead and
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
