"""Progress of a lookup, counted in utks by both sinks.

``progress`` counts the utks a lookup asks HubSpot for: valid ones, not answered by the
record store (in memory) or already in the dataset (``out=``). ``None`` shows a tqdm bar
when more than one request is needed, ``True`` / ``False`` always / never; a callable gets
``progress(done, total)`` in the calling thread: ``(0, total)`` before anything is sent,
then after each batch (in memory) or each chunk written (dataset), ending at
``done == total`` even when batches fail. An exception it raises stops the lookup and
propagates as itself.

Examples
--------
>>> calls = []
>>> with Report(lambda done, total: calls.append((done, total)), 250, several=True) as report:
...     report.advance(100)
...     report.advance(150)
>>> calls
[(0, 250), (100, 250), (250, 250)]
"""

from __future__ import annotations

from typing import Any

from hubutk_pandas.options import Progress

__all__ = ["Report"]


class Report:
    """One lookup's progress: a bar, or a callback, or nothing (see the module docstring).

    Parameters
    ----------
    progress
        ``None``, ``True``, ``False`` or a callable ``progress(done, total)``.
    total
        The utks to fetch.
    several
        Whether more than one request is needed (``None`` shows a bar only then).
    """

    def __init__(self, progress: Progress, total: int, *, several: bool) -> None:
        self.total = total
        self.done = 0
        self._callback = progress if callable(progress) else None
        show = self._callback is None and (several if progress is None else bool(progress))
        self._bar: Any = None
        if show:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc="HubSpot lookup", unit="utk")

    def __enter__(self) -> Report:
        if self._callback is not None:
            self._callback(0, self.total)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.close()

    def advance(self, utks: int) -> None:
        """``utks`` more are settled (answered, failed, or skipped after a fatal error)."""
        self.done += utks
        if self._bar is not None:
            self._bar.update(utks)
        if self._callback is not None:
            self._callback(self.done, self.total)

    def finish(self) -> None:
        """Count what is left as settled (a lookup stopped by a fatal error): end at total."""
        if self.done < self.total:
            self.advance(self.total - self.done)
