"""Build an in-memory lookup's frames in groups of entries while the pacer waits.

A paced lookup spends most of its time waiting for the rate window; building every frame
after the last answer (3-4 s for 100,000 thin contacts) made the whole call that much
longer than its pacing. So the in-memory sink builds the frames of each group of
:data:`GROUP` entries (in input order) as soon as every utk in it is settled and the groups
before it are built; the last :data:`GROUP` entries go in smaller groups
(:func:`group_starts`), so that only a quarter of a group is left for after the last answer. The
groups are large, so concatenating them costs little CPU next to building them.

The result is the frames :func:`~hubutk_pandas.frames.build_frames` builds from the whole
lookup at once: the same rows in the same order, the same dtypes. A contact matched by
utks in two groups (two browsers of one person) keeps its rows in the other frames only
from the first, as one build keeps the first record of a vid; ``companies`` gets the
union of the groups' property columns, in the order one build gives them.

Examples
--------
>>> answers = Answers(found={"a": {"vid": 1}, "b": {"vid": 1}}, completed={"a", "b"})
>>> groups = FrameGroups(["a", "b"], invalid=set(), todo=["a", "b"], answers=answers, size=1)
>>> groups.settled(["a"]); groups.built
1
>>> frames = groups.finish()
>>> len(frames["contacts"]), len(frames["properties"])
(2, 0)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from hubutk_pandas.frames import build_frames
from hubutk_pandas.frames.columns import COMPANIES_SCHEMA, FRAME_NAMES
from hubutk_pandas.lookup.assemble import Answers, Assembled, assemble

__all__ = ["GROUP", "TAIL", "FrameGroups", "group_starts"]

GROUP = 10_000
"""Entries (input positions) per group. Smaller groups leave less to build after the last
answer but cost more CPU to concatenate; a lookup of at most this many builds once."""

TAIL = 4
"""The last :data:`GROUP` entries are built in this many smaller groups: the answers of the
last window settle them one after another, and only the last is left for after them."""


def group_starts(n: int, size: int) -> list[int]:
    """Where each group of ``n`` entries starts: groups of ``size``, the last ``size`` in quarters.

    Examples
    --------
    >>> group_starts(100, 40)
    [0, 40, 60, 70, 80, 90]
    >>> group_starts(40, 40), group_starts(0, 40), group_starts(3, 2)
    ([0], [], [0, 1, 2])
    """
    if n <= size:
        return [0] if n else []
    bulk = list(range(0, n - size, size))
    tail = n - size
    return sorted({*bulk, *(tail + (size * k) // TAIL for k in range(TAIL))})


class FrameGroups:
    """The frames of a lookup's entries, built a group at a time, in input order.

    Parameters
    ----------
    order
        Every entry (cleaned utk) in input order.
    invalid
        The entries that are not valid utks.
    todo
        The valid utks not answered yet: to be read from the record store or asked of
        HubSpot (the rest are answered already, or invalid).
    answers
        Where the fetch stage puts the answers (read when a group is built).
    size
        Entries per group (default :data:`GROUP`).
    recall
        Reads stored answers (utk -> record or ``None``) for a list of utks: the record
        store's, for the utks :meth:`held` names. A group's are read when it is about to
        be built, so that a lookup holds one group of stored records at a time.
    """

    def __init__(
        self,
        order: Sequence[str],
        *,
        invalid: set[str],
        todo: Iterable[str],
        answers: Answers,
        size: int | None = None,
        recall: Callable[[list[str]], Mapping[str, Any]] | None = None,
    ) -> None:
        size = GROUP if size is None else size
        self._order, self._invalid, self._answers = order, invalid, answers
        self._recall = recall
        self._unread: dict[int, list[str]] = {}  # group -> its stored utks, not read yet
        self._lost: list[str] = []  # stored answers that could not be read: fetch them again
        self.from_store = 0
        """Answers read from the record store so far."""
        starts = group_starts(len(order), size)
        self._bounds = list(zip(starts, [*starts[1:], len(order)][: len(starts)], strict=True))
        self._waiting = [0] * len(starts)  # utks of each group not yet settled
        wanted = set(todo)
        # the entries are distinct (cleaned): a utk sits in one group
        self._group_of = {
            u: group
            for group, (start, end) in enumerate(self._bounds)
            for u in order[start:end]
            if u in wanted
        }
        for group in self._group_of.values():
            self._waiting[group] += 1
        self._parts: list[dict[str, pd.DataFrame]] = []
        self._seen: set[int] = set()  # vids of the groups built
        self.matched = 0
        self.missing = 0
        self.failed_utks: list[str] = []
        """Valid utks whose batch failed or was not sent, in input order."""

    @property
    def built(self) -> int:
        """Groups built so far."""
        return len(self._parts)

    def held(self, utks: Iterable[str]) -> None:
        """``utks`` have a stored answer (the store's index says): read when their group is built.

        They count as settled. A group is read just before it is built, never before:
        reading every stored answer first held them all (a lookup of 100,000 stored utks
        and a few new ones held every record at once). Pass them in input order.
        """
        for utk in utks:
            group = self._group_of.pop(utk, None)
            if group is not None:
                self._waiting[group] -= 1
                self._unread.setdefault(group, []).append(utk)

    def settled(self, utks: Iterable[str], *, build: bool = True) -> None:
        """``utks`` have their answer (or failed): build every group now complete, in order.

        Only when there is more than one group: a single group is built by :meth:`finish`.
        ``build=False`` only counts them: the groups they complete wait for the next call.
        A group's stored answers are read first; if some cannot be (a damaged or expired
        row), the group waits for them, and :meth:`finish` has them fetched again.
        """
        for utk in utks:
            group = self._group_of.pop(utk, None)
            if group is not None:
                self._waiting[group] -= 1
        if build and len(self._waiting) > 1:
            while self.built < len(self._waiting) - 1 and self._waiting[self.built] == 0:
                if not self._read(self.built):
                    break
                self._build(self.built)

    def finish(
        self, refetch: Callable[[list[str]], object] | None = None
    ) -> dict[str, pd.DataFrame]:
        """Build the groups left (the fetch is over: every utk is settled or failed).

        ``refetch(utks)`` fetches again, into the answers, the stored answers that could not
        be read; without it they fail. The answers are let go of (the records die with the
        caller's own reference).
        """
        if self._lost:  # found unreadable while the fetch went on: fetched again together
            lost, self._lost = self._lost, []
            if refetch is not None:
                refetch(lost)
            self.settled(lost, build=False)
        while self.built < len(self._waiting):
            self._read(self.built, refetch)
            self._build(self.built)
        self._answers = Answers()
        if len(self._parts) == 1:
            return self._parts[0]
        if not self._parts:
            return build_frames([], [])
        frames: dict[str, pd.DataFrame] = {}
        for name in FRAME_NAMES:  # each frame's parts let go of once joined: one extra copy
            frames[name] = _concat(name, [part.pop(name) for part in self._parts])
        return frames

    def _read(self, group: int, refetch: Callable[[list[str]], object] | None = None) -> bool:
        """Read ``group``'s stored answers into the answers; ``False`` if it must wait for some.

        A stored answer that cannot be read is fetched again: at once with ``refetch``,
        otherwise by :meth:`finish` (the group waits for it until then).
        """
        unread = self._unread.pop(group, None)
        if not unread or self._recall is None:
            return True
        found = self._recall(unread)
        self._answers.found.update(found)
        self.from_store += len(found)
        lost = [u for u in unread if u not in found]
        if not lost:
            return True
        if refetch is not None:
            refetch(lost)
            return True
        for utk in lost:
            self._group_of[utk] = group
        self._waiting[group] += len(lost)
        self._lost += lost
        return False

    def _build(self, group: int) -> None:
        start, end = self._bounds[group]
        entries = self._order[start:end]
        done: Assembled = assemble(((u, u not in self._invalid) for u in entries), self._answers)
        # The group's records are let go of once its frames are built (the frames hold what
        # they said): a lookup holds one group of records at a time, not all of them, and
        # the memory they free is reused by the next group's answers instead of being
        # returned to the system and faulted in again.
        found, by_batch = self._answers.found, self._answers.by_batch
        for utk in entries:
            found.pop(utk, None)
            by_batch.pop(utk, None)
        frames = build_frames(done.matched, done.missing)
        self.matched += len(done.matched)  # counted before the records are let go of
        del done.matched[:]
        self.missing += len(done.missing)
        self.failed_utks += done.failed_utks
        vids = frames["contacts"]["vid"].dropna().astype("int64").tolist()
        again = self._seen.intersection(vids)  # contacts matched in an earlier group too
        if again:  # they keep that group's rows only, as one build keeps a vid's first record
            for name in FRAME_NAMES:
                if name not in ("contacts", "missing") and len(frames[name]):
                    frame = frames[name]
                    frames[name] = frame[~frame["vid"].isin(again)].reset_index(drop=True)
        self._seen.update(vids)
        self._parts.append(frames)


def _concat(name: str, parts: list[pd.DataFrame]) -> pd.DataFrame:
    """One frame of the groups, rows in order; ``companies``' columns are their union."""
    full = [part for part in parts if len(part)] or parts[:1]
    if name == "companies":
        fixed = [col for col in COMPANIES_SCHEMA if col != "extra"]
        wide = {col for part in full for col in part.columns} - set(COMPANIES_SCHEMA)
        # one build sorts the property columns by name, before prefixing a name that is
        # also a fixed column with "property_"
        unprefix = {f"property_{col}": col for col in COMPANIES_SCHEMA}
        columns = [*fixed, *sorted(wide, key=lambda col: unprefix.get(col, col)), "extra"]
        full = [
            part.reindex(columns=columns).astype(
                {col: "string" for col in columns if col not in part.columns}
            )
            for part in full
        ]
    if len(full) == 1:
        return full[0].reset_index(drop=True)
    return pd.concat(full, ignore_index=True)
