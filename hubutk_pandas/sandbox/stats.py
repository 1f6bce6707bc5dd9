"""Thread-safe request counters of a sandbox portal.

Examples
--------
>>> stats = SandboxStats()
>>> stats.begin()
>>> stats.in_flight
1
>>> stats.record(path="/x", status=200, utks=3)
>>> stats.requests, stats.by_status[200], stats.utks_requested, stats.in_flight
(1, 1, 3, 0)
>>> stats.most_in_flight  # the most at once
1
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

__all__ = ["SandboxStats"]


class SandboxStats:
    """Counters of requests, statuses, paths, faults and utks asked for.

    Reading an attribute returns a copy, so it is safe while the server runs.
    ``by_path`` counts route templates (``/contacts/v1/contact/byUtk/batch/``,
    ``/contacts/v1/contact/utk/<utk>/profile``...), with or without the request's
    trailing slash; unknown paths are counted as sent.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._in_flight = 0
        self._most_in_flight = 0
        self.reset()

    def begin(self) -> None:
        """Note a request being answered (:meth:`record` ends it)."""
        with self._lock:
            self._in_flight += 1
            self._most_in_flight = max(self._most_in_flight, self._in_flight)

    def reset(self) -> None:
        """Set every counter back to zero (requests still being answered count when done)."""
        with getattr(self, "_lock", threading.Lock()):
            self._requests = 0
            self._by_status: Counter[int] = Counter()
            self._by_path: Counter[str] = Counter()
            self._faults: Counter[str] = Counter()
            self._utks = 0
            self._most_in_flight = self._in_flight

    def record(
        self, *, path: str, status: int | None = None, fault: str | None = None, utks: int = 0
    ) -> None:
        """Count one request (``status`` is ``None`` when no answer was sent)."""
        with self._lock:
            self._in_flight = max(self._in_flight - 1, 0)
            self._requests += 1
            self._by_path[path] += 1
            if status is not None:
                self._by_status[status] += 1
            if fault is not None:
                self._faults[fault] += 1
            self._utks += utks

    @property
    def requests(self) -> int:
        """Requests received (every answer, error and fault included)."""
        with self._lock:
            return self._requests

    @property
    def in_flight(self) -> int:
        """Requests received and not answered yet (not zeroed by :meth:`reset`)."""
        with self._lock:
            return self._in_flight

    @property
    def most_in_flight(self) -> int:
        """The most requests being answered at once since the start (or :meth:`reset`)."""
        with self._lock:
            return self._most_in_flight

    @property
    def by_status(self) -> Counter[int]:
        """Answers per HTTP status (dropped connections have none)."""
        with self._lock:
            return Counter(self._by_status)

    @property
    def by_path(self) -> Counter[str]:
        """Requests per route template."""
        with self._lock:
            return Counter(self._by_path)

    @property
    def faults(self) -> Counter[str]:
        """Faults served, per kind (random and injected)."""
        with self._lock:
            return Counter(self._faults)

    @property
    def utks_requested(self) -> int:
        """Total ``utk`` values received by the contact endpoints."""
        with self._lock:
            return self._utks

    def snapshot(self) -> dict[str, Any]:
        """All counters at one instant, as plain dicts."""
        with self._lock:
            return {
                "requests": self._requests,
                "by_status": dict(self._by_status),
                "by_path": dict(self._by_path),
                "faults": dict(self._faults),
                "utks_requested": self._utks,
            }

    def __repr__(self) -> str:
        return f"SandboxStats({self.snapshot()!r})"
