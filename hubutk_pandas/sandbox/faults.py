"""Fault injection: seeded random faults plus a deterministic queue for tests.

Kinds: ``"502"`` (HTML bad gateway), ``"503"``, ``"drop"`` (connection closed, no
answer), ``"truncate"`` (200 whose body stops before its Content-Length),
``"badjson"`` (200, ``application/json``, broken body). The queue also accepts
``"429"`` and ``"429-daily"`` (rate-limit answers with HubSpot's bodies), ``"400"``
(a ``VALIDATION_ERROR`` answer: a permanent, per-request refusal that is not retried) and
``"badshape"`` (a 200 of valid JSON in the wrong shape: a list where an object is due).

*Poisoned* utks (:meth:`FaultPlan.poison`) make every batch that holds one answer 400
naming it, for as long as they stay poisoned. HubSpot is documented to ignore utks it
does not know (200), so this is a test hook, not HubSpot behaviour: it stands for a
value some upstream validation refuses, to exercise a client's batch bisection.

Examples
--------
>>> plan = FaultPlan(seed=1, rate=0.0)
>>> plan.inject("503", count=2)
>>> [plan.draw() for _ in range(3)]
['503', '503', None]
"""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Iterable

__all__ = ["FAULT_KINDS", "INJECT_KINDS", "FaultPlan"]

FAULT_KINDS = ("502", "503", "drop", "truncate", "badjson")
INJECT_KINDS = (*FAULT_KINDS, "429", "429-daily", "400", "badshape")


def _check_kinds(kinds: Iterable[str], allowed: tuple[str, ...], name: str) -> tuple[str, ...]:
    kinds = tuple(kinds)
    bad = [k for k in kinds if k not in allowed]
    if bad or not kinds:
        raise ValueError(f"{name} must be a non-empty list of {', '.join(allowed)}; got {kinds!r}")
    return kinds


class FaultPlan:
    """Thread-safe source of faults and latency for the data endpoints.

    Parameters
    ----------
    seed
        Seed of the RNG, so a run's fault and latency sequence is reproducible.
    rate
        Probability (0..1) that a data request gets a random fault.
    kinds
        Which kinds random faults are drawn from (default: all of :data:`FAULT_KINDS`).
    latency
        Seconds added to every request: a number, or a ``(min, max)`` range.
    """

    def __init__(
        self,
        seed: int = 0,
        rate: float = 0.0,
        kinds: Iterable[str] | None = None,
        latency: float | tuple[float, float] = 0.0,
    ) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(f"faults:{seed}")
        self._queue: deque[str] = deque()
        self._standing: str | None = None  # inject(kind, count=None): every request
        self._poisoned: set[str] = set()
        self.rate, self.latency = 0.0, (0.0, 0.0)
        self.kinds: tuple[str, ...] = FAULT_KINDS
        self.configure(rate=rate, kinds=kinds, latency=latency)

    def configure(
        self,
        *,
        rate: float | None = None,
        kinds: Iterable[str] | None = None,
        latency: float | tuple[float, float] | None = None,
    ) -> None:
        """Change the rate, kinds or latency (``None`` keeps the current value)."""
        if rate is not None and not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault_rate must be between 0 and 1; got {rate!r}")
        checked = _check_kinds(kinds, FAULT_KINDS, "faults") if kinds is not None else None
        bounds = None
        if latency is not None:
            lo, hi = latency if isinstance(latency, tuple) else (latency, latency)
            if lo < 0 or hi < lo:
                raise ValueError(f"latency must be >= 0 or a (min, max) range; got {latency!r}")
            bounds = (float(lo), float(hi))
        with self._lock:
            if rate is not None:
                self.rate = float(rate)
            if checked is not None:
                self.kinds = checked
            if bounds is not None:
                self.latency = bounds

    def inject(self, kind: str, count: int | None = 1) -> None:
        """Make the next ``count`` data requests fail with ``kind``; ``None``: every one.

        ``count=None`` holds until :meth:`clear` (queued faults fire first).

        Examples
        --------
        >>> plan = FaultPlan()
        >>> plan.inject("400", count=None)
        >>> [plan.draw() for _ in range(3)]
        ['400', '400', '400']
        >>> plan.clear(); plan.draw() is None
        True
        """
        _check_kinds([kind], INJECT_KINDS, "kind")
        if count is not None and (
            isinstance(count, bool) or not isinstance(count, int) or count < 1
        ):
            raise ValueError(f"count must be an integer >= 1 or None; got {count!r}")
        with self._lock:
            if count is None:
                self._standing = kind
            else:
                self._queue.extend([kind] * count)

    def poison(self, utks: Iterable[str]) -> None:
        """Make every batch holding one of ``utks`` answer 400 from now on."""
        utks = [utks] if isinstance(utks, str) else list(utks)
        if not all(isinstance(u, str) and u for u in utks):
            raise ValueError("poison takes non-empty utk strings")
        with self._lock:
            self._poisoned.update(utks)

    def cure(self) -> None:
        """Forget every poisoned utk."""
        with self._lock:
            self._poisoned.clear()

    def poisoned_in(self, utks: Iterable[str]) -> list[str]:
        """The poisoned utks among ``utks``, in their order."""
        with self._lock:
            return [u for u in utks if u in self._poisoned]

    def clear(self) -> None:
        """Drop injected faults that have not fired yet, and a standing one."""
        with self._lock:
            self._queue.clear()
            self._standing = None

    def draw(self) -> str | None:
        """The fault of the next data request, or ``None``."""
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            if self._standing is not None:
                return self._standing
            if self.rate and self._rng.random() < self.rate:
                return self._rng.choice(self.kinds)
            return None

    def delay(self) -> float:
        """Seconds to wait before answering this request."""
        with self._lock:
            lo, hi = self.latency
            return lo if lo == hi else self._rng.uniform(lo, hi)
