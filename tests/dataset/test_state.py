"""The resume state's input: new values counted and kept in first-seen order.

Valid values go in by runs (one ``executemany`` each, since issue 19), invalid ones alone;
the counts of new values and their order must not depend on how the runs fall.
"""

from __future__ import annotations

from pathlib import Path

from hubutk_pandas.dataset.state import ResumeState


def test_add_counts_new_values_and_keeps_their_first_seen_order(tmp_path: Path) -> None:
    a, b, c, d = ("a" * 32, "b" * 32, "c" * 32, "d" * 32)
    state = ResumeState(tmp_path / "_state.sqlite")
    try:
        assert state.add([a, "not a utk", b, a, "not a utk", c]) == (3, 1)
        assert state.add([c, "not a utk", d, "also bad", a]) == (1, 1)  # c, a: already there
        assert state.add([]) == (0, 0)
        assert state.add(b) == (0, 0)  # a lone string is one value
        pending = state.pending(0, 100)
        assert [(utk, valid) for _, utk, valid in pending] == [
            (a, True), ("not a utk", False), (b, True), (c, True), (d, True), ("also bad", False)
        ]  # fmt: skip
        assert state.summary() == {
            "distinct": 6, "valid": 4, "invalid": 2, "done": 0, "pending": 6
        }  # fmt: skip
    finally:
        state.close()
