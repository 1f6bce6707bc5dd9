"""Import an optional dependency on first use, with an error that says how to install it.

plotting and the widgets import matplotlib and ipywidgets only inside functions, so that
``import hubutk_pandas`` stays light; this is the one place that turns a missing package
into a readable ``ImportError``.

Examples
--------
>>> import_optional("json", package="json", needed_by="this example").dumps([1])
'[1]'
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["import_optional"]


def import_optional(name: str, *, package: str, needed_by: str) -> Any:
    """Import and return the module ``name``; a missing one names the pip package to install.

    Parameters
    ----------
    name
        The module to import, e.g. ``"matplotlib.pyplot"``.
    package
        The PyPI package that provides it, e.g. ``"matplotlib"``.
    needed_by
        What needs it, for the message, e.g. ``"hubutk_pandas.plotting"``.

    Raises
    ------
    ImportError
        When the module cannot be imported; the message says ``pip install <package>``.

    Examples
    --------
    >>> import_optional("no_such_module_here", package="nothing", needed_by="a doctest")
    Traceback (most recent call last):
    ...
    ImportError: a doctest needs nothing: pip install nothing (or reinstall hubutk-pandas, ...
    """
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise ImportError(
            f"{needed_by} needs {package}: pip install {package} "
            "(or reinstall hubutk-pandas, which depends on it)"
        ) from exc
