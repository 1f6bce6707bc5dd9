"""Nothing in a rich sandbox response is dropped: every scalar lands in its contact's rows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pandas as pd

from hubutk_pandas.frames import build_frames
from hubutk_pandas.sandbox import SandboxPortal
from tests.frames.conftest import RICH, Fetch

Atom = tuple[str, Any]


def _atoms(value: Any) -> Iterator[Atom]:
    """Normalized scalar leaves: ("b", bool), ("n", int), ("s", str); None is skipped."""
    if value is None or value is pd.NA or value is pd.NaT:
        return
    if isinstance(value, dict):
        for v in value.values():
            yield from _atoms(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _atoms(v)
    elif isinstance(value, bool):
        yield ("b", value)
    elif isinstance(value, pd.Timestamp):
        yield ("n", value.value // 1_000_000)  # ns → ms
    elif isinstance(value, (int, float)):
        if value == int(value):
            yield ("n", int(value))
        else:
            yield ("f", value)
    else:
        yield ("s", str(value))


def _frame_atoms(frames: dict[str, pd.DataFrame], vid: int) -> set[Atom]:
    found: set[Atom] = set()
    for name, frame in frames.items():
        if name == "missing":
            continue
        rows = frame[frame["vid"] == vid]
        for col in rows.columns:
            for cell in rows[col].tolist():
                if col == "extra" and isinstance(cell, str):
                    found.update(_atoms(json.loads(cell)))
                else:
                    found.update(_atoms(cell))
    return found


def test_every_scalar_of_a_rich_response_appears_in_its_contacts_rows(
    portal: SandboxPortal, fetch: Fetch
) -> None:
    utks = [
        *portal.sample_utks(12, "contact"),
        *portal.sample_utks(3, "visitor"),
        *portal.sample_utks(3, "merged"),
        *portal.sample_utks(3, "deleted"),
    ]
    body = fetch(utks, **RICH)
    assert len(body) == len(utks)
    matched = list(body.items())
    frames = build_frames(matched)
    for name in ("history", "form_submissions", "list_memberships", "identities",
                 "merge_audits", "companies"):  # fmt: skip
        assert len(frames[name]) > 0, f"the sample should exercise {name}"
    assert frames["contacts"]["is_contact"].eq(False).any()
    for utk, record in matched:
        wanted = set(_atoms(record))
        missing = wanted - _frame_atoms(frames, record["vid"])
        assert not missing, (utk, sorted(missing, key=repr)[:10])


def test_completeness_check_detects_a_dropped_value(portal: SandboxPortal, fetch: Fetch) -> None:
    """The check above is not vacuous: a value the frames never saw is reported missing."""
    utk = portal.sample_utks(1, "contact")[0]
    record = fetch([utk], **RICH)[utk]
    frames = build_frames([(utk, record)])
    record["properties"]["firstname"]["value"] = "a value nobody sent"
    assert ("s", "a value nobody sent") not in _frame_atoms(frames, record["vid"])
