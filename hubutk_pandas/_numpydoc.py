"""Private: numpydoc ``Parameters`` entries written from declared fields.

:mod:`~hubutk_pandas.options` and :mod:`~hubutk_pandas.settings` declare each option or
setting once, as a dataclass field with its type text and description in the field's
metadata. The docstrings are written from there; nothing parses a docstring, so the
package imports and works the same under ``python -OO`` (which drops docstrings: a
marker in a missing docstring is simply not filled).

Examples
--------
>>> print(fill("Parameters\\n----------\\n    <x>\\n", "<x>", [("a", "int", "An a.")]))
Parameters
----------
    a : int
        An a.
<BLANKLINE>
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

__all__ = ["entries", "fill"]


def entries(rows: Iterable[tuple[str, str, str]], indent: str) -> str:
    """``name : type`` lines, each followed by its description wrapped at 88 columns."""
    lines = []
    for name, kind, doc in rows:
        lines.append(f"{indent}{name} : {kind}")
        lines.append(
            textwrap.fill(
                doc, 88, initial_indent=indent + "    ", subsequent_indent=indent + "    "
            )
        )
    return "\n".join(lines)


def fill(doc: str | None, marker: str, rows: Iterable[tuple[str, str, str]]) -> str | None:
    """``doc`` with each line holding only ``marker`` replaced by the entries of ``rows``.

    A ``None`` docstring (``python -OO``) stays ``None``.
    """
    if doc is None:
        return None
    rows = list(rows)
    out = []
    for line in doc.splitlines(keepends=True):
        if line.strip() == marker:
            indent = line[: len(line) - len(line.lstrip())]
            out.append(entries(rows, indent) + ("\n" if line.endswith("\n") else ""))
        else:
            out.append(line)
    return "".join(out)
