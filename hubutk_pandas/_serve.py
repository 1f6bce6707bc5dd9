"""The serve-and-wait loop of the command-line servers (``hubutk proxy``, ``hubutk sandbox``).

A bottom-layer module: it imports nothing of the package, so the sandbox (which imports
nothing of the client side) and the proxy share it.

Examples
--------
>>> import threading
>>> stop, closed = threading.Event(), []
>>> stop.set()
>>> serve_until_stopped(lambda: closed.append(True), stop)
>>> closed
[True]
"""

from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ["serve_until_stopped"]


def serve_until_stopped(
    close: Callable[[], None], stop: threading.Event | None = None, *, poll: float = 0.2
) -> None:
    """Wait until ``stop`` is set or Ctrl-C is pressed, then call ``close`` (always).

    The server runs elsewhere (its own threads); this thread only waits. ``stop`` lets a
    test or an embedding program end the wait; without it only Ctrl-C (or an exception
    from the wait) does. ``close`` runs whatever ended the wait, exceptions included.

    Parameters
    ----------
    close
        Stops the server: called exactly once.
    stop
        An event ending the wait when set.
    poll
        Seconds between looks at ``stop`` (Ctrl-C is seen at once on the main thread).
    """
    stop = stop or threading.Event()
    try:
        while not stop.wait(poll):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        close()
