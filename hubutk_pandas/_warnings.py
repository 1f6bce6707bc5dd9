"""Warnings that point at the caller's code, not at hubutk-pandas' internals.

The same warning can be raised through the accessor, the client, a widget or
the CLI, each adding frames, so a fixed ``stacklevel`` would point inside the
package on most paths. This finds the first frame outside the package instead
(what ``skip_file_prefixes`` does on Python 3.12+).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

_PACKAGE_DIR = str(Path(__file__).resolve().parent)


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """Issue ``message`` attributed to the first caller outside hubutk_pandas.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn("look here")
    >>> caught[0].filename.endswith("_warnings.py")
    False
    """
    level = 1
    frame = sys._getframe(1)
    while frame is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(
        _PACKAGE_DIR
    ):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    warnings.warn(message, category, stacklevel=level + 1)
