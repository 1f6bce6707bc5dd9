"""Pausing Python's cyclic garbage collector around bulk, cycle-free work.

Shared by the record store's bulk read (which decodes the rows), the frames build (which
decodes records given as JSON text), the in-memory lookup (whose answers pile up until the
build) and the streamed lookup (which holds up to three chunks of answers at a time),
the places where the package keeps millions of containers alive at once. Only the
collector's on/off switch is touched, and it is restored: nothing is frozen or
promoted, so the caller's objects age as they would without us. A long block may
collect now and then itself (``sweep``), as the collector would have.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]


@contextmanager
def collector_paused() -> Iterator[Callable[[], None]]:
    """Pause Python's cyclic garbage collector for the block; restore its state after.

    Decoding many records keeps millions of new containers alive at once, and each time
    the young generation fills up the collector scans them - and, as they age, scans them
    again in the older generations. Measured on 20,000 cached records with full history,
    those scans cost more than the decode itself. ``json.loads`` builds trees, never
    reference cycles, so there is nothing for the collector to find in them: pausing it
    during a bulk decode is safe, and reference counting still frees everything at once.

    The previous state is restored in ``finally`` (also when the block raises), and the
    collector is never switched on if the caller had it off.

    The block gets a ``sweep()`` function: a full collection now, unless the caller had
    the collector off. A block that runs for long (a streamed lookup of millions of
    utks) sweeps every so often, so cyclic garbage made meanwhile, by us or by another
    thread, stays bounded instead of waiting for the block's end.

    Objects made in the block and still alive after it stay young: the next young
    collection scans them. The package therefore keeps its bulk objects inside one
    block: the store decodes its rows only for the in-memory lookup, which holds every
    record inside its own pause until they are dropped, and the frames build decodes,
    tidies and drops the records given as text before its block ends, so the collector
    never sees them. (An earlier version moved everything alive to the oldest
    generation with ``gc.freeze()`` + ``gc.unfreeze()``; that also promoted the caller's
    objects, so a cycle the caller had dropped waited for a full collection.)

    Examples
    --------
    >>> import gc
    >>> with collector_paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    was_enabled = gc.isenabled()

    def sweep() -> None:
        if was_enabled:
            gc.collect()

    gc.disable()
    try:
        yield sweep
    finally:
        if was_enabled:
            gc.enable()
