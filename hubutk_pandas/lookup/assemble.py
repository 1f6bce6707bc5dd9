"""Assemble answers into what a sink builds frames from: matched, missing, done, failed.

One function for both sinks: the in-memory lookup assembles the whole column at once,
the dataset one chunk at a time. Input order is kept: ``matched`` and ``missing`` follow
the entries, so the frames list contacts in the order the utks came.

Examples
--------
>>> answers = Answers(found={"a": {"vid": 1}, "b": None}, completed={"a", "b"},
...                   failed=[(["c"], None)])
>>> done = assemble([("a", True), ("b", True), ("c", True), ("d;", False)], answers)
>>> done.matched, done.missing, done.done, done.failed_utks
([('a', {'vid': 1})], [('b', 'not_found'), ('d;', 'invalid')], [0, 1, 3], ['c'])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hubutk_pandas.errors import HubSpotError

__all__ = ["Answers", "Assembled", "Record", "assemble"]

Record = Mapping[str, Any] | str
"""A contact record: decoded JSON, or its JSON text (from the record store)."""


@dataclass
class Answers:
    """What the fetch stage (and the record store) got for a list of utks."""

    batches: int = 0
    """Requests planned (batches), before any split."""
    found: dict[str, Record | None] = field(default_factory=dict)
    """utk -> record, or ``None`` when HubSpot has no contact for it."""
    by_batch: dict[str, list[Record]] = field(default_factory=dict)
    """``endpoint="utks"``, batches of several utks: first utk -> the batch's records."""
    completed: set[str] = field(default_factory=set)
    """utks whose batch was answered."""
    failed: list[tuple[list[str], HubSpotError | None]] = field(default_factory=list)
    """Batches (or bisected parts) that failed, with their last error (``None``: not sent)."""
    fatal: HubSpotError | None = None
    """The error that stopped the lookup, if one did."""


@dataclass
class Assembled:
    """The entries in input order, sorted out."""

    matched: list[tuple[str | None, Record]]
    """``(utk, record)``; ``utk`` is ``None`` for the vid-keyed endpoint's batches."""
    missing: list[tuple[str, str]]
    """``(utk, reason)``: ``"not_found"`` or ``"invalid"``."""
    done: list[int]
    """Positions of the entries that are settled (answered, or invalid)."""
    failed_utks: list[str]
    """Valid utks whose batch failed or was not sent."""


def assemble(entries: Iterable[tuple[str, bool]], answers: Answers) -> Assembled:
    """Sort ``(utk, valid)`` entries, in order, into matched, missing, done and failed."""
    out = Assembled([], [], [], [])
    for position, (utk, valid) in enumerate(entries):
        if not valid:
            out.missing.append((utk, "invalid"))
        elif utk in answers.by_batch:
            out.matched.extend((None, r) for r in answers.by_batch[utk])
        elif utk in answers.found:
            record = answers.found[utk]
            if record is None:
                out.missing.append((utk, "not_found"))
            else:
                out.matched.append((utk, record))
        elif utk not in answers.completed:  # its records, if any, came with its batch's first
            out.failed_utks.append(utk)
            continue
        out.done.append(position)
    return out
