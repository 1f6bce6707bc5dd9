"""Per-account request limits: a rolling window (HubSpot's ten-secondly burst) and a daily cap.

Counting rule (documented choice): every authenticated request that is *admitted*
counts toward both limits, whatever its outcome (200, 400, 404, an injected 502...).
Requests *rejected* with a 429 do not count, so a client that backs off for one
interval always recovers; HubSpot itself counts rejected calls in the window, which
only makes it stricter than the sandbox. Unauthenticated requests and 414s never count.

Examples
--------
>>> limiter = RateLimiter(max_requests=2, interval_ms=1000)
>>> [limiter.acquire(now=0.0).policy for _ in range(3)]
[None, None, 'TEN_SECONDLY_ROLLING']
>>> limiter.acquire(now=1.0).policy is None
True
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import deque
from dataclasses import dataclass

__all__ = ["NOMINAL_DAILY", "Decision", "RateLimiter"]

#: Daily figure reported in headers when no daily cap is configured (never enforced).
NOMINAL_DAILY = 1_000_000


@dataclass(frozen=True)
class Decision:
    """The outcome of one :meth:`RateLimiter.acquire` call, and the header values."""

    policy: str | None  # None (admitted), "TEN_SECONDLY_ROLLING" or "DAILY"
    max_requests: int
    remaining: int
    interval_ms: int
    daily: int
    daily_remaining: int

    def headers(self) -> dict[str, str]:
        """The ``X-HubSpot-RateLimit-*`` headers of the answer."""
        return {
            "X-HubSpot-RateLimit-Max": str(self.max_requests),
            "X-HubSpot-RateLimit-Remaining": str(self.remaining),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(self.interval_ms),
            "X-HubSpot-RateLimit-Daily": str(self.daily),
            "X-HubSpot-RateLimit-Daily-Remaining": str(self.daily_remaining),
        }


class RateLimiter:
    """Thread-safe rolling-window and daily limiter of one account.

    Parameters
    ----------
    max_requests, interval_ms
        At most ``max_requests`` admitted requests in any ``interval_ms`` window.
    daily_limit
        At most this many admitted requests per UTC day; ``None`` for no cap.
    """

    def __init__(self, max_requests: int, interval_ms: int, daily_limit: int | None = None) -> None:
        self._lock = threading.Lock()
        self._window: deque[float] = deque()
        self._day: dt.date | None = None
        self._daily_used = 0
        self.configure(max_requests, interval_ms, daily_limit)

    def configure(self, max_requests: int, interval_ms: int, daily_limit: int | None) -> None:
        """Change the limits; counts already made are kept."""
        if max_requests < 1 or interval_ms < 1:
            raise ValueError("rate_limit must be (max_requests >= 1, interval_ms >= 1)")
        if daily_limit is not None and daily_limit < 0:
            raise ValueError("daily_limit must be None or a non-negative int")
        with self._lock:
            self.max_requests, self.interval_ms, self.daily_limit = (
                max_requests,
                interval_ms,
                daily_limit,
            )

    def reset(self) -> None:
        """Forget every counted request."""
        with self._lock:
            self._window.clear()
            self._daily_used = 0

    def _decision(self, policy: str | None) -> Decision:
        daily = self.daily_limit if self.daily_limit is not None else NOMINAL_DAILY
        return Decision(
            policy=policy,
            max_requests=self.max_requests,
            remaining=max(0, self.max_requests - len(self._window)),
            interval_ms=self.interval_ms,
            daily=daily,
            daily_remaining=max(0, daily - self._daily_used),
        )

    def acquire(self, now: float | None = None, *, force: str | None = None) -> Decision:
        """Count one request if the limits allow it; ``force`` rejects with that policy."""
        now = time.monotonic() if now is None else now
        today = dt.datetime.now(dt.timezone.utc).date()
        with self._lock:
            if today != self._day:
                self._day, self._daily_used = today, 0
            horizon = now - self.interval_ms / 1000
            while self._window and self._window[0] <= horizon:
                self._window.popleft()
            if force is not None:
                return self._decision(force)
            if self.daily_limit is not None and self._daily_used >= self.daily_limit:
                return self._decision("DAILY")
            if len(self._window) >= self.max_requests:
                return self._decision("TEN_SECONDLY_ROLLING")
            self._window.append(now)
            self._daily_used += 1
            return self._decision(None)
