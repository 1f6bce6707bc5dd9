"""Helpers of the dataset tests: a mixed column of utks, frame-by-frame equality."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pandas.testing as pdt

from hubutk_pandas import LookupDataset, LookupOptions, LookupResult
from hubutk_pandas.frames import FRAME_NAMES
from hubutk_pandas.sandbox import SandboxPortal

FULL = {"property_mode": "value_and_history", "form_submission_mode": "all", "progress": False}
"""The options that make the biggest records: every frame has rows."""
FULL_OPTIONS = LookupOptions(property_mode="value_and_history", form_submission_mode="all")
"""The same, as the options object ``lookup_to_dataset`` takes."""


def mixed_utks(portal: SandboxPortal, n: int) -> list[Any]:
    """``n`` contact utks, merged ones (their vid is also reached by a contact utk, often in
    another chunk), unknown ones, an invalid one, blanks and repeats."""
    merged = portal.sample_utks(min(140, n // 10), kind="merged")
    known = portal.sample_utks(n)
    return [*known[: n // 2], *merged, *known[n // 2 :], *portal.unknown_utks(3), "bad;utk",
            "", None, f"  {known[0]} ", *known[:5]]  # fmt: skip


def assert_same_frames(result: LookupResult, dataset: LookupDataset) -> None:
    """Every frame of the dataset equals the in-memory one: values, dtypes, order, index."""
    for name in FRAME_NAMES:
        pdt.assert_frame_equal(dataset.to_pandas(name), result.frames[name], obj=name)
        assert dataset.counts[name] == len(result.frames[name]), name


def in_row_order(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame``'s rows sorted by their text, so that two frames compare regardless of row order.

    Sorting on the cells' ``str`` is vectorized (a ``repr`` of each row cost 3.8 s a side for
    1,500 contacts with full history, against 1.0 s); the frames are then compared exactly.
    """
    text = frame.astype(str).reset_index(drop=True)
    order = text.sort_values(list(text.columns), kind="stable").index
    return frame.iloc[order].reset_index(drop=True)


def assert_same_rows(got: pd.DataFrame, expected: pd.DataFrame, name: str) -> None:
    """The same rows, dtypes and columns, in any order."""
    pdt.assert_frame_equal(in_row_order(got), in_row_order(expected), obj=name)


def assert_same_frames_in_any_order(result: LookupResult, dataset: LookupDataset) -> None:
    """Every frame of the dataset has the in-memory one's rows and dtypes, in any order."""
    for name in FRAME_NAMES:
        assert_same_rows(dataset.to_pandas(name), result.frames[name], name)


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` and its bytes (to check that nothing changed)."""
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }
