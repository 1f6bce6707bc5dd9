"""The lookup pipeline: one path from a column of utks to a result or a dataset.

Every lookup runs here, whichever sink it ends in:

.. code-block:: text

    utks --clean--> valid utks --plan--> batches --fetch (through a Fetcher)--> answers
         --assemble--> matched / missing, in input order --> a sink:
             lookup_to_result: LookupResult (memory; the record store answers first)
             lookup_to_dataset: LookupDataset (Parquet parts, chunk by chunk, resumable)
         --fail--> LookupFailedError / DailyLimitError with .partial = what the sink kept

* :mod:`~hubutk_pandas.lookup.fetcher`: the :class:`Fetcher` protocol, what the pipeline
  asks of a client (``client.fetcher``: cached, paced, retried HTTP and the record store);
* :mod:`~hubutk_pandas.lookup.plan`: the query and batches that fit a URL;
* :mod:`~hubutk_pandas.lookup.fetch`: the worker pool, bisection, fatal stops;
* :mod:`~hubutk_pandas.lookup.assemble`: answers → matched and missing, for both sinks;
* :mod:`~hubutk_pandas.lookup.failures`: the only place that builds
  :class:`~hubutk_pandas.LookupFailedError` and :class:`~hubutk_pandas.DailyLimitError`;
* :mod:`~hubutk_pandas.lookup.progress`: progress in utks, for both sinks;
* :mod:`~hubutk_pandas.lookup.memory` and :mod:`~hubutk_pandas.lookup.stream`: the sinks.

Most code calls ``client.lookup_utks(utks, out=None or PATH)``, which checks its
arguments (:func:`check_sink_arguments`) and runs one of the sinks. The sinks load on first
use, so importing this package stays light.

Examples
--------
>>> import tempfile
>>> from hubutk_pandas import LookupOptions
>>> utks = client.sandbox.sample_utks(3)
>>> memory = lookup_to_result(client.fetcher, utks, LookupOptions(), progress=False)
>>> disk = lookup_to_dataset(client.fetcher, utks, tempfile.mkdtemp() + "/ds",
...                          LookupOptions(), progress=False)
>>> disk.to_pandas("contacts").equals(memory.contacts)
True
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

from hubutk_pandas.errors import InvalidOptionError
from hubutk_pandas.lookup.fetcher import Fetcher

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from hubutk_pandas.lookup.memory import lookup_to_result
    from hubutk_pandas.lookup.stream import (
        DEFAULT_CHUNK_SIZE,
        VALUE_ONLY_CHUNK_SIZE,
        chunk_size_for,
        lookup_to_dataset,
    )

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "VALUE_ONLY_CHUNK_SIZE",
    "Fetcher",
    "check_sink_arguments",
    "chunk_size_for",
    "lookup_to_dataset",
    "lookup_to_result",
]

_LAZY = {
    "DEFAULT_CHUNK_SIZE": "hubutk_pandas.lookup.stream",
    "VALUE_ONLY_CHUNK_SIZE": "hubutk_pandas.lookup.stream",
    "chunk_size_for": "hubutk_pandas.lookup.stream",
    "lookup_to_dataset": "hubutk_pandas.lookup.stream",
    "lookup_to_result": "hubutk_pandas.lookup.memory",
}


def check_sink_arguments(
    *, out: str | os.PathLike[str] | None, refresh: Any, retry_missing: Any = False
) -> None:
    """Refuse an argument that does not apply to the sink ``out`` chooses (before any request).

    ``refresh`` asks the caches again; a dataset reads none (it is its own state, and a
    rerun continues it), so ``refresh=True`` with ``out`` is an error, not a no-op.
    ``retry_missing`` looks a dataset's missing utks up again: it needs ``out`` (in memory,
    ``refresh=True`` asks again).

    Examples
    --------
    >>> check_sink_arguments(out=None, refresh=True)
    >>> check_sink_arguments(out="visits", refresh=True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    hubutk_pandas.errors.InvalidOptionError: refresh=True does not apply with out=: ...
    >>> check_sink_arguments(out=None, refresh=False, retry_missing=True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    hubutk_pandas.errors.InvalidOptionError: retry_missing=True needs out=: ...
    """
    if not isinstance(retry_missing, bool):
        raise InvalidOptionError.for_value("retry_missing", retry_missing, "use True or False")
    if out is not None and refresh is True:
        raise InvalidOptionError(
            "refresh=True does not apply with out=: a dataset reads no cache, every utk not "
            "in it yet is fetched fresh. To fetch everything again, write to a new folder."
        )
    if out is None and retry_missing:
        raise InvalidOptionError(
            "retry_missing=True needs out=: it looks a dataset's missing utks up again. In "
            "memory, refresh=True fetches every utk again instead of using the cache."
        )


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hubutk_pandas.lookup' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
